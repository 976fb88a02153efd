"""Telnet protocol traffic under the same limits as chat (issue 14,
findings 1 and 7): libtelnet's own answers count against the output
queue cap, every byte read counts against the raw input rate, an option
toggled over and over ends the visit, and one packet of broken
subnegotiations is one line in the debug log, not thousands.

The attack as it was found: a client waits for plain line mode, shrinks
its receive window, never reads, and sends IAC WILL NAWS, IAC WONT
NAWS, IAC WILL TTYPE, IAC WONT TTYPE in a loop; every toggle made the
daemon queue an answer, outside any cap, and the daemon's memory grew by
about 1.5 MiB per MiB sent.
"""

import re
import socket

from harness import (IAC, SB, SE, WILL, WONT, DONT, NOP, OPT_NAWS, OPT_TTYPE,
                     SANITIZED, TIMEOUT, new_source, poll)
from test_limits import LimitTest, read_all

TOGGLES = bytes([IAC, WILL, OPT_NAWS, IAC, WONT, OPT_NAWS,
                 IAC, WILL, OPT_TTYPE, IAC, WONT, OPT_TTYPE])


class TelnetLimitTest(LimitTest):
    ssh = False

    def silent_client(self):
        """A telnet client that never negotiates, reads the plain line
        mode welcome, then shrinks its window and stops reading."""
        s = socket.socket()
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((new_source(), 0))
        s.settimeout(TIMEOUT)
        s.connect(("127.0.0.1", self.port))
        got = b""
        while b"Press Enter" not in got:
            b = s.recv(4096)
            self.assertTrue(b, "closed before the welcome: %r" % got)
            got += b
        return s

    def send_until_cut(self, s, data, total):
        """Send data over and over, total bytes at most; how much went
        before the daemon hung up."""
        sent = 0
        try:
            while sent < total:
                sent += s.send(data)
        except OSError:
            pass
        return sent

    def assertCutOff(self, s, reason):
        """The daemon closed s, and logged why."""
        _, closed = read_all(s, timeout=10, closed=True)
        self.assertTrue(closed, "the daemon kept the connection open")
        self.assertLogged(r": end telnet from .*: %s$" % re.escape(reason))

    def assertGrewLess(self, rss0, kib):
        if not SANITIZED:		# shadow memory is not ours
            grown = self.daemon.rss() - rss0
            self.assertLess(grown, kib, "VmRSS grew by %d KiB" % grown)


class TestOptionPingPong(TelnetLimitTest):
    """The attack as found, with the default limits."""

    def test_toggling_client_that_never_reads(self):
        a, b = self.pair("raw", "raw", {"source": new_source()},
                         {"source": new_source()})
        s = self.silent_client()
        rss0 = self.daemon.rss()
        sent = self.send_until_cut(s, TOGGLES * 5000, 16 << 20)
        self.assertLess(sent, 16 << 20, "16 MiB of toggles went in")
        self.assertCutOff(s, "telnet option negotiation loop")
        self.assertGrewLess(rss0, 4096)
        self.assertChat(a, b, "still here")
        self.assertStaysUp()


class TestAnswersAgainstOutputCap(TelnetLimitTest):
    """Only the output cap stands in the way (input rate out of reach,
    no limit on option changes): libtelnet's answers fill the queue to
    output_queue_max and the visit ends there."""

    conf = {"output_queue_max": "64k", "flood_input_rate": "1e9",
            "flood_input_burst": "1e9", "telnet_option_changes": 0}

    def test_answers_fill_the_queue_to_the_cap(self):
        s = self.silent_client()
        rss0 = self.daemon.rss()
        sent = self.send_until_cut(s, TOGGLES * 5000, 16 << 20)
        self.assertLess(sent, 16 << 20, "16 MiB of toggles went in")
        self.assertCutOff(s, "output queue full")
        self.assertMetric("strangerd_output_queue_drops_total", 1)
        self.assertGrewLess(rss0, 4096)
        self.assertStaysUp()


class TestProtocolBytesMetered(TelnetLimitTest):
    """A megabyte of IAC NOP reaches no session as typing, and is read
    all the same: it counts against flood_input_rate."""

    def test_megabyte_of_nops_is_an_input_flood(self):
        s = self.silent_client()
        # The kernel's buffers may take all of it: what counts is that
        # the daemon hangs up.
        self.send_until_cut(s, bytes([IAC, NOP]) * 32768, 1 << 20)
        self.assertCutOff(s, "input flood")
        self.assertMetric("strangerd_flood_disconnects_total", 1)
        self.assertStaysUp()


