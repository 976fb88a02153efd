"""The metrics listener under a crowd (issue 14, finding 4): with
17,000 connections held on it the daemon spun a whole core, logged 2.4
million "Too many open files" lines in 10 s, and new visitors got no
welcome screen.  Here the same with a descriptor limit of 200: the
metrics listener keeps within its cap (metrics_max_connections), its
descriptors are set aside from what visitors may use, it backs off when
accept() fails, and a line that repeats is logged at most once a second
with a count of what was left out."""

import re
import socket

from harness import TIMEOUT, new_source, poll
from test_limits import LimitTest, scrape


class TestMetricsCrowd(LimitTest):

    nofile = 200
    conf = {"max_per_address": 500, "connect_burst": 500,
            "metrics_max_connections": 4}

    def hold(self, n):
        """n connections to the metrics port, held open and silent."""
        socks = []
        for _ in range(n):
            s = socket.socket()
            s.settimeout(TIMEOUT)
            try:
                s.connect(("127.0.0.1", self.metrics_port))
            except OSError:
                s.close()
                break
            socks.append(s)
        self.addCleanup(lambda: [s.close() for s in socks])
        return socks

    def test_held_connections_leave_visitors_served(self):
        socks = self.hold(300)
        # Beyond the cap each is accepted and closed: none is left
        # waiting in the backlog, so the connects all went through.
        self.assertEqual(len(socks), 300)
        self.assertLessEqual(self.daemon.nfds(), 200)
        self.raw(source=new_source(), name="visitor").wait_for("Welcome")
        log = self.daemon.log()
        self.assertLess(log.count("Too many open files"), 10, log[-2000:])
        self.assertLess(len(re.findall(r"metrics: connection refused", log)),
                        10, log[-2000:])
        # Those left out are counted on the next line, a second later.
        more = r"\d+ more lines like \"metrics: connection refused"
        self.assertTrue(poll(lambda: self.hold(1) and re.search(
            more, self.daemon.log()), interval=0.3), log[-2000:])
        for s in socks:
            s.close()
        self.assertTrue(poll(lambda: self.try_scrape() is not None),
                        "no scrape after the crowd left")
        self.assertStaysUp()

    def try_scrape(self):
        try:
            return scrape(self.metrics_port)
        except OSError:
            return None


class TestMetricsCapLowered(TestMetricsCrowd):
    """A cap larger than the descriptors allow is lowered to fit, so
    the crowd still leaves room for visitors."""

    conf = dict(TestMetricsCrowd.conf, metrics_max_connections=1024)

    def test_held_connections_leave_visitors_served(self):
        self.assertTrue(re.search(r"metrics_max_connections 1024: only \d+ "
                                  r"descriptors allow it, using \d+",
                                  self.daemon.log()), self.daemon.log())
        TestMetricsCrowd.test_held_connections_leave_visitors_served(self)
