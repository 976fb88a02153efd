"""The same chat through real telnet with the TERM values people have:
the daemon draws with each one's terminfo, and the screen (emulated by
pyte, a VT220/xterm-like terminal) shows the same things."""

from harness import DaemonTest, new_source

TERMS = ["xterm", "xterm-256color", "vt100", "vt220", "screen",
         "screen-256color", "tmux-256color", "linux", "rxvt-unicode",
         "ansi"]


class TestTerms(DaemonTest):

    def check(self, term, cols=72, rows=20):
        a = self.visitor("pty", term=term, cols=cols, rows=rows,
                         source=new_source())
        self.assertIn("online", a.row(0).lower(),
                      "TERM=%s: no status line on top\n%s" %
                      (term, a.describe()))
        b = self.visitor("raw", source=new_source())
        a.wait_for("connected to a stranger")
        self.assertChat(a, b, "hello from %s" % term)
        self.assertChat(b, a, "hello back to %s" % term)
        # The input line is drawn where typing goes, and cleared after.
        a.send(b"draft text")
        a.wait_for("draft text")
        a.send(b"\x7f" * 10)
        a.wait_gone("draft text")
        a.send(b"\x03")
        self.assertTrue(a.wait_exit(), "TERM=%s: Ctrl-C did not end it" %
                        term)
        b.wait_for("The stranger left")

    def test_common_terminal_types(self):
        for term in TERMS:
            with self.subTest(term=term):
                n = len(self.clients)
                try:
                    self.check(term)
                finally:
                    # A failed type leaves nobody behind for the next.
                    for c in self.clients[n:]:
                        c.close()
                    del self.clients[n:]
