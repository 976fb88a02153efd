"""SIGTERM says goodbye and exits 0; the log records sessions, never chat."""

import re
import secrets
import time

import socket
import struct

from harness import (DaemonTest, new_source, IAC, WILL, SB, SE,
                     OPT_NAWS, OPT_TTYPE)

STAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\S*\s+")
DURATION = re.compile(r"\b\d+(\.\d+)?\s*(ms|s|sec|seconds)\b")


ADDR = re.compile(r"\b127\.\d+\.\d+\.\d+\b")


def session_lines(log, port):
    """Lines about sessions from loopback addresses, grouped by session id:
    the first word of the line after the time stamp, as the house style
    has it.  Lines about the listener itself (addr:port) are not about
    sessions."""
    sessions = {}
    for line in log.splitlines():
        if not ADDR.search(line) or ":%d" % port in line:
            continue
        rest = STAMP.sub("", line)
        sid = rest.split()[0].rstrip(":")
        sessions.setdefault(sid, []).append(rest)
    return sessions


class TestSigterm(DaemonTest):

    def test_sigterm_tells_everyone_and_exits_zero(self):
        a, b = self.pair("pty", "raw")
        n = self.visitor("nc")
        w = self.raw(name="on-welcome")
        w.wait_for("Press Enter")
        rc = self.daemon.terminate(timeout=5)
        self.assertEqual(rc, 0, "exit status on SIGTERM\n" +
                         self.daemon.log()[-3000:])
        for c in (a, b, n, w):
            # What a person reads: the screen (or the plain text).
            c.wait_for("going down", timeout=2,
                       msg="SIGTERM notice")
        for c in (b, n, w):
            self.assertTrue(c.wait_closed(), "%s still connected" % c.name)
        self.assertTrue(a.wait_exit(), "telnet did not see the close")
        # Sessions ended with a reason in the log.
        sessions = session_lines(self.daemon.log(), self.port)
        self.assertEqual(len(sessions), 4, self.daemon.log())
        for sid, lines in sessions.items():
            self.assertEqual(len(lines), 2, "%s: %s" % (sid, lines))

    def test_sigterm_with_a_client_that_never_reads(self):
        """Output stuck in a full socket must not hold up the exit."""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.bind((new_source(), 0))
        s.connect(("127.0.0.1", self.port))
        self.addCleanup(s.close)
        s.sendall(bytes([IAC, WILL, OPT_TTYPE, IAC, SB, OPT_TTYPE, 0]) +
                  b"xterm" + bytes([IAC, SE, IAC, WILL, OPT_NAWS]))
        # Every new size is a full redraw of up to 300x100 cells.
        for i in range(200):
            body = struct.pack(">HH", 300 - i % 2, 100)
            s.sendall(bytes([IAC, SB, OPT_NAWS]) + body + bytes([IAC, SE]))
        time.sleep(0.5)
        a = self.visitor("raw", source=new_source())
        rc = self.daemon.terminate(timeout=5)
        self.assertEqual(rc, 0, "exit status with a stuck client\n" +
                         self.daemon.log()[-2000:])
        a.wait_for("going down", timeout=2)

    def test_sigterm_during_negotiation_still_says_goodbye(self):
        """A visitor who connected a moment ago (the daemon still waits
        for telnet options) is a visitor too."""
        n = self.nc()
        time.sleep(0.2)
        rc = self.daemon.terminate()
        self.assertEqual(rc, 0)
        n.wait_for("going down", timeout=2)
        self.assertNotIn(b"\x1b", n.received(), "ESC to a client that "
                         "never negotiated")

    def test_sigterm_with_nobody_online(self):
        rc = self.daemon.terminate(timeout=5)
        self.assertEqual(rc, 0, self.daemon.log())

    def test_sigterm_leaves_terminal_usable(self):
        a = self.visitor("pty")
        self.daemon.terminate()
        a.wait_for("going down")
        self.assertTrue(a.wait_exit())
        # Cursor shown again and attributes reset at the end.
        data = a.received()
        tail = data[data.rfind(b"going down") - 400:]
        self.assertNotIn(b"\x1b[?25l", tail.split(b"going down")[-1])
        with a.lock:
            self.assertFalse(a.screen.cursor.hidden,
                             "cursor left hidden\n" + a.describe())


class TestLogs(DaemonTest):

    def test_session_start_and_end_lines(self):
        a = self.visitor("pty")
        a.type_line("/quit")
        self.assertTrue(a.wait_exit())
        b = self.nc()
        b.wait_for("Welcome")
        b.close()
        c = self.visitor("raw")
        c.abort()
        time.sleep(0.5)
        log = self.daemon.log()
        sessions = session_lines(log, self.port)
        self.assertEqual(len(sessions), 3,
                         "expected 3 sessions in the log:\n" + log)
        for sid, lines in sessions.items():
            self.assertEqual(len(lines), 2,
                             "one start and one end line per session:\n" +
                             "\n".join(lines))
            start, end = lines
            self.assertRegex(start, r"\bstart", "start line")
            self.assertRegex(end, DURATION, "duration in the end line")
            after = DURATION.split(end)[-1]
            self.assertRegex(after, r"[a-z]{3,}", "a reason after the "
                             "duration: %r" % end)
        # The /quit session says so.
        first = sorted(sessions.values(), key=lambda l: log.index(l[0]))[0]
        self.assertIn("quit", first[1])

    def test_session_ids_are_unique(self):
        for i in range(6):
            c = self.raw(name="c%d" % i)
            c.wait_for("Welcome")
            c.close()
        time.sleep(0.5)
        sessions = session_lines(self.daemon.log(), self.port)
        self.assertEqual(len(sessions), 6, self.daemon.log())

    def test_chat_text_never_logged(self):
        secret_a = "zq" + secrets.token_hex(6)
        secret_b = "zq" + secrets.token_hex(6)
        a, b = self.pair("pty", "nc")
        self.assertChat(a, b, "my secret is " + secret_a)
        self.assertChat(b, a, "mine is " + secret_b)
        a.type_line("/next")
        b.wait_for("The stranger left")
        a.close()
        b.close()
        time.sleep(0.3)
        self.daemon.terminate()
        log = self.daemon.log()
        for s in (secret_a, secret_b):
            self.assertNotIn(s, log, "chat text in the log")
        self.assertIn("start", log)


class TestLogsVerbose(DaemonTest):
    """Debug logging (-v) may say more, but never what people typed."""

    daemon_args = ("-v",)
    test_chat_text_never_logged = TestLogs.test_chat_text_never_logged
