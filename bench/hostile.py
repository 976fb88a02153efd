#!/usr/bin/python3
"""Hostile-client measurements for strangerd (issue 5): figures, not tests.

    bench/hostile.py [--only halfopen,flood,window] [--strangerd PATH]
                     [--halfopen 2000] [--secs 10] [--pairs 200]
                     [--rounds 3] [--rtt-ms 200] [--settle 15]
                     [--conf 'keyword value;...']

halfopen  Real SSH logins while 2,000 half-open connections are held on
          the SSH port from 2,000 loopback addresses (127.200.x.y): half
          send nothing, half send a version line and stall in the key
          exchange, and each is opened again 50 ms after the daemon
          drops it, so 2,000 stay outstanding.  Logins: bench/loadgen -m setup
          (libssh: key exchange, publickey, channel, pty-req, shell; a new
          source address each), asyncssh logins timed until the welcome
          screen shows, and the same over a proxy that adds a 200 ms
          round trip (a visitor far away).  Before the hold, and during
          it once the per-address connect bursts are spent (--settle).
flood     Line latency of P chatting pairs (bench/loadgen -m latency over
          telnet, one line per client a second) alone, then while one
          and then ten clients each flood their own partner with 1,000
          lines a second; p99 growth and lines lost (sent - received).
window    Resident memory per session: N telnet sessions with NAWS
          65535x65535 and N SSH sessions with pty-req 65535x65535 (asyncssh),
          each agreed and paired, against N at 80x24; a fresh daemon
          for each.

Each daemon is started here on free loopback ports with the default
configuration (plus metrics_listen, and --conf for halfopen) and ended by
its pid; as root, everything runs at nice -10 (as bench/run.py).  Needs
bench/loadgen (make bench/loadgen) and python3-asyncssh.
"""

import argparse
import asyncio
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings

from procfs import free_port, proc_fds, proc_rss_kib, proc_stop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADGEN = os.path.join(ROOT, "bench", "loadgen")
# On a shared machine, run ahead of others' jobs (root only): server,
# generators and attackers alike, as bench/run.py does.
NICE = -10 if os.geteuid() == 0 else 0
IAC, SB, SE, WILL, WONT, DO, DONT = 255, 250, 240, 251, 252, 253, 254
NAWS, TTYPE = 31, 24


def quantile(v, q):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


class Daemon:
    def __init__(self, binary, conf=""):
        self.tmp = tempfile.mkdtemp(prefix="strangerd-hostile-")
        self.telnet = free_port()
        self.ssh = free_port()
        self.metrics = free_port()
        path = os.path.join(self.tmp, "strangerd.conf")
        with open(path, "w") as f:
            f.write("metrics_listen 127.0.0.1:%d\n%s" % (self.metrics, conf))
        self.log = open(os.path.join(self.tmp, "log"), "w")
        self.p = subprocess.Popen(
            [binary, "-f", "-c", path, "-d", os.path.join(self.tmp, "st"),
             "-t", "127.0.0.1:%d" % self.telnet,
             "-s", "127.0.0.1:%d" % self.ssh, "-w", "2"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=lambda: os.nice(NICE))
        t0 = time.time()
        while time.time() - t0 < 10:
            if "started:" in self.logtext():
                break
            if self.p.poll() is not None:
                sys.exit("strangerd exited:\n" + self.logtext())
            time.sleep(0.05)
        self.pid = self.p.pid

    def logtext(self):
        with open(os.path.join(self.tmp, "log")) as f:
            return f.read()

    def metric(self, name):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" %
                                    self.metrics, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0

    def stop(self):
        proc_stop(self.p)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def loadgen(args, key=None):
    argv = [LOADGEN] + [str(a) for a in args]
    if key:
        argv += ["-k", key]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                       preexec_fn=lambda: os.nice(NICE))
    line = [l for l in p.stdout.splitlines() if l.startswith("RESULT")]
    if not line:
        sys.exit("loadgen %s: no RESULT\n%s%s" % (args, p.stdout, p.stderr))
    out = {}
    for kv in line[0].split()[1:]:
        k, v = kv.split("=", 1)
        out[k] = float(v)
    return out


# --- half-open connections -------------------------------------------------

