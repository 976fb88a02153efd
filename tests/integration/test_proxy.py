"""Behind a balancer: listeners marked proxy take a PROXY v1 or v2 header
first, only from the sources in proxy_from, within a deadline and before
any telnet negotiation or SSH banner; the address it gives is the
visitor's for bans, per-address limits, logs and strangerctl sessions.

The tests play the balancer from 127.0.0.1 (in proxy_from) on raw
sockets, and asyncssh goes through a tunnel that sends the header first.
"""

import asyncio
import ipaddress
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

from harness import (Client, Netcat, ROOT, TIMEOUT, SEND_TIMEOUT, free_port,
                     listening, poll)
from test_limits import scrape
from test_moderation import ModTest
from harness_ssh import AsyncSsh, SshTest, _NoKeyClient, _Session, asyncssh

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
BALANCER = "127.0.0.1"


def v1(src, sport=40000, dport=23):
    """A PROXY v1 line for a TCP client at src."""
    if ":" in src:
        return ("PROXY TCP6 %s ::1 %d %d\r\n" % (src, sport, dport)).encode()
    return ("PROXY TCP4 %s 127.0.0.1 %d %d\r\n" % (src, sport, dport)
            ).encode()


def v2(src=None, sport=40000, dport=23, tlvs=b""):
    """A PROXY v2 header for a TCP client at src (None: LOCAL)."""
    if src is None:
        return V2_SIG + b"\x20\x00\x00\x00"
    a = ipaddress.ip_address(src)
    if a.version == 4:
        body = a.packed + ipaddress.ip_address("127.0.0.1").packed
        fam = 0x11
    else:
        body = a.packed + ipaddress.ip_address("::1").packed
        fam = 0x21
    body += struct.pack(">HH", sport, dport) + tlvs
    return V2_SIG + bytes([0x21, fam]) + struct.pack(">H", len(body)) + body


class Balanced(Netcat):
    """A connection as a balancer makes it: from source, the header
    first (given in pieces if header is a list), then the visitor's
    bytes."""

    name = "balanced"

    def __init__(self, port, header, source=BALANCER, name=None):
        Client.__init__(self)
        if name:
            self.name = name
        self.sock = socket.create_connection(
            ("127.0.0.1", port), TIMEOUT, source_address=(source, 0))
        self.sock.settimeout(SEND_TIMEOUT)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        for piece in header if isinstance(header, list) else [header]:
            self.sock.sendall(piece)


class ProxyTunnel:
    """asyncssh's tunnel hook: a connection from source that starts
    with header."""

    def __init__(self, header, source=BALANCER):
        self.header = header
        self.source = source

    async def create_connection(self, session_factory, host, port):
        sock = socket.create_connection((host, port), TIMEOUT,
                                        source_address=(self.source, 0))
        sock.sendall(self.header)
        sock.setblocking(False)
        return await asyncio.get_event_loop().create_connection(
            session_factory, sock=sock)


class ProxiedSsh(AsyncSsh):
    """asyncssh behind a balancer that sent header."""

    def __init__(self, port, header, source=BALANCER, **kw):
        self.header = header
        self.source = source
        AsyncSsh.__init__(self, port, **kw)

    async def _connect(self, keys, term, command):
        self.conn = await asyncssh.connect(
            "127.0.0.1", self.port, username="visitor", known_hosts=None,
            client_keys=keys, agent_path=None, config=[],
            client_factory=_NoKeyClient,
            tunnel=ProxyTunnel(self.header, self.source))
        self.chan, _ = await self.conn.create_session(
            lambda: _Session(self), command,
            term_type=term if self.pty else None,
            term_size=(self.cols, self.rows) if self.pty else None,
            encoding=None, window=self.window)


class ProxyTest(ModTest):
    """A daemon whose listeners are marked proxy, with 127.0.0.1 (and a
    network that is not ours) in proxy_from, serving metrics."""

    proxy = True

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="strangerd-proxy-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.metrics_port = free_port()
        self.conf_path = os.path.join(self.tmp, "strangerd.conf")
        self.write_conf("127.0.0.1 10.9.0.0/16")
        self.daemon_args = ("-c", self.conf_path)
        ModTest.setUp(self)

    def write_conf(self, proxy_from):
        with open(self.conf_path, "w") as f:
            f.write("proxy_from %s\n"
                    "max_per_address 2\n"
                    "metrics_listen 127.0.0.1:%d\n" %
                    (proxy_from, self.metrics_port))

    def assertRefusedCount(self, n):
        """strangerd_refused_total{reason="proxy"} reaches n."""
        name = 'strangerd_refused_total{reason="proxy"} '
        value = lambda: sum(float(l.split()[1]) for l in
                            scrape(self.metrics_port).splitlines()
                            if l.startswith(name))
        self.assertTrue(poll(lambda: value() == n),
                        "%s is %s, want %d" % (name, value(), n))

    def balanced(self, header, source=BALANCER, port=None):
        return self._track(Balanced(port or self.port, header, source,
                                    name="via-%s" % source))

    def assertSessionFrom(self, addr):
        """strangerctl sessions lists a visitor at addr; its row."""
        rows = lambda: self.ctl("sessions", json_out=True)[1]
        found = poll(lambda: [r for r in rows() if r["address"] == addr])
        self.assertTrue(found, "no session from %s in %r" % (addr, rows()))
        return found[0]

    def assertDropped(self, c, says=None):
        """c is closed without a welcome or telnet negotiation: nothing
        but the line says, if given, was sent."""
        self.assertTrue(c.wait_closed(), "%s was not closed:\n%r" %
                        (c.name, c.received()))
        data = c.received()
        if says is None:
            self.assertEqual(data, b"")
        else:
            self.assertIn(says.encode(), data)
            self.assertEqual(len(data.splitlines()), 1, data)
        self.assertNotIn(b"\xff", data)		# no IAC: no negotiation


