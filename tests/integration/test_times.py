"""
Chat times agree: the status line's clock and /status say the same
thing, in the same words, while chatting and while waiting.
"""

import re

from harness import DaemonTest


class TestTimesAgree(DaemonTest):

    def test_chat_clock(self):
        a, b = self.pair("pty", "pty")
        a.type_line("/status")
        a.wait_for("In this chat for")
        said = re.search(r"In this chat for ([^.]+)\.", a.screen_text())
        self.assertIn(said.group(1), a.row(0), a.describe())

    def test_waiting_clock(self):
        a = self.visitor("pty")
        a.type_line("/status")
        a.wait_for("You have waited")
        said = re.search(r"You have waited ([^.]+)\.", a.screen_text())
        # The status line ticks each second: it shows the same or the
        # next second.
        m, s = map(int, said.group(1).split(":"))
        shown = {"%d:%02d" % divmod(m * 60 + s + d, 60) for d in (0, 1)}
        self.assertTrue(any(t in a.row(0) for t in shown), a.describe())