def hold_child(port, n, secs, delay):
    """Keep n connections to port outstanding for secs, each from its own
    address, opening each again delay seconds after the daemon closed it.
    Prints one line of counts a second."""
    sel = selectors.DefaultSelector()
    reopened = [0]
    due = []

    def open_one(i):
        s = socket.socket()
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.200.%d.%d" % (i // 250, 1 + i % 250), 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE,
                     [i, False])
    for i in range(n):
        open_one(i)
    t_end = time.monotonic() + secs
    t_print = time.monotonic() + 1
    while time.monotonic() < t_end:
        now = time.monotonic()
        while due and due[0][0] <= now:
            open_one(due.pop(0)[1])
        for key, ev in sel.select(0.01 if due else 0.1):
            s, (i, said) = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE and not said:
                key.data[1] = True
                if i % 2:
                    try:	# a version line, then a stall in the kex
                        s.send(b"SSH-2.0-stall\r\n")
                    except OSError:
                        pass
                sel.modify(s, selectors.EVENT_READ, key.data)
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                reopened[0] += 1
                due.append((time.monotonic() + delay, i))
        if time.monotonic() >= t_print:
            t_print += 1
            print("HOLD open=%d reopened=%d" % (len(sel.get_map()) +
                                                len(due), reopened[0]),
                  flush=True)
    print("HOLD done reopened=%d" % reopened[0], flush=True)


