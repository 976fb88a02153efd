#!/usr/bin/python3
"""The soak (issue 14, item 8): one daemon, a long run, churn and attacks
at once; figures, not a test.  `make soak` runs it (not part of check).

    bench/soak.py [--secs 1800] [--sessions 10000] [--churn 0.1]
                  [--rate 1000] [--life 30] [--early 300] [--ramp 50]
                  [--fill 200] [--fill-rate 4000]
                  [--attack-every 2] [--attacks a,b,...|none]
                  [--strangerd PATH] [--nice N] [--log FILE]

One strangerd (two workers, the default configuration plus
metrics_listen) on free loopback ports, then, from bench/loadgen:

held     (1 - churn) x sessions visitors, half telnet and half SSH
         (libssh, pty-req), each process pairing its own clients; once
         all are paired they chat at --rate lines a second in all for
         --secs, and every line is checked at the receiver (lines lost =
         sent - received; a line has 15 s after the end to arrive).
         They never leave: a held visitor who loses their partner or
         their connection is a fault.  Before that window they fill their
         conversations: --fill lines a pair (200, all a conversation
         keeps) at --fill-rate lines a second a process, so that the
         drift is measured from a full working set, not while the
         scrollback is still growing to its cap (0: no fill).
churn    churn x sessions visitors, half telnet and half SSH, in
         pairing cycles (paired, a line each way, a second's pause,
         /next) who also hang up after 0.5-1.5 x --life seconds and
         connect again from a new address (connects, pairings, /next,
         disconnects).
attacks  every --attack-every seconds, one of issue 14's attacks from a
         new address: telnet option toggling into a closed window
         (finding 1), an IAC NOP burst, IAC SB IAC SE repeated (finding
         7), SSH handshakes trickling garbage (finding 3), connections
         held on the metrics port (finding 4), a /report of whoever
         the attacker is paired with (finding 2), and unknown SSH
         packets, which libssh answers by itself, into a client that
         never reads.

Every 5 s the daemon's RSS and descriptors are sampled, and what its
conversations hold (strangerd_conversation_bytes): RSS less that is the
rest of the daemon, which must not grow.  The report:
crashes (the daemon gone, or not exiting 0 on SIGTERM, or a sanitizer
report in its log), RSS --early seconds into the steady state and at the
end (drift), descriptors, lines lost, logins refused (clients that failed
and the daemon's refused counter).  Every process started here is ended
by its pid.  Needs bench/loadgen (make bench/loadgen).
"""

import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

import hostile
from hostile import Daemon, LOADGEN
from procfs import proc_fds, proc_rss_kib

IAC, SB, SE, NOP, WILL, WONT = 255, 250, 240, 241, 251, 252
NAWS, TTYPE = 31, 24


class Loadgen:
    """A bench/loadgen process whose output is read as it comes."""

    def __init__(self, name, args, ssh=False):
        self.name = name
        argv = [LOADGEN] + [str(a) for a in args]
        if ssh:
            # A key of its own for each connection: with one key for
            # all, the first automatic ban (the report attack) ended
            # every SSH visitor at once.
            argv += ["-K"]
        self.ready = threading.Event()
        self.result = None
        self.lines = []
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  preexec_fn=lambda: os.nice(hostile.NICE))
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if line.startswith("READY"):
                self.ready.set()
            elif line.startswith("RESULT"):
                self.result = dict(kv.split("=", 1)
                                   for kv in line.split()[1:])
        self.ready.set()

    def wait(self, timeout):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.terminate()
            self.p.wait(10)
        self.t.join(5)
        return self.result

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(10)


# --- attacks ----------------------------------------------------------------

