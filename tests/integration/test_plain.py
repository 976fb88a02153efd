"""A client that never negotiates (nc) gets plain line mode."""

import re
import time

from harness import DaemonTest

CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


class TestPlain(DaemonTest):

    def assertPlain(self, c):
        """No ESC byte ever, and every line ends in CR LF."""
        data = c.received()
        self.assertNotIn(b"\x1b", data, "ESC sent to a plain client: %r"
                         % data[:2000])
        for m in re.finditer(b"\n", data):
            self.assertEqual(data[m.start() - 1:m.start()], b"\r",
                             "bare LF at %d: %r" % (m.start(),
                                                    data[max(0, m.start() - 60):
                                                         m.start() + 1]))

    def test_welcome_in_plain_mode(self):
        c = self.nc()
        # The daemon gives up on negotiation after about a second.
        c.wait_for("Welcome", timeout=3)
        c.wait_for("Press Enter")
        time.sleep(0.3)
        self.assertPlain(c)

    def test_enter_agrees_and_searches(self):
        c = self.nc()
        self.agree(c)
        c.wait_for("looking for a stranger")
        self.assertPlain(c)

    def test_plain_and_full_screen_visitors_chat(self):
        n = self.visitor("nc")
        p = self.visitor("pty")
        n.wait_for("connected to a stranger")
        p.wait_for("connected to a stranger")
        n.type_line("hello from netcat")
        p.wait_for("Stranger: hello from netcat")
        self.assertChat(p, n, "hello from the terminal")
        p.close()
        n.wait_for("The stranger left")
        self.assertPlain(n)

    def test_two_plain_visitors_chat(self):
        a, b = self.pair("nc", "nc")
        self.assertChat(a, b, "ping from a")
        self.assertChat(b, a, "pong from b")
        self.assertChat(a, b, "日本語のテキスト")
        self.assertPlain(a)
        self.assertPlain(b)

    def test_cr_lf_cr_nul_and_lf_each_end_a_line(self):
        a, b = self.pair("nc", "nc")
        a.send(b"first line\r\nsecond line\r\x00third line\n")
        for t in ("first line", "second line", "third line"):
            b.wait_for("Stranger: " + t)
        text = b.text()
        self.assertNotIn("Stranger: \r\n", text, "an empty line was sent")
        # No stray NUL or CR inside a line.
        for line in text.split("\r\n"):
            self.assertNotRegex(line, CTRL, "control byte in %r" % line)

    def test_plain_quit(self):
        c = self.visitor("nc")
        c.type_line("/quit")
        self.assertTrue(c.wait_closed(), "still connected after /quit\n"
                        + c.describe())

    def test_plain_help(self):
        c = self.visitor("nc")
        c.type_line("/help")
        for cmd in ("/next", "/quit", "/report", "/help"):
            c.wait_for(cmd)
        self.assertPlain(c)

    def test_plain_next_with_third(self):
        a, b = self.pair("nc", "nc")
        c = self.visitor("nc")
        a.type_line("/next")
        b.wait_for("The stranger left")
        c.wait_for("connected to a stranger")
        self.assertChat(a, c, "after next")
        for x in (a, b, c):
            self.assertPlain(x)

    def test_overlong_line_is_cut_not_relayed_whole(self):
        a, b = self.pair("nc", "nc")
        m = b.mark()
        a.send(b"A" * 10000 + b"\n")
        a.type_line("next line")
        b.wait_for("Stranger: next line")
        lines = [l for l in b.since(m).split(b"\r\n") if b"AAAA" in l]
        self.assertEqual(len(lines), 1, "the long line came as %d lines"
                         % len(lines))
        self.assertLessEqual(lines[0].count(b"A"), 500,
                             "a line longer than 500 characters relayed")
        self.assertGreater(lines[0].count(b"A"), 0)

    def test_blank_lines_are_not_relayed(self):
        a = self.visitor("raw")
        b = self.visitor("nc")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        m = b.mark()
        for line in (b"", b"   ", b"\t", "\u200b\u200b".encode(),
                     b"\x01\x02"):
            a.send(line + b"\r")
        a.type_line("end")
        b.wait_for("Stranger: end")
        self.assertEqual(b.since(m), b"Stranger: end\r\n",
                         "blank lines were relayed")

    def test_enter_before_the_welcome_does_not_agree(self):
        """Nobody agrees to rules they have not been shown."""
        c = self.nc()
        c.send(b"\n")			# at once, during negotiation
        c.wait_for("Press Enter")
        time.sleep(0.5)
        self.assertFalse(c.has("looking for a stranger"), c.describe())
        c.send(b"\n")
        c.wait_for("looking for a stranger")
