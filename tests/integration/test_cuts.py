"""
Nothing is cut silently: an over-long line, too many interests or a
too-long interest each come with a visible note.  Interests compare
case-insensitively beyond ASCII: CAFÉ meets café.
"""

from harness import DaemonTest


class TestCuts(DaemonTest):

    def test_long_line_is_cut_with_a_note(self):
        a, b = self.pair("nc", "pty")
        a.type_line("x" * 600)
        a.wait_for("Lines are limited to 500 characters")
        b.wait_for("Stranger:")
        b.wait_for("x" * 32)
        self.assertEqual(sum(r.count("x") for r in b.lines()
                             if r.startswith("  x")), 500, b.describe())
        self.assertEqual(a.text().count("Lines are limited"), 1, a.text())

    def test_long_line_full_screen(self):
        a, b = self.pair("pty", "raw")
        a.send(b"y" * 520)
        a.wait_for("Lines are limited to 500 characters")

    def test_too_many_interests(self):
        a = self.nc()
        a.wait_for("Press Enter")
        a.type_line("/interests a, b, c, d, e, f, g")
        a.wait_for("Your interests: a, b, c, d, e (only the first 5 are "
                   "kept)")

    def test_too_long_interest(self):
        a = self.nc()
        a.wait_for("Press Enter")
        a.type_line("/interests abcdefghijklmnopqrstuvwxyz0123")
        a.wait_for("abcdefghijklmnopqrstuvwx (each is cut to 24 characters)")

    def test_case_beyond_ascii(self):
        a = self.pty()
        a.wait_for("Press Enter")
        a.type_line("CAFÉ")
        a.wait_for("Your interests: café")
        b = self.pty()
        b.wait_for("Press Enter")
        b.type_line("café")
        a.wait_for("You both like café")
        b.wait_for("You both like café")
