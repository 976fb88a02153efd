"""Operations: the configuration file and its errors, -n and -T, a
SIGHUP reload that changes a limit live, the metrics endpoint after a
scripted chat, make install DESTDIR=..., and the privilege drop of a
daemon started as root."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from harness import (DAEMON, ROOT, TIMEOUT, DaemonTest, Netcat, free_port,
                     listening, poll)

MAN_CONF = os.path.join(ROOT, "man", "strangerd.conf.5")
MAN_8 = os.path.join(ROOT, "man", "strangerd.8")
EXAMPLE = os.path.join(ROOT, "contrib", "strangerd.conf")
UNIT = os.path.join(ROOT, "contrib", "strangerd.service")


def run(*args, **kw):
    """Run strangerd with args; (exit status, stdout, stderr)."""
    p = subprocess.run([DAEMON] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def dump_keywords(text):
    """{keyword: [values]} from -T output."""
    out = {}
    for line in text.splitlines():
        k, v = line.split(None, 1)
        out.setdefault(k, []).append(v)
    return out


class TmpDir(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="strangerd-ops-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def conf(self, text, name="strangerd.conf"):
        return write(os.path.join(self.tmp, name), text)


class TestConfigErrors(TmpDir):
    """A bad file stops the start with FILE:LINE: why."""

    def assertRejected(self, text, line, why, *extra):
        path = self.conf(text)
        for args in (("-n",), ("-f", "-d", os.path.join(self.tmp, "st"),
                               "-s", "none", "-t",
                               "127.0.0.1:%d" % free_port())):
            rc, out, err = run(*(args + ("-c", path) + extra))
            self.assertEqual(rc, 1, "%s %s: %s" % (args, text, err))
            self.assertIn("%s:%d: %s" % (path, line, why), err)

    def test_unknown_keyword(self):
        self.assertRejected("# comment\n\nmax_sessions 5\nmax_sesions 6\n",
                            4, 'unknown keyword "max_sesions"')

    def test_bad_number(self):
        self.assertRejected("workers 2\nmax_sessions lots\n", 2,
                            'max_sessions: "lots" is not a whole number')

    def test_out_of_range(self):
        self.assertRejected("escape_timeout 10s\n", 1,
                            "escape_timeout: 10s is out of range")

    def test_bad_duration_and_size(self):
        self.assertRejected("idle_chat ten\n", 1,
                            'idle_chat: "ten" is not a duration')
        self.assertRejected("output_queue_max 12q\n", 1,
                            'output_queue_max: "12q" is not a size')

    def test_missing_and_extra_values(self):
        self.assertRejected("user\n", 1, "user needs a value")
        self.assertRejected("\n\nuser a b\n", 3,
                            'user takes one value, not "a b"')

    def test_duplicate(self):
        self.assertRejected("idle_chat 1m\nidle_chat 2m\n", 2,
                            "idle_chat is already set at line 1")

    def test_bad_address(self):
        self.assertRejected("telnet_listen chat.example.org:23\n", 1,
                            "telnet_listen chat.example.org:23: not a "
                            "numeric address")

    def test_bad_file_leaves_nothing_listening(self):
        port = free_port()
        path = self.conf("telnet_listen 127.0.0.1:%d\nbogus 1\n" % port)
        rc, out, err = run("-f", "-c", path, "-d",
                           os.path.join(self.tmp, "st"), "-s", "none")
        self.assertEqual(rc, 1)
        self.assertFalse(listening(port))

    def test_missing_file(self):
        rc, out, err = run("-n", "-c", os.path.join(self.tmp, "nope.conf"))
        self.assertEqual(rc, 1)
        self.assertIn("nope.conf: No such file or directory", err)

    def test_command_line_values_are_checked(self):
        rc, out, err = run("-n", "-c", self.conf(""), "-w", "65")
        self.assertEqual(rc, 1)
        self.assertIn("workers: 65 is out of range (0 to 64)", err)


class TestCheckAndDump(TmpDir):
    """-n checks and exits 0; -T prints what is in force."""

    def test_good_file(self):
        path = self.conf("# a comment\nmax_sessions 50   # fifty\n"
                         "telnet_listen 127.0.0.1:2323\nssh_listen none\n"
                         "idle_chat 1h\n")
        rc, out, err = run("-n", "-c", path)
        self.assertEqual((rc, out, err), (0, "", ""))
        rc, out, err = run("-T", "-c", path)
        self.assertEqual(rc, 0, err)
        kw = dump_keywords(out)
        self.assertEqual(kw["max_sessions"], ["50"])
        self.assertEqual(kw["idle_chat"], ["1h"])
        self.assertEqual(kw["telnet_listen"], ["127.0.0.1:2323"])
        self.assertEqual(kw["ssh_listen"], ["none"])

    def test_command_line_overrides_file(self):
        path = self.conf("telnet_listen 127.0.0.1:2323\nworkers 2\n")
        rc, out, err = run("-T", "-c", path, "-t", "[::1]:9", "-w", "3")
        kw = dump_keywords(out)
        self.assertEqual(kw["telnet_listen"], ["[::1]:9"])
        self.assertEqual(kw["workers"], ["3"])

    def test_dump_parses_back(self):
        rc, out, err = run("-T", "-c", self.conf("max_sessions 9\n"))
        again = self.conf(out, "again.conf")
        rc2, out2, err2 = run("-T", "-c", again)
        self.assertEqual(rc2, 0, err2)
        self.assertEqual(out, out2)

    def test_dump_masks_passwords(self):
        """-T shows the store and cluster URIs without their passwords,
        and what it prints still parses and dumps the same."""
        path = self.conf(
            "store postgresql://alice:s3cr3t-pg@db.example:5432/chat"
            "?sslmode=require&password=0th3r-pg\n"
            "cluster redis://bob:r3d@s-pw@127.0.0.1:6379\n")
        rc, out, err = run("-T", "-c", path)
        self.assertEqual(rc, 0, err)
        for secret in ("s3cr3t", "0th3r", "r3d", "s-pw"):
            self.assertNotIn(secret, out)
        kw = dump_keywords(out)
        self.assertEqual(kw["store"], [
            "postgresql://alice:********@db.example:5432/chat"
            "?sslmode=require&password=********"])
        self.assertEqual(kw["cluster"],
                         ["redis://bob:********@127.0.0.1:6379"])
        rc2, out2, err2 = run("-T", "-c", self.conf(out, "again.conf"))
        self.assertEqual((rc2, out2), (0, out), err2)

    def test_store_error_masks_password(self):
        """libpq quotes the URI token it cannot decode: the log line
        that says the store could not be opened masks the password."""
        # A token it cannot decode, and a '/' that makes it read a
        # piece of the password as the port.
        for uri in ("postgresql://alice:s3cr%zz3t@127.0.0.1:1/chat",
                    "postgresql://alice:s3cr/3t@127.0.0.1:1/chat"):
            path = self.conf("store %s\n" % uri)
            rc, out, err = run("-f", "-c", path, "-d",
                               os.path.join(self.tmp, "st"), "-s", "none",
                               "-t", "127.0.0.1:%d" % free_port())
            self.assertEqual(rc, 1, err)
            self.assertIn("cannot open the store", err)
            self.assertIn("********", err)
            self.assertNotIn("s3cr", err)

    def test_error_does_not_quote_passwords(self):
        """A store or cluster line that the parser refuses is not
        quoted back: it may hold a password."""
        for line in ("store postgresql://alice:s3cr 3t@h/chat",
                     "cluster redis://bob:s3cr 3t@127.0.0.1:6379"):
            path = self.conf(line + "\n")
            rc, out, err = run("-n", "-c", path)
            self.assertEqual(rc, 1, err)
            self.assertIn(":1: %s takes one value" % line.split()[0], err)
            self.assertNotIn("s3cr", err)
            self.assertNotIn("3t@", err)

    def test_example_shows_the_defaults(self):
        """contrib/strangerd.conf parses, and uncommenting every keyword
        line in it changes nothing: each shows its default."""
        rc, out, err = run("-n", "-c", EXAMPLE)
        self.assertEqual(rc, 0, err)
        with open(EXAMPLE) as f:
            text = re.sub(r"(?m)^#([a-z_]+\s)", r"\1", f.read())
        rc, out, err = run("-T", "-c", self.conf(text))
        self.assertEqual(rc, 0, err)
        rc, defaults, err = run("-T", "-c", self.conf("", "empty.conf"))
        self.assertEqual(out, defaults)

    def test_every_keyword_is_documented(self):
        rc, out, err = run("-T", "-c", self.conf(""))
        with open(MAN_CONF) as f:
            man = f.read()
        with open(EXAMPLE) as f:
            example = f.read()
        for k in dump_keywords(out):
            self.assertTrue(".It Ic %s " % k in man,
                            "%s not in strangerd.conf.5" % k)
            self.assertRegex(example, r"(?m)^#?%s\s" % k,
                             "%s not in contrib/strangerd.conf" % k)

    def test_usage_matches_the_manual(self):
        rc, out, err = run("-h")
        self.assertEqual(rc, 1)
        m = re.search(r"usage: strangerd \[-(\w+)\]", err)
        self.assertIsNotNone(m, err)
        with open(MAN_8) as f:
            man = f.read()
        syn = man[man.index(".Sh SYNOPSIS"):man.index(".Sh DESCRIPTION")]
        flags = re.search(r"\.Op Fl (\w+)\n", syn).group(1)
        self.assertEqual(sorted(m.group(1)), sorted(flags))
        for opt in re.findall(r"\[-(\w) ", err):
            self.assertIn(".Op Fl %s " % opt, syn)
            self.assertIn(".It Fl %s " % opt, man)
        for opt in m.group(1):
            self.assertRegex(man, r"\.It Fl %s\b" % opt)


class ConfTest(DaemonTest):
    """A daemon started with -c FILE; conf_text is the file."""

    conf_text = ""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="strangerd-ops-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.conf_path = os.path.join(self.tmp, "strangerd.conf")
        write(self.conf_path, self.prepare())
        self.daemon_args = ("-c", self.conf_path)
        DaemonTest.setUp(self)

    def prepare(self):
        return self.conf_text

    def rewrite(self, text):
        write(self.conf_path, text)

    def hup_and_wait(self, pattern):
        """SIGHUP, then wait for a log line matching pattern."""
        before = len(self.daemon.log())
        self.daemon.proc.send_signal(signal.SIGHUP)
        found = poll(lambda: re.search(pattern, self.daemon.log()[before:]))
        self.assertTrue(found, "no %r after SIGHUP:\n%s" %
                        (pattern, self.daemon.log()[before:]))
        return self.daemon.log()[before:]

    def refused(self):
        """Connect; the bytes received before the daemon closed."""
        s = socket.create_connection(("127.0.0.1", self.port), TIMEOUT)
        s.settimeout(TIMEOUT)
        data = b""
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
                if b"Welcome" in data or b"\xff" in data:
                    break		# admitted: the daemon talks telnet
        finally:
            s.close()
        return data


class TestReload(ConfTest):
    """SIGHUP applies a new limit to the running daemon and names what
    needs a restart; a bad file changes nothing."""

    conf_text = "max_sessions 100\nssh_max_preauth 500\n"

    def test_reload_changes_a_limit_live(self):
        a = self.visitor("nc")
        b = self.visitor("nc")
        a.wait_for("connected to a stranger")
        # Lower the cap below what is connected: nobody is dropped, but
        # the next visitor is turned away.
        self.rewrite("max_sessions 2\nssh_max_preauth 100\n")
        log = self.hup_and_wait(r"reloaded .*at most 2 sessions")
        self.assertRegex(log, r"ssh_max_preauth cannot change without a "
                              r"restart")
        self.assertIn(b"full", self.refused())
        self.assertChat(a, b, "still here after the reload")
        # A bad file is reported with its line and changes nothing.
        self.rewrite("max_sessions 3\nmax_sessions 4\n")
        log = self.hup_and_wait(r"reload: .*strangerd.conf:2: max_sessions "
                                r"is already set at line 1")
        self.assertIn("keeping the running configuration", log)
        self.assertIn(b"full", self.refused())
        # Raising it again lets the next one in.
        self.rewrite("max_sessions 3\n")
        self.hup_and_wait(r"reloaded .*at most 3 sessions")
        c = self.nc(name="third")
        c.wait_for("Press Enter")
        self.assertChat(b, a, "and still after another")

    def test_reload_shortens_the_idle_limit_of_a_chat(self):
        # Each session's timer is armed for its idle limit (15 minutes
        # in a chat): a reload must re-arm the running ones.
        a, b = self.pair("raw", "raw")
        self.rewrite("idle_chat 2s\n")
        self.hup_and_wait(r"reloaded")
        for c in (a, b):
            self.assertTrue(c.wait_closed(timeout=8), c.describe())
            self.assertIn("You were idle for too long", c.text())


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=TIMEOUT) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def metric(text, name):
    """The value of one sample, by its full name with labels."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no %s in:\n%s" % (name, text))


