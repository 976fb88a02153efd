"""The processes the benchmarks start: a free port to start one on,
what /proc says about one (its CPU time, resident memory and open
descriptors) and how one is ended (bench/run.py, bench/cluster.py,
bench/hostile.py, bench/soak.py)."""

import os
import socket
import subprocess

HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    """CPU seconds of pid and its reaped children (sshd forks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / HZ


def proc_rss_kib(pid):
    """Resident set size in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_fds(pid):
    """Open descriptors."""
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_stop(p, grace=10):
    """End the subprocess.Popen p: SIGTERM, and SIGKILL if it has not
    exited within grace seconds; reaped either way."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
