"""Nothing a visitor sends reaches the partner's terminal as control bytes."""

import re
import time

from harness import DaemonTest

# What the attacker sends, with a marker before and after each attack.
ATTACKS = [
    ("osc-title", b"\x1b]0;pwned\x07"),
    ("osc-st", b"\x1b]2;pwned2\x1b\\"),
    ("clear", b"\x1b[2J\x1b[H"),
    ("c1-csi-raw", b"\x9b31m"),
    ("c1-csi-utf8", "\u009b31m".encode()),
    ("c1-osc-utf8", "\u009d0;pwned3\u009c".encode()),
    ("bidi", "\u202egnp.exe".encode()),
    ("isolate", "\u2066x\u2069\u200f".encode()),
    ("bell", b"\x07\x07"),
    ("backspace", b"\x08\x08\x08"),
    ("cr", b"abc\rXYZ"),
    ("dcs", b"\x1bP+q544e\x1b\\"),
    ("charset", b"\x1b(0lqk\x1b(B"),
    ("vt52", b"\x1b#8"),
    ("del", b"\x7f"),
    ("overlong", b"\xc0\xaf\xe0\x80\xaf"),
    ("surrogate", b"\xed\xa0\x80"),
    ("tag", "\U000e0041".encode()),
]

BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
                       "\u200e\u200f\u202a-\u202e\u2066-\u2069"
                       "\U000e0000-\U000e007f]")


def payload(i, attack):
    # Spaces before the attack, so that a backspace or DEL the daemon
    # honours cannot eat into the marker.
    return b"mark%02da" % i + b" " * 8 + attack + b" mark%02db" % i


class SanitiseTest(DaemonTest):

    # Lines no faster than the default flood limit (5 a second).
    spacing = 0.22

    def send_attacks(self, sender, receiver):
        for i, (name, attack) in enumerate(ATTACKS):
            sender.type_line(payload(i, attack))
            try:
                receiver.wait_for("mark%02db" % i,
                                  msg="text after the %s attack" % name)
            except AssertionError:
                if receiver.has("The stranger left"):
                    self.fail("the sender left the chat on the %s attack "
                              "(an escape sequence typed or pasted counted "
                              "as Esc twice?)\n%s" % (name,
                                                      receiver.describe()))
                raise
            time.sleep(self.spacing)

    def assertNoControls(self, text, what):
        for m in BAD_CHARS.finditer(text):
            self.fail("%s: U+%04X reached the partner in %r" %
                      (what, ord(m.group()),
                       text[max(0, m.start() - 40):m.end() + 40]))


class TestToPlainReceiver(SanitiseTest):
    """A netcat receiver sees exactly the bytes: there may be no ESC and
    no other control character but CR LF."""

    def check(self, sender_kind):
        s = self.visitor(sender_kind)
        r = self.visitor("nc")
        s.wait_for("connected to a stranger")
        r.wait_for("connected to a stranger")
        m = r.mark()
        self.send_attacks(s, r)
        data = r.since(m)
        self.assertNotIn(b"\x1b", data)
        text = data.decode("utf-8", "strict")	# valid UTF-8 only
        self.assertNoControls(text.replace("\r\n", "\n").replace("\n", " "),
                              "plain receiver")
        for i in range(len(ATTACKS)):
            self.assertIn("mark%02da" % i, text)
        self.assertIn("gnp.exe", text)

    def test_from_plain_sender(self):
        self.check("nc")

    def test_from_full_screen_sender(self):
        self.check("raw")


class TestToScreenReceiver(SanitiseTest):
    """A full-screen receiver gets escape sequences from the renderer;
    the partner's must not be among them, which shows on the screen."""

    def check(self, sender_kind):
        s = self.visitor(sender_kind)
        r = self.visitor("raw")
        s.wait_for("connected to a stranger")
        r.wait_for("connected to a stranger")
        self.assertChat(r, s, "canary line")
        m = r.mark()
        self.send_attacks(s, r)
        time.sleep(0.3)
        data = r.since(m)
        text = data.decode("utf-8", "strict")
        self.assertNotIn("pwned", r.title(), "the partner set the title")
        self.assertNotIn("\x1b]", text, "OSC reached the receiver")
        self.assertNotIn("\x1bP", text, "DCS reached the receiver")
        self.assertNotIn("\x1b(0", text, "charset switch reached receiver")
        self.assertNotIn("\x1b#8", text)
        # Strip the renderer's own CSI sequences; nothing else may be left.
        rest = re.sub("\x1b\\[[0-9;?]*[ -/]*[@-~]", "", text)
        rest = re.sub("\x1b(\\(B|[78=>M])", "", rest)
        rest = rest.replace("\r", "").replace("\n", "")
        self.assertNotIn("\x1b", rest, "a raw ESC reached the receiver")
        self.assertNoControls(rest, "screen receiver")
        # The screen was not cleared behind the renderer's back, and the
        # text parts arrived.
        screen = r.screen_text()
        self.assertIn("canary line", screen, r.describe())
        self.assertIn("mark%02da" % (len(ATTACKS) - 1), screen)
        self.assertIn("gnp.exe", screen)

    def test_from_plain_sender(self):
        self.check("nc")

    def test_from_full_screen_sender(self):
        self.check("raw")

    def test_sgr_in_text_does_not_colour_the_screen(self):
        s = self.visitor("nc")
        r = self.visitor("raw")
        s.wait_for("connected to a stranger")
        r.wait_for("connected to a stranger")
        s.type_line("\x1b[5;31;47mBLINKY\x1b[8m hidden")
        r.wait_for("hidden")
        for y, line in enumerate(r.lines()):
            x = line.find("hidden")
            if x >= 0:
                for cell in r.cells(y)[x:x + 6]:
                    self.assertFalse(getattr(cell, "blink", False) or
                                 cell.fg == "red" or
                                     cell.bg == "white", cell)
