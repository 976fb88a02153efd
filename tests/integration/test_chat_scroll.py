"""
Scrollback: PgUp/PgDn and Shift-Up/Down move through the conversation,
a marker says when new lines arrive below, End jumps back to the end.
"""

import unittest

from harness import DaemonTest

PGUP, PGDN = b"\x1b[5~", b"\x1b[6~"
SHIFT_UP, SHIFT_DOWN = b"\x1b[1;2A", b"\x1b[1;2B"
END = b"\x1b[F"


class TestScrollback(DaemonTest):

    def setup_chat(self, kind="raw"):
        # 10 rows: 7 for the conversation, so 8 lines overflow it (8
        # also stays within the flood limit's burst).
        a, b = self.pair("raw", kind, kw_b={"cols": 80, "rows": 10})
        for i in range(1, 9):
            a.type_line("msg %02d" % i)
        b.wait_for("Stranger: msg 08")
        return a, b

    def test_pgup_marker_end(self):
        a, b = self.setup_chat()
        self.assertFalse(b.has("Stranger: msg 01"))
        b.send(PGUP)
        b.wait_for("Stranger: msg 01")
        b.wait_gone("Stranger: msg 08")
        b.wait_for("scrolled back")
        # A new line while scrolled back: the view stays, a marker says so.
        a.type_line("brand new")
        b.wait_for("1 new line below")
        self.assertFalse(b.has("Stranger: brand new"), b.describe())
        self.assertTrue(b.has("Stranger: msg 01"), b.describe())
        b.send(END)
        b.wait_for("Stranger: brand new")
        b.wait_gone("new line below")
        self.assertFalse(b.has("Stranger: msg 01"))

    def test_pgdn_and_shift_keys(self):
        a, b = self.setup_chat()
        b.send(SHIFT_UP)
        b.wait_for("scrolled back")
        b.wait_gone("Stranger: msg 08")
        b.send(SHIFT_DOWN)
        b.wait_for("Stranger: msg 08")
        b.wait_gone("scrolled back")
        b.send(PGUP * 6)		# past the top: clamped
        b.wait_for("Welcome to strangerd")
        b.send(PGDN)
        b.wait_gone("Welcome to strangerd")
        b.send(PGDN * 6)
        b.wait_for("Stranger: msg 08")
        b.wait_gone("scrolled back")

    def test_end_edits_when_not_scrolled(self):
        a, b = self.setup_chat()
        # Not scrolled: End is the editor's end-of-line key.
        b.send(b"abc\x1b[Dx")		# cursor left, then x: "abxc"
        b.send(END + b"Z\r")
        b.wait_for("You: abxcZ")

    def test_sending_returns_to_the_end(self):
        a, b = self.setup_chat()
        b.send(PGUP)
        b.wait_for("scrolled back")
        b.type_line("back again")
        b.wait_for("You: back again")
        b.wait_gone("scrolled back")
        a.wait_for("Stranger: back again")


if __name__ == "__main__":
    unittest.main()
