"""
A quiet server says why nobody is coming: two visitors who just parted
are never paired again at once, so when they are the only two waiting
both are told, and /again from both brings them back together (from
one alone, it does not).
"""

import time

from harness import DaemonTest, poll

ONLY = "only other person waiting is the stranger you just left"


class TestQuietServer(DaemonTest):

    def met_twice(self, c):
        return c.screen_text().lower().count("connected to a stranger") == 2

    def test_told_and_may_meet_again(self):
        a, b = self.pair("pty", "pty")
        a.type_line("/next")
        b.wait_for("The stranger left")
        b.type_line("")
        a.wait_for(ONLY)
        b.wait_for(ONLY)
        a.type_line("/again")
        a.wait_for("if they type /again too")
        time.sleep(0.5)
        self.assertEqual(a.screen_text().lower().count(
            "connected to a stranger"), 1, a.describe())
        b.type_line("/AGAIN")
        self.assertTrue(poll(lambda: self.met_twice(a) and
                             self.met_twice(b)), a.describe() + b.describe())
        self.assertChat(a, b, "hello again")

    def test_not_told_with_someone_else_coming(self):
        a, b = self.pair("pty", "pty")
        a.type_line("/next")
        b.wait_for("The stranger left")
        c = self.visitor("pty")
        a.wait_for("Connected to a stranger")
        c.wait_for("Connected to a stranger")
        self.assertNotIn(ONLY, a.screen_text())

    def test_not_after_a_block(self):
        a, b = self.pair("pty", "pty")
        a.type_line("/block")
        b.wait_for("The stranger left")
        a.type_line("")
        b.type_line("")
        a.wait_for("Looking for a stranger")
        b.wait_for("Looking for a stranger")
        time.sleep(0.5)
        self.assertNotIn(ONLY, a.screen_text())
        self.assertNotIn(ONLY, b.screen_text())