class TestOptionChanges(TelnetLimitTest):
    """telnet_option_changes: answers about one option, per visit."""

    conf = {"telnet_option_changes": 4}

    def test_a_few_changes_are_fine(self):
        c = self.raw(source=new_source())
        c.wait_for("Press Enter")
        # WONT, WILL: two answers (DONT, DO) each time.
        c.send_raw(bytes([IAC, WONT, OPT_NAWS, IAC, WILL, OPT_NAWS]) * 2)
        self.agree(c)
        c.wait_for("looking for a stranger")
        d = self.visitor("raw", source=new_source())
        c.wait_for("connected to a stranger")
        self.assertChat(c, d, "after some changes")

    def test_one_more_ends_the_visit(self):
        s = self.silent_client()
        # Never having answered our DO, the first WONT needs no answer:
        # five answers (DO, DONT, DO, DONT, DO).
        s.sendall(bytes([IAC, WONT, OPT_NAWS, IAC, WILL, OPT_NAWS]) * 3)
        self.assertCutOff(s, "telnet option negotiation loop")
        self.assertStaysUp()

    def test_refusals_count_too(self):
        """An option we do not support gets a refusal each time, with
        no event from libtelnet: those answers count as well."""
        s = self.silent_client()
        s.sendall(bytes([IAC, WILL, 42]) * 5)
        self.assertCutOff(s, "telnet option negotiation loop")


class TestOptionChangesMost(TelnetLimitTest):
    """The counters are a byte an option: the most they allow, 255,
    still ends the visit at the 256th answer."""

    conf = {"telnet_option_changes": 255}

    def test_255_answers_then_the_end(self):
        s = self.silent_client()
        s.sendall(bytes([IAC, WILL, 42]) * 255)
        want, got = bytes([IAC, DONT, 42]) * 255, b""
        while len(got) < len(want):
            b = s.recv(4096)
            self.assertTrue(b, "closed after %d bytes" % len(got))
            got += b
        self.assertEqual(got, want)
        s.sendall(bytes([IAC, WILL, 42]))
        self.assertCutOff(s, "telnet option negotiation loop")


class TestWarningsOnce(TelnetLimitTest):
    """With -v, IAC SB IAC SE repeated: libtelnet warns about each;
    the log has one line per visit and a count."""

    args = ("-v",)

    def test_one_line_per_visit(self):
        s = self.silent_client()
        s.sendall(bytes([IAC, SB, IAC, SE]) * 5000)
        s.close()
        self.assertLogged(r": end telnet from ")
        self.assertTrue(poll(lambda: re.search(
            r"telnet: \d+ more warnings", self.daemon.log())),
            self.daemon.log()[-2000:])
        warned = [l for l in self.daemon.log().splitlines()
                  if re.search(r": telnet: (?!\d+ more)", l)]
        self.assertEqual(len(warned), 1, warned[:5])
        self.assertStaysUp()


class TestCompressionNotInflated(TelnetLimitTest):
    """IAC SB COMPRESS2 IAC SE ends the visit, and what came after it in
    the same read is never inflated: libtelnet turned each of those
    bytes into a thousand and parsed them all before the visit ended
    (~3 KB sent cost ~50 ms of CPU).  With -v, a libtelnet warning in
    the deflated stream would be logged (and counted) if it were read."""

    args = ("-v",)

    def test_deflated_rest_of_the_read_is_not_parsed(self):
        import time
        import zlib
        # Each IAC SB 0 IAC NOP is a warning to libtelnet: an IAC inside
        # a subnegotiation followed by neither IAC nor SE.
        noise = bytes([IAC, SB, 0, IAC, NOP]) * (16 << 20)
        bomb = zlib.compress(noise, 9)[:3000]
        marker = bytes([IAC, SB, 86, IAC, SE])
        # In one write, well inside one read of the daemon's; then with
        # the marker's IAC and SE most likely in two reads.
        for writes in ([marker + bomb], [marker[:4], marker[4:] + bomb]):
            s = socket.create_connection(("127.0.0.1", self.port), TIMEOUT,
                                         source_address=(new_source(), 0))
            self.addCleanup(s.close)
            for data in writes:
                s.sendall(data)
                time.sleep(0.2)
        self.assertLogged(r": end telnet from .*: telnet compression "
                          r"refused$", count=2)
        # The first warning is logged as it is parsed, before the end.
        warned = [l for l in self.daemon.log().splitlines()
                  if re.search(r": telnet: ", l)]
        self.assertEqual(warned, [])
        self.assertStaysUp()


class TestSubnegotiationsStackBounded(TelnetLimitTest):
    """libtelnet calls itself again on the rest of what it was given
    after each NEW-ENVIRON subnegotiation (as it does to inflate after
    COMPRESS2), each time with a 1 KiB buffer on the stack: one 4 KB
    read of "IAC SB NEW-ENVIRON IS IAC SE" went ~900 KiB deep, so with
    thread stacks under that (ulimit -s 768 here was enough) one packet
    took the whole daemon down (SIGSEGV).  Fed in pieces, it goes one
    level deep whatever the read holds."""

    stack = 512 << 10

    def test_a_read_of_environ_subnegotiations(self):
        a, b = self.pair("raw", "raw")
        s = socket.create_connection(("127.0.0.1", self.port), TIMEOUT,
                                     source_address=(new_source(), 0))
        self.addCleanup(s.close)
        # 682 of them, 4092 bytes, and an offer to refuse, whose answer
        # comes once they are parsed: one read of the daemon's, 4096.
        s.sendall(bytes([IAC, SB, 39, 0, IAC, SE]) * 682 +
                  bytes([IAC, WILL, 77]))
        refusal, got = bytes([IAC, DONT, 77]), b""
        while refusal not in got:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            got += data
        self.assertDaemonUp()
        self.assertIn(refusal, got)
        self.assertChat(a, b, "still here")
        self.assertStaysUp()
