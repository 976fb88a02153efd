#!/usr/bin/python3
"""Run the strangerd benchmarks beside their peers and print the table.

    bench/run.py [--full] [--only a,b,c,d,e,f] [--strangerd PATH]
                 [--idle N] [--hold SECS] [--mix both|telnet|ssh]
                 [--rates LINES/S,...]

Starts each server fresh on loopback with a throwaway state directory
or configuration (strangerd; OpenSSH's sshd; ngircd), drives it with
bench/loadgen, samples the server's memory, descriptors and CPU from
/proc, and prints every figure as strangerd, peer and their ratio,
with the CPU the server and the generator used; (e), the moderation
store on SQLite and PostgreSQL, is bench/store.py; (f), two nodes on
one Redis beside one node, is bench/cluster.py.  Nothing is left
running: every process started here is ended by its pid.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from cluster import Cluster
from procfs import proc_cpu, proc_fds, proc_rss_kib, proc_stop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADGEN = os.path.join(ROOT, "bench", "loadgen")
# BENCH_PORT_OFFSET=N moves these ports (parts (a) to (d)) by N, so
# that two people can run those parts on one machine.
_OFF = int(os.environ.get("BENCH_PORT_OFFSET", "0"))
PORT_TELNET, PORT_SSH, PORT_IRC, PORT_SSHD = (p + _OFF for p in (
    24023, 24022, 24667, 24122))
SSHD_USER = "strangerd-bench"
# On a shared machine, run ahead of others' jobs (root only; servers and
# generator alike, so the comparison stays fair).
# The kernel's autogroups share the CPU between sessions whatever their
# nice, so the driver keeps servers and generator in its own session and
# raises that session's priority instead.
NICE = -10 if os.geteuid() == 0 else 0


def prioritise():
    if NICE == 0:
        return
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(NICE))
    except OSError:
        pass

QUICK = dict(idle=2000, idle_hold=4, setup_conc=32, setup_secs=5,
             pairs=[500], rates=[1000, 5000], lat_secs=5, warm=1,
             cycle_clients=1000, cycle_secs=5, ssh_latency=[(500, 1000)])
FULL = dict(idle=10000, idle_hold=10, setup_conc=64, setup_secs=15,
            pairs=[500, 2500], rates=[1000, 5000, 10000], lat_secs=10,
            warm=2, cycle_clients=2000, cycle_secs=15, ssh_latency=None)

# Part (d) with the flood limit on chat lines lifted (see cycles()).
CYCLES_CONF = "flood_line_rate 1000\nflood_line_burst 1000\n"


def wait_port(port, timeout=10):
    import socket
    end = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            if time.time() >= end:
                return False
            time.sleep(0.05)


class Server:
    """A server process we started, ended by its pid."""

    def __init__(self, name, argv, port, log):
        self.name = name
        # SO_REUSEPORT would let a leftover server share the port and
        # take half the connections: refuse to start beside one.
        if wait_port(port, 0):
            sys.exit("bench: port %d is already in use" % port)
        self.log = open(log, "w")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=self.log,
                                  preexec_fn=lambda: os.nice(NICE))
        if not wait_port(port, 60):
            self.stop()
            sys.exit("bench: %s did not start; see %s" % (name, log))
        time.sleep(0.2)
        self.pid = self.p.pid
        # A cpuacct cgroup counts every process the server forks (sshd
        # forks per connection, and those are gone before /proc sees
        # them); without one, the process and its reaped children.
        self.cg = "/sys/fs/cgroup/cpuacct/strangerd-bench-%d" % self.pid
        try:
            os.mkdir(self.cg)
            with open(self.cg + "/cgroup.procs", "w") as f:
                f.write(str(self.pid))
        except OSError:
            self.cg = None

    def cpu(self):
        """CPU seconds used by the server so far."""
        if self.cg is not None:
            with open(self.cg + "/cpuacct.usage") as f:
                return int(f.read()) / 1e9
        return proc_cpu(self.pid)

    def stop(self):
        proc_stop(self.p)
        self.log.close()
        if self.cg is not None:
            for _ in range(50):
                try:
                    os.rmdir(self.cg)
                    break
                except OSError:
                    time.sleep(0.1)


class Bench:
    def __init__(self, args):
        self.args = args
        self.cfg = dict(FULL if args.full else QUICK)
        if args.idle:
            self.cfg["idle"] = args.idle
        if args.hold:
            self.cfg["idle_hold"] = args.hold
        if getattr(args, "rates", None):
            self.cfg["rates"] = [int(r) for r in args.rates.split(",")]
        self.tmp = tempfile.mkdtemp(prefix="strangerd-bench.")
        self.strangerd = args.strangerd or os.path.join(ROOT, "strangerd")
        self.rows = []
        self.nice = NICE
        self.port_telnet = PORT_TELNET
        # Put before a server's argv (bench/instr.py: valgrind).
        self.wrap = []
        self.idbase = 0
        self.addrbase = 0
        self.key = os.path.join(self.tmp, "client_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                        "-f", self.key], check=True)

    # --- servers -------------------------------------------------------

    def start_strangerd(self, conf="", name="strangerd", tport=None,
                        sport=None):
        """A node; name picks its state directory, configuration and
        log (part (f) runs two side by side on other ports)."""
        tport, sport = tport or PORT_TELNET, sport or PORT_SSH
        d = os.path.join(self.tmp, "state" if name == "strangerd" else
                         "state-" + name)
        argv = self.wrap + [self.strangerd, "-f", "-d", d, "-w", "2",
                "-s", "127.0.0.1:%d" % sport,
                "-t", "127.0.0.1:%d" % tport]
        if conf:
            path = os.path.join(self.tmp, name + ".conf")
            with open(path, "w") as f:
                f.write(conf)
            argv += ["-c", path]
        return Server(name, argv, tport,
                      os.path.join(self.tmp, name + ".log"))

    def start_ngircd(self):
        conf = os.path.join(self.tmp, "ngircd.conf")
        with open(conf, "w") as f:
            f.write("""[Global]
