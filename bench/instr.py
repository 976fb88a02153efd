#!/usr/bin/python3
"""Instructions a server spends per relayed chat line, counted by
valgrind's callgrind, so that a busy shared machine does not matter;
with --only setup, per SSH set-up instead.

    bench/instr.py [--strangerd PATH] [--pairs N] [--rate LINES/S]
                   [--only telnet,ssh,irc,setup] [--keep]

Each server (strangerd over telnet and over SSH, ngircd over IRC) runs
under callgrind twice, driven by bench/loadgen's latency mode with the
same clients and rate, for SHORT and then LONG seconds; callgrind
writes its count when the server exits.  The difference of the two
runs' instructions over the difference of their lines received leaves
out start-up, connecting, pairing and exit: what is left is the cost of
a line (read, relay, both partners' screens redrawn and sent) plus the
seconds of idle between them, which is next to nothing.  With --keep
the callgrind dumps stay, for callgrind_annotate to say where the
instructions went.  Valgrind runs
a server's threads one at a time, so the rate is kept low enough for
the slowed-down server to keep up (the generator reports every line).

setup: strangerd under callgrind, bench/loadgen's setup mode (connect,
kex, publickey, channel, pty-req, shell, close; SETUP_CONC at a time)
for SHORT and LONG seconds, no warm-up (so that every set-up the
server did is counted); the difference of instructions over the
difference of set-ups completed.  User space only: the kernel's share
(the TCP sends and receives) is not counted.
"""

import argparse
import os
import pwd
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import (Bench, PORT_IRC, PORT_SSH, PORT_TELNET,  # noqa: E402
                 prioritise)

SHORT, LONG, WARM = 4, 14, 2
SETUP_CONC = 4


def totals(path):
    """The instruction count of one callgrind dump."""
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    sys.exit("instr: no totals in %s" % path)


def measure(b, name, start, proto, port, pairs, rate, user=None):
    prefix = os.path.join(b.tmp, "callgrind." + name)
    b.wrap = ["valgrind", "--tool=callgrind", "--dump-instr=no",
              "--vgdb=no", "--callgrind-out-file=" + prefix + ".%p"]
    if user:
        # ngircd started as root switches to nobody, after which
        # callgrind cannot write its counts: start it as nobody
        # (setpriv execs, so the pid stays valgrind's).
        pw = pwd.getpwnam(user)
        os.chmod(b.tmp, 0o1777)
        b.wrap = ["setpriv", "--reuid=%d" % pw.pw_uid,
                  "--regid=%d" % pw.pw_gid, "--clear-groups"] + b.wrap
    runs = []
    for secs in (SHORT, LONG):
        srv = start()
        g = b.loadgen("latency", proto, port, pairs * 2,
                      ["-r", rate, "-W", WARM, "-d", secs, "-R", 50])
        res = b.parse(b.wait_line(g, "RESULT"))
        g.wait()
        srv.stop()
        runs.append((totals("%s.%d" % (prefix, srv.pid)), res))
    (i0, r0), (i1, r1) = runs
    lines = r1.get("recv", 0) - r0.get("recv", 0)
    per = (i1 - i0) / lines if lines > 0 else float("nan")
    print("  %-18s %8d lines  %14d instructions  %9.0f per line  "
          "(lost %d, p99 %.1f ms under valgrind)" % (
              name, lines, i1 - i0, per,
              r1.get("sent", 0) - r1.get("recv", 0), r1.get("p99", -1)),
          flush=True)
    return per


def measure_setup(b):
    """Instructions per SSH set-up in strangerd (user space)."""
    prefix = os.path.join(b.tmp, "callgrind.setup")
    b.wrap = ["valgrind", "--tool=callgrind", "--dump-instr=no",
              "--vgdb=no", "--callgrind-out-file=" + prefix + ".%p"]
    runs = []
    for secs in (SHORT, LONG):
        srv = b.start_strangerd()
        g = b.loadgen("setup", "ssh", PORT_SSH, SETUP_CONC,
                      ["-c", SETUP_CONC, "-W", 0, "-d", secs])
        res = b.parse(b.wait_line(g, "RESULT"))
        g.wait()
        srv.stop()
        runs.append((totals("%s.%d" % (prefix, srv.pid)), res))
    b.wrap = []
    (i0, r0), (i1, r1) = runs
    n = r1.get("setups", 0) - r0.get("setups", 0)
    per = (i1 - i0) / n if n > 0 else float("nan")
    print("  %-18s %8d set-ups %14d instructions  %9.0f per set-up  "
          "(failed %d)" % ("strangerd-setup", n, i1 - i0, per,
                           r0.get("failed", 0) + r1.get("failed", 0)),
          flush=True)
    return per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strangerd")
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--only", default="telnet,ssh,irc")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    prioritise()
    b = Bench(argparse.Namespace(full=False, idle=None, hold=None,
                                 strangerd=args.strangerd, mix="both"))
    only = args.only.split(",")
    print("instructions per relayed line: %d pairs, %d lines/s in all, "
          "runs of %d and %d s" % (args.pairs, args.rate, SHORT, LONG))
    per = {}
    if "telnet" in only:
        per["telnet"] = measure(b, "strangerd-telnet", b.start_strangerd,
                                "telnet", PORT_TELNET, args.pairs,
                                args.rate)
    if "ssh" in only:
        per["ssh"] = measure(b, "strangerd-ssh", b.start_strangerd, "ssh",
                             PORT_SSH, args.pairs, args.rate)
    if "irc" in only:
        per["irc"] = measure(b, "ngircd", b.start_ngircd, "irc", PORT_IRC,
                             args.pairs, args.rate, user="nobody")
    if "setup" in only:
        measure_setup(b)
    if "irc" in per:
        for k in ("telnet", "ssh"):
            if k in per:
                print("  %s / ngircd: %.2f" % (k, per[k] / per["irc"]))
    if args.keep:
        print("instr: callgrind dumps kept in", b.tmp)
    else:
        shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
