"""Pre-authentication limits and bad input on the SSH port: idle and
stalled sockets never keep a real visitor out, garbage ends in a clean
disconnect with a logged reason, and nobody else notices."""

import os
import random
import shutil
import signal
import tempfile
import socket
import struct
import sys
import threading
import time

from harness import new_source, poll, scaled
from harness_ssh import SshTest

# A real login with idle sockets around must not be slowed by them: it
# may take LOGIN_FACTOR times as long as one made on the same daemon just
# before they came, and LOGIN_MAX seconds in any case (~50 ms with
# asyncssh on an idle machine).  Relative, so that a machine loaded all
# along does not fail it.  A login kept waiting for a slot would wait out
# the idle sockets' ssh_login_grace (20 s), which the login's own wait
# (10 s) does not reach.
LOGIN_FACTOR = 10
LOGIN_MAX = 2.0


class PreauthTest(SshTest):
    """Idle sockets and timed logins."""

    def idle(self, n, source=lambda i: "127.0.0.1", banner=False):
        """n TCP connections that never finish a handshake."""
        socks = []
        for i in range(n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((source(i), 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", self.ssh_port))
            if banner:
                # Say hello, then stall in the middle of key exchange.
                s.sendall(b"SSH-2.0-stalled\r\n")
            socks.append(s)
        self.addCleanup(lambda: [s.close() for s in socks])
        return socks

    def login_secs(self, kind, name):
        """The seconds a real login of kind takes to the welcome screen."""
        t0 = time.monotonic()
        c = getattr(self, kind)(name=name)
        c.wait_for("Press Enter", timeout=10)
        return time.monotonic() - t0

    def before_idle(self, kinds=("ssh_async", "ssh_pty")):
        """Time a login of each kind before the idle sockets come."""
        self.pace = {kind: self.login_secs(kind, "before") for kind in kinds}

    def timed_login(self, kind="ssh_async"):
        took = self.login_secs(kind, "real")
        bound = max(LOGIN_MAX, LOGIN_FACTOR * self.pace[kind])
        sys.stderr.write("\n  %s login %.2f s, %.2f s before\n" %
                         (kind, took, self.pace[kind]))
        self.assertLess(took, bound, "login took %.2fs, %.2fs before the "
                        "idle sockets" % (took, self.pace[kind]))
        return took


class TestSshLimits(PreauthTest):

    def test_200_idle_from_one_address(self):
        # worker.c admits at most a few connections per address; the
        # rest are refused at accept, before any crypto.
        self.before_idle()
        base = self.daemon.nsockets()
        self.idle(200, lambda i: "127.0.0.2")
        time.sleep(0.3)
        held = self.daemon.nsockets() - base
        self.assertLessEqual(held, 12, "daemon holds %d sockets" % held)
        self.timed_login()
        self.timed_login("ssh_pty")

    def test_200_idle_from_many_addresses(self):
        self.before_idle()
        self.idle(200, lambda i: "127.0.%d.%d" % (1 + i // 250,
                                                  2 + i % 250))
        time.sleep(0.3)
        self.timed_login()
        self.timed_login("ssh_pty")

    def test_200_stalled_mid_handshake(self):
        self.before_idle()
        self.idle(200, lambda i: "127.0.%d.%d" % (4 + i // 250,
                                                  2 + i % 250),
                  banner=True)
        time.sleep(0.3)
        self.timed_login()
        self.timed_login("ssh_pty")
        self.assertStaysUp()



class TestSshOverallCap(PreauthTest):
    """ssh_max_preauth 500 in the configuration file."""

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix="strangerd-preauth-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "strangerd.conf")
        with open(path, "w") as f:
            f.write("ssh_max_preauth 500\n")
        self.daemon_args = ("-c", path)
        PreauthTest.setUp(self)

    def test_600_idle_over_the_overall_cap(self):
        # Past the cap on handshakes in progress (set to 500 here) a new
        # connection pushes out one still in its handshake.
        self.before_idle(("ssh_async",))
        base = self.daemon.nsockets()
        self.idle(600, lambda i: "127.0.%d.%d" % (1 + i // 250,
                                                  2 + i % 250))
        time.sleep(0.5)
        held = self.daemon.nsockets() - base
        self.assertLessEqual(held, 505, "daemon holds %d sockets" % held)
        self.assertGreater(held, 400, "daemon holds %d sockets" % held)
        self.timed_login()
        self.assertIn("too many handshakes in progress", self.daemon.log())


class TestSshChurn(PreauthTest):
    """2,400 connections on two workers, each gone at once with a reset,
    half after sending a version line: libssh closes its socket by
    itself in the middle of a handshake, and the descriptor number is
    at once accepted again, often by the other worker.  The daemon must
    not touch a number it no longer owns (under ThreadSanitizer that
    is a reported race, which stops the daemon), must keep no socket,
    and must still let a real visitor in."""

    def churn(self, n):
        for i in range(n):
            s = socket.socket()
            try:
                s.bind((new_source(), 0))
                s.connect(("127.0.0.1", self.ssh_port))
                if i % 2:
                    s.sendall(b"SSH-2.0-churn\r\n")
                    time.sleep(0.002)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            except OSError:
                pass
            s.close()

    def test_connections_reset_mid_handshake(self):
        self.before_idle(("ssh_async",))
        base = self.daemon.nsockets()
        threads = [threading.Thread(target=self.churn, args=(400,))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(poll(lambda: self.daemon.nsockets() <= base,
                             timeout=scaled(5)),
                        "holds %d sockets, %d before" %
                        (self.daemon.nsockets(), base))
        self.assertDaemonUp()
        self.timed_login()
        self.assertNotIn("Too many open files", self.daemon.log())
        self.assertStaysUp()


class Trickler(threading.Thread):
    """An attacker that opens rate connections a second, each from a
    new loopback address, and sends each open one byte of a version
    line that never ends every tick seconds: busy sockets that never
    get anywhere in the protocol."""

    def __init__(self, port, rate, tick=0.05, net=64):
        threading.Thread.__init__(self, daemon=True)
        self.port = port
        self.rate = rate
        self.tick = tick
        self.net = net
        self.opened = 0
        self.halted = threading.Event()

    def source(self):
        n = self.opened
        return "127.%d.%d.%d" % (self.net + (n >> 16) % 32, (n >> 8) & 255,
                                 (n & 255) or 1)

    def run(self):
        socks = []
        line = b"SSH-2.0-" + b"x" * 200
        next_open = time.monotonic()
        while not self.halted.is_set():
            while time.monotonic() >= next_open:
                next_open += 1.0 / self.rate
                self.opened += 1
                s = socket.socket()
                try:
                    s.bind((self.source(), 0))
                    s.setblocking(False)
                    s.connect_ex(("127.0.0.1", self.port))
                except OSError:
                    s.close()
                    continue
                socks.append([s, 0])
            alive = []
            for entry in socks:
                s, sent = entry
                try:
                    s.send(line[sent % len(line):sent % len(line) + 1])
                    entry[1] += 1
                    alive.append(entry)
                except BlockingIOError:
                    alive.append(entry)
                except OSError:
                    s.close()
            socks = alive
            time.sleep(self.tick)
        for s, _ in socks:
            s.close()

    def halt(self):
        self.halted.set()
        self.join(10)


class TestSshTrickle(PreauthTest):
    """One worker, ssh_max_preauth 40, and an attacker who keeps the
    handshake slots full with connections from many addresses that
    trickle a byte at a time and never reach the next protocol state:
    every real login must still get through (issue 14, finding 3)."""

    workers = 1

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix="strangerd-trickle-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "strangerd.conf")
        with open(path, "w") as f:
            f.write("ssh_max_preauth 40\n")
        self.daemon_args = ("-c", path)
        PreauthTest.setUp(self)

    def login(self, kind, name):
        """A real login to the welcome screen: None, or why it failed."""
        try:
            c = getattr(self, kind)(name=name)
            c.wait_for("Press Enter", timeout=scaled(10))
        except Exception as e:		# connection lost, timeout
            return "%s: %s: %s" % (name, type(e).__name__,
                                    str(e).splitlines()[0][:120])
        c.close()
        self.clients.remove(c)
        return None

    def test_real_logins_pass_a_trickle_of_garbage(self):
        attacker = Trickler(self.ssh_port, rate=60)
        attacker.start()
        self.addCleanup(attacker.halt)
        self.assertTrue(poll(lambda: "too many handshakes in progress" in
                             self.daemon.log(), timeout=scaled(10)),
                        "the attack never filled the handshake slots")
        failed = [f for f in
                  [self.login("ssh_async", "asyncssh%d" % i)
                   for i in range(6)] +
                  [self.login("ssh_pty", "openssh%d" % i)
                   for i in range(4)] if f is not None]
        opened = attacker.opened
        attacker.halt()
        self.assertFalse(failed, "%d of 10 real logins failed while %d "
                         "trickling connections were opened:\n%s" %
                         (len(failed), opened, "\n".join(failed)))
        self.assertStaysUp()


class TestSshBadInput(SshTest):

    def garbage(self, data, wait_close=True):
        s = socket.create_connection(("127.0.0.1", self.ssh_port), 5)
        self.addCleanup(s.close)
        s.sendall(data)
        if not wait_close:
            return s
        got = b""
        t0 = time.monotonic()
        while time.monotonic() - t0 < scaled(5):
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:		# reset: we closed with input unread
                break
            if not b:
                break
            got += b
        else:
            self.fail("the daemon kept a connection that sent garbage")
        return got

    def test_random_bytes(self):
        rnd = random.Random(7)
        for _ in range(5):
            self.garbage(bytes(rnd.getrandbits(8) for _ in range(5000)))
        # Each ended with a reason in the log, printable only: the
        # client's bytes are not copied into it.
        lines = poll(lambda: [l for l in self.daemon.log().splitlines()
                              if l[20:].startswith("ssh 127.0.0.1:")])
        self.assertGreaterEqual(len(lines), 5, self.daemon.log())
        for l in lines:
            self.assertTrue(all(32 <= ord(ch) < 127 for ch in l), repr(l))
        self.assertStaysUp()

    def test_banner_gives_nothing_away(self):
        s = socket.create_connection(("127.0.0.1", self.ssh_port), 5)
        self.addCleanup(s.close)
        line = s.recv(256).split(b"\r\n")[0]
        self.assertEqual(line, b"SSH-2.0-strangerd")

    def test_huge_packet_length(self):
        # A valid banner, then a packet that claims to be 4 GiB long.
        self.garbage(b"SSH-2.0-x\r\n" + struct.pack(">I", 0xfffffff0) +
                 b"\x00" * 64)
        self.assertStaysUp()

    def test_truncated_then_gone(self):
        s = self.garbage(b"SSH-2.0-x\r\n" + struct.pack(">I", 1000) + b"\x05",
                     wait_close=False)
        s.close()
        self.assertTrue(poll(lambda: "ssh 127.0.0.1:" in self.daemon.log()),
                        self.daemon.log())
        self.assertStaysUp()

    def test_request_flood_ends_the_connection(self):
        c = self.ssh_async()
        c.wait_for("Press Enter")
        # Refused requests (env) past the limit end the connection.
        for i in range(200):
            c.loop.call_soon_threadsafe(self._env, c, i)
        self.assertTrue(c.wait_closed(), "flood of refused requests kept "
                        "going")
        self.assertTrue(poll(lambda: "too many refused" in self.daemon.log()),
                        self.daemon.log())
        self.assertStaysUp()

    @staticmethod
    def _env(c, i):
        from asyncssh.packet import String
        c.chan._send_request(b"env", String(b"X%d" % i), String(b"y"))

    def test_window_change_flood_is_cheap(self):
        c = self.ssh_async()
        c.wait_for("Press Enter")
        # 500 requests are about 24 KiB, inside flood_input_burst (64 KiB):
        # this is no input flood, and the session must live through it
        # (2,000 were one, and ended it before or after the last size
        # depending on how fast the client got them out).
        n = 500
        mark = c.mark()
        c._resize_screen(100, 30)
        # The daemon is stopped while they are sent, so it finds them all
        # waiting in its socket when it resumes, however loaded the
        # machine: a few reads of them (a redraw each), not one each.
        pid = self.daemon.proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            c.run(self._window_changes(c, n, 100, 30))
        finally:
            os.kill(pid, signal.SIGCONT)
        # The last size wins...
        self.assertTrue(poll(lambda: len(c.row(0)) > 90 or c.closed,
                             timeout=30), c.describe())
        self.assertFalse(c.closed, "the flood ended the session\n" +
                         self.daemon.log()[-2000:])
        # ...and a batch of changes costs one redraw, not one each.
        frames = c.since(mark).count(b"\x1b[2J")
        self.assertLess(frames, n // 10, "%d window changes drew %d whole "
                        "frames" % (n, frames))
        self.assertStaysUp()

    @staticmethod
    async def _window_changes(c, n, cols, rows):
        """n - 1 window-change requests of assorted sizes, then cols x
        rows, in one write: as n small ones, the stopped daemon's socket
        took only some (each small segment costs its receive buffer
        about a kilobyte) and the rest came in more reads after it
        resumed, more of them the more loaded the machine."""
        packets = []
        c.conn._send = packets.append
        try:
            for i in range(n - 1):
                c.chan.change_terminal_size(40 + i % 200, 10 + i % 80)
            c.chan.change_terminal_size(cols, rows)
        finally:
            del c.conn._send
        c.conn._send(b"".join(packets))


if __name__ == "__main__":
    import unittest
    unittest.main()
