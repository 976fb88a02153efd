"""Redis publish/subscribe alone, the floor under a line that crosses
nodes (bench/cluster.py): a publisher at a given rate and a subscriber in
another process, on loopback, each message carrying the monotonic time
it was sent.  Python at both ends, so the figures include a little of
Python's own time; what they bound is what Redis and the scheduler add.
"""

import multiprocessing
import socket
import time

CHANNEL = b"strangerd-bench"


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def subscriber(port, q):
    """Collect delivery latencies until "end"; put p50, p99 (ms)."""
    lat = []
    try:
        s = connect(port)
        s.sendall(b"SUBSCRIBE " + CHANNEL + b"\r\n")
        f = s.makefile("rb")
        q.put("ready")
        while True:
            line = f.readline()
            if not line:
                break
            if not line.startswith(b"$"):
                continue
            data = f.read(int(line[1:]) + 2)[:-2]
            if data == b"end":
                break
            if data.startswith(b"t"):
                lat.append(time.monotonic() - float(data[1:]))
    except (OSError, ValueError):
        pass
    lat.sort()
    q.put([lat[int(x * (len(lat) - 1))] * 1e3 for x in (0.5, 0.99)]
          if lat else [-1, -1])


def latency(port, rate, secs):
    """p50 and p99 in ms of rate messages a second for secs seconds."""
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=subscriber, args=(port, q))
    p.start()
    try:
        q.get(timeout=10)
        time.sleep(0.2)
        s = connect(port)
        f = s.makefile("rb")
        t0, n = time.monotonic(), 0
        while time.monotonic() - t0 < secs:
            wait = t0 + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            s.sendall(b"PUBLISH %s t%.6f\r\n" % (CHANNEL, time.monotonic()))
            f.readline()
            n += 1
        s.sendall(b"PUBLISH " + CHANNEL + b" end\r\n")
        f.readline()
        s.close()
        return q.get(timeout=10)
    finally:
        p.join(10)
        if p.is_alive():
            p.kill()
            p.join()
