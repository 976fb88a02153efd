"""What /proc says about a process the benchmarks started: its CPU
time, resident memory and open descriptors (bench/run.py and
bench/hostile.py)."""

import os

HZ = os.sysconf("SC_CLK_TCK")


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