class TestProxyTelnet(ProxyTest):

    def test_v1_address_is_the_visitors(self):
        c = self.balanced(v1("198.51.100.7"))
        c.wait_for("Welcome")
        self.assertSessionFrom("198.51.100.7")
        self.assertIn("telnet from 198.51.100.7", self.daemon.log())

    def test_v2_address_is_the_visitors(self):
        c = self.balanced(v2("2001:db8::7", tlvs=b"\x02\x00\x04host"))
        c.wait_for("Welcome")
        self.assertSessionFrom("2001:db8::7")

    def test_header_in_pieces(self):
        """A header that arrives over several reads still counts, and
        the visitor's bytes right behind it are the visitor's."""
        h = v1("198.51.100.8")
        c = self.balanced([h[:9], h[9:20], h[20:] + b"\xff\xfb\x18"])
        c.wait_for("Welcome")
        self.assertSessionFrom("198.51.100.8")

    def test_local_is_the_balancer(self):
        """LOCAL (a health check) and UNKNOWN keep the connection's own
        address: with the balancer's address banned, they are refused
        as banned, while a visitor it relays is welcome."""
        c = self.balanced(v2(None))
        c.wait_for("Welcome")
        self.assertEqual(self.assertSessionFrom(BALANCER)["state"],
                         "welcome")
        self.ctl("ban", BALANCER)
        self.assertTrue(c.wait_closed(), c.text())
        for header in (v2(None), b"PROXY UNKNOWN\r\n"):
            self.assertDropped(self.balanced(header), "banned")
        self.balanced(v2("198.51.100.13")).wait_for("Welcome")
        self.assertSessionFrom("198.51.100.13")

    def test_banned_proxied_address_refused(self):
        self.ctl("ban", "198.51.100.66", "-r", "spam")
        c = self.balanced(v1("198.51.100.66"))
        self.assertDropped(c, "banned")
        self.assertIn("refused 198.51.100.66", self.daemon.log())
        # The balancer itself is not what was banned.
        self.balanced(v1("198.51.100.67")).wait_for("Welcome")

    def test_per_address_limit_is_the_visitors(self):
        """max_per_address 2 counts proxied addresses, not the
        balancer's: a third from one visitor is refused, another
        visitor through the same balancer is not."""
        for i in range(2):
            self.balanced(v1("198.51.100.9", 40000 + i)).wait_for("Welcome")
        c = self.balanced(v1("198.51.100.9", 40002))
        self.assertTrue(c.wait_closed(), c.text())
        self.assertIn("too many", c.text())
        self.balanced(v1("198.51.100.10")).wait_for("Welcome")

    def test_unlisted_source_refused(self):
        """A source not in proxy_from is refused even with a header."""
        c = self.balanced(v1("198.51.100.11"), source="127.0.0.9")
        self.assertDropped(c, "balancer")
        self.assertIn("refused 127.0.0.9", self.daemon.log())
        self.assertIn("not in proxy_from", self.daemon.log())
        self.assertRefusedCount(1)

    def test_reload_changes_proxy_from(self):
        """proxy_from is read at each connection: after SIGHUP a
        balancer taken off the list is refused, one put on it is let
        in."""
        self.balanced(v1("198.51.100.14")).wait_for("Welcome")
        self.write_conf("127.0.0.2")
        before = len(self.daemon.log())
        self.daemon.proc.send_signal(signal.SIGHUP)
        self.assertTrue(poll(lambda: "reloaded" in
                             self.daemon.log()[before:]),
                        self.daemon.log()[before:])
        self.assertDropped(self.balanced(v1("198.51.100.15")), "balancer")
        self.balanced(v1("198.51.100.16"), source="127.0.0.2").wait_for(
            "Welcome")
        self.assertSessionFrom("198.51.100.16")

    def test_no_header_dropped(self):
        """Without a header before the deadline the connection is
        dropped, and no telnet negotiation was ever sent."""
        c = self.balanced(b"")
        self.assertDropped(c)
        self.assertIn("no PROXY header in time", self.daemon.log())
        self.assertRefusedCount(1)

    def test_malformed_headers_refused(self):
        bad = [
            b"PROXY TCP4 198.51.100.12 127.0.0.1 1\r\n",
            b"PROXY TCP4 1.2.3.999 127.0.0.1 1 2\r\n",
            b"PROXY TCP4 198.51.100.12 127.0.0.1 1 2\n",
            b"PROXY " + b"x" * 120,
            b"\xff\xfd\x18",				# plain telnet
            V2_SIG + b"\x21\x12\x00\x0c" + b"\x01" * 12,	# UDP
            V2_SIG + b"\x21\x11\x00\x0c" + b"\x01" * 11,	# cut short
            V2_SIG + b"\x21\x11\x02\x20",		# longer than 536
            v2("198.51.100.12", tlvs=b"\x02\x00\x09ab"),	# TLV too long
        ]
        for h in bad:
            self.assertDropped(self.balanced(h))
        self.assertRefusedCount(len(bad))
        self.assertStaysUp(probe=False)
        self.assertNotIn("198.51.100.12", self.ctl("sessions")[1])


