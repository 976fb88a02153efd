"""
make run prints the two commands to connect and honours SSH_PORT= and
TELNET_PORT= (and RUN_DIR=, so that this test leaves ./var alone): the
commands it prints reach the server it started.
"""

import os
import signal
import subprocess
import tempfile
import threading
import unittest

from harness import ROOT, Netcat, free_port, poll, listening


class TestMakeRun(unittest.TestCase):

    def test_ports_and_commands(self):
        ssh_port, telnet_port = free_port(), free_port()
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.Popen(
                ["make", "--no-print-directory", "run",
                 "SSH_PORT=%d" % ssh_port, "TELNET_PORT=%d" % telnet_port,
                 "RUN_DIR=%s" % os.path.join(tmp, "state")],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True)
            out = []
            t = threading.Thread(target=lambda: out.extend(p.stdout),
                                 daemon=True)
            t.start()
            try:
                self.assertTrue(poll(lambda: listening(telnet_port) and
                                     listening(ssh_port), timeout=120),
                                b"".join(out).decode())
                c = Netcat(telnet_port)
                try:
                    c.wait_for("Welcome")
                finally:
                    c.close()
            finally:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
            t.join(5)
            text = b"".join(out).decode()
            self.assertIn("ssh -p %d localhost" % ssh_port, text)
            self.assertIn("telnet localhost %d" % telnet_port, text)
            self.assertTrue(os.path.isdir(os.path.join(tmp, "state")))
