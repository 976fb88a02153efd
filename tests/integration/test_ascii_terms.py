"""
A terminal that may not take UTF-8 (vt100, vt220, ansi) gets ASCII
for the UI's own characters: the status line's "·", the "…" and the
arrows, so it shows no mojibake of ours.  A UTF-8 terminal keeps them.
A telnet client that takes part in CHARSET (RFC 2066) says for itself,
on the full screen as in plain line mode.
"""

import os

from harness import (DO, DONT, IAC, SB, SE, WILL, DaemonTest, RawTelnet)
from test_limits import LimitTest

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


OPT_CHARSET = 42
REQUEST, ACCEPTED, REJECTED = 1, 2, 3


class CharsetTelnet(RawTelnet):
    """A telnet client that takes part in CHARSET (RFC 2066): agrees to
    the daemon's WILL CHARSET and answers its REQUEST with answer (the
    subnegotiation's bytes after the option), and after it in the same
    write, recording the request."""

    def __init__(self, port, answer, after=b"", **kw):
        self.answer = answer
        self.after = after
        self.requests = []
        RawTelnet.__init__(self, port, **kw)

    def _option(self, cmd, opt):
        if cmd == WILL and opt == OPT_CHARSET:
            self.options_seen.append((cmd, opt))
            self.send_raw(bytes([IAC, DO, OPT_CHARSET]))
        else:
            RawTelnet._option(self, cmd, opt)

    def _subneg(self, sb):
        if sb[:2] == bytes([OPT_CHARSET, REQUEST]):
            self.requests.append(sb[2:])
            self.send_raw(bytes([IAC, SB, OPT_CHARSET]) +
                          self.escape(self.answer) + bytes([IAC, SE]) +
                          self.after)
        else:
            RawTelnet._subneg(self, sb)