class TestProxySsh(ProxyTest, SshTest):

    def test_v1_over_ssh(self):
        c = self._track(ProxiedSsh(self.ssh_port,
                                   v1("203.0.113.5", dport=22),
                                   name="ssh-v1"))
        self.agree(c)
        self.assertSessionFrom("203.0.113.5")

    def test_v2_over_ssh(self):
        c = self._track(ProxiedSsh(self.ssh_port,
                                   v2("2001:db8::22", dport=22),
                                   name="ssh-v2"))
        self.agree(c)
        self.assertSessionFrom("2001:db8::22")

    def test_banned_proxied_address_refused_before_any_crypto(self):
        self.ctl("ban", "203.0.113.66")
        c = self.balanced(v2("203.0.113.66", dport=22), port=self.ssh_port)
        self.assertTrue(c.wait_closed(), "%s was not closed:\n%r" %
                        (c.name, c.received()))
        # Our version string and a DISCONNECT in the clear saying why
        # (ssh-refuse.c), which ssh shows; no key exchange offered.
        data = c.received()
        self.assertTrue(data.startswith(b"SSH-2.0-strangerd\r\n"), data)
        self.assertIn(b"banned", data)
        self.assertNotIn(b"curve25519", data)

    def test_no_header_no_banner(self):
        c = self.balanced(b"", port=self.ssh_port)
        self.assertDropped(c)


HAPROXY = shutil.which("haproxy")


@unittest.skipUnless(HAPROXY, "haproxy is not installed (make check "
                     "installs it)")
class TestHaproxy(ProxyTest, SshTest):
    """contrib/haproxy.cfg as shipped, with loopback addresses put in,
    in front of the daemon: visitors from other loopback addresses are
    seen as themselves, over telnet (v2) and SSH."""

    def setUp(self):
        ProxyTest.setUp(self)
        self.front_ssh, self.front_telnet = free_port(), free_port()
        with open(os.path.join(ROOT, "contrib", "haproxy.cfg")) as f:
            cfg = f.read()
        cfg = cfg.replace("bind :22", "bind 127.0.0.1:%d" %
                          self.front_ssh)
        cfg = cfg.replace("bind :23", "bind 127.0.0.1:%d" %
                          self.front_telnet)
        cfg = re.sub(r"10\.0\.0\.1[12]:2222", "127.0.0.1:%d" %
                     self.ssh_port, cfg)
        cfg = re.sub(r"10\.0\.0\.1[12]:2323", "127.0.0.1:%d" %
                     self.port, cfg)
        # No syslog here, and fewer descriptors than a server has.
        cfg = cfg.replace("log /dev/log local0", "")
        cfg = cfg.replace("maxconn 40000", "maxconn 1000")
        path = os.path.join(self.daemon.dir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        self.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", path],
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop_haproxy)
        self.assertTrue(poll(lambda: listening(self.front_ssh) and
                             listening(self.front_telnet), timeout=10),
                        "haproxy did not start")

    def stop_haproxy(self):
        self.haproxy.terminate()
        try:
            self.haproxy.wait(5)
        except subprocess.TimeoutExpired:
            self.haproxy.kill()
            self.haproxy.wait()

    def test_telnet_through_haproxy(self):
        c = self._track(Balanced(self.front_telnet, b"",
                                 source="127.0.0.77", name="visitor"))
        c.wait_for("Welcome")
        self.assertSessionFrom("127.0.0.77")

    def test_ssh_through_haproxy_and_a_ban(self):
        c = self._track(ProxiedSsh(self.front_ssh, b"", name="ssh-visitor",
                                   source="127.0.0.78"))
        self.agree(c)
        self.assertSessionFrom("127.0.0.78")
        self.ctl("ban", "127.0.0.79")
        c = self._track(Balanced(self.front_telnet, b"",
                                 source="127.0.0.79", name="banned"))
        self.assertTrue(c.wait_closed(), c.text())
        self.assertIn("banned", c.text())
