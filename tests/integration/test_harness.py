"""The harness's own assumptions, checked against a fake telnet server:
inetutils telnet in a pty goes to character mode on WILL ECHO + WILL SGA,
answers TTYPE and NAWS, passes UTF-8 both ways, sends Ctrl-C as a byte,
and sends a new NAWS when the pty is resized.  If these break, the
daemon tests would fail for the wrong reason."""

import socket
import threading
import unittest

from harness import (PtyClient, PtyTelnet, poll, IAC, WILL, DO, SB, SE,
                     OPT_ECHO, OPT_SGA, OPT_NAWS, OPT_TTYPE)


class FakeServer:

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.got = bytearray()
        self.conn = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.conn, _ = self.listener.accept()
        self.conn.sendall(bytes([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA,
                                 IAC, DO, OPT_NAWS, IAC, DO, OPT_TTYPE]))
        while True:
            try:
                data = self.conn.recv(4096)
            except OSError:
                break
            if not data:
                break
            self.got += data
            if bytes([IAC, WILL, OPT_TTYPE]) in data:
                self.conn.sendall(bytes([IAC, SB, OPT_TTYPE, 1, IAC, SE]))

    def send(self, data):
        self.conn.sendall(data)

    def close(self):
        for s in (self.conn, self.listener):
            if s is not None:
                s.close()


class TestInetutilsTelnet(unittest.TestCase):

    def setUp(self):
        self.server = FakeServer()
        self.addCleanup(self.server.close)
        self.t = PtyTelnet(self.server.port, cols=91, rows=27,
                           term="xterm-256color")
        self.addCleanup(self.t.close)

    def wait_got(self, data, what):
        if not poll(lambda: data in self.server.got):
            self.fail("telnet did not send %s (%r); sent %r" %
                      (what, data, bytes(self.server.got)))

    def test_negotiation_input_and_resize(self):
        self.wait_got(bytes([IAC, SB, OPT_NAWS, 0, 91, 0, 27, IAC, SE]),
                      "the initial NAWS")
        self.wait_got(bytes([IAC, SB, OPT_TTYPE, 0]) + b"XTERM-256COLOR",
                      "TTYPE IS (upper case, as inetutils does)")
        # Character mode: bytes go as they are typed, without Enter.
        self.t.send("ab你".encode())
        self.wait_got("ab你".encode(), "typed bytes at once (character mode)")
        self.t.send(b"\x03\x1b")
        self.wait_got(b"\x03\x1b", "Ctrl-C and Esc as bytes")
        self.t.send(b"\r")
        self.wait_got(b"\r\x00", "Enter as CR NUL")
        self.t.resize(120, 33)
        self.wait_got(bytes([IAC, SB, OPT_NAWS, 0, 120, 0, 33, IAC, SE]),
                      "a new NAWS after the resize")
        # Output reaches the emulated screen, UTF-8 intact.
        self.server.send("\x1b[2J\x1b[Hsquare 你好 …".encode())
        self.t.wait_for("square 你好 …")
        self.assertEqual(self.t.row(0), "square 你好 …")


class TestPtyClose(unittest.TestCase):
    """A closed pty client's reader thread may be between two reads; the
    master's number must not be free for the next client's pty until
    that thread has ended, or it reads the next client's output (on a
    loaded machine, test_terminals saw blank screens: the welcome screen
    had gone to the client before)."""

    def client(self, script):
        c = PtyClient(["/bin/sh", "-c", script + "; exec sleep 60"],
                      {"PATH": "/usr/bin:/bin"}, 80, 24)
        self.addCleanup(c.close)
        return c

    def test_next_client_gets_its_own_output(self):
        old = self.client("echo first")
        old.wait_for("first")
        # Hold the old reader between two reads for a moment...
        gate, held = threading.Event(), threading.Event()
        received = old._received

        def slow(data):
            held.set()
            gate.wait()
            received(data)
        old._received = slow
        old.send(b"x")		# echoed by the pty: the reader takes it
        self.assertTrue(held.wait(5), "the reader read nothing")
        threading.Timer(0.5, gate.set).start()
        # ...while it is closed and the next client starts, which writes
        # ten lines once the old reader is free to read again.
        old.close()
        new = self.client("sleep 1; for i in 0 1 2 3 4 5 6 7 8 9; do "
                          "echo line-$i; sleep 0.05; done")
        new.wait_for("line-9")
        for i in range(10):
            self.assertIn("line-%d" % i, new.text(), "the closed client's "
                          "reader took it")
        self.assertNotIn("line-", old.text())
