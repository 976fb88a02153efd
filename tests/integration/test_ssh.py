"""SSH visitors: OpenSSH's ssh in a pty and asyncssh, chatting with each
other and with telnet visitors, resizing, logging in with and without a
key.  The SSH clients are in harness_ssh.py."""

import os
import re
import subprocess
import time

from harness import poll
from harness_ssh import SSH_KEYGEN, AsyncSsh, SshTest, asyncssh, make_key

class TestSshChat(SshTest):

    def test_ssh_pair_chats_both_ways(self):
        a = self.ssh_visitor(name="ssh-a")
        b = self.ssh_visitor(name="ssh-b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.assertChat(a, b, "hello from a over ssh")
        self.assertChat(b, a, "and hello back from b")
        a.type_line("/quit")
        self.assertTrue(a.wait_exit(), "ssh did not exit after /quit:\n" +
                        a.describe())
        b.wait_for("The stranger left")

    def test_ssh_and_telnet_pair(self):
        a = self.ssh_visitor(name="ssh")
        t = self.visitor("pty", name="telnet")
        a.wait_for("connected to a stranger")
        t.wait_for("connected to a stranger")
        self.assertChat(a, t, "ssh says hi")
        self.assertChat(t, a, "telnet says hi")
        t.close()
        a.wait_for("The stranger left")

    def test_asyncssh_and_openssh_pair(self):
        a = self.ssh_visitor("ssh_async", name="asyncssh")
        b = self.ssh_visitor(name="openssh")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.assertChat(a, b, "from asyncssh")
        self.assertChat(b, a, "from openssh")

    def test_no_pty_gets_plain_line_mode(self):
        a = self.ssh_async(pty=False, name="nopty")
        a.wait_for("Press Enter")
        # No cursor addressing or screen clearing without a pty.
        self.assertNotIn(b"\x1b[H", a.received())
        self.assertNotIn(b"\x1b[2J", a.received())
        a.send(b"\n")
        a.wait_for("looking for a stranger")
        b = self.ssh_visitor(name="ssh")
        a.wait_for("connected to a stranger")
        self.assertChat(b, a, "to the plain one")
        a.type_line("from the plain one")
        b.wait_for("Stranger: from the plain one")

    def test_window_change_resizes(self):
        a = self.ssh_visitor(cols=80, rows=24)
        self.ssh_visitor(name="partner")
        a.wait_for("connected to a stranger")
        a.resize(100, 30)
        self.assertTrue(poll(lambda: len(a.row(0)) > 90),
                        "status line not redrawn at 100 columns:\n" +
                        a.describe())
        a.type_line("x" * 90)
        # At 100 columns the 90 characters fit on one line after "You: ".
        a.wait_for("You: " + "x" * 90)
        a.resize(40, 12)
        a.wait_for("connected to a stranger", msg="after shrinking")
        self.assertEqual(len(a.lines()), 12)
        self.assertDaemonUp()

    def test_asyncssh_window_change(self):
        a = self.ssh_visitor("ssh_async", cols=80, rows=24)
        self.ssh_visitor(name="partner")
        a.wait_for("connected to a stranger")
        a.resize(120, 40)
        self.assertTrue(poll(lambda: len(a.row(0)) > 110),
                        "status line not redrawn at 120 columns:\n" +
                        a.describe())
        a.type_line("y" * 100)
        a.wait_for("You: " + "y" * 100)
        # A huge size is clamped, not honoured.
        rss = self.daemon.rss()
        a.resize(100000, 100000)
        time.sleep(0.5)
        self.assertDaemonUp()
        self.assertLess(self.daemon.rss() - rss, 20000)


class TestSshAuth(SshTest):

    def test_login_without_key(self):
        a = self.ssh_pty()
        a.wait_for("Press Enter")
        self.assertTrue(poll(lambda: self.log_lines(r"ssh without a key")),
                        self.daemon.log())

    def test_login_with_key_records_fingerprint(self):
        key, fp = make_key(self.tmpdir())
        a = self.ssh_pty(key=key)
        a.wait_for("Press Enter")
        lines = poll(lambda: self.log_lines(re.escape(fp)))
        self.assertTrue(lines, "fingerprint %s not logged:\n%s" %
                        (fp, self.daemon.log()))
        # The partner never sees it.
        self.agree(a)
        b = self.ssh_visitor(name="partner")
        b.wait_for("connected to a stranger")
        self.assertNotIn(fp.split(":")[1][:12], b.text())

    def test_asyncssh_key_login(self):
        key = asyncssh.generate_private_key("ssh-ed25519")
        fp = key.get_fingerprint("sha256")
        a = self.ssh_async(keys=[key])
        a.wait_for("Press Enter")
        self.assertTrue(poll(lambda: self.log_lines(re.escape(fp))),
                        self.daemon.log())

    def test_key_without_private_half_is_not_identity(self):
        # OpenSSH offers the public key (the probe), is told it would do,
        # then cannot sign and falls back to keyboard-interactive.
        key, fp = make_key(self.tmpdir(), "only_pub")
        os.unlink(key)
        os.rename(key + ".pub", key)
        os.chmod(key, 0o600)
        a = self.ssh_pty(key=key)
        a.wait_for("Press Enter")
        self.assertTrue(poll(lambda: self.log_lines(r"ssh without a key")),
                        self.daemon.log())
        self.assertNotIn(fp, self.daemon.log())

    def test_wrong_signature_is_not_identity(self):
        # Offers key A's public half but signs with key B.  libssh 0.10
        # drops such a request without an answer, so the client waits
        # (until the login grace time); it must never get in as A.
        from asyncssh.public_key import SSHLocalKeyPair

        a_key = asyncssh.generate_private_key("ssh-ed25519")
        b_key = asyncssh.generate_private_key("ssh-ed25519")
        fp = a_key.get_fingerprint("sha256")

        class Liar(SSHLocalKeyPair):
            def __init__(self):
                super().__init__(b_key)
                self.public_data = a_key.public_data

        c = AsyncSsh(self.ssh_port, connect=False, name="liar")
        self._track(c)
        try:
            c.run(c._connect([Liar()], "xterm", None), timeout=3)
            got_in = True
        except Exception:
            got_in = False
        time.sleep(0.2)
        self.assertNotIn(fp, self.daemon.log())
        if got_in:
            self.assertTrue(self.log_lines(r"ssh without a key"),
                            self.daemon.log())
        # Everyone else still gets in meanwhile.
        a = self.ssh_pty()
        a.wait_for("Press Enter")

    def test_host_key_is_kept_and_private(self):
        path = os.path.join(self.daemon.statedir, "ssh_host_ed25519_key")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        logged = self.log_lines(r"SSH host key SHA256:")
        self.assertTrue(logged, self.daemon.log())
        out = subprocess.run([SSH_KEYGEN, "-l", "-E", "sha256", "-f",
                              path + ".pub"], capture_output=True,
                             text=True, check=True).stdout
        self.assertIn(out.split()[1], logged[0])
        # The key clients see is that one.
        scan = subprocess.run(
            ["/usr/bin/ssh-keyscan", "-t", "ed25519", "-p",
             str(self.ssh_port), "127.0.0.1"], capture_output=True,
            text=True, timeout=10).stdout
        self.assertIn(open(path + ".pub").read().split()[1], scan)
        # Restarting reuses it.
        with open(path, "rb") as f:
            before = f.read()
        self.daemon.terminate()
        d2 = type(self.daemon)(2, ["-d", self.daemon.statedir], ssh=True)
        self.addCleanup(d2.cleanup)
        d2.start()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertIn(out.split()[1], d2.log())
        d2.terminate()


if __name__ == "__main__":
    import unittest
    unittest.main()
