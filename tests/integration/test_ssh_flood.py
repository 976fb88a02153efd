"""SSH protocol bytes against the limits (issue 14 finding 1, the SSH
side): every byte read from a client counts against its input rate,
whatever packet it is in, and every byte read while output for it
waits counts against its output cap, whoever answers it."""

import socket
import struct
import time

from asyncssh.packet import String

from harness import SANITIZED, new_source, poll, scaled
from test_limits import LimitTest

MSG_IGNORE = 2
MSG_UNKNOWN = 200	# answered by libssh itself: SSH_MSG_UNIMPLEMENTED


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



class TestSshUnreadAnswers(LimitTest):
    """A client that never reads and sends packets libssh answers by
    itself (SSH_MSG_UNIMPLEMENTED to an unknown message number, here
    before key exchange, so in the clear and as fast as it can) makes
    libssh queue the answers in a buffer of its own, which the output
    cap of ssh_conn_write() never sees: before the fix the daemon grew
    by about a megabyte per megabyte sent until the login grace time
    ran out.  Whatever a client sends while output for it waits counts
    against output_queue_max, and the connection ends there.  The cap
    is low (16 KiB, the default is 256 KiB), the grace time long."""

    conf = {"output_queue_max": "16k", "ssh_login_grace": "600s"}

    def test_unread_answers_end_the_connection(self):
        rss = self.daemon.rss()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((new_source(), 0))
        s.connect(("127.0.0.1", self.ssh_port))
        self.addCleanup(s.close)
        s.sendall(b"SSH-2.0-unread\r\n")
        # Unencrypted: length 12, padding 10, the message number, padding.
        packets = struct.pack(">IBB10x", 12, 10, MSG_UNKNOWN) * 4096
        reason = "output queue full (the client does not read)"
        s.setblocking(False)
        sent = 0
        deadline = time.monotonic() + scaled(20)
        while reason not in self.daemon.log() and sent < 64 << 20 and \
                time.monotonic() < deadline:
            try:
                sent += s.send(packets)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:		# reset: the daemon let go
                break
        self.assertTrue(poll(lambda: reason in self.daemon.log()),
                        "%d bytes sent, daemon grew by %d KiB" %
                        (sent, self.daemon.rss() - rss))
        self.assertMetric("strangerd_output_queue_drops_total", 1)
        if not SANITIZED:		# shadow memory is not ours
            self.assertLess(self.daemon.rss() - rss, 8 * 1024,
                            "%d bytes sent" % sent)
        self.assertStaysUp()
