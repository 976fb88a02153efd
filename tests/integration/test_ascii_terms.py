"""
A terminal that may not take UTF-8 (vt100, vt220, ansi) gets ASCII
for the UI's own characters: the status line's "·", the "…" and the
arrows, so it shows no mojibake of ours.  A UTF-8 terminal keeps them.
"""

from harness import DaemonTest

UI = ("\u00b7", "\u2026", "\u2191", "\u2193")


class TestAsciiTerminals(DaemonTest):

    def check(self, term):
        a = self.raw(term=term, rows=8, cols=60)
        a.wait_for("Press Enter")
        a.send(b"\r")
        a.wait_for("Looking for a stranger")
        return a, a.received().decode("utf-8", "replace")

    def test_vt100_and_ansi_get_ascii(self):
        for term in ("vt100", "vt220", "ansi"):
            a, data = self.check(term)
            for ch in UI:
                self.assertNotIn(ch, data, "%s got U+%04X" % (term, ord(ch)))
            self.assertIn(" online - ", a.row(0), a.describe())
            self.assertIn("Looking for a stranger.", a.screen_text())
            a.close()

    def test_utf8_terminal_keeps_them(self):
        a, data = self.check("xterm-256color")
        self.assertIn(" online \u00b7 ", a.row(0), a.describe())
        self.assertIn("Looking for a stranger\u2026", a.screen_text())