def asyncssh_logins(port, n, conc, addrbase):
    """n asyncssh logins, conc at a time, each from its own address,
    timed from connect until 'Press Enter' shows.  (ok, [seconds])."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import asyncssh

    class Client(asyncssh.SSHClient):
        def kbdint_auth_requested(self):
            return ""

        def kbdint_challenge_received(self, name, inst, lang, prompts):
            return [""] * len(prompts)

    times, fails = [], []

    async def one(i):
        t0 = time.monotonic()
        src = "127.201.%d.%d" % (i // 250, 1 + i % 250)
        got = bytearray()
        seen = asyncio.Event()

        class Session(asyncssh.SSHClientSession):
            def data_received(self, data, datatype):
                got.extend(data)
                if b"Press Enter" in got:
                    seen.set()
        try:
            conn = await asyncio.wait_for(asyncssh.connect(
                "127.0.0.1", port, username="bench", known_hosts=None,
                client_keys=[], agent_path=None, config=[],
                local_addr=(src, 0), client_factory=Client), 10)
            async with conn:
                await conn.create_session(
                    Session, term_type="xterm", term_size=(80, 24),
                    encoding=None)
                await asyncio.wait_for(seen.wait(), 10)
                times.append(time.monotonic() - t0)
        except Exception as e:
            fails.append(repr(e))

    async def main():
        sem = asyncio.Semaphore(conc)

        async def limited(i):
            async with sem:
                await one(i)
        await asyncio.gather(*(limited(addrbase + i) for i in range(n)))
    asyncio.run(main())
    return len(times), fails, times


class DelayProxy:
    """A TCP proxy on 127.0.0.1 that delays every chunk by rtt/2 in each
    direction (a visitor far away); each connection reaches the daemon
    from its own address, 127.205.x.y."""

    def __init__(self, port, rtt):
        self.port, self.delay = port, rtt / 2.0
        self.n = 0
        ready = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_until_complete,
                         args=(self.main(ready),), daemon=True).start()
        while not ready:
            time.sleep(0.05)
        self.listen = ready[0]

    async def pipe(self, reader, writer):
        q = asyncio.Queue()

        async def rd():
            while True:
                b = await reader.read(65536)
                await q.put((time.monotonic() + self.delay, b))
                if not b:
                    return

        async def wr():
            while True:
                t, b = await q.get()
                if t > time.monotonic():
                    await asyncio.sleep(t - time.monotonic())
                if not b:
                    writer.write_eof()
                    return
                writer.write(b)
        try:
            await asyncio.gather(rd(), wr())
        except Exception:
            pass
        writer.close()

    async def main(self, ready):
        async def handle(r, w):
            self.n += 1
            i = self.n
            try:
                r2, w2 = await asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=(
                        "127.205.%d.%d" % (i // 250 % 250, 1 + i % 250), 0))
            except OSError:
                w.close()
                return
            await asyncio.gather(self.pipe(r, w2), self.pipe(r2, w))
        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        ready.append(srv.sockets[0].getsockname()[1])
        await srv.serve_forever()


def bench_halfopen(a, out):
    key_dir = tempfile.mkdtemp(prefix="strangerd-hostile-key-")
    key = os.path.join(key_dir, "id")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key],
                   check=True)
    rows = []
    d = Daemon(a.strangerd, a.conf.replace(";", "\n") + "\n")
    proxy = DelayProxy(d.ssh, a.rtt_ms / 1000.0) if a.rtt_ms else None
    try:
        addr = [0]

        def measure(label):
            r = loadgen(["-m", "setup", "-p", "ssh", "-P", d.ssh, "-c", 4,
                         "-W", 1, "-d", a.secs, "-a", addr[0]], key)
            addr[0] += 200000
            ok, fails, t = asyncssh_logins(d.ssh, a.logins, 4,
                                           len(rows) * 1000)
            far = [None, [], []]
            if a.rtt_ms:
                far = asyncssh_logins(proxy.listen, a.logins // 2, 8,
                                      len(rows) * 1000 + 500)
            tot = r["setups"] + r["failed"]
            rows.append((label, r["setups"], r["failed"],
                         100.0 * r["setups"] / tot if tot else 0,
                         r["p50"], r["p99"], r["max"],
                         "%d/%d" % (ok, ok + len(fails)),
                         quantile(t, 0.5) * 1000, quantile(t, 0.99) * 1000,
                         "%d/%d" % (len(far[2]), len(far[2]) + len(far[1])),
                         quantile(far[2], 0.5) * 1000,
                         quantile(far[2], 0.99) * 1000,
                         proc_fds(d.pid), proc_rss_kib(d.pid)))
            for f in (fails, far[1]):
                if f:
                    print("  asyncssh failures: %s" % sorted(set(f))[:3])
        measure("idle server")
        hold = subprocess.Popen([sys.executable, __file__, "--hold-child",
                                 str(d.ssh), str(a.halfopen),
                                 str(a.secs * 2 + 60), str(a.reopen_delay)],
                                stdout=subprocess.PIPE, text=True,
                                preexec_fn=lambda: os.nice(NICE))
        line = ""
        for line in hold.stdout:
            m = re.match(r"HOLD open=(\d+)", line)
            if m and int(m.group(1)) >= a.halfopen:
                break
        time.sleep(a.settle)
        print("  holder: %s" % line.strip())
        measure("%d half-open held" % a.halfopen)
        hold.terminate()
        hold.wait()
        drops = d.logtext().count("dropped: too many handshakes") + sum(
            int(x) for x in re.findall(r"ssh: (\d+) more connections ended",
                                       d.logtext()))
        out.append("halfopen: daemon log: %d handshakes dropped or refused "
                   "(incl. unlogged); refused_total{ssh_preauth}=%d" %
                   (drops, d.metric(
                       'strangerd_refused_total{reason="ssh_preauth"}')))
    finally:
        d.stop()
        shutil.rmtree(key_dir, ignore_errors=True)
    out.append("loadgen: libssh logins, 4 at a time, %ds; asyncssh: until "
               "the welcome shows, 4 at a time; far: asyncssh over %d ms "
               "RTT, 8 at a time" % (a.secs, a.rtt_ms))
    out.append("%-20s %7s %6s %6s %7s %7s %7s | %9s %6s %6s | %7s %6s %6s "
               "| %5s %6s" %
               ("SSH logins", "loadgen", "failed", "ok %", "p50 ms",
                "p99 ms", "max ms", "asyncssh", "p50", "p99", "far",
                "p50", "p99", "fds", "RSS KiB"))
    for r in rows:
        out.append("%-20s %7d %6d %6.2f %7.2f %7.2f %7.2f | %9s %6.1f "
                   "%6.1f | %7s %6.0f %6.0f | %5d %6d" % r)


# --- flood -----------------------------------------------------------------

def flood_child(port, k, secs):
    """k flooders, each paired with its own partner, each sending 1,000
    lines a second for secs; all read what they get.  Prints READY once
    all are paired."""
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(2 * k):
        s = socket.create_connection(("127.0.0.1", port), 5,
                                     source_address=("127.202.%d.%d" %
                                                     (i // 250, 1 + i % 250),
                                                     0))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
    bufs = [b""] * len(socks)
    # Telnet: refuse every option (plain is fine), then agree.
    t0 = time.monotonic()
    agreed, paired = set(), set()
    while len(paired) < len(socks) and time.monotonic() - t0 < 20:
        for key, _ in sel.select(0.05):
            i = key.data
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            bufs[i] = (bufs[i] + data)[-4096:]
            if i not in agreed and b"Press Enter" in bufs[i]:
                key.fileobj.send(b"\r\n")
                agreed.add(i)
            if b"onnected to a stranger" in bufs[i]:
                paired.add(i)
    print("READY %d" % len(paired), flush=True)
    sent, n = 0, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        # 10 lines every 10 ms from each flooder (the even ones).
        for i in range(0, len(socks), 2):
            try:
                socks[i].send(b"".join(b"flood %07d\r\n" % (n + j)
                                       for j in range(10)))
                sent += 10
            except OSError:
                pass
        n += 10
        for key, _ in sel.select(0):
            try:
                key.fileobj.recv(1 << 20)
            except OSError:
                pass
        delay = t0 + n / 1000.0 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("FLOOD sent=%d secs=%.1f" % (sent, time.monotonic() - t0),
          flush=True)


def bench_flood(a, out):
    rows = []
    for rnd in range(a.rounds):
        for k in (0, 1, 10):
            d = Daemon(a.strangerd)
            try:
                fl = None
                if k:
                    fl = subprocess.Popen(
                        [sys.executable, __file__, "--flood-child",
                         str(d.telnet), str(k), str(a.secs + 30)],
                        stdout=subprocess.PIPE, text=True,
                        preexec_fn=lambda: os.nice(NICE))
                    fl.stdout.readline()		# READY
                r = loadgen(["-m", "latency", "-p", "telnet", "-P", d.telnet,
                             "-n", 2 * a.pairs, "-r", 2 * a.pairs, "-W", 1,
                             "-d", a.secs])
                mutes = d.metric("strangerd_flood_mutes_total")
                kicks = d.metric("strangerd_flood_disconnects_total")
                if fl:
                    fl.terminate()
                    fl.wait()
                rows.append((rnd, k, r["sent"], r["recv"],
                             r["sent"] - r["recv"], r["p50"], r["p99"],
                             r["max"], mutes, kicks))
            finally:
                d.stop()
    out.append("%-5s %-9s %7s %7s %5s %8s %8s %8s %6s %6s" %
               ("round", "flooders", "sent", "recv", "lost", "p50 ms",
                "p99 ms", "max ms", "mutes", "kicks"))
    for r in rows:
        out.append("%-5d %-9d %7d %7d %5d %8.3f %8.3f %8.3f %6d %6d" % r)
    for k in (1, 10):
        base = [r[6] for r in rows if r[1] == 0]
        fl = [r[6] for r in rows if r[1] == k]
        mb, mf = sorted(base)[len(base) // 2], sorted(fl)[len(fl) // 2]
        out.append("flood x%d: median p99 %.3f ms -> %.3f ms (%+.0f %%), "
                   "lost %d" % (k, mb, mf, 100.0 * (mf - mb) / mb,
                                sum(r[4] for r in rows if r[1] == k)))


# --- window sizes ----------------------------------------------------------

class TelnetHolder:
    """n telnet clients with a given NAWS size that agree, pair, say a
    line and then keep reading (discarding) in a thread."""

    def __init__(self, port, n, cols, rows, base):
        self.socks = []
        for i in range(n):
            s = socket.create_connection(
                ("127.0.0.1", port), 5,
                source_address=("127.203.%d.%d" % ((base + i) // 250,
                                                   1 + (base + i) % 250), 0))
            size = struct.pack(">HH", cols, rows).replace(b"\xff",
                                                          b"\xff\xff")
            s.sendall(bytes([IAC, WILL, NAWS, IAC, SB, NAWS]) + size +
                      bytes([IAC, SE, IAC, WILL, TTYPE]))
            self.socks.append(s)
        self.bufs = [b""] * n
        self.npaired = 0
        self.stop = False
        self.sel = selectors.DefaultSelector()
        for i, s in enumerate(self.socks):
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, i)
        self.th = threading.Thread(target=self.reader, daemon=True)
        self.th.start()

    def reader(self):
        agreed, paired = set(), set()
        while not self.stop:
            for key, _ in self.sel.select(0.1):
                i, s = key.data, key.fileobj
                try:
                    data = s.recv(1 << 20)
                except OSError:
                    continue
                if i in paired:
                    continue
                b = self.bufs[i] = (self.bufs[i] + data)[-4096:]
                if b"\xff\xfa\x18\x01" in b:		# SB TTYPE SEND
                    s.send(bytes([IAC, SB, TTYPE, 0]) + b"xterm" +
                           bytes([IAC, SE]))
                    self.bufs[i] = b = b.replace(b"\xff\xfa\x18\x01", b"")
                if i not in agreed and b"Press Enter" in b:
                    s.send(b"\r")
                    agreed.add(i)
                if b"onnected to a stranger" in b:
                    paired.add(i)
            self.npaired = len(paired)

    def wait_paired(self, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.npaired == len(self.socks):
                return True
            time.sleep(0.1)
        return False

    def close(self):
        self.stop = True
        self.th.join(1)
        for s in self.socks:
            s.close()


def ssh_sessions(port, n, cols, rows):
    """n asyncssh sessions with pty-req cols x rows, agreed and paired;
    returns a function that closes them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import asyncssh
    loop = asyncio.new_event_loop()
    th = threading.Thread(target=loop.run_forever, daemon=True)
    th.start()
    conns = []

    class Client(asyncssh.SSHClient):
        def kbdint_auth_requested(self):
            return ""

        def kbdint_challenge_received(self, name, inst, lang, prompts):
            return [""] * len(prompts)

    async def one(i):
        state = {"buf": b"", "paired": asyncio.Event()}

        class Session(asyncssh.SSHClientSession):
            def data_received(self, data, datatype):
                state["buf"] = (state["buf"] + data)[-4096:]
                if b"Press Enter" in state["buf"] and "agreed" not in state:
                    state["agreed"] = True
                    chan.write(b"\r")
                if b"onnected to a stranger" in state["buf"]:
                    state["paired"].set()
        conn = await asyncssh.connect(
            "127.0.0.1", port, username="bench", known_hosts=None,
            client_keys=[], agent_path=None, config=[],
            local_addr=("127.204.%d.%d" % (i // 250, 1 + i % 250), 0),
            client_factory=Client)
        conns.append(conn)
        chan, _ = await conn.create_session(
            Session, term_type="xterm", term_size=(cols, rows),
            encoding=None)
        await asyncio.wait_for(state["paired"].wait(), 30)

    async def all_():
        sem = asyncio.Semaphore(8)

        async def lim(i):
            async with sem:
                await one(i)
        await asyncio.gather(*(lim(i) for i in range(n)))
    asyncio.run_coroutine_threadsafe(all_(), loop).result(120)

    def close():
        for c in conns:
            loop.call_soon_threadsafe(c.close)
        time.sleep(0.2)
        loop.call_soon_threadsafe(loop.stop)
    return close


def bench_window(a, out):
    n = a.window_sessions
    out.append("%-28s %5s %9s %9s %12s" % ("sessions", "n", "RSS0 KiB",
                                          "RSS KiB", "KiB/session"))
    for label, kind, cols, rows in (
            ("telnet 80x24", "telnet", 80, 24),
            ("telnet NAWS 65535x65535", "telnet", 65535, 65535),
            ("ssh pty-req 80x24", "ssh", 80, 24),
            ("ssh pty-req 65535x65535", "ssh", 65535, 65535)):
        d = Daemon(a.strangerd, "max_per_address 1000\nconnect_burst 1000\n")
        try:
            time.sleep(0.5)
            rss0 = proc_rss_kib(d.pid)
            if kind == "telnet":
                h = TelnetHolder(d.telnet, n, cols, rows, 0)
                if not h.wait_paired():
                    out.append("  %s: not all paired" % label)
                close = h.close
            else:
                close = ssh_sessions(d.ssh, n, cols, rows)
            time.sleep(1.5)		# redraws done, status line ticked
            rss = proc_rss_kib(d.pid)
            out.append("%-28s %5d %9d %9d %12.1f" %
                       (label, n, rss0, rss, (rss - rss0) / float(n)))
            close()
        finally:
            d.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strangerd", default=os.path.join(ROOT, "strangerd"))
    ap.add_argument("--only", default="halfopen,flood,window")
    ap.add_argument("--halfopen", type=int, default=2000)
    ap.add_argument("--logins", type=int, default=200,
                    help="asyncssh logins per half-open measurement")
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--window-sessions", type=int, default=100)
    ap.add_argument("--conf", default="",
                    help="halfopen: strangerd.conf lines, ';' between")
    ap.add_argument("--rtt-ms", type=int, default=200,
                    help="also log in over this round trip (0: not)")
    ap.add_argument("--settle", type=float, default=15,
                    help="seconds the hold runs before measuring (past "
                    "the per-address connect bursts)")
    ap.add_argument("--reopen-delay", type=float, default=0.05,
                    help="seconds before a dropped half-open one comes back")
    ap.add_argument("--hold-child", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--flood-child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.hold_child:
        port, n, secs, delay = a.hold_child
        return hold_child(int(port), int(n), float(secs), float(delay))
    if a.flood_child:
        port, k, secs = a.flood_child
        return flood_child(int(port), int(k), float(secs))
    if NICE:
        os.nice(NICE)		# the asyncssh logins and window clients
    if not os.access(LOADGEN, os.X_OK):
        sys.exit("bench/loadgen is missing: make bench/loadgen")
    out = []
    with open("/proc/loadavg") as f:
        out.append("load average before: " + " ".join(f.read().split()[:3]))
    for what in a.only.split(","):
        t0 = time.time()
        print("== %s" % what, flush=True)
        before = len(out)
        {"halfopen": bench_halfopen, "flood": bench_flood,
         "window": bench_window}[what](a, out)
        for line in out[before:]:
            print(line, flush=True)
        print("(%.0fs)" % (time.time() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
