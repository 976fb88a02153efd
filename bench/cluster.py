"""Part (f) of bench/run.py: two strangerd nodes on one Redis (cluster in
strangerd.conf(5)) beside one node alone, in the same run.

    relay     the latency (c) measures, with the clients spread over two
              nodes (client i on node i mod 2): lines whose two ends are
              on different nodes (through Redis) against the same load on
              one node without cluster; Redis CPU per line
    cycles    the pairing cycles of (d) on two nodes against one node;
              Redis CPU per pairing
    capacity  more sessions than one process can hold (RLIMIT_NOFILE
              20,000) on two nodes, from several generator processes,
              each under 20,000 descriptors; RSS and CPU of each node
              and of Redis

Redis is a redis-server of our own in the run's temporary directory on a
free loopback port, nothing saved, ended by its pid after each run.
"""

import os
import signal
import socket
import subprocess
import sys
import time

from statistics import median as _median

import pubsub
from procfs import free_port, proc_cpu, proc_fds, proc_rss_kib, proc_stop

REDIS = "/usr/bin/redis-server"
STRANGERCTL = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "strangerctl")
# Node b's listeners; node a uses the single node's (run.py).
PORT_B_TELNET, PORT_B_SSH = 24033, 24032
QUICK = dict(pairs=500, rates=[1000, 5000], secs=5, warm=1, rounds=1,
             cycle_clients=1000, cycle_secs=5, sessions=36400, gens=4,
             hold=5)
FULL = dict(pairs=500, rates=[1000, 5000], secs=5, warm=2, rounds=3,
            cycle_clients=2000, cycle_secs=15, sessions=36400, gens=4,
            hold=15)


def median(values):
    """The median of the figures a run reported (-1: none), or -1."""
    v = [x for x in values if x is not None and x >= 0]
    return _median(v) if v else -1


class Redis:
    """Our own redis-server; its CPU and RSS from /proc."""

    def __init__(self, tmp, nice):
        self.dir = os.path.join(tmp, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "redis.log"), "w")
        self.p = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--maxclients", "1000"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=lambda: os.nice(nice))
        self.pid = self.p.pid
        end = time.time() + 10
        while not self.ping():
            if time.time() > end or self.p.poll() is not None:
                self.stop()
                sys.exit("bench: redis-server did not start")
            time.sleep(0.05)

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), 1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def cpu(self):
        return proc_cpu(self.pid)

    def waiting(self):
        """Members of the shared waiting pool now."""
        with socket.create_connection(("127.0.0.1", self.port), 2) as s:
            s.sendall(b"SCARD strangerd:waiting\r\n")
            return int(s.recv(64)[1:].split(b"\r")[0])

    def commands(self):
        """INFO commandstats: {command: (calls, usec)} so far."""
        out, data = {}, b""
        with socket.create_connection(("127.0.0.1", self.port), 2) as s:
            s.sendall(b"INFO commandstats\r\n")
            head = s.recv(65536)
            size = int(head[1:head.index(b"\r\n")])
            data = head[head.index(b"\r\n") + 2:]
            while len(data) < size:
                more = s.recv(65536)
                if not more:
                    break
                data += more
        for line in data.decode().splitlines():
            if line.startswith("cmdstat_"):
                name, kv = line[8:].split(":", 1)
                f = dict(x.split("=", 1) for x in kv.split(","))
                out[name] = (int(f["calls"]), int(f["usec"]))
        return out

    def stop(self):
        proc_stop(self.p)
        self.log.close()


