"""SSH protocol bytes against the limits (issue 14 finding 1, the SSH
side): every byte read from a client counts against its input rate,
whatever packet it is in."""

from asyncssh.packet import String

from harness import poll
from test_limits import LimitTest

MSG_IGNORE = 2


class SshFloodTest(LimitTest):

    def flood(self, c, pkttype, payload, count):
        """count packets of pkttype sent from the client's loop."""
        def send():
            for _ in range(count):
                if c.conn._transport is None or \
                        c.conn._transport.is_closing():
                    return
                c.conn.send_packet(pkttype, payload)
        c.loop.call_soon_threadsafe(send)

    def assertEnded(self, c, reason):
        ok = poll(lambda: ": end ssh from" in self.daemon.log() and
                  reason in self.daemon.log(), timeout=20)
        self.assertTrue(ok, "not ended (%s):\n%s" %
                        (reason, self.daemon.log()[-2000:]))


class TestSshIgnoreFlood(SshFloodTest):
    """Megabytes of SSH_MSG_IGNORE reach no session as typing, and are
    read all the same: they count against flood_input_rate."""

    def test_ignore_flood_is_an_input_flood(self):
        c = self.ssh_async()
        c.wait_for("Press Enter")
        # 4 MiB against a burst of 64 KiB and 16 KiB/s.
        self.flood(c, MSG_IGNORE, String(b"x" * 8192), 512)
        self.assertEnded(c, "input flood")
        self.assertStaysUp()
