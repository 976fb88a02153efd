#!/usr/bin/python3
"""
(e) The moderation store (issue 17): ban and report round trips with
the store in SQLite and in PostgreSQL, in the same run.

    /usr/bin/python3 bench/store.py [-n N]

For each backend one strangerd (2 workers) on loopback, the PostgreSQL
one started as the integration tests start theirs (tests/integration/
harness.py: initdb in a temporary directory, unix socket), with fsync
on as in production, as SQLite has synchronous=FULL.  Measured:

  ban      strangerctl ban TARGET, from exec to exit (the answer comes
           after COMMIT), N in a row
  report   a visitor's /report to the "Thank you" it now gets only after
           the store's COMMIT, over a plain telnet (netcat) client,
           N/4 in a row, each a fresh pair
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Daemon, Netcat, Postgres, new_source  # noqa: E402

CTL = os.path.join(ROOT, "strangerctl")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def bans(statedir, n):
    took = []
    for i in range(n):
        t0 = time.perf_counter()
        subprocess.run([CTL, "-d", statedir, "ban", "10.9.%d.%d" %
                        (i // 250, i % 250 + 1)], check=True,
                       capture_output=True)
        took.append(time.perf_counter() - t0)
    return took


def reports(port, n):
    took = []
    for i in range(n):
        a = Netcat(port, "a", source=new_source())
        b = Netcat(port, "b", source=new_source())
        try:
            for c in (a, b):
                c.wait_for("Press Enter")
                c.send(b"\n")
            a.wait_for("connected to a stranger")
            b.wait_for("connected to a stranger")
            b.type_line("line %d" % i)
            a.wait_for("Stranger: line %d" % i)
            t0 = time.perf_counter()
            a.type_line("/report bench")
            # Finer than wait_for's 20 ms polls.
            while "Thank you" not in a.text():
                if time.perf_counter() - t0 > 10:
                    raise RuntimeError("no thanks: " + a.text()[-500:])
                time.sleep(0.0002)
            took.append(time.perf_counter() - t0)
        finally:
            a.close()
            b.close()
    return took


def row(name, backend, xs):
    print("%-7s %-11s n=%-4d p50 %7.2f ms  p99 %7.2f ms  mean %7.2f ms" %
          (name, backend, len(xs), pct(xs, 0.5) * 1000,
           pct(xs, 0.99) * 1000, sum(xs) / len(xs) * 1000), flush=True)


def measure(backend, args, n):
    d = Daemon(2, args)
    d.start()
    try:
        row("ban", backend, bans(d.statedir, n))
        row("report", backend, reports(d.port, max(1, n // 4)))
    finally:
        d.terminate()
        d.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    n = ap.parse_args().n
    print("(e) store round trips, SQLite vs PostgreSQL (loopback, "
          "2 workers)", flush=True)
    measure("sqlite", [], n)
    pg = Postgres(fsync=True)
    try:
        pg.start()
        conf = tempfile.NamedTemporaryFile("w", suffix=".conf",
                                           delete=False)
        conf.write("store %s\n" % pg.uri(pg.create_database()))
        conf.close()
        measure("postgresql", ["-c", conf.name], n)
        os.unlink(conf.name)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
