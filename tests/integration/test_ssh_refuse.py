"""What the SSH front end refuses: commands, subsystems (sftp, scp), port
forwarding of every kind.  Each ends promptly with a non-zero exit."""

import subprocess
import time

from harness_ssh import SshTest, ssh_argv, ssh_env, SSH_BASE_OPTS

# A refusal must come well before the 20 s login grace time.
PROMPT = 5


class TestSshRefuse(SshTest):

    def run_client(self, argv, timeout=PROMPT):
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               capture_output=True, env=ssh_env(),
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail("%s hung for %ss\n%s" % (argv, timeout,
                                                self.daemon.log()[-2000:]))
        return p, time.monotonic() - t0

    def test_exec_gets_one_line_and_exit_1(self):
        p, took = self.run_client(ssh_argv(self.ssh_port, command="ls /"))
        self.assertEqual(p.returncode, 1, p)
        self.assertEqual(p.stdout, b"")
        err = p.stderr.decode()
        self.assertIn("strangerd is a chat", err)
        self.assertIn("without a command", err)
        self.assertEqual(err.strip().count("\n"), 0, err)
        self.assertLess(took, 2)
        self.assertStaysUp()

    def test_exec_with_forced_tty(self):
        p, _ = self.run_client(ssh_argv(self.ssh_port, args=["-tt"],
                                        command="id"))
        self.assertEqual(p.returncode, 1, p)
        self.assertIn(b"strangerd is a chat", p.stdout + p.stderr)

    def test_asyncssh_exec(self):
        c = self.ssh_async(pty=False, command="uname -a")
        self.assertTrue(c.wait_closed(), "exec channel not closed")
        self.assertEqual(c.exit_status, 1)
        self.assertIn(b"strangerd is a chat", c.stderr)
        self.assertEqual(c.received(), b"")

    def test_sftp_refused(self):
        argv = ["/usr/bin/sftp", "-P", str(self.ssh_port)] + \
            SSH_BASE_OPTS + ["-o", "PubkeyAuthentication=no",
                             "visitor@127.0.0.1"]
        p, _ = self.run_client(argv)
        self.assertNotEqual(p.returncode, 0, p)
        # One line that says why, not "subsystem request failed".
        self.assertIn(b"strangerd is a chat: no file transfer", p.stderr,
                      p)
        self.assertStaysUp()

    def test_scp_refused(self):
        src = self.daemon.logpath
        for extra in ([], ["-O"]):		# sftp protocol, then legacy scp
            argv = ["/usr/bin/scp"] + extra + ["-P", str(self.ssh_port)] + \
                SSH_BASE_OPTS + ["-o", "PubkeyAuthentication=no", src,
                                 "visitor@127.0.0.1:/tmp/strangerd-scp"]
            p, _ = self.run_client(argv)
            self.assertNotEqual(p.returncode, 0, (extra, p))
            self.assertIn(b"strangerd is a chat", p.stderr, (extra, p))

    def test_subsystem_refused(self):
        p, _ = self.run_client(ssh_argv(self.ssh_port, args=["-s"],
                                        command="sftp"))
        self.assertNotEqual(p.returncode, 0, p)

    def test_stdio_forward_refused(self):
        p, _ = self.run_client(ssh_argv(self.ssh_port,
                                        args=["-W", "127.0.0.1:%d" %
                                              self.port]))
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn(b"forwarding failed", p.stderr)

    def test_remote_forward_refused(self):
        p, _ = self.run_client(ssh_argv(
            self.ssh_port, args=["-N", "-o", "ExitOnForwardFailure=yes",
                                 "-R", "0:127.0.0.1:%d" % self.port]))
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn(b"forwarding failed", p.stderr)

    def test_local_forward_refused(self):
        # ssh -L opens direct-tcpip channels when something connects; the
        # chat goes on, the forwarded connection is refused.
        from harness import free_port
        import socket
        lport = free_port()
        c = self.ssh_pty(args=["-L", "%d:127.0.0.1:%d" % (lport, self.port)])
        c.wait_for("Press Enter")
        s = socket.create_connection(("127.0.0.1", lport), 5)
        s.settimeout(5)
        try:
            got = s.recv(100)	# ssh closes it when the open fails
        except OSError:
            got = b""
        s.close()
        self.assertNotIn(b"Welcome", got)
        self.agree(c)
        c.wait_for("looking for a stranger")

    def test_direct_tcpip_refused_asyncssh(self):
        c = self.ssh_async()
        c.wait_for("Press Enter")

        async def fwd():
            try:
                await c.conn.open_connection("127.0.0.1", self.port)
            except Exception as e:
                return e
            return None

        err = c.run(fwd())
        self.assertIsNotNone(err, "direct-tcpip was accepted")
        # The chat channel is unharmed.
        self.agree(c)
        c.wait_for("looking for a stranger")

    def test_env_agent_x11_refused_but_shell_works(self):
        c = self.ssh_pty(args=["-A", "-X", "-o", "SendEnv=LANG",
                               "-o", "ForwardX11Trusted=no"])
        self.agree(c)
        c.wait_for("looking for a stranger")

    def test_one_shell_exec_or_subsystem_per_channel(self):
        # After the shell, another shell, an exec or a subsystem on the
        # same channel is refused, and the chat goes on.
        from asyncssh.packet import String
        c = self.ssh_async()
        c.wait_for("Press Enter")
        for req, args in ((b"shell", ()), (b"exec", (String(b"ls"),)),
                          (b"subsystem", (String(b"sftp"),))):
            ok = c.run(c.chan._make_request(req, *args))
            self.assertFalse(ok, "%s after the shell was accepted" % req)
        self.agree(c)
        c.wait_for("looking for a stranger")
        self.assertFalse(c.closed)


if __name__ == "__main__":
    import unittest
    unittest.main()