class TestMetrics(ConfTest):
    """The Prometheus endpoint after a scripted chat."""

    def prepare(self):
        self.metrics_port = free_port()
        return "metrics_listen %d\n" % self.metrics_port

    def test_scripted_chat(self):
        # Served on loopback (a bare port), in the text format, once the
        # metrics thread listens (it starts after the workers).
        self.assertTrue(poll(lambda: listening(self.metrics_port)))
        status, ctype, text = scrape(self.metrics_port)
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"))
        self.assertEqual(metric(text, "strangerd_pairings_total"), 0)
        self.assertIn("# TYPE strangerd_time_to_pair_seconds histogram",
                      text)

        a, b = self.pair("raw", "nc")
        for i in range(3):
            self.assertChat(a, b, "from a %d" % i)
        for i in range(2):
            self.assertChat(b, a, "from b %d" % i)
        w = self.visitor("nc", name="waiting")

        def settled():
            t = scrape(self.metrics_port)[2]
            return t if metric(t, 'strangerd_sessions{transport="telnet",'
                               'state="waiting"}') == 1 else None
        text = poll(settled)
        self.assertTrue(text, "the waiting visitor never showed")
        self.assertEqual(metric(text, "strangerd_pairings_total"), 1)
        self.assertEqual(metric(text, "strangerd_lines_relayed_total"), 5)
        self.assertEqual(metric(
            text, 'strangerd_sessions_started_total{transport="telnet"}'), 3)
        self.assertEqual(metric(
            text, 'strangerd_sessions_started_total{transport="ssh"}'), 0)
        self.assertEqual(metric(
            text, 'strangerd_sessions{transport="telnet",state="paired"}'), 2)
        self.assertEqual(metric(
            text, 'strangerd_sessions{transport="telnet",state="welcome"}'),
            0)
        self.assertEqual(metric(text, "strangerd_time_to_pair_seconds_count"),
                         2)
        self.assertEqual(metric(
            text, 'strangerd_time_to_pair_seconds_bucket{le="+Inf"}'), 2)
        self.assertEqual(metric(text, "strangerd_online"), 3)
        self.assertEqual(metric(text, "strangerd_waiting"), 1)
        self.assertEqual(metric(text, 'strangerd_refused_total{reason="full"}'),
                         0)

        # The waiting one meets a leaver's partner: a second pairing.
        a.type_line("/quit")
        b.wait_for("stranger left")
        b.send(b"\n")
        w.wait_for("connected to a stranger")

        def after():
            t = scrape(self.metrics_port)[2]
            return t if metric(t, "strangerd_pairings_total") == 2 and \
                metric(t, "strangerd_online") == 2 else None
        text = poll(after)
        self.assertTrue(text, scrape(self.metrics_port)[2])
        self.assertEqual(metric(
            text, 'strangerd_sessions{transport="telnet",state="paired"}'), 2)
        self.assertEqual(metric(text, "strangerd_time_to_pair_seconds_count"),
                         4)
        # No chat content, address or key in the metrics.
        self.assertNotIn("from a", text)
        self.assertNotIn("127.0.0.1", text)

    def test_conversation_bytes(self):
        # What the conversations hold grows with the lines kept and goes
        # back to nothing when everyone has left: the soak reads it to
        # tell the scrollback filling up from a leak.
        self.assertTrue(poll(lambda: listening(self.metrics_port)))

        def conv():
            return metric(scrape(self.metrics_port)[2],
                          "strangerd_conversation_bytes")
        a, b = self.pair("raw", "raw")
        before = conv()
        self.assertGreater(before, 0)
        line = "x" * 50
        for i in range(10):
            self.assertChat(a, b, "%s %d" % (line, i))
        # Each line is kept twice, by its sender and by its reader.
        self.assertTrue(poll(lambda: conv() >= before + 2 * 10 * 50),
                        conv())
        a.close()
        b.close()
        self.assertTrue(poll(lambda: conv() == 0), conv())

    def test_other_paths_and_methods(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            scrape(self.metrics_port, "/")
        self.assertEqual(e.exception.code, 404)
        req = urllib.request.Request(
            "http://127.0.0.1:%d/metrics" % self.metrics_port, data=b"",
            method="POST")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=TIMEOUT)
        # evhttp answers a method it was told not to allow with 501.
        self.assertIn(e.exception.code, (405, 501))
        self.assertDaemonUp()


