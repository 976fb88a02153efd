"""
The chat features over SSH (OpenSSH's ssh in a pty), not only telnet:
interests, the typing indicator, scrollback, safety nudges, /block, a
40x12 terminal, and the plain line mode of a session without a pty.
"""

import time
import unittest

from harness_ssh import SshTest

TYPING = "Stranger is typing"
NUDGE = "Safety tip"
PGUP = b"\x1b[5~"
END = b"\x1b[F"


class TestChatOverSsh(SshTest):

    def test_interests(self):
        anyone = self.ssh_visitor(name="anyone")
        a = self.ssh_pty(name="chess-a")
        a.wait_for("Press Enter")
        a.type_line("chess, go")
        a.wait_for("Your interests: chess, go")
        b = self.ssh_pty(name="chess-b")
        b.wait_for("Press Enter")
        b.type_line("Chess")
        a.wait_for("You both like chess")
        b.wait_for("You both like chess")
        self.assertFalse(anyone.has("connected to a stranger"),
                         anyone.describe())
        self.assertChat(a, b, "chess over ssh")

    def test_typing_indicator(self):
        a = self.ssh_visitor(name="a")
        b = self.ssh_visitor(name="b")
        b.wait_for("connected to a stranger")
        t0 = time.monotonic()
        a.send(b"hel")
        b.wait_for(TYPING, timeout=3)
        self.assertLess(time.monotonic() - t0, 0.5)
        self.assertFalse(a.has(TYPING), a.describe())
        a.send(b"lo\r")
        b.wait_for("Stranger: hello")
        b.wait_gone(TYPING)

    def test_scrollback(self):
        a = self.ssh_visitor(name="a")
        b = self.ssh_visitor(name="b", rows=10)
        b.wait_for("connected to a stranger")
        for i in range(1, 9):
            a.type_line("msg %02d" % i)
            b.wait_for("Stranger: msg %02d" % i)
        self.assertFalse(b.has("Stranger: msg 01"), b.describe())
        b.send(PGUP)
        b.wait_for("Stranger: msg 01")
        a.type_line("brand new")
        b.wait_for("1 new line below")
        self.assertFalse(b.has("Stranger: brand new"), b.describe())
        b.send(END)
        b.wait_for("Stranger: brand new")

    def test_nudge_to_the_receiver_only(self):
        a = self.ssh_visitor(name="a")
        b = self.ssh_visitor(name="b")
        b.wait_for("connected to a stranger")
        self.assertChat(a, b, "write to me at someone@example.com")
        b.wait_for(NUDGE)
        time.sleep(0.3)
        self.assertFalse(a.has(NUDGE), a.describe())

    def test_block(self):
        a = self.ssh_visitor(name="a")
        b = self.ssh_visitor(name="b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        a.type_line("/block")
        a.wait_for("you will not meet this stranger again")
        b.wait_for("The stranger left")
        self.assertNotIn("blocked", b.screen_text().lower())

    def test_narrow_terminal(self):
        a = self.ssh_visitor(name="a", cols=40, rows=12)
        b = self.ssh_visitor(name="b")
        a.wait_for("connected to a stranger")
        self.assertIn("online", a.row(0), a.describe())
        # Too long for one row of 40: it wraps, at a space.
        b.type_line("a line long enough to wrap on a forty column phone "
                    "terminal")
        a.wait_for("Stranger: a line long enough to wrap on")
        a.wait_for("  a forty column phone terminal")

    def test_no_pty_plain_mode_help(self):
        c = self.ssh_async(name="plain", term=None)
        c.wait_for("Press Enter")
        c.send(b"\n")
        c.wait_for("looking for a stranger")
        c.send(b"/help\n")
        c.wait_for("/next")
        c.wait_for("/report")
        self.assertNotIn(b"\x1b", c.received(), "escape sequences in "
                         "the plain line mode")


if __name__ == "__main__":
    unittest.main()
