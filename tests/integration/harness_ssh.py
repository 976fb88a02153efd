"""The SSH half of the integration harness: OpenSSH's ssh in a pty
(PtySsh) and asyncssh (AsyncSsh) as clients, key pairs, and SshTest, a
DaemonTest with an SSH listener.  Every test that speaks SSH imports it
from here."""

import asyncio
import os
import re
import subprocess
import threading
import time
import warnings

from harness import DaemonTest, PtyClient, ScreenClient, TIMEOUT

with warnings.catch_warnings():
    # Debian's cryptography warns about ciphers asyncssh merely imports.
    warnings.simplefilter("ignore")
    import asyncssh

SSH = "/usr/bin/ssh"
SSH_KEYGEN = "/usr/bin/ssh-keygen"

# No user configuration, no agent, no known_hosts: only what we pass.
SSH_BASE_OPTS = [
    "-F", "/dev/null",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    "-o", "IdentitiesOnly=yes",
    "-o", "IdentityAgent=none",
    "-o", "ConnectTimeout=5",
]


def ssh_env(term="xterm-256color"):
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)
    env["TERM"] = term
    return env


def ssh_argv(port, key=None, args=(), command=None):
    """argv for OpenSSH's ssh to the daemon; key None: no publickey."""
    argv = [SSH, "-p", str(port)] + SSH_BASE_OPTS
    if key is None:
        argv += ["-o", "PubkeyAuthentication=no"]
    else:
        argv += ["-i", key]
    argv += list(args) + ["visitor@127.0.0.1"]
    if command is not None:
        argv.append(command)
    return argv


def make_key(directory, name="id_ed25519"):
    """A new ed25519 key pair; returns (path, SHA256 fingerprint)."""
    path = os.path.join(directory, name)
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C",
                    "test", "-f", path], check=True)
    out = subprocess.run([SSH_KEYGEN, "-l", "-E", "sha256", "-f",
                          path + ".pub"], check=True,
                         capture_output=True, text=True).stdout
    return path, out.split()[1]


class PtySsh(PtyClient):
    """OpenSSH's ssh in a pseudo-terminal of cols x rows: it sends
    pty-req with TERM and the size, and window-change on SIGWINCH."""

    name = "ssh"

    def __init__(self, port, cols=80, rows=24, term="xterm-256color",
                 key=None, args=(), name=None):
        PtyClient.__init__(self, ssh_argv(port, key, args), ssh_env(term),
                           cols, rows, name)


class _NoKeyClient(asyncssh.SSHClient):
    """Answers keyboard-interactive with nothing: there are no questions."""

    def kbdint_auth_requested(self):
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        return [""] * len(prompts)


class _Session(asyncssh.SSHClientSession):

    def __init__(self, client):
        self.client = client

    def data_received(self, data, datatype):
        if datatype == asyncssh.EXTENDED_DATA_STDERR:
            self.client.stderr += data
        else:
            self.client._received(data)

    def exit_status_received(self, status):
        self.client.exit_status = status

    def connection_lost(self, exc):
        self.client.closed = True


class AsyncSsh(ScreenClient):
    """An asyncssh client on its own event loop thread.  pty=False asks
    for no pty (plain line mode); keys are asyncssh key objects or paths
    to offer; command runs an exec request instead of a shell."""

    name = "asyncssh"

    def __init__(self, port, cols=80, rows=24, term="xterm-256color",
                 keys=(), pty=True, command=None, name=None, connect=True,
                 window=2 * 1024 * 1024):
        ScreenClient.__init__(self, cols, rows)
        if name:
            self.name = name
        self.port = port
        self.pty = pty
        self.stderr = b""
        self.window = window		# our channel window: how much
        self.exit_status = None		# the daemon may send unread
        self.conn = None
        self.chan = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever,
                                       daemon=True)
        self.thread.start()
        if connect:
            self.run(self._connect(list(keys), term, command))

    def run(self, coro, timeout=TIMEOUT):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(
            timeout)

    async def _connect(self, keys, term, command):
        self.conn = await asyncssh.connect(
            "127.0.0.1", self.port, username="visitor", known_hosts=None,
            client_keys=keys, agent_path=None, config=[],
            client_factory=_NoKeyClient)
        self.chan, _ = await self.conn.create_session(
            lambda: _Session(self), command,
            term_type=term if self.pty else None,
            term_size=(self.cols, self.rows) if self.pty else None,
            encoding=None, window=self.window)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.loop.call_soon_threadsafe(self.chan.write, data)

    def type_line(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8")
        self.send(text + (b"\r" if self.pty else b"\n"))

    def resize(self, cols, rows):
        """Send window-change."""
        self._resize_screen(cols, rows)
        self.loop.call_soon_threadsafe(self.chan.change_terminal_size,
                                       cols, rows)

    def view(self):
        return self.screen_text() if self.pty else self.text()

    def describe(self):
        return ScreenClient.describe(self) if self.pty else \
            self.text()[-3000:]

    def close(self):
        if self.conn is not None:
            self.loop.call_soon_threadsafe(self.conn.close)
            time.sleep(0.05)
        self.loop.call_soon_threadsafe(self.loop.stop)


class SshTest(DaemonTest):
    """A daemon with both an SSH and a telnet listener."""

    ssh = True

    def ssh_pty(self, cols=80, rows=24, term="xterm-256color", key=None,
                args=(), name=None):
        return self._track(PtySsh(self.ssh_port, cols, rows, term, key, args,
                                  name=name or "ssh%d" % len(self.clients)))

    def ssh_async(self, name=None, **kw):
        return self._track(AsyncSsh(self.ssh_port, name=name or
                                    "asyncssh%d" % len(self.clients), **kw))

    def ssh_visitor(self, kind="ssh_pty", **kw):
        c = getattr(self, kind)(**kw)
        self.agree(c)
        c.wait_for("looking for a stranger")
        return c

    def tmpdir(self):
        return self.daemon.dir

    def log_lines(self, pattern):
        return [l for l in self.daemon.log().splitlines()
                if re.search(pattern, l)]
