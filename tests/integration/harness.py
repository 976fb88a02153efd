"""
Integration harness: runs the real strangerd on loopback and drives it
with real clients, reading the screen a person would see through a
terminal emulator (pyte).

Clients:
  PtyTelnet  /usr/bin/telnet (inetutils) in a pseudo-terminal; it
             negotiates TTYPE and NAWS itself and sends a new NAWS when
             the pty is resized (SIGWINCH).
  RawTelnet  a telnet client on a Python socket that does its own option
             negotiation, for precise and hostile tests.
  Netcat     a raw socket that never negotiates (plain line mode).

Every wait has a timeout, and a failed wait shows the screen or the text
received.  Run with /usr/bin/python3 (Debian's, which sees python3-pyte).
"""

import fcntl
import glob
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time
import unittest

import pyte

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DAEMON = os.environ.get("STRANGERD", os.path.join(ROOT, "strangerd"))
TELNET = "/usr/bin/telnet"

TIMEOUT = float(os.environ.get("STRANGERD_TEST_TIMEOUT", "5"))
# A slower run (sanitizers: STRANGERD_TEST_TIMEOUT=10) stretches every
# timeout a test names, too.
SLOW = max(1.0, TIMEOUT / 5.0)
SEND_TIMEOUT = 10

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
NOP, GA = 241, 249
OPT_BINARY, OPT_ECHO, OPT_SGA, OPT_TTYPE, OPT_NAWS = 0, 1, 3, 24, 31
OPT_LINEMODE = 34
TTYPE_IS, TTYPE_SEND = 0, 1

ESC = b"\x1b"


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    """True if something listens on 127.0.0.1:port (read from /proc,
    so that probing does not open a session in the daemon)."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] == want and fields[3] == "0A":
                    return True
    except OSError:
        pass
    return False


def scaled(timeout):
    """A timeout a test named, stretched for slow runs; None: TIMEOUT."""
    return TIMEOUT if timeout is None else timeout * SLOW


def sanitized():
    """Is the daemon built with ASan or TSan?  Their shadow memory and
    quarantine make RSS meaningless."""
    try:
        with open(DAEMON, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"__asan_init" in data or b"__tsan_init" in data


def poll(cond, timeout=None, interval=0.02):
    """Call cond() until it returns something true or timeout passes."""
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def _matcher(pattern, regex):
    if regex:
        r = re.compile(pattern, re.I | re.M)
        return lambda text: r.search(text)
    p = pattern.lower()
    return lambda text: p in text.lower()


_sources = iter(range(2, 1 << 16))


def new_source():
    """A loopback address nobody in this process has used yet, so that the
    daemon sees another visitor (its limits are per address)."""
    n = next(_sources)
    return "127.0.%d.%d" % (n >> 8, n & 0xff or 1)


current_daemon = None		# the running test's, for failure messages


def daemon_log_tail(n=15):
    """The end of the running test's daemon log, for a failure message."""
    if current_daemon is None:
        return ""
    lines = current_daemon.log().splitlines()[-n:]
    return "\n---- strangerd log (last %d lines) ----\n%s" % (
        len(lines), "\n".join(lines))


class DaemonError(Exception):
    pass


