"""
A banned address learns why over SSH too.  The line sent before the
version string is not shown by OpenSSH, so the reason goes in an
SSH_MSG_DISCONNECT sent in the clear before key exchange, which ssh
prints; the refusal still happens at accept, before any crypto.
"""

import subprocess

from test_moderation import ModTest
from harness_ssh import SshTest, ssh_argv, ssh_env


class TestSshBanReason(ModTest, SshTest):

    def test_banned_ssh_visitor_reads_the_reason(self):
        self.ctl("ban", "127.0.0.77", "-r", "spamming links")
        p = subprocess.run(ssh_argv(self.ssh_port,
                                    args=["-b", "127.0.0.77", "-T"]),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           env=ssh_env(), timeout=20)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("banned", err)
        self.assertIn("spamming links", err)
        # Refused at accept: no session was ever started for it.
        self.assertNotIn("start ssh from 127.0.0.77", self.daemon.log())
        self.assertStaysUp()
