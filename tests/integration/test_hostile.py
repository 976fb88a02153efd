"""Hostile clients: broken negotiation, garbage, floods, abrupt ends.

Each test sets up a pair of ordinary visitors first, attacks, then
checks that the daemon is up, the pair still chats, a new visitor still
gets the welcome, and memory stays bounded."""

import random
import socket
import time

from harness import (DaemonTest, RawTelnet, IAC, SB, SE, WILL, DO,
                     WONT, DONT, OPT_NAWS, OPT_TTYPE, poll, new_source, SANITIZED)

MIB = 1024
RSS_LIMIT = 64 * MIB


class HostileTest(DaemonTest):

    def setUp(self):
        DaemonTest.setUp(self)
        self.a, self.b = self.pair("raw", "raw")
        self.round = 0

    def assertUnaffected(self):
        self.assertDaemonUp()
        self.round += 1
        self.assertChat(self.a, self.b, "still here %d" % self.round)
        self.assertChat(self.b, self.a, "me too %d" % self.round)
        self.assertStaysUp()
        self.assertRssBelow(RSS_LIMIT)

    def attacker(self):
        # Each from its own address: the per-address limits are tested
        # on their own below.
        s = socket.create_connection(("127.0.0.1", self.port), 5,
                                     source_address=(new_source(), 0))
        self.addCleanup(s.close)
        return s

    def flood(self, s, data, chunk=8192):
        """Send data; the daemon may hang up on us, which is fine."""
        try:
            for i in range(0, len(data), chunk):
                s.sendall(data[i:i + chunk])
        except OSError:
            return False
        return True


class TestNegotiation(HostileTest):

    def test_endless_subnegotiation_without_se(self):
        s = self.attacker()
        self.flood(s, bytes([IAC, SB, OPT_TTYPE, 0]) + b"x" * (1 << 20))
        self.assertUnaffected()
        s2 = self.attacker()
        self.flood(s2, bytes([IAC, SB, OPT_NAWS]) + bytes(range(255)) * 4000)
        self.assertUnaffected()

    def test_compression_bomb_refused(self):
        """IAC SB COMPRESS2 IAC SE, unasked, would make libtelnet inflate
        all that follows (about 1000:1): the visit ends at once instead,
        and a megabyte of deflated zeros costs nothing."""
        import zlib
        s = self.attacker()
        bomb = zlib.compress(b"\0" * (64 << 20), 9)
        self.flood(s, bytes([IAC, SB, 86, IAC, SE]) + bomb)
        self.assertTrue(poll(lambda: "telnet compression refused" in
                             self.daemon.log()), self.daemon.log())
        self.assertUnaffected()

    def test_random_iac_sequences(self):
        rnd = random.Random(1234)
        s = self.attacker()
        data = bytearray()
        for _ in range(20000):
            kind = rnd.randrange(6)
            if kind == 0:
                data += bytes([IAC, rnd.choice((WILL, WONT, DO, DONT)),
                               rnd.randrange(256)])
            elif kind == 1:
                data += bytes([IAC, SB, rnd.randrange(256)])
                data += bytes(rnd.randrange(256)
                              for _ in range(rnd.randrange(8)))
                if rnd.randrange(2):
                    data += bytes([IAC, SE])
            elif kind == 2:
                data += bytes([IAC, rnd.randrange(236, 256)])
            elif kind == 3:
                data += bytes([IAC, SE])
            elif kind == 4:
                data += bytes([IAC, SB, OPT_NAWS, 255, 255, 255, 255, IAC,
                               SE])
            else:
                data += bytes([IAC, SB, OPT_TTYPE, 0]) + \
                    bytes(rnd.randrange(256) for _ in range(40)) + \
                    bytes([IAC, SE])
        self.flood(s, bytes(data))
        self.assertUnaffected()

    def test_naws_storm(self):
        """Six thousand window sizes in a row: each may cost a redraw,
        none may cost the others their chat.  (54 KB: every byte read
        counts against flood_input_burst, 64 KiB by default.)"""
        import struct
        c = self.visitor("raw", source=new_source())
        data = b"".join(bytes([IAC, SB, OPT_NAWS]) +
                        struct.pack(">HH", 20 + i % 280, 5 + i % 95)
                        .replace(b"\xff", b"\xff\xff") + bytes([IAC, SE])
                        for i in range(6000))
        c.send_raw(data)
        self.assertUnaffected()
        c.resize(80, 24)
        c.wait_for("looking for a stranger")

    def test_option_ping_pong(self):
        """Answering every DO with WILL and then flipping, many times."""
        s = self.attacker()
        data = b""
        for opt in range(256):
            data += bytes([IAC, WILL, opt, IAC, WONT, opt, IAC, DO, opt,
                           IAC, DONT, opt])
        self.flood(s, data * 20)
        self.assertUnaffected()

    def test_hostile_ttype_names(self):
        for name in (b"", b"../../../../etc/passwd", b"x" * 5000,
                     b"\x1b[2J", b"xterm\x00evil", b"%s%n%s%n",
                     "xterm-é".encode()):
            s = self.attacker()
            self.flood(s, bytes([IAC, WILL, OPT_TTYPE, IAC, SB, OPT_TTYPE, 0])
                       + name.replace(b"\xff", b"\xff\xff") +
                       bytes([IAC, SE]) + bytes([IAC, WILL, OPT_NAWS, IAC, SB,
                                                 OPT_NAWS, 0, 80, 0, 24, IAC,
                                                 SE]) + b"\r\n")
        self.assertUnaffected()