class Daemon:
    """One strangerd in the foreground on a free loopback port, with a
    temporary state directory and its stderr captured to a file."""

    def __init__(self, workers=2, args=(), ssh=False, nofile=None,
                 proxy=False, stack=None):
        self.workers = workers
        self.args = list(args)
        self.ssh = ssh			# also listen for SSH on ssh_port
        self.proxy = proxy		# listeners expect a PROXY header
        self.nofile = nofile		# a descriptor limit (soft and hard)
        self.stack = stack		# a stack limit, so each thread's stack
        self.proc = None
        self.dir = None
        self.port = None
        self.ssh_port = None
        self.returncode = None

    def start(self):
        if not os.access(DAEMON, os.X_OK):
            raise DaemonError("%s is missing: run make first" % DAEMON)
        self.dir = tempfile.mkdtemp(prefix="strangerd-it-")
        self.logpath = os.path.join(self.dir, "stderr.log")
        for attempt in range(5):
            self.port = free_port()
            ssh = "none"
            if self.ssh:
                self.ssh_port = free_port()
                while self.ssh_port == self.port:
                    self.ssh_port = free_port()
                ssh = "127.0.0.1:%d" % self.ssh_port
            self.statedir = statedir = os.path.join(self.dir,
                                                    "state%d" % attempt)
            self._log = open(self.logpath, "ab")
            flag = " proxy" if self.proxy else ""
            if self.ssh:
                ssh += flag
            argv = [DAEMON, "-f", "-d", statedir,
                    "-t", "127.0.0.1:%d%s" % (self.port, flag), "-s", ssh,
                    "-w", str(self.workers)] + self.args
            self.argv = argv
            limits = []
            if self.nofile is not None:
                limits.append((resource.RLIMIT_NOFILE, self.nofile))
            if self.stack is not None:
                limits.append((resource.RLIMIT_STACK, self.stack))
            limit = None
            if limits:
                limit = lambda: [resource.setrlimit(r, (n, n))
                                 for r, n in limits]
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=self._log,
                                         cwd=self.dir, preexec_fn=limit)
            up = lambda: listening(self.port) and (
                not self.ssh or listening(self.ssh_port))
            if poll(lambda: up() or self.proc.poll() is not None,
                    timeout=10):
                if self.proc.poll() is None and up():
                    return self
            # The port may have been taken in between: try another.
            self.kill()
        raise DaemonError("strangerd did not start listening:\n" + self.log())

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, AttributeError):
            return ""

    def cpu(self):
        """CPU time used so far, user and system, in seconds."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / \
            os.sysconf("SC_CLK_TCK")

    def rss(self):
        """Resident set size in KiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def socket_numbers(self):
        """The daemon's open sockets, each with how many descriptor
        numbers it is open under."""
        d = "/proc/%d/fd" % self.proc.pid
        seen = {}
        for fd in os.listdir(d):
            try:
                target = os.readlink(os.path.join(d, fd))
            except OSError:
                continue        # closed meanwhile
            if target.startswith("socket:"):
                seen[target] = seen.get(target, 0) + 1
        return seen

    def nsockets(self):
        """Distinct sockets the daemon holds open."""
        return len(self.socket_numbers())

    def terminate(self, timeout=None):
        """SIGTERM and wait; returns the exit status (None: still up)."""
        timeout = scaled(timeout)
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        try:
            self._log.close()
        except Exception:
            pass

    def cleanup(self):
        self.kill()
        if self.dir and not os.environ.get("STRANGERD_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """What every client shares: a reader thread that collects bytes,
    and waits on what has arrived."""

    name = "client"

    def __init__(self):
        self.lock = threading.RLock()
        self.raw = bytearray()		# application bytes received
        self.closed = False		# the peer closed the connection
        self.cols = 0
        self.rows = 0

    # Subclasses feed received application bytes here.
    def _received(self, data):
        with self.lock:
            self.raw += data

    def received(self):
        with self.lock:
            return bytes(self.raw)

    def mark(self):
        """A position in the received bytes, for since()."""
        with self.lock:
            return len(self.raw)

    def since(self, mark):
        with self.lock:
            return bytes(self.raw[mark:])

    def text(self):
        """Everything received so far, decoded."""
        return self.received().decode("utf-8", "replace")

    def wait_closed(self, timeout=None):
        return poll(lambda: self.closed, timeout)

    def describe(self):
        return self.text()[-3000:]

    def wait_for(self, pattern, timeout=None, regex=False, msg=None):
        """Wait until pattern (case-insensitive) is in view; fail showing
        what is in view otherwise."""
        m = _matcher(pattern, regex)
        found = poll(lambda: m(self.view()), timeout)
        timeout = scaled(timeout)
        if not found:
            raise AssertionError(
                "%s: timed out after %.1fs waiting for %r%s\n"
                "---- %s sees ----\n%s\n-------------------%s" %
                (self.name, timeout, pattern,
                 (" (" + msg + ")") if msg else "", self.name,
                 self.describe(), daemon_log_tail()))
        return found

    def wait_gone(self, pattern, timeout=None, regex=False):
        m = _matcher(pattern, regex)
        if not poll(lambda: not m(self.view()), timeout):
            timeout = scaled(timeout)
            raise AssertionError("%s: %r still in view after %.1fs\n%s" %
                                 (self.name, pattern, timeout,
                                  self.describe()))

    def has(self, pattern, regex=False):
        return bool(_matcher(pattern, regex)(self.view()))

    def view(self):
        return self.text()

    def type_line(self, text):
        """Type a line and press Enter."""
        if isinstance(text, str):
            text = text.encode("utf-8")
        self.send(text + b"\r")


class ScreenClient(Client):
    """A client whose output goes through a terminal emulator."""

    def __init__(self, cols, rows):
        Client.__init__(self)
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def _received(self, data):
        with self.lock:
            self.raw += data
            try:
                self.stream.feed(data)
            except Exception as e:	# pyte must not kill the reader
                self.raw += ("[pyte: %r]" % e).encode()

    def lines(self):
        with self.lock:
            return [l.rstrip() for l in self.screen.display]

    def screen_text(self):
        return "\n".join(self.lines())

    def view(self):
        return self.screen_text()

    def row(self, y):
        return self.lines()[y]

    def title(self):
        with self.lock:
            return self.screen.title

    def cells(self, y):
        """The pyte cells of row y."""
        with self.lock:
            line = self.screen.buffer[y]
            return [line[x] for x in range(self.screen.columns)]

    def describe(self):
        lines = self.lines()
        width = max(self.cols, 10)
        border = "+" + "-" * width + "+"
        return "\n".join([border] + ["|" + l.ljust(width) + "|"
                                     for l in lines] + [border])

    def _resize_screen(self, cols, rows):
        with self.lock:
            self.screen.resize(rows, cols)
        self.cols, self.rows = cols, rows


class PtyClient(ScreenClient):
    """A real client program in a pseudo-terminal of cols x rows, its
    output read into the screen."""

    def __init__(self, argv, env, cols, rows, name=None):
        ScreenClient.__init__(self, cols, rows)
        if name:
            self.name = name
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave,
            stderr=slave, env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self._received(data)
        self.closed = True

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        os.write(self.master, data)

    def resize(self, cols, rows):
        """Resize the pty: the kernel sends the program SIGWINCH (telnet
        then sends a new NAWS, ssh a window-change)."""
        self._resize_screen(cols, rows)
        fcntl.ioctl(self.master, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def exited(self):
        return self.proc.poll() is not None

    def wait_exit(self, timeout=None):
        return poll(self.exited, timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # The program gone, the reader's next read fails and it ends.
        # Only then may the master be closed: closed under a reader
        # between two reads, its number can be the next client's pty by
        # the following read, and that client's output would go here
        # (seen as a blank screen on a loaded machine).  A reader that
        # does not end keeps its descriptor.
        self.thread.join(scaled(5))
        if not self.thread.is_alive():
            try:
                os.close(self.master)
            except OSError:
                pass


class PtyTelnet(PtyClient):
    """/usr/bin/telnet in a pseudo-terminal of cols x rows."""

    name = "telnet"

    def __init__(self, port, cols=80, rows=24, term="xterm-256color",
                 host="127.0.0.1", name=None, source=None):
        env = dict(os.environ)
        env["TERM"] = term
        env.pop("TELNET_OPTIONS", None)
        argv = [TELNET, host, str(port)]
        if source:
            argv[1:1] = ["-b", source]
        PtyClient.__init__(self, argv, env, cols, rows, name)


class RawTelnet(ScreenClient):
    """A telnet client on a socket, doing its own option negotiation.

    naws/ttype say whether to agree to the daemon's DO NAWS / DO TTYPE.
    Everything the daemon sends outside IAC sequences goes to the screen;
    the options it asks for are recorded in self.options_seen."""

    name = "raw"

    def __init__(self, port, cols=80, rows=24, term="xterm-256color",
                 naws=True, ttype=True, name=None, screen_cols=None,
                 screen_rows=None, connect=True, source=None):
        ScreenClient.__init__(self, screen_cols or min(cols, 300) or 80,
                              screen_rows or min(rows, 100) or 24)
        if name:
            self.name = name
        self.naws_size = (cols, rows)
        self.term = term
        self.want_naws = naws
        self.want_ttype = ttype
        self.options_seen = []		# (cmd, opt) from the daemon
        self.subneg_seen = []
        # source: another loopback address (127.0.0.2, ...) so that the
        # daemon sees a different visitor (blocks, per-address limits).
        self.sock = socket.create_connection(
            ("127.0.0.1", port), TIMEOUT,
            source_address=(source, 0) if source else None)
        # Sends give up (socket.timeout) rather than hang a test when
        # the daemon stops reading; the reader just polls again.
        self.sock.settimeout(SEND_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.wlock = threading.Lock()
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        state, cmd, sb = "data", 0, bytearray()
        while True:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            out = bytearray()
            for b in data:
                if state == "data":
                    if b == IAC:
                        state = "iac"
                    else:
                        out.append(b)
                elif state == "iac":
                    if b == IAC:
                        out.append(IAC)
                        state = "data"
                    elif b in (WILL, WONT, DO, DONT):
                        cmd, state = b, "opt"
                    elif b == SB:
                        sb, state = bytearray(), "sb"
                    else:
                        state = "data"
                elif state == "opt":
                    self._option(cmd, b)
                    state = "data"
                elif state == "sb":
                    if b == IAC:
                        state = "sbiac"
                    else:
                        sb.append(b)
                elif state == "sbiac":
                    if b == SE:
                        self._subneg(bytes(sb))
                        state = "data"
                    else:
                        sb.append(b)
                        state = "sb"
            if out:
                self._received(bytes(out))
        self.closed = True

    def _option(self, cmd, opt):
        self.options_seen.append((cmd, opt))
        if cmd == DO and opt == OPT_NAWS and self.want_naws:
            self.send_raw(bytes([IAC, WILL, OPT_NAWS]))
            self.send_naws(*self.naws_size)
        elif cmd == DO and opt == OPT_TTYPE and self.want_ttype:
            self.send_raw(bytes([IAC, WILL, OPT_TTYPE]))
        elif cmd == DO:
            self.send_raw(bytes([IAC, WONT, opt]))
        elif cmd == WILL and opt in (OPT_ECHO, OPT_SGA, OPT_BINARY):
            self.send_raw(bytes([IAC, DO, opt]))
        elif cmd == WILL:
            self.send_raw(bytes([IAC, DONT, opt]))

    def _subneg(self, sb):
        self.subneg_seen.append(sb)
        if sb[:2] == bytes([OPT_TTYPE, TTYPE_SEND]) and self.want_ttype:
            self.send_raw(bytes([IAC, SB, OPT_TTYPE, TTYPE_IS]) +
                          self.term.encode() + bytes([IAC, SE]))

    @staticmethod
    def escape(data):
        return data.replace(b"\xff", b"\xff\xff")

    def send_naws(self, cols, rows):
        body = struct.pack(">HH", cols, rows)
        self.send_raw(bytes([IAC, SB, OPT_NAWS]) + self.escape(body) +
                      bytes([IAC, SE]))

    def resize(self, cols, rows):
        self._resize_screen(min(cols, 300), min(rows, 100))
        self.naws_size = (cols, rows)
        self.send_naws(cols, rows)

    def send_raw(self, data):
        """Send bytes as they are (telnet commands included)."""
        with self.wlock:
            try:
                self.sock.sendall(data)
            except OSError:
                pass

    def send(self, data):
        """Send data bytes, doubling IAC as telnet requires."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.send_raw(self.escape(data))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def abort(self):
        """Close with a TCP reset."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        # The reader thread's recv() holds the socket open past close():
        # wake it first (SHUT_RD sends nothing), so that close() resets.
        try:
            self.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        self.thread.join(2)
        self.sock.close()


class Netcat(Client):
    """A raw socket that never negotiates anything, like nc."""

    name = "netcat"

    def __init__(self, port, name=None, source=None):
        Client.__init__(self)
        if name:
            self.name = name
        self.sock = socket.create_connection(
            ("127.0.0.1", port), TIMEOUT,
            source_address=(source, 0) if source else None)
        self.sock.settimeout(SEND_TIMEOUT)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            self._received(data)
        self.closed = True

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def type_line(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8")
        self.send(text + b"\n")

    def text(self):
        # Drop the telnet commands the daemon sends before it gives up
        # on negotiation, so that they do not show as U+FFFD.
        data = re.sub(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0", b"",
                      self.received(), flags=re.S)
        return data.decode("utf-8", "replace")

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


SANITIZED = sanitized()


class DaemonTest(unittest.TestCase):
    """A test with its own daemon.  Clients made with the helpers are
    closed afterwards; the daemon must still be up at the end of the
    test and must exit 0 on SIGTERM."""

    workers = 2
    daemon_args = ()
    ssh = False			# True: also an SSH listener on self.ssh_port
    nofile = None		# the daemon's descriptor limit, if not ours
    stack = None		# the daemon's stack limit (bytes), if not ours
    proxy = False		# True: listeners marked proxy (test_proxy)

    def setUp(self):
        self.daemon = Daemon(self.workers, self.daemon_args, ssh=self.ssh,
                             nofile=self.nofile, proxy=self.proxy,
                             stack=self.stack)
        self.addCleanup(self.daemon.cleanup)
        self.daemon.start()
        global current_daemon
        current_daemon = self.daemon
        self.port = self.daemon.port
        self.ssh_port = self.daemon.ssh_port
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        if self.daemon.returncode is not None or not self.daemon.alive():
            return		# the test stopped it (or it died: see below)
        rc = self.daemon.terminate()
        if rc != 0:
            self.fail("strangerd exited with %r on SIGTERM at the end of "
                      "the test\n---- log ----\n%s" % (rc, self.daemon.log()
                                                        [-4000:]))

    def assertDaemonUp(self, msg=""):
        if not self.daemon.alive():
            self.fail("strangerd died (exit %r) %s\n---- log ----\n%s" %
                      (self.daemon.proc.poll(), msg,
                       self.daemon.log()[-4000:]))

    def _track(self, c):
        self.clients.append(c)
        return c

    def pty(self, cols=80, rows=24, term="xterm-256color", name=None,
            source=None):
        return self._track(PtyTelnet(self.port, cols, rows, term,
                                     name=name or "telnet%d" %
                                     len(self.clients), source=source))

    def raw(self, cols=80, rows=24, name=None, **kw):
        return self._track(RawTelnet(self.port, cols, rows,
                                     name=name or "raw%d" % len(self.clients),
                                     **kw))

    def nc(self, name=None, source=None):
        return self._track(Netcat(self.port, name=name or "netcat%d" %
                                  len(self.clients), source=source))

    def agree(self, c):
        """Wait for the welcome screen and press Enter."""
        c.wait_for("Press Enter")
        if isinstance(c, Netcat):
            c.send(b"\n")
        else:
            c.send(b"\r")

    def visitor(self, kind="pty", **kw):
        """A visitor who has agreed to the rules and is searching."""
        c = getattr(self, kind)(**kw)
        self.agree(c)
        c.wait_for("looking for a stranger")
        return c

    def pair(self, kind_a="pty", kind_b="pty", kw_a=None, kw_b=None):
        """Two visitors connected to each other."""
        a = self.visitor(kind_a, **(kw_a or {}))
        b = self.visitor(kind_b, **(kw_b or {}))
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        return a, b

    def assertChat(self, sender, receiver, text):
        """sender types text; sender sees 'You: text' (full screen only),
        receiver sees 'Stranger: text'."""
        sender.type_line(text)
        # In plain line mode the client has echoed the line itself, so
        # the daemon does not repeat it as "You: ...".
        if not isinstance(sender, Netcat):
            sender.wait_for("You: " + text)
        receiver.wait_for("Stranger: " + text)

    def assertStaysUp(self, probe=True):
        """The daemon is up and a new visitor still gets the welcome."""
        self.assertDaemonUp()
        if probe:
            c = self.raw(name="probe", source=new_source())
            c.wait_for("Welcome")
            c.close()
            self.clients.remove(c)

    def assertRssBelow(self, kib, what=""):
        """VmRSS below kib KiB (not checked under ASan or TSan)."""
        rss = self.daemon.rss()
        if not SANITIZED:
            self.assertLess(rss, kib, "VmRSS %d KiB %s" % (rss, what))
        return rss


PG_BINDIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class Postgres:
    """A PostgreSQL server of the test's own (issue 17): initdb into a
    temporary directory, listening only on a unix socket in it, stopped
    with pg_ctl -m immediate.  PostgreSQL refuses to run as root, so as
    root it runs as the postgres user (runuser).  A missing server is a
    failure, not a skip: make check installs postgresql."""

    def __init__(self, fsync=False):
        self.dir = None
        self.ndb = 0
        self.fsync = fsync

    def _run(self, argv, **kw):
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, capture_output=True, timeout=60, **kw)

    def start(self):
        if not PG_BINDIRS:
            raise DaemonError("PostgreSQL is not installed (apt-get "
                              "install postgresql; make check does)")
        self.bin = PG_BINDIRS[-1]
        self.dir = tempfile.mkdtemp(prefix="strangerd-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            pw = subprocess.run(["id", "-u", "postgres"], capture_output=True)
            pg = subprocess.run(["id", "-g", "postgres"], capture_output=True)
            os.chown(self.dir, int(pw.stdout), int(pg.stdout))
        self.data = os.path.join(self.dir, "data")
        p = self._run([os.path.join(self.bin, "initdb"), "-D", self.data,
                       "-A", "trust", "-E", "UTF8", "-U", "postgres",
                       "--no-sync"])
        if p.returncode != 0:
            raise DaemonError("initdb failed: %s" % p.stderr.decode())
        self.run()
        return self

    def run(self):
        """Start the server on the data directory (again)."""
        # fsync off for tests: a SIGKILL loses nothing committed without
        # it (the WAL is written at commit); only an OS crash would.
        opts = "-k %s -c listen_addresses='' -c fsync=%s" % (
            self.dir, "on" if self.fsync else "off")
        p = self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                       "-l", os.path.join(self.dir, "server.log"), "-w",
                       "-o", opts, "start"])
        if p.returncode != 0:
            raise DaemonError("PostgreSQL did not start: %s\n%s" % (
                p.stderr.decode(), self.server_log()))

    def kill9(self):
        """SIGKILL the postmaster and every server process: a crash,
        recovered from the WAL at the next start."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            pid = int(f.readline())
        pids = [pid] + [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True).stdout.split()]
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        poll(lambda: not any(os.path.exists("/proc/%d" % p) for p in pids),
             10)

    def halt(self):
        """Stop the server at once (-m immediate), keeping its data."""
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                   "-m", "immediate", "stop"])

    def server_log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def uri(self, db):
        return "postgresql:///%s?host=%s&user=postgres" % (db, self.dir)

    def psql(self, db, sql):
        """Run SQL; rows as lists of strings (fields split on |)."""
        p = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q",
                            "-At", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                            "-U", "postgres", "-d", db, "-c", sql],
                           capture_output=True, timeout=30)
        if p.returncode != 0:
            raise DaemonError("psql: %s" % p.stderr.decode())
        return [l.split("|") for l in p.stdout.decode().splitlines() if l]

    def create_database(self):
        self.ndb += 1
        name = "strangerd%d" % self.ndb
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return name

    def stop(self):
        if self.dir is None:
            return
        self.halt()
        if not os.environ.get("STRANGERD_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class PgStore:
    """Mixin for a DaemonTest: the daemon keeps its store in a
    PostgreSQL server that this test class starts and stops, a fresh
    database for each test (strangerd.conf: store postgresql://...)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg = Postgres()
        try:
            cls.pg.start()
        except Exception:
            cls.pg.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        super().tearDownClass()

    def store_conf(self, db, more=""):
        """A strangerd.conf naming database db (and more lines), in a
        directory of its own."""
        d = tempfile.mkdtemp(prefix="strangerd-conf-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "strangerd.conf")
        with open(path, "w") as f:
            f.write("store %s\n%s" % (self.pg.uri(db), more))
        return path

    def setUp(self):
        self.db = self.pg.create_database()
        self.daemon_args = tuple(self.daemon_args) + (
            "-c", self.store_conf(self.db))
        super().setUp()

    def query(self, sql):
        """Rows of a query on the test's store."""
        return self.pg.psql(self.db, sql)
