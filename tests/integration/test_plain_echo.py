"""
A terminal without cursor addressing (TERM=dumb) gets plain lines, and
its client does not echo: telnet agreed to WILL ECHO, an SSH pty is in
raw mode.  So the daemon echoes the input line itself, keeps it below
the stranger's lines, and shows what was sent as "You: ...".  netcat
and ssh without a pty echo locally and get no second copy.
"""

import time

from harness import DaemonTest
from harness_ssh import SshTest


class EchoChecks:

    def last_row(self, c):
        rows = [r.rstrip() for r in c.lines() if r.strip()]
        return rows[-1] if rows else ""

    def check_echo(self, a, b):
        a.send(b"helxy")
        a.wait_for("helxy")
        a.send(b"\x7f\x7flo")			# Backspace twice, then "lo"
        self.assertTrue(self.wait_row(a, "hello"), a.describe())
        # A line from the stranger comes above what is being typed.
        b.type_line("a line from b")
        a.wait_for("Stranger: a line from b")
        self.assertTrue(self.wait_row(a, "hello"), a.describe())
        a.send(b" there\r")
        a.wait_for("You: hello there")
        b.wait_for("Stranger: hello there")
        self.assertNotIn("\x1b", a.received().decode("utf-8", "replace"))

    def wait_row(self, c, text, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.last_row(c) == text:
                return True
            time.sleep(0.05)
        return False


class TestDumbTelnet(DaemonTest, EchoChecks):

    def test_typing_and_sent_lines_are_seen(self):
        a = self.pty(term="dumb")
        a.wait_for("Press Enter")
        a.send(b"\r")
        a.wait_for("Looking for a stranger")
        b = self.visitor("raw")
        a.wait_for("Connected to a stranger")
        self.check_echo(a, b)

    def test_netcat_is_not_echoed(self):
        a = self.nc()
        a.wait_for("Press Enter")
        a.send(b"\n")
        a.wait_for("Looking for a stranger")
        a.send(b"xyzzy")
        time.sleep(0.5)
        self.assertNotIn(b"xyzzy", a.received())


class TestDumbSsh(SshTest, EchoChecks):

    def test_typing_and_sent_lines_are_seen(self):
        a = self.ssh_pty(term="dumb", name="dumb")
        a.wait_for("Press Enter")
        a.send(b"\r")
        a.wait_for("Looking for a stranger")
        b = self.ssh_visitor(name="b")
        a.wait_for("Connected to a stranger")
        self.check_echo(a, b)
