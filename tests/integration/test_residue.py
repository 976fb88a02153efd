"""
A stripped escape sequence leaves nothing behind: an OSC title, an OSC
8 hyperlink, a DCS or a C1 OSC inside a line reaches the partner as
nothing at all, not as "]0;pwned".
"""

from harness import DaemonTest

LINES = [
    (b"one \x1b]0;pwned\x07two", "one two"),
    (b"three \x1b]8;;http://evil.example/\x1b\\four", "three four"),
    (b"five \x1bP+q544e\x1b\\six", "five six"),
    ("seven \u009d0;pwned\u009cеight".encode(), "seven еight"),
]


class TestNoResidue(DaemonTest):

    def check(self, kind):
        s = self.visitor(kind)
        r = self.visitor("nc")
        s.wait_for("connected to a stranger")
        r.wait_for("connected to a stranger")
        for raw, shown in LINES:
            s.type_line(raw)
            r.wait_for("Stranger: " + shown)
        text = r.text()
        for residue in ("pwned", "]0;", "]8;", "+q544e", "evil.example"):
            self.assertNotIn(residue, text)

    def test_from_full_screen_sender(self):
        self.check("raw")

    def test_from_plain_sender(self):
        self.check("nc")
