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
import threading
import time

from harness import TIMEOUT, new_source, poll
from test_limits import LimitTest, scrape


def try_scrape(port):
    """The metrics, or None if the daemon would not serve them."""
    try:
        return scrape(port)
    except OSError:
        return None


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
        return try_scrape(self.metrics_port)


class TestMetricsCapLowered(TestMetricsCrowd):
    """A cap larger than the descriptors allow is lowered to fit, so
    the crowd still leaves room for visitors."""

    conf = dict(TestMetricsCrowd.conf, metrics_max_connections=1024)

    def test_held_connections_leave_visitors_served(self):
        self.assertTrue(re.search(r"metrics_max_connections 1024: only \d+ "
                                  r"descriptors allow it, using \d+",
                                  self.daemon.log()), self.daemon.log())
        TestMetricsCrowd.test_held_connections_leave_visitors_served(self)


class TestMetricsHostileClients(LimitTest):
    """What one client can do to the metrics listener with raw bytes:
    whatever it sends, its connection ends within a fixed time with an
    answer or nothing, and the next scrape is served."""

    conf = {"metrics_max_connections": 2}

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.metrics_port),
                                     timeout=TIMEOUT)
        self.addCleanup(s.close)
        return s

    def answer(self, s):
        """Everything the daemon sends before closing s."""
        s.settimeout(3 * TIMEOUT)
        data = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        except ConnectionResetError:
            pass
        return data

    def test_trickled_headers_do_not_hold_the_slots(self):
        # Slowloris: every slot taken by a client that sends one byte of
        # a never-ending header at a time, each well inside the idle
        # timeout.  The slots come free on a deadline all the same.
        socks = [self.connect() for _ in range(2)]
        stop = threading.Event()
        self.addCleanup(stop.set)

        def trickle():
            for s in socks:
                s.sendall(b"GET /metrics HTTP/1.1\r\n")
            while not stop.wait(0.5):
                for s in socks:
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(0.5)
        got = poll(lambda: self.try_scrape(), timeout=30, interval=0.5)
        stop.set()
        self.assertTrue(got, "slots held by trickling clients")
        self.assertStaysUp()

    def test_request_too_long(self):
        s = self.connect()
        s.sendall(b"GET /" + b"a" * 20000)
        self.assertIn(b" 431 ", self.answer(s).split(b"\r\n")[0])

    def test_no_request_line(self):
        s = self.connect()
        s.sendall(b"\r\n\r\n")
        self.assertIn(b" 400 ", self.answer(s).split(b"\r\n")[0])

    def test_pipelined_requests_get_one_whole_answer(self):
        s = self.connect()
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 1000)
        data = self.answer(s)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        self.assertEqual(len(body), length)
        self.assertIn(b"strangerd_connections", body)
        self.assertStaysUp()

    def try_scrape(self):
        return try_scrape(self.metrics_port)