Name = bench.invalid
Info = strangerd bench peer
Listen = 127.0.0.1
Ports = %d
PidFile = %s/ngircd.pid
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 16
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
""" % (PORT_IRC, self.tmp))
        return Server("ngircd", self.wrap + ["/usr/sbin/ngircd", "-n",
                                             "-f", conf],
                      PORT_IRC, os.path.join(self.tmp, "ngircd.log"))

    def start_sshd(self):
        hk = os.path.join(self.tmp, "sshd_host_key")
        if not os.path.exists(hk):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                            "-f", hk], check=True)
        ak = os.path.join(self.tmp, "authorized_keys")
        shutil.copy(self.key + ".pub", ak)
        # sshd reads authorized_keys as the user.
        os.chmod(self.tmp, 0o755)
        os.chmod(ak, 0o644)
        conf = os.path.join(self.tmp, "sshd_config")
        with open(conf, "w") as f:
            f.write("""Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
AuthorizedKeysFile %s
StrictModes no
PermitRootLogin no\nAllowUsers %s
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
MaxStartups 10000
MaxAuthTries 10
PermitTTY yes
ForceCommand /bin/cat
PrintMotd no
PrintLastLog no
LogLevel ERROR
KexAlgorithms curve25519-sha256
HostKeyAlgorithms ssh-ed25519
Ciphers aes128-gcm@openssh.com,chacha20-poly1305@openssh.com
Compression no
""" % (PORT_SSHD, hk, self.tmp, ak, SSHD_USER))
        os.makedirs("/run/sshd", exist_ok=True)
        # A throwaway account whose shell reads no start-up files (root's
        # .bashrc here runs pyenv: 100 ms and a pile of processes a login).
        if subprocess.run(["getent", "passwd", SSHD_USER],
                          stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home",
                            "--home-dir", "/nonexistent", "--shell",
                            "/bin/sh", SSHD_USER], check=True)
            subprocess.run(["usermod", "-p", "*", SSHD_USER], check=True)
        return Server("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                      PORT_SSHD, os.path.join(self.tmp, "sshd.log"))

    # --- the generator -------------------------------------------------

    def loadgen(self, mode, proto, port, n, extra=()):
        argv = [LOADGEN, "-m", mode, "-p", proto, "-P", str(port),
                "-n", str(n), "-i", str(self.idbase),
                "-a", str(self.addrbase)]
        if proto in ("ssh", "sshd"):
            argv += ["-k", self.key]
        argv += [str(x) for x in extra]
        self.idbase += n + 16
        self.addrbase += max(n, 100000)
        return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                                preexec_fn=lambda: os.nice(NICE))

    @staticmethod
    def wait_line(p, prefix):
        for line in p.stdout:
            if line.startswith(prefix):
                return line.strip()
        return None

    @staticmethod
    def parse(line):
        out = {}
        for kv in (line or "").split()[1:]:
            if "=" in kv:
                k, v = kv.split("=", 1)
                try:
                    out[k] = float(v)
                except ValueError:
                    out[k] = v
        return out

    def run_one(self, srv, gens, warm, secs, end=False):
        """Wait until every generator is READY, time the window, collect.
        end: the generators hold their clients until told (SIGTERM), so
        that one that was ready first does not leave inside the window."""
        for g in gens:
            self.wait_line(g, "READY")
        time.sleep(warm)
        c0, t0 = srv.cpu(), time.time()
        time.sleep(secs)
        c1, t1 = srv.cpu(), time.time()
        # Memory and descriptors at the end: what the sessions hold once
        # settled (strangerd packs a screen 2 s after its last frame).
        rss = proc_rss_kib(srv.pid)
        fds = proc_fds(srv.pid)
        if end:
            for g in gens:
                g.send_signal(signal.SIGTERM)
        res = [self.parse(self.wait_line(g, "RESULT")) for g in gens]
        for g in gens:
            g.wait()
        return dict(rss=rss, fds=fds, srv_cpu=(c1 - c0) / (t1 - t0),
                    res=res)

    # --- the table -----------------------------------------------------

    def row(self, name, ours, peer, unit, better, target="", note=""):
        ratio = ""
        if ours is not None and peer not in (None, 0) and ours >= 0 \
                and peer > 0:
            ratio = "%.2f" % (ours / peer)
        self.rows.append((name, ours, peer, unit, ratio, better, target,
                          note))
        fmt = lambda v: "-" if v is None else ("%.3f" % v if v < 10 else "%.1f" % v if v < 100
                                               else "%.0f" % v)
        print("  %-44s %10s %10s %-6s %6s  %s %s" % (
            name, fmt(ours), fmt(peer), unit, ratio, target, note),
            flush=True)

    # --- scenarios -----------------------------------------------------

    def idle(self):
        n = self.cfg["idle"]
        hold = self.cfg["idle_hold"]
        mix = self.args.mix
        half = {"both": n // 2, "telnet": n, "ssh": 0}[mix]
        print("(a) idle capacity: %d sessions, 80x24, paired "
              "(%d telnet, %d SSH) vs %d IRC clients" % (n, half, n - half,
                                                        n), flush=True)
        srv = self.start_strangerd()
        base = proc_rss_kib(srv.pid)
        # Held until run_one ends them: the telnet half is ready first.
        long = hold + 600
        gens = []
        if half > 0:
            gens.append(self.loadgen("idle", "telnet", PORT_TELNET, half,
                                     ["-R", 2000, "-W", 1, "-d", long,
                                      "-T", 240]))
        if n - half > 0:
            gens.append(self.loadgen("idle", "ssh", PORT_SSH, n - half,
                                     ["-R", 600, "-W", 1, "-d", long,
                                      "-T", 240]))
        # 4 s to settle: the last screens drawn are packed 2 s later.
        r = self.run_one(srv, gens, 4, hold, end=True)
        srv.stop()
        paired = sum(x.get("paired", 0) for x in r["res"])
        ours_kib = (r["rss"] - base) / max(paired, 1)
        gen_cpu = sum(x.get("gen_cpu", 0) for x in r["res"]) / hold

        irc = self.start_ngircd()
        base2 = proc_rss_kib(irc.pid)
        g = self.loadgen("idle", "irc", PORT_IRC, n,
                         ["-R", 2000, "-W", 1, "-d", hold + 600, "-T", 240])
        r2 = self.run_one(irc, [g], 4, hold, end=True)
        irc.stop()
        peer_kib = (r2["rss"] - base2) / max(r2["res"][0].get("paired", 1), 1)
        self.row("sessions held (paired)", paired,
                 r2["res"][0].get("paired"), "", "higher")
        self.row("memory per session", ours_kib, peer_kib, "KiB", "lower",
                 "", "ngircd: bare IRC client")
        self.row("server RSS in total", r["rss"] / 1024, r2["rss"] / 1024,
                 "MiB", "lower", "10k in < 1 GiB")
        self.row("server descriptors", r["fds"], r2["fds"], "", "lower")
        self.row("idle server CPU", r["srv_cpu"] * 100,
                 r2["srv_cpu"] * 100, "%core", "lower")
        self.row("generator CPU (idle)", gen_cpu * 100,
                 r2["res"][0].get("gen_cpu", 0) / hold * 100, "%core", "")

    def setup(self):
        conc, secs = self.cfg["setup_conc"], self.cfg["setup_secs"]
        print("(b) SSH set-up (connect, kex, publickey, channel, pty, "
              "shell), %d in flight, %ds" % (conc, secs), flush=True)
        out = {}
        for name, start, proto, port in (
                ("strangerd", self.start_strangerd, "ssh", PORT_SSH),
                ("sshd", self.start_sshd, "sshd", PORT_SSHD)):
            srv = start()
            g = self.loadgen("setup", proto, port, conc,
                             ["-c", conc, "-W", 1, "-d", secs])
            r = self.run_one(srv, [g], 1, secs)
            srv.stop()
            res = r["res"][0]
            rate = res.get("samples", 0) / max(res.get("secs", 1), 0.001)
            out[name] = dict(rate=rate, p50=res.get("p50"),
                             p99=res.get("p99"), srv=r["srv_cpu"],
                             gen=res.get("gen_cpu", 0) / secs,
                             fail=res.get("failed", 0))
        s, p = out["strangerd"], out["sshd"]
        self.row("SSH set-ups per second", s["rate"], p["rate"], "/s",
                 "higher", ">= 1000, >= 10x")
        self.row("SSH set-up p50", s["p50"], p["p50"], "ms", "lower")
        self.row("SSH set-up p99", s["p99"], p["p99"], "ms", "lower")
        cpu_s = s["srv"] * 1000 / max(s["rate"], 1)
        cpu_p = p["srv"] * 1000 / max(p["rate"], 1)
        self.row("server CPU per set-up", cpu_s, cpu_p, "ms", "lower")
        self.row("set-ups/s per server core (2 / CPU)", 2000 / cpu_s
                 if cpu_s else None, 2000 / cpu_p if cpu_p else None, "/s",
                 "higher", ">= 1000")
        self.row("server CPU during set-ups", s["srv"] * 100,
                 p["srv"] * 100, "%core", "")
        self.row("generator CPU during set-ups", s["gen"] * 100,
                 p["gen"] * 100, "%core", "")
        if s["fail"] or p["fail"]:
            print("  (failed set-ups: strangerd %d, sshd %d)" %
                  (s["fail"], p["fail"]))

    def latency_run(self, start, proto, port, pairs, rate):
        secs, warm = self.cfg["lat_secs"], self.cfg["warm"]
        srv = start()
        g = self.loadgen("latency", proto, port, pairs * 2,
                         ["-r", rate, "-W", warm, "-d", secs, "-R",
                          400 if proto == "ssh" else 3000])
        r = self.run_one(srv, [g], warm, secs)
        srv.stop()
        res = r["res"][0]
        res["srv"] = r["srv_cpu"]
        res["gen"] = res.get("gen_cpu", 0) / secs
        return res

    def latency(self):
        secs = self.cfg["lat_secs"]
        print("(c) paired-line latency, %ds a load (ms; server and "
              "generator CPU in %% of a core)" % secs, flush=True)
        loads = [(p, r) for p in self.cfg["pairs"] for r in self.cfg["rates"]]
        for pairs, rate in loads:
            t = self.latency_run(self.start_strangerd, "telnet",
                                 PORT_TELNET, pairs, rate)
            i = self.latency_run(self.start_ngircd, "irc", PORT_IRC,
                                 pairs, rate)
            sl = None
            if self.cfg["ssh_latency"] is None or \
                    (pairs, rate) in self.cfg["ssh_latency"]:
                sl = self.latency_run(self.start_strangerd, "ssh", PORT_SSH,
                                      pairs, rate)
            tag = "%d pairs %dk/s" % (pairs, rate // 1000)
            for q in ("p50", "p99", "p999"):
                self.row("telnet %s %s" % (tag, q), t.get(q), i.get(q),
                         "ms", "lower", "p99 <= ngircd" if q == "p99"
                         else "")
            if sl is not None:
                for q in ("p50", "p99", "p999"):
                    self.row("SSH    %s %s" % (tag, q), sl.get(q), i.get(q),
                             "ms", "lower", "p99 <= 2x ngircd" if q == "p99"
                             else "")
            note = "lost %d/%d vs %d/%d" % (
                t.get("sent", 0) - t.get("recv", 0), t.get("sent", 0),
                i.get("sent", 0) - i.get("recv", 0), i.get("sent", 0))
            self.row("telnet %s server CPU" % tag, t["srv"] * 100,
                     i["srv"] * 100, "%core", "lower", "", note)
            self.row("telnet %s generator CPU" % tag, t["gen"] * 100,
                     i["gen"] * 100, "%core", "")
            if sl is not None:
                self.row("SSH    %s server CPU" % tag, sl["srv"] * 100,
                         i["srv"] * 100, "%core", "lower", "",
                         "lost %d/%d" % (sl.get("sent", 0) -
                                         sl.get("recv", 0), sl.get("sent", 0)))

    def cycles(self):
        n, secs = self.cfg["cycle_clients"], self.cfg["cycle_secs"]
        print("(d) pairing cycles: %d telnet clients, paired -> one line "
              "each -> /next, %ds" % (n, secs), flush=True)
        # A generated client pairs, says hello and moves on several
        # times a second: more lines than the flood limit lets through
        # (5 a second, bursts of 10).  A hello it drops leaves that
        # client's partner waiting for it, and the generator counted
        # it stuck (~1,000 a run).  This part measures the matchmaker,
        # so the limit is lifted; the flood limit has its own tests.
        srv = self.start_strangerd(CYCLES_CONF)
        g = self.loadgen("cycles", "telnet", PORT_TELNET, n,
                         ["-W", 1, "-d", secs, "-R", 3000])
        r = self.run_one(srv, [g], 1, secs)
        srv.stop()
        res = r["res"][0]
        rate = res.get("pairings", 0) / 2 / max(res.get("secs", 1), 0.001)
        self.row("pairing cycles per second", rate, None, "/s", "higher",
                 ">= 4000, 0 stuck",
                 "no peer; %d clients stuck > 3 s, reconnected"
                 % res.get("stuck", 0))
        self.row("time to be paired p50", res.get("pair_p50"), None, "ms",
                 "lower")
        self.row("time to be paired p99", res.get("pair_p99"), None, "ms",
                 "lower")
        self.row("server CPU", r["srv_cpu"] * 100, None, "%core", "")
        self.row("generator CPU", res.get("gen_cpu", 0) / secs * 100, None,
                 "%core", "")

    def run(self):
        only = self.args.only.split(",") if self.args.only else "abcdef"
        print("strangerd bench (%s) on %d cores; columns: figure, "
              "strangerd, peer, unit, ratio, target" %
              ("full" if self.args.full else "quick", os.cpu_count()),
              flush=True)
        try:
            if "a" in only:
                self.idle()
            if "b" in only:
                self.setup()
            if "c" in only:
                self.latency()
            if "d" in only:
                self.cycles()
            if "e" in only:
                subprocess.run([sys.executable, os.path.join(
                    ROOT, "bench", "store.py"), "-n",
                    "1000" if self.args.full else "200"],
                    env=dict(os.environ, STRANGERD=self.strangerd))
            if "f" in only:
                Cluster(self).run(CYCLES_CONF)
        finally:
            if not self.args.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                print("bench: logs kept in", self.tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--strangerd", default="")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--idle", type=int, default=0,
                    help="sessions in (a), e.g. 19900")
    ap.add_argument("--hold", type=int, default=0,
                    help="seconds (a) measures them idle")
    ap.add_argument("--rates", default="",
                    help="lines/s of (c), e.g. 1000")
    ap.add_argument("--mix", choices=("both", "telnet", "ssh"),
                    default="both", help="transports of (a)'s sessions")
    prioritise()
    Bench(ap.parse_args()).run()


if __name__ == "__main__":
    main()