class TestFloods(HostileTest):

    def test_64k_of_random_garbage(self):
        rnd = random.Random(42)
        s = self.attacker()
        self.flood(s, bytes(rnd.randrange(256) for _ in range(65536)))
        self.assertUnaffected()

    def test_64k_of_random_garbage_while_paired(self):
        rnd = random.Random(7)
        c = self.visitor("raw", source=new_source())
        d = self.visitor("raw", source=new_source())
        c.wait_for("connected to a stranger")
        d.wait_for("connected to a stranger")
        c.send_raw(bytes(rnd.randrange(256) for _ in range(65536)))
        self.assertUnaffected()

    def test_megabyte_without_newline_plain(self):
        s = self.attacker()
        time.sleep(1.5)		# plain line mode
        self.flood(s, b"\n")
        self.flood(s, b"A" * (1 << 20))
        self.assertUnaffected()
        self.flood(s, b"\n")
        self.assertUnaffected()

    def test_megabyte_line_to_a_partner_is_capped(self):
        c = self.visitor("raw", source=new_source())
        d = self.visitor("raw", source=new_source())
        c.wait_for("connected to a stranger")
        d.wait_for("connected to a stranger")
        m = d.mark()
        c.send(b"B" * (1 << 20))
        c.send(b"\r")
        time.sleep(1)
        self.assertUnaffected()
        got = d.since(m).count(b"B")
        self.assertLess(got, 20000, "partner got %d bytes of one line" % got)

    def test_flood_of_lines_from_a_partner(self):
        c = self.visitor("nc", source=new_source())
        d = self.visitor("raw", source=new_source())
        c.wait_for("connected to a stranger")
        d.wait_for("connected to a stranger")
        c.send(b"spam spam spam\n" * 20000)
        self.assertUnaffected()

    def test_reader_that_never_reads(self):
        """A partner who never reads must not make the daemon buffer
        without limit."""
        s = self.attacker()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        time.sleep(1.5)
        s.sendall(b"\n")		# agree, in plain mode
        d = self.visitor("nc", source=new_source())
        time.sleep(0.5)
        rss0 = self.daemon.rss()
        try:
            d.send(b"x" * 400 + b"\n")
            for _ in range(3000):
                d.send(b"y" * 400 + b"\n")
        except OSError:
            pass
        time.sleep(1)
        self.assertUnaffected()
        if not SANITIZED:
            self.assertLess(self.daemon.rss() - rss0, 32 * MIB)


class TestAbrupt(HostileTest):

    def test_disconnect_mid_sequence(self):
        pieces = [
            bytes([IAC]),
            bytes([IAC, SB]),
            bytes([IAC, SB, OPT_NAWS, 0, 80]),
            bytes([IAC, SB, OPT_TTYPE, 0]) + b"xter",
            bytes([IAC, WILL]),
            b"\x1b",
            b"\x1b[",
            b"\x1b[1;",
            "中".encode()[:2],
            b"\r",
        ]
        for p in pieces:
            s = self.attacker()
            self.flood(s, p)
            s.close()
        for p in pieces:			# again, with a reset
            c = RawTelnet(self.port, name="abrupt", source=new_source())
            c.wait_for("Welcome")
            c.send_raw(p)
            c.abort()
        self.assertUnaffected()
        self.assertCountsBack()

    def assertCountsBack(self):
        """Only the canary pair is left: the counts on the status line
        say so (no session or waiting entry leaked)."""
        self.a.wait_for(r"\b2 online\b.*\b0 waiting|\b0 waiting.*\b2 online",
                        regex=True, msg="counts back to the canary pair")

    def test_disconnect_while_searching_and_paired(self):
        for i in range(10):
            c = RawTelnet(self.port, name="quick%d" % i, source=new_source())
            self.agree(c)
            if i % 3 == 0:
                c.wait_for("stranger")
            if i % 2:
                c.abort()
            else:
                c.close()
        self.assertUnaffected()
        self.assertCountsBack()

    def test_many_connections_at_once(self):
        socks = []
        for i in range(200):
            try:
                socks.append(socket.create_connection(
                    ("127.0.0.1", self.port), 5,
                    source_address=(new_source(), 0)))
            except OSError:
                break
        self.assertGreater(len(socks), 100)
        time.sleep(0.5)
        self.assertUnaffected()
        for s in socks:
            s.close()
        self.assertCountsBack()
        self.assertUnaffected()
        # Their sessions are gone: the count of file descriptors is back.
        self.assertTrue(poll(lambda: self.daemon.nfds() < 100),
                        "%d fds open after 200 clients left" %
                        self.daemon.nfds())


class TestPerAddress(HostileTest):

    def test_one_address_cannot_take_every_slot(self):
        src = new_source()
        got = []
        for i in range(25):
            c = RawTelnet(self.port, name="same%d" % i, source=src)
            self.clients.append(c)
            got.append(c)
        welcomed = [c for c in got
                    if poll(lambda: c.has("Welcome") or c.closed, 3)
                    and c.has("Welcome")]
        refused = [c for c in got if not c.has("Welcome")]
        self.assertGreater(len(welcomed), 0)
        self.assertGreater(len(refused), 0, "25 connections from one "
                           "address all admitted")
        for c in refused:
            self.assertTrue(c.wait_closed(), "a refused client is still "
                            "connected\n" + c.describe())
            self.assertRegex(c.screen_text(), r"(?i)try again|too many",
                             "refused without a word")
        self.assertUnaffected()