class Attacker(threading.Thread):
    """Runs one attack every `every` seconds, round robin, each from a
    new loopback address in 127.240.0.0 and up, until stopped."""

    KINDS = ("toggle", "nop_burst", "sb_iac_se", "ssh_trickle",
             "metrics_hold", "report", "ssh_unread")

    def __init__(self, d, every, kinds):
        threading.Thread.__init__(self, daemon=True)
        self.d = d
        self.every = every
        self.halted = threading.Event()
        self.n = 0
        self.runs = {}
        self.kinds = [getattr(self, k) for k in kinds]

    def source(self):
        self.n += 1
        return "127.%d.%d.%d" % (240 + (self.n >> 16) % 15,
                                 (self.n >> 8) & 255, (self.n & 255) or 1)

    def sock(self, port, rcvbuf=None):
        s = socket.socket()
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((self.source(), 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        return s

    def pour(self, s, data, secs):
        """Send data again and again for secs, never reading."""
        s.setblocking(False)
        end = time.monotonic() + secs
        while time.monotonic() < end and not self.halted.is_set():
            try:
                s.send(data)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                return

    def toggle(self):
        # Finding 1: plain line mode, a shrunk window, never read.
        s = self.sock(self.d.telnet, rcvbuf=1024)
        time.sleep(1.3)
        self.pour(s, bytes([IAC, WILL, NAWS, IAC, WONT, NAWS, IAC, WILL,
                            TTYPE, IAC, WONT, TTYPE]) * 1024, 2)
        s.close()

    def nop_burst(self):
        s = self.sock(self.d.telnet)
        self.pour(s, bytes([IAC, NOP]) * (512 * 1024), 1)
        s.close()

    def sb_iac_se(self):
        # Finding 7: one packet, a log line per byte before the fix.
        s = self.sock(self.d.telnet)
        self.pour(s, bytes([IAC, SB, IAC, SE]) * 16384, 0.5)
        s.close()

    def ssh_trickle(self):
        # Finding 3: busy handshakes that never get anywhere.
        socks = [self.sock(self.d.ssh) for _ in range(20)]
        line = b"SSH-2.0-" + b"x" * 200
        for i in range(30):
            for s in socks:
                try:
                    s.send(line[i:i + 1])
                except OSError:
                    pass
            time.sleep(0.1)
        for s in socks:
            s.close()

    def ssh_unread(self):
        # libssh's own answers (SSH_MSG_UNIMPLEMENTED to unknown
        # packets, in the clear before key exchange) into a client that
        # never reads.
        s = self.sock(self.d.ssh, rcvbuf=4096)
        s.sendall(b"SSH-2.0-soak\r\n")
        self.pour(s, struct.pack(">IBB10x", 12, 10, 200) * 4096, 2)
        s.close()

    def metrics_hold(self):
        # Finding 4: connections held open on the metrics listener.
        socks = []
        for _ in range(100):
            try:
                socks.append(self.sock(self.d.metrics))
            except OSError:
                break
        time.sleep(3)
        for s in socks:
            s.close()

    def report(self):
        # Finding 2: report whoever we meet, having said nothing.
        s = self.sock(self.d.telnet)
        got, end = b"", time.monotonic() + 8
        agreed = False
        while time.monotonic() < end:
            try:
                got = (got + s.recv(65536))[-8192:]
            except socket.timeout:
                break
            if not agreed and b"Press Enter" in got:
                s.sendall(b"\r\n")
                agreed = True
            if b"onnected to a stranger" in got:
                s.sendall(b"/report soak\r\n")
                time.sleep(0.3)
                break
        s.close()

    def run(self):
        i = 0
        while self.kinds and not self.halted.wait(self.every):
            kind = self.kinds[i % len(self.kinds)]
            i += 1
            name = kind.__name__
            ok, bad = self.runs.get(name, (0, 0))
            try:
                kind()
                self.runs[name] = (ok + 1, bad)
            except OSError:		# refused, reset: the daemon's choice
                self.runs[name] = (ok, bad + 1)

    def halt(self):
        self.halted.set()
        self.join(30)


# --- the run ----------------------------------------------------------------

def metric(d, name):
    """The sum of the daemon's samples of one metric family (-1: none)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" %
                                    d.metrics, timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return -1
    return int(sum(float(l.split()[-1]) for l in text.splitlines()
                   if l.startswith(name + " ") or
                   l.startswith(name + "{")))


class Sampler(threading.Thread):
    """RSS, descriptors and conversation bytes of the daemon every 5 s."""

    def __init__(self, d):
        threading.Thread.__init__(self, daemon=True)
        self.d = d
        self.samples = []		# (monotonic, rss KiB, fds, conv KiB)
        self.halted = threading.Event()

    def run(self):
        while not self.halted.wait(5):
            try:
                self.samples.append((time.monotonic(),
                                     proc_rss_kib(self.d.pid),
                                     proc_fds(self.d.pid),
                                     metric(self.d, "strangerd_"
                                            "conversation_bytes") // 1024))
            except OSError:
                return		# gone: reported as a crash

    def at(self, t):
        """The first sample at or after t (or the last)."""
        for s in self.samples:
            if s[0] >= t:
                return s
        return self.samples[-1] if self.samples else (t, 0, 0, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=float, default=1800)
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--churn", type=float, default=0.1)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--life", type=float, default=30)
    ap.add_argument("--early", type=float, default=300)
    # Connects a second while the held visitors come in: on a loaded
    # machine 500 SSH handshakes a second outrun the login grace time.
    ap.add_argument("--ramp", type=float, default=50)
    ap.add_argument("--log", help="keep the daemon's log here")
    ap.add_argument("--fill", type=int, default=200)
    ap.add_argument("--fill-rate", type=float, default=4000)
    ap.add_argument("--attack-every", type=float, default=2)
    ap.add_argument("--attacks", default=",".join(Attacker.KINDS))
    ap.add_argument("--strangerd", default=os.path.join(
        os.path.dirname(LOADGEN), "..", "strangerd"))
    # The daemon's and the generators' niceness, relative to ours:
    # hostile.py's -10 as root by default; 0 on a shared machine, under
    # nice -n 10, leaves them all at 10.
    ap.add_argument("--nice", type=int, default=hostile.NICE)
    a = ap.parse_args()
    hostile.NICE = a.nice
    kinds = [k for k in a.attacks.split(",") if k in Attacker.KINDS]
    if a.attacks not in ("none", "") and len(kinds) != len(
            a.attacks.split(",")):
        sys.exit("--attacks: one or more of %s, or none" %
                 ",".join(Attacker.KINDS))
    if not os.access(LOADGEN, os.X_OK):
        sys.exit("bench/loadgen is missing: make bench/loadgen")
    churn = int(a.sessions * a.churn) // 4 * 2	# even, per transport
    held = (a.sessions - 2 * churn) // 4 * 2
    early = min(a.early, a.secs / 2)
    # Lines a held process sends before its measured window: each pair's
    # lines land in both partners' conversations.  Two lines a second a
    # visitor at most, well inside the flood limit (5 a second).
    fill_rate = min(a.fill_rate, 2.0 * held)
    warm = max(2.0, held // 2 * a.fill / fill_rate)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("soak: %s, %d s, %d held (%d telnet + %d ssh), %d churning, "
          "%.0f lines/s, load before %s" % (a.strangerd, a.secs, 2 * held,
                                            held, held, 2 * churn, a.rate,
                                            load), flush=True)

    d = Daemon(a.strangerd)
    procs = []
    sampler = Sampler(d)
    attacker = Attacker(d, a.attack_every, kinds)
    try:
        t0 = time.monotonic()
        sampler.start()
        # The held visitors, one transport after the other so that each
        # process pairs its own (lines are checked inside a process).
        for name, proto, port, base in (("held-telnet", "telnet", d.telnet,
                                         0),
                                        ("held-ssh", "ssh", d.ssh,
                                         1000000)):
            lg = Loadgen(name, ["-m", "latency", "-p", proto, "-P", port,
                                "-n", held, "-r", a.rate / 2, "-R", a.ramp,
                                "-W", warm, "-w", fill_rate, "-d", a.secs, "-D", 15, "-i",
                                base, "-a", base, "-T", 900],
                         proto == "ssh")
            procs.append(lg)
            lg.ready.wait(960)
            lg.t_ready = time.monotonic()
            print("%s: %s (%.0f s)" % (name, lg.lines[-1] if lg.lines
                                       else "?", time.monotonic() - t0),
                  flush=True)
        # The steady state begins once the last held process has
        # filled its conversations.
        time.sleep(warm)
        steady = time.monotonic()
        for name, proto, port, base in (("churn-telnet", "telnet",
                                         d.telnet, 2000000),
                                        ("churn-ssh", "ssh", d.ssh,
                                         3000000)):
            procs.append(Loadgen(name, ["-m", "cycles", "-p", proto, "-P",
                                        port, "-n", churn, "-L", a.life,
                                        "-G", 1,
                                        "-R", 200, "-W", 0, "-d",
                                        a.secs - 5, "-i", base, "-a", base,
                                        "-T", 900],
                                 proto == "ssh"))
        attacker.start()
        for lg in procs:
            lg.wait(a.secs + 1200)
        attacker.halt()
        end = time.monotonic()
        refused_n = metric(d, "strangerd_refused_total")
        alive = d.p.poll() is None
    finally:
        attacker.halted.set()
        for lg in procs:
            lg.stop()
        sampler.halted.set()
    rc = None
    if d.p.poll() is None:
        d.p.send_signal(signal.SIGTERM)
        try:
            rc = d.p.wait(30)
        except subprocess.TimeoutExpired:
            rc = "hung on SIGTERM"
    else:
        rc = d.p.returncode
    log = d.logtext()
    if a.log:
        with open(a.log, "w") as f:
            f.write(log)
    d.stop()

    s_early = sampler.at(steady + early)
    # The last sample while everyone is still connected: each held
    # process chats for --secs from its own READY, telnet's a ramp
    # earlier than SSH's, so before the first of them leaves.
    s_end = sampler.at(min(procs[0].t_ready + warm + a.secs, end) - 10)
    sanitizer = len(re.findall(r"ERROR: \w+Sanitizer|runtime error:", log))
    print("\n== soak figures")
    print("crashes: %d (alive at the end: %s, exit on SIGTERM: %s, "
          "sanitizer reports: %d)" % (0 if alive and rc == 0 and
                                      not sanitizer else 1, alive, rc,
                                      sanitizer))
    print("RSS: %d KiB at %.0f s into the steady state, %d KiB at the end "
          "(%.0f s): drift %+.1f %%; max %d KiB" %
          (s_early[1], s_early[0] - steady, s_end[1], s_end[0] - steady,
           100.0 * (s_end[1] - s_early[1]) / max(s_early[1], 1),
           max([s[1] for s in sampler.samples] or [0])))
    print("conversations: %d KiB then %d KiB; RSS less them: %d KiB then "
          "%d KiB: drift %+.1f %%" %
          (s_early[3], s_end[3], s_early[1] - s_early[3],
           s_end[1] - s_end[3],
           100.0 * ((s_end[1] - s_end[3]) - (s_early[1] - s_early[3])) /
           max(s_early[1] - s_early[3], 1)))
    print("descriptors: %d then %d; max %d" %
          (s_early[2], s_end[2], max([s[2] for s in sampler.samples] or
                                     [0])))
    print("a minute at a time (s into the steady state: RSS KiB, "
          "descriptors, conversations KiB):")
    for smp in sampler.samples[::12]:
        print("    %+5.0f: %d, %d, %d" % (smp[0] - steady, smp[1], smp[2],
                                       smp[3]))
    failed = 0
    for lg in procs:
        r = lg.result or {}
        failed += int(r.get("failed", 0))
        if lg.name.startswith("held"):
            print("%s: %s paired of %s at the end, failed %s, sent %s, "
                  "received %s, lost %d, p99 %s ms" %
                  (lg.name, r.get("paired"), r.get("n"), r.get("failed"),
                   r.get("sent"), r.get("recv"),
                   int(r.get("sent", 0)) - int(r.get("recv", 0)),
                   r.get("p99")))
        else:
            print("%s: connections %s, hung up on purpose %s, stuck %s, "
                  "failed %s, pairings %s" %
                  (lg.name, r.get("started"), r.get("left"),
                   r.get("stuck"), r.get("failed"), r.get("pairings")))
        for line in [l for l in lg.lines if l.startswith("loadgen:")][:5]:
            print("    " + line)
    print("logins refused: %d clients failed; daemon refused %d "
          "connections (attacks included)" % (failed, refused_n))
    print("attacks (done, refused): %s" %
          ", ".join("%s %d/%d" % (k, v[0], v[1])
                    for k, v in sorted(attacker.runs.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