class Cluster:
    """Part (f), driven by a run.py Bench (its servers and generator)."""

    def __init__(self, bench):
        self.b = bench
        self.cfg = FULL if bench.args.full else QUICK

    # --- servers -------------------------------------------------------

    def start(self, conf=""):
        """Redis and nodes a and b; returns (redis, [a, b])."""
        redis = Redis(self.b.tmp, self.b.nice)
        nodes = []
        for name, tport, sport in (("a", None, None),
                                   ("b", PORT_B_TELNET, PORT_B_SSH)):
            c = "cluster redis://127.0.0.1:%d\nnode_name %s\n%s" % (
                redis.port, name, conf)
            nodes.append(self.b.start_strangerd(c, name, tport, sport))
        for n in nodes:
            if not self.joined(n):
                self.stop(redis, nodes)
                sys.exit("bench: node did not join Redis; see %s" %
                         n.log.name)
        return redis, nodes

    @staticmethod
    def joined(node):
        end = time.time() + 10
        while time.time() < end:
            with open(node.log.name) as f:
                if "joined through Redis" in f.read():
                    return True
            time.sleep(0.1)
        return False

    @staticmethod
    def stop(redis, nodes):
        for n in nodes:
            n.stop()
        redis.stop()

    def ports(self):
        return "%d,%d" % (self.b.port_telnet, PORT_B_TELNET)

    def window(self, procs, gens, warm, secs, end=False, probe=None):
        """run.py's run_one for several processes: CPU share of each over
        the window, RSS and descriptors at its end (and probe(), if
        given, then: before the generators let go)."""
        for g in gens:
            self.b.wait_line(g, "READY")
        time.sleep(warm)
        cmds = lambda: [p.commands() if hasattr(p, "commands") else {}
                        for p in procs]
        s0, c0, t0 = cmds(), [p.cpu() for p in procs], time.time()
        time.sleep(secs)
        c1, t1, s1 = [p.cpu() for p in procs], time.time(), cmds()
        out = [dict(cpu=(b - a) / (t1 - t0), rss=proc_rss_kib(p.pid),
                    fds=proc_fds(p.pid), cmds={
                        k: (v[0] - x.get(k, (0, 0))[0],
                            v[1] - x.get(k, (0, 0))[1])
                        for k, v in y.items()})
               for p, a, b, x, y in zip(procs, c0, c1, s0, s1)]
        for p, o in zip(procs, out):
            if hasattr(p, "waiting"):
                o["waiting"] = p.waiting()
        if probe is not None:
            out.append(probe())
        if end:
            for g in gens:
                g.send_signal(signal.SIGTERM)
        res = [self.b.parse(self.b.wait_line(g, "RESULT")) for g in gens]
        for g in gens:
            g.wait()
        return out, res, t1 - t0

    # --- relay ---------------------------------------------------------

    def relay_one(self, rate):
        pairs, secs, warm = self.cfg["pairs"], self.cfg["secs"], \
            self.cfg["warm"]
        # Connects at 500/s reach the nodes one by one, so that a
        # visitor mostly meets the one who came just before, on the
        # other node; faster, a node's burst of wants pairs its own.
        extra = ["-r", rate, "-W", warm, "-d", secs, "-R", 500, "-T", 60]
        srv = self.b.start_strangerd()
        g = self.b.loadgen("latency", "telnet", self.b.port_telnet,
                           pairs * 2, extra)
        (one,), (r1,), _ = self.window([srv], [g], warm, secs)
        srv.stop()
        redis, nodes = self.start()
        g = self.b.loadgen("latency", "telnet", self.ports(), pairs * 2,
                           extra)
        out, (r2,), _ = self.window(nodes + [redis], [g], warm, secs)
        self.stop(redis, nodes)
        return one, r1, out, r2

    @staticmethod
    def per(outs, count):
        """Redis commands in the windows, per line or pairing: "publish
        2.0 x 3.1 us, ..." (calls each and Redis's own time a call)."""
        tot = {}
        for o in outs:
            for k, (calls, usec) in o[2]["cmds"].items():
                c, u = tot.get(k, (0, 0))
                tot[k] = (c + calls, u + usec)
        return ", ".join("%s %.2f x %.1f us" % (k, c / count, u / c)
                         for k, (c, u) in sorted(tot.items(),
                                                 key=lambda kv: -kv[1][0])
                         if c >= count / 100) if count else ""

    def relay(self):
        pairs, secs, k = self.cfg["pairs"], self.cfg["secs"], \
            self.cfg["rounds"]
        row = self.b.row
        print("(f1) relay across nodes: %d telnet pairs spread over two "
              "nodes vs the same on one node, %ds a load, %d round%s "
              "(ms; medians over the rounds)" % (pairs, secs, k,
                                                 "s" if k > 1 else ""),
              flush=True)
        for rate in self.cfg["rates"]:
            runs = [self.relay_one(rate) for _ in range(k)]
            tag = "%dk/s" % (rate // 1000)
            for q in ("p50", "p99", "p999"):
                x = median(r2.get("x" + q) for _, _, _, r2 in runs)
                same = median(r2.get("s" + q) for _, _, _, r2 in runs)
                note = "same-node pairs of the cluster: %.3f (%.2f)" % (
                    same, x / same if same > 0 else -1)
                if k > 1:
                    note += "; rounds " + ", ".join(
                        "%.2f/%.2f" % (r2.get("x" + q), r1.get(q))
                        for _, r1, _, r2 in runs)
                row("cross-node %s %s" % (tag, q), x,
                    median(r1.get(q) for _, r1, _, _ in runs), "ms",
                    "lower", "<= 2x one node" if q == "p99" else "", note)
            redis = Redis(self.b.tmp, self.b.nice)
            try:
                floor = pubsub.latency(redis.port, rate, secs)
            finally:
                redis.stop()
            row("Redis pub/sub alone %s p99" % tag, floor[1], None, "ms",
                "", "", "p50 %.3f: the floor under a crossing line" %
                floor[0])
            xrecv = sum(r2.get("xrecv", 0) for _, _, _, r2 in runs)
            recv = sum(r2.get("recv", 0) for _, _, _, r2 in runs)
            lost = lambda i: sum(r[i].get("sent", 0) - r[i].get("recv", 0)
                                 for r in runs)
            sent = lambda i: sum(r[i].get("sent", 0) for r in runs)
            row("lines crossing / all received %s" % tag, xrecv, recv, "",
                "", "", "lost %d/%d vs one node %d/%d" % (
                    lost(3), sent(3), lost(1), sent(1)))
            row("server CPU %s (nodes a+b vs one)" % tag,
                median((o[0]["cpu"] + o[1]["cpu"]) * 100
                       for _, _, o, _ in runs),
                median(one["cpu"] * 100 for one, _, _, _ in runs),
                "%core", "lower")
            redis = sum(o[2]["cpu"] * r2.get("secs", 0)
                        for _, _, o, r2 in runs)
            row("Redis CPU %s" % tag, median(o[2]["cpu"] * 100
                                             for _, _, o, _ in runs),
                None, "%core", "")
            row("Redis CPU per crossing line %s" % tag,
                redis * 1e6 / xrecv if xrecv else None, None, "us",
                "lower", "", "per line of any kind: %.1f us" % (
                    redis * 1e6 / max(recv, 1)))
            print("    Redis commands per crossing line: %s" % self.per(
                [o for _, _, o, _ in runs], xrecv), flush=True)

    # --- pairing cycles ------------------------------------------------

    def cycles(self, conf):
        n, secs = self.cfg["cycle_clients"], self.cfg["cycle_secs"]
        row = self.b.row
        print("(f2) pairing cycles: %d telnet clients over two nodes vs "
              "one node, paired -> one line each -> /next, %ds" %
              (n, secs), flush=True)
        extra = ["-W", 1, "-d", secs, "-R", 3000, "-T", 60]
        srv = self.b.start_strangerd(conf)
        g = self.b.loadgen("cycles", "telnet", self.b.port_telnet, n, extra)
        (one,), (r1,), _ = self.window([srv], [g], 1, secs)
        srv.stop()
        redis, nodes = self.start(conf)
        g = self.b.loadgen("cycles", "telnet", self.ports(), n, extra)
        out, (r2,), _ = self.window(nodes + [redis], [g], 1, secs)
        self.stop(redis, nodes)
        rate = lambda r: r.get("pairings", 0) / 2 / max(r.get("secs", 1),
                                                         0.001)
        x, s = r2.get("xrecv", 0), r2.get("srecv", 0)
        row("pairing cycles per second", rate(r2), rate(r1), "/s",
            "higher", "", "stuck > 3 s: %d vs %d; %.0f %% of pairings "
            "across nodes" % (r2.get("stuck", 0), r1.get("stuck", 0),
                              100.0 * x / max(x + s, 1)))
        row("time to be paired p50", r2.get("pair_p50"), r1.get("pair_p50"),
            "ms", "lower")
        row("time to be paired p99", r2.get("pair_p99"), r1.get("pair_p99"),
            "ms", "lower")
        row("server CPU (nodes a+b vs one)",
            (out[0]["cpu"] + out[1]["cpu"]) * 100, one["cpu"] * 100,
            "%core", "")
        pairings = r2.get("pairings", 0) / 2
        row("Redis CPU", out[2]["cpu"] * 100, None, "%core", "")
        row("Redis CPU per pairing", out[2]["cpu"] * r2.get("secs", 0) *
            1e6 / pairings if pairings else None, None, "us", "lower")
        print("    Redis commands per pairing: %s" % self.per([out],
                                                             pairings),
              flush=True)

    # --- capacity ------------------------------------------------------

    def chatting(self, name):
        """Node name's visitors in a chat, by its own count (strangerctl
        stats): what it holds, whether or not the generator, starved on
        a busy machine, has read every screen yet.  In a cluster stats
        gives the totals, then each node's figures: "a:chatting"."""
        out = subprocess.run([STRANGERCTL, "-d", os.path.join(
            self.b.tmp, "state-" + name), "stats"], capture_output=True,
            text=True, timeout=30).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 2 and f[0] == name + ":chatting":
                return int(f[1])
        return -1

    def capacity(self):
        n, k, hold = self.cfg["sessions"], self.cfg["gens"], \
            self.cfg["hold"]
        row = self.b.row
        print("(f3) capacity: %d telnet sessions, 80x24, paired, on two "
              "nodes from %d generators (%d clients each), held %ds" %
              (n, k, n // k, hold), flush=True)
        redis, nodes = self.start()
        base = [proc_rss_kib(p.pid) for p in nodes + [redis]]
        gens = [self.b.loadgen("idle", "telnet", self.ports(), n // k,
                               ["-R", 1500, "-W", 1, "-d", hold + 600,
                                "-T", 240])
                for _ in range(k)]
        t0 = time.time()
        try:
            out, res, _ = self.window(
                nodes + [redis], gens, 4, hold, end=True,
                probe=lambda: [self.chatting("a"), self.chatting("b")])
        finally:
            self.stop(redis, nodes)
        took = time.time() - t0
        paired = sum(r.get("paired", 0) for r in res)
        failed = sum(r.get("failed", 0) for r in res)
        held = out[3]
        row("sessions held (chatting), two nodes vs one "
            "process's limit", sum(held), 19936, "", "higher", ">= 36000",
            "a %d + b %d, by the nodes; %d failed; %d generators; %.0f s "
            "in all" % (held[0], held[1], failed, k, took))
        if paired < n:
            print("    the generators had seen %d of %d paired; Redis's "
                  "waiting pool held %d" % (paired, n, out[2]["waiting"]),
                  flush=True)
        for i, name in enumerate(("node a", "node b")):
            row("%s RSS" % name, out[i]["rss"] / 1024, None, "MiB", "")
            row("%s descriptors" % name, out[i]["fds"], None, "",
                "", "< 20000")
            row("%s idle CPU" % name, out[i]["cpu"] * 100, None, "%core",
                "lower")
        row("memory per session (nodes)", (out[0]["rss"] + out[1]["rss"] -
                                           base[0] - base[1]) /
            max(sum(held), 1), None, "KiB", "lower")
        row("Redis RSS", out[2]["rss"] / 1024, None, "MiB", "")
        row("Redis idle CPU", out[2]["cpu"] * 100, None, "%core", "")
        row("generator CPU (idle, all)", sum(r.get("gen_cpu", 0)
                                             for r in res) / hold * 100,
            None, "%core", "")

    def run(self, conf):
        print("(f) two nodes on one Redis; columns: figure, two nodes, "
              "one node, unit, ratio", flush=True)
        self.relay()
        self.cycles(conf)
        self.capacity()
