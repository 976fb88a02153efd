#!/usr/bin/python3
"""
Run the integration tests: every tests/integration/test_*.py, each test
against its own strangerd on a free loopback port.

    /usr/bin/python3 tests/integration/run.py [-j N] [-v] [PATTERN...]

Test classes run in parallel (-j, default 3) in separate processes; a
summary follows, and the exit status is non-zero if anything failed.
PATTERN selects tests by substring of their id, e.g. test_plain or
TestNext.test_escape_twice_is_next.  STRANGERD=path picks the binary.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

# A test class that takes longer than this is stuck: kill it and fail.
GROUP_TIMEOUT = float(os.environ.get("STRANGERD_GROUP_TIMEOUT", 150))

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def test_ids(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from test_ids(t)
        else:
            yield t.id()


def child(ids, verbose):
    """Run the given tests in this process; exit status says the result."""
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromNames(ids)
    runner = unittest.TextTestRunner(stream=sys.stdout,
                                     verbosity=2 if verbose else 1)
    result = runner.run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", type=int, default=int(os.environ.get("JOBS", 3)))
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("patterns", nargs="*")
    args = ap.parse_args()
    if args.child:
        child(args.patterns, args.v)

    import harness
    if not os.access(harness.DAEMON, os.X_OK):
        print("run.py: %s not built (run make)" % harness.DAEMON)
        return 1
    for tool in (harness.TELNET,):
        if not os.access(tool, os.X_OK):
            print("run.py: %s missing (apt-get install inetutils-telnet)"
                  % tool)
            return 1

    # Test a copy, so that a rebuild while the tests run cannot pull the
    # binary from under them.
    tmp = tempfile.mkdtemp(prefix="strangerd-run-")
    copy = os.path.join(tmp, "strangerd")
    shutil.copy2(harness.DAEMON, copy)
    os.environ["STRANGERD"] = copy
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp):
    suite = unittest.TestLoader().discover(HERE, pattern="test_*.py",
                                           top_level_dir=HERE)
    ids = [i for i in test_ids(suite)
           if not args.patterns or any(p in i for p in args.patterns)]
    errors = [i for i in ids if i.startswith("unittest.loader")]
    if errors:
        # A test file that does not import: run it to show why.
        print("run.py: cannot load: %s" % ", ".join(errors))
    # One group per test class: a class's tests run in order in one
    # process; classes run in parallel.
    groups = {}
    for i in ids:
        groups.setdefault(i.rsplit(".", 1)[0], []).append(i)
    # Bigger classes first, so that the slowest do not start last.
    pending = sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
    running = []
    results = []
    start = time.monotonic()
    while pending or running:
        while pending and len(running) < max(1, args.j):
            name, members = pending.pop(0)
            out = tempfile.TemporaryFile()
            p = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                                  "--child", "-v"] + members,
                                 cwd=HERE, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            running.append((name, members, p, time.monotonic(), out))
        time.sleep(0.05)
        for r in list(running):
            name, members, p, t0, outf = r
            if p.poll() is None:
                if time.monotonic() - t0 < GROUP_TIMEOUT:
                    continue
                # Stuck: kill the group (its daemons and clients too).
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                outf.write(b"\nrun.py: killed after %ds\n" % GROUP_TIMEOUT)
            outf.seek(0)
            out = outf.read().decode("utf-8", "replace")
            outf.close()
            running.remove(r)
            results.append((name, len(members), p.returncode,
                            time.monotonic() - t0, out))
            ok = p.returncode == 0
            print("%-4s %-50s %3d tests %5.1fs" %
                  ("ok" if ok else "FAIL", name, len(members),
                   time.monotonic() - t0), flush=True)
            if not ok or args.v:
                print(out, flush=True)
    failed = [r for r in results if r[2] != 0]
    ntests = sum(r[1] for r in results)
    print("\n%d tests in %d groups, %.1fs: %s" %
          (ntests, len(results), time.monotonic() - start,
           "all passed" if not failed and not errors else
           "FAILED: " + ", ".join([r[0] for r in failed] + errors)))
    if failed:
        # The per-test verdicts of the failed groups, for a quick look.
        for name, _, _, _, out in failed:
            for line in out.splitlines():
                if line.startswith(("FAIL:", "ERROR:")) or \
                   line.startswith("run.py: killed"):
                    print("  " + line)
    return 1 if failed or errors or not results else 0


if __name__ == "__main__":
    sys.exit(main())