class TestConversationMemory(ConfTest):
    """A full conversation of short lines costs about its text (issue 16:
    each line was a 24-byte slot and a malloc chunk of its own, ~56 bytes
    for "hello there")."""

    def prepare(self):
        self.metrics_port = free_port()
        return ("metrics_listen %d\nflood_line_rate 1000\n"
                "flood_line_burst 1000\n" % self.metrics_port)

    def test_two_hundred_short_lines(self):
        self.assertTrue(poll(lambda: listening(self.metrics_port)))

        def figure(name):
            return metric(scrape(self.metrics_port)[2], name)
        # In plain line mode a conversation keeps only the chat's lines:
        # 100 typed and 100 read, each "hello there".
        a, b = self.pair("nc", "nc")
        for i in range(100):
            a.type_line("hello there")
            b.type_line("hello there")
        self.assertTrue(poll(lambda: figure(
            "strangerd_lines_relayed_total") == 200))
        each = figure("strangerd_conversation_bytes") / 2
        self.assertGreater(each, 200 * 11)
        self.assertLess(each, 200 * (11 + 10), "bytes a conversation")
        self.assertDaemonUp()


class TestInstall(TmpDir):
    """make install honours DESTDIR, PREFIX and MANDIR."""

    def make_install(self, *args):
        p = subprocess.run(["make", "--no-print-directory", "-C", ROOT,
                            "install"] + list(args),
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_layout(self):
        dest = os.path.join(self.tmp, "root")
        self.make_install("DESTDIR=" + dest, "PREFIX=/usr",
                          "MANDIR=/usr/share/man")
        want = ["usr/sbin/strangerd", "usr/sbin/strangerctl",
                "usr/share/man/man8/strangerd.8",
                "usr/share/man/man5/strangerd.conf.5",
                "usr/share/doc/strangerd/examples/strangerd.conf",
                "usr/lib/systemd/system/strangerd.service"]
        if os.path.exists(os.path.join(ROOT, "man", "strangerctl.8")):
            want.append("usr/share/man/man8/strangerctl.8")
        for f in want:
            self.assertTrue(os.path.isfile(os.path.join(dest, f)), f)
        got = sorted(os.path.relpath(os.path.join(d, f), dest)
                     for d, _, fs in os.walk(dest) for f in fs)
        self.assertTrue(set(want) <= set(got), got)
        self.assertTrue(all(g.startswith("usr/") for g in got), got)
        for f in ("usr/sbin/strangerd", "usr/sbin/strangerctl"):
            self.assertEqual(os.stat(os.path.join(dest, f)).st_mode & 0o777,
                             0o755)
        self.assertEqual(os.stat(os.path.join(
            dest, "usr/share/man/man5/strangerd.conf.5")).st_mode & 0o777,
            0o644)
        with open(os.path.join(
                dest, "usr/lib/systemd/system/strangerd.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/sbin/strangerd ", unit)
        p = subprocess.run([os.path.join(dest, "usr/sbin/strangerd"), "-V"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("strangerd "))

    def test_mandir_alone(self):
        dest = os.path.join(self.tmp, "root")
        self.make_install("DESTDIR=" + dest, "MANDIR=/opt/man")
        self.assertTrue(os.path.isfile(os.path.join(
            dest, "opt/man/man8/strangerd.8")))
        self.assertTrue(os.path.isfile(os.path.join(
            dest, "usr/local/sbin/strangerd")))
        self.assertFalse(os.path.exists(os.path.join(
            dest, "usr/local/share/man")))

    def test_unit_is_hardened(self):
        with open(UNIT) as f:
            unit = f.read()
        for line in ("DynamicUser=yes", "StateDirectory=strangerd",
                     "ProtectSystem=strict", "NoNewPrivileges=yes",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                     "SystemCallFilter=@system-service",
                     "ExecReload=/bin/kill -HUP $MAINPID"):
            self.assertIn("\n" + line + "\n", unit)


def proc_ids(pid):
    """For each thread: (Uid line, Gid line, Groups, CapEff, CapPrm)."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        f = {}
        with open("/proc/%d/task/%s/status" % (pid, tid)) as st:
            for line in st:
                k, _, v = line.partition(":")
                f[k] = v.split()
        out.append(f)
    return out


def proc_ids_main(pid):
    f = {}
    with open("/proc/%d/status" % pid) as st:
        for line in st:
            k, _, v = line.partition(":")
            f[k] = v.split()
    return f


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class TestPrivilegeDrop(TmpDir):
    """Started as root with "user nobody": ports bound and state open,
    then every thread runs as nobody with no capability left."""

    def start(self, conf):
        os.chmod(self.tmp, 0o755)	# nobody must reach the state
        port = free_port()
        self.state = os.path.join(self.tmp, "state")
        log = open(os.path.join(self.tmp, "log"), "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([DAEMON, "-f", "-c", self.conf(conf), "-d",
                              self.state, "-s", "none", "-t",
                              "127.0.0.1:%d" % port, "-w", "2"],
                             stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        up = poll(lambda: listening(port) or p.poll() is not None,
                  timeout=10)
        self.assertTrue(up and p.poll() is None, self.log())
        return p, port

    def log(self):
        with open(os.path.join(self.tmp, "log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def test_runs_as_nobody(self):
        import pwd
        nobody = pwd.getpwnam("nobody")
        p, port = self.start("user nobody\n")
        # The drop follows the listeners: wait for the line saying so.
        self.assertTrue(poll(lambda: "running as nobody" in self.log()),
                        self.log())
        threads = proc_ids(p.pid)
        self.assertGreaterEqual(len(threads), 3)	# main, 2 workers, ...
        for t in threads:
            self.assertEqual(t["Uid"], [str(nobody.pw_uid)] * 4, t["Uid"])
            self.assertEqual(t["Gid"], [str(nobody.pw_gid)] * 4, t["Gid"])
            self.assertEqual(t["Groups"], [str(nobody.pw_gid)])
            self.assertEqual(int(t["CapEff"][0], 16), 0)
            self.assertEqual(int(t["CapPrm"][0], 16), 0)
        # Set by the main thread for itself, as systemd's NoNewPrivileges.
        self.assertEqual(proc_ids_main(p.pid)["NoNewPrivs"], ["1"])
        # The state now belongs to the user; the chat still works.
        self.assertEqual(os.stat(self.state).st_uid, nobody.pw_uid)
        a = Netcat(port, name="a")
        b = Netcat(port, name="b")
        try:
            for c in (a, b):
                c.wait_for("Press Enter")
                c.send(b"\n")
            for c in (a, b):
                c.wait_for("connected to a stranger")
            a.type_line("hello as nobody")
            b.wait_for("Stranger: hello as nobody")
        finally:
            a.close()
            b.close()
        # SIGHUP still reads the (world-readable) file.
        os.chmod(os.path.join(self.tmp, "strangerd.conf"), 0o644)
        self.conf("user nobody\nmax_sessions 7\n")
        p.send_signal(signal.SIGHUP)
        self.assertTrue(poll(lambda: "at most 7 sessions" in self.log()),
                        self.log())
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(TIMEOUT), 0, self.log())

    def test_unknown_user_stops_the_start(self):
        rc, out, err = run("-n", "-c",
                           self.conf("user no-such-user-here\n"))
        self.assertEqual(rc, 1)
        self.assertIn("user no-such-user-here does not exist", err)

    def test_root_is_refused_as_the_user(self):
        rc, out, err = run("-n", "-c", self.conf("user root\n"))
        self.assertEqual(rc, 1)
        self.assertIn("user root is root", err)

    def test_symlinked_database_is_refused(self):
        """The daemon's user owns the state directory: a symbolic link
        it plants as the database must not make root create and use a
        file elsewhere (SQLite itself refuses links as -wal, -shm and
        -journal)."""
        state = os.path.join(self.tmp, "state")
        os.mkdir(state, 0o700)
        outside = os.path.join(self.tmp, "outside.db")
        os.symlink(outside, os.path.join(state, "strangerd.db"))
        p = subprocess.Popen([DAEMON, "-f", "-c", self.conf("user nobody\n"),
                              "-d", state, "-s", "none", "-t",
                              "127.0.0.1:%d" % free_port(), "-w", "1"],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            _, err = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            self.fail("started with a linked database; %s exists: %s" %
                      (outside, os.path.exists(outside)))
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("strangerd.db is a symbolic link: refused", err)
        self.assertFalse(os.path.exists(outside))


if __name__ == "__main__":
    unittest.main()
