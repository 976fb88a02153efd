"""
Narrow, tiny and huge windows.  Below 20x5 a visitor sees one honest
line asking for more room, and the chat once the window grows.  The
welcome text is wrapped once, at the real width (not pre-wrapped at 62
columns and wrapped again), and a short window shows its top, the 18+
rule, with a hint that more is below.
"""

import time

from harness import DaemonTest, poll


class TestScreens(DaemonTest):

    def flat(self, c):
        return " ".join("".join(c.lines()).split())

    def test_tiny_window_says_so(self):
        c = self.pty(cols=10, rows=3)
        self.assertTrue(poll(lambda: "Make the window at least 20x5." in
                             self.flat(c)), c.describe())
        c.resize(80, 24)
        c.wait_for("Welcome to strangerd")
        c.wait_for("Press Enter to agree")
        self.assertNotIn("Make the window", c.screen_text())

    def test_welcome_wrapped_once_and_from_the_top(self):
        c = self.pty(cols=40, rows=16)
        c.wait_for("Press Enter to agree")
        time.sleep(0.3)
        rows = [r.rstrip() for r in c.lines()]
        text = "\n".join(rows)
        self.assertIn("You must be 18 or older", text, c.describe())
        self.assertIn("more below", text, c.describe())
        # The built-in text breaks rule 2 before "involving"; wrapped
        # again at 40 that left a fragment on a row of its own.
        self.assertNotIn("     involving minors -- ever.", rows, c.describe())
        c.send(b"\x1b[6~")			# PgDn
        c.wait_for("someone who shares one")