class TestTelnetCharset(DaemonTest):
    """A telnet client that offers CHARSET is asked for UTF-8: if it
    accepts, it gets UTF-8 whatever terminfo says of its TERM; if it
    refuses (or names another set), the UI is in ASCII and what the
    stranger writes shows non-ASCII characters as "?", never as raw
    UTF-8 bytes."""

    def charset_client(self, answer, term="xterm-256color", after=b""):
        c = self._track(CharsetTelnet(self.port, answer, after, term=term,
                                      rows=8, cols=60,
                                      name="charset%d" % len(self.clients)))
        self.agree(c)
        c.wait_for("Looking for a stranger")
        return c

    def test_accepts_utf8_gets_utf8_even_as_vt100(self):
        a = self.charset_client(bytes([ACCEPTED]) + b"UTF-8", term="vt100")
        self.assertEqual(a.requests, [b";UTF-8"])
        self.assertIn(" online \u00b7 ", a.row(0), a.describe())
        self.assertIn("Looking for a stranger\u2026", a.screen_text())

    def check_no_utf8(self, answer, after=b""):
        a = self.charset_client(answer, after=after)
        self.assertEqual(a.requests, [b";UTF-8"])
        self.assertIn(" online - ", a.row(0), a.describe())
        self.assertIn("Looking for a stranger.", a.screen_text())
        b = self.visitor("raw", name="utf8-stranger")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        b.type_line("caf\u00e9 \u65e5\u672c ok")
        a.wait_for("Stranger: caf? ???? ok")
        self.assertFalse(any(ch >= 0x80 for ch in a.received()),
                         a.received()[-300:])
        # Its own typing of plain ASCII still reaches the stranger.
        self.assertChat(a, b, "plain words")

    def test_rejects_gets_ascii_and_safe_text(self):
        self.check_no_utf8(bytes([REJECTED]))

    def test_accepts_another_set_gets_ascii(self):
        self.check_no_utf8(bytes([ACCEPTED]) + b"ISO-8859-1")

    def test_rejects_then_withdraws_in_one_write(self):
        """REJECTED, then DONT CHARSET in the same write: the refusal
        is seen in the bytes read, and must not be acted on before the
        answer in front of it is (it was, and the client that said it
        takes no UTF-8 got UTF-8)."""
        self.check_no_utf8(bytes([REJECTED]),
                           after=bytes([IAC, DONT, OPT_CHARSET]))

    def test_hostile_answers_are_bounded(self):
        """Answers that are not a proper ACCEPTED "UTF-8" never give
        UTF-8: an overlong name that starts with it, an empty
        subnegotiation, a REQUEST of its own (which it may not send),
        then a late ACCEPTED."""
        for answer in (bytes([ACCEPTED]) + b"UTF-8" + b"x" * 5000,
                       bytes([ACCEPTED]) + b"UTF-8\xff\xff;ISO-8859-1",
                       bytes([ACCEPTED])):
            a = self.charset_client(answer)
            self.assertIn(" online - ", a.row(0), a.describe())
            a.close()
        a = self.charset_client(b"")
        a.send_raw(bytes([IAC, SB, OPT_CHARSET, REQUEST]) + b";UTF-8" +
                   bytes([IAC, SE, IAC, SB, OPT_CHARSET, ACCEPTED]) +
                   b"UTF-8" + bytes([IAC, SE]))
        a.type_line("/status")
        a.wait_for("online")
        self.assertStaysUp()

    def test_plain_line_mode_rejects_gets_ascii_and_safe_text(self):
        """No cursor addressing (TERM=dumb): line mode, where the same
        answer holds.  The stranger's text, the operator's rules and
        the daemon's own lines come with ASCII stand-ins and "?", and
        no byte >= 0x80 is sent at all."""
        with open(os.path.join(self.daemon.statedir, "rules"), "wb") as f:
            f.write("R\u00e8gles \u2014 be kind\u2026\n".encode())
        a = self.charset_client(bytes([REJECTED]), term="dumb")
        self.assertEqual(a.requests, [b";UTF-8"])
        a.wait_for("R?gles ? be kind.")
        a.wait_for("* Looking for a stranger.")
        b = self.visitor("raw", name="utf8-stranger")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        b.type_line("caf\u00e9 \u65e5\u672c e\u0301 ok")
        a.wait_for("Stranger: caf? ???? ? ok")
        # What it types is echoed (it named a terminal), in ASCII too.
        a.send("na\u00efve".encode())
        a.wait_for("na?ve")
        a.send(b"\r")
        b.wait_for("Stranger: na\u00efve")
        data = a.received()
        self.assertNotIn(b"\x1b", data, "not line mode")
        self.assertFalse(any(ch >= 0x80 for ch in data), data[-300:])

    def test_plain_line_mode_accepts_utf8_gets_utf8(self):
        a = self.charset_client(bytes([ACCEPTED]) + b"UTF-8", term="dumb")
        a.wait_for("* Looking for a stranger\u2026")
        b = self.visitor("raw", name="utf8-stranger")
        a.wait_for("connected to a stranger")
        b.type_line("caf\u00e9 \u65e5\u672c ok")
        a.wait_for("Stranger: caf\u00e9 \u65e5\u672c ok")
        self.assertNotIn(b"\x1b", a.received(), "not line mode")


class TestTelnetRefusalsStartAtOnce(LimitTest):
    """libtelnet says nothing when a client refuses an option the daemon
    asked for; the session must still start as soon as every answer is
    in, not at the negotiation deadline (10 s here, 1 s by default: the
    wait every client without CHARSET, such as inetutils telnet, had)."""

    conf = {"telnet_negotiate": "10s"}

    def test_refused_charset(self):
        # Agrees to NAWS and TTYPE, refuses CHARSET (DONT).
        c = self.raw(name="no-charset")
        c.wait_for("Press Enter", timeout=5)
        self.assertIn("Press Enter", c.screen_text())

    def test_refused_everything(self):
        # WONT NAWS, WONT TTYPE, DONT CHARSET: an 80x24 ANSI screen.
        c = self.raw(name="refuses-all", naws=False, ttype=False)
        c.wait_for("Press Enter", timeout=5)
        self.agree(c)
        c.wait_for("Looking for a stranger", timeout=5)

    def test_naws_of_no_size(self):
        # NAWS 0x0, as a client in a pipe or in a pty with no size
        # (script(1)) sends: still its answer to DO NAWS.  The screen is
        # the default 80x24; a larger one here shows where it ends.
        c = self.raw(name="naws-0x0", cols=0, rows=0, screen_cols=100,
                     screen_rows=30)
        c.wait_for("Press Enter", timeout=5)
        self.agree(c)
        c.wait_for("Looking for a stranger", timeout=5)
        with c.lock:
            y = c.screen.cursor.y
        self.assertEqual(y, 23, c.describe())
