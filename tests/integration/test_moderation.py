"""Moderation: bans (address, CIDR, key, expiry), a new ban ending live
sessions, /report with evidence and the automatic ban, strangerctl over
the control socket (tables, JSON, errors, peer check), and durability:
no acknowledged ban is lost to a SIGKILL."""

import json
import os
import resource
import sqlite3
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

from harness import (DaemonTest, Daemon, Netcat, Client, ROOT, TIMEOUT,
                     SEND_TIMEOUT, poll)
from harness_ssh import SshTest, make_key

STRANGERCTL = os.path.join(ROOT, "strangerctl")


class From(Netcat):
    """A netcat visitor whose connection comes from another loopback
    address (127.0.0.0/8 is all ours), so that it can be banned alone."""

    def __init__(self, port, source, name=None):
        Client.__init__(self)
        self.name = name or "nc@" + source
        self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT,
                                             source_address=(source, 0))
        self.sock.settimeout(SEND_TIMEOUT)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()


class ModTest(DaemonTest):

    def ctl(self, *args, ok=True, json_out=False):
        """Run strangerctl against this daemon; returns (rc, out, err)."""
        argv = [STRANGERCTL, "-d", self.daemon.statedir]
        if json_out:
            argv.append("-j")
        p = subprocess.run(argv + list(args), capture_output=True,
                           timeout=20)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        if ok is True and p.returncode != 0:
            self.fail("strangerctl %s: exit %d: %s" % (" ".join(args),
                                                       p.returncode, err))
        if ok is False and p.returncode == 0:
            self.fail("strangerctl %s succeeded: %s" % (" ".join(args), out))
        return p.returncode, (json.loads(out) if json_out and out else out), \
            err

    def query(self, sql):
        """Rows of a read-only query on the store (PgStore has its own)."""
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
            self.daemon.statedir, "strangerd.db"), uri=True)
        try:
            return [[str(v) for v in r] for r in db.execute(sql).fetchall()]
        finally:
            db.close()

    def from_addr(self, source, name=None):
        return self._track(From(self.port, source, name))

    def assertRefused(self, source, *words):
        """A connection from source gets one line saying it is banned
        (with words in it) and is closed."""
        c = self.from_addr(source)
        self.assertTrue(c.wait_closed(), "%s was not disconnected:\n%s" %
                        (source, c.text()))
        text = c.text()
        self.assertIn("banned", text.lower())
        self.assertNotIn("Welcome", text)
        for w in words:
            self.assertIn(w, text)
        self.assertEqual(len([l for l in text.splitlines() if l.strip()]), 1,
                         text)

    def assertWelcome(self, source):
        c = self.from_addr(source)
        c.wait_for("Welcome")
        c.close()
        self.clients.remove(c)

    def bans(self):
        return self.ctl("bans", json_out=True)[1]


class TestBans(ModTest):

    def test_address_ban_then_unban(self):
        _, out, _ = self.ctl("ban", "127.0.0.2", "-r", "spam links")
        self.assertIn("banned 127.0.0.2", out)
        self.assertRefused("127.0.0.2", "spam links", "permanently")
        self.assertWelcome("127.0.0.4")
        self.ctl("unban", "127.0.0.2")
        self.assertWelcome("127.0.0.2")
        _, _, err = self.ctl("unban", "127.0.0.2", ok=False)
        self.assertIn("not banned", err)

    def test_cidr_ban(self):
        self.ctl("ban", "127.9.0.0/16", "-r", "botnet")
        self.assertRefused("127.9.3.4", "botnet")
        self.assertRefused("127.9.255.1")
        self.assertWelcome("127.10.0.1")
        bans = self.bans()
        self.assertEqual([b["target"] for b in bans], ["127.9.0.0/16"])
        self.assertEqual(bans[0]["kind"], "cidr")
        self.assertIsNone(bans[0]["expires"])

    def test_ipv4_mapped_target_bans_the_ipv4_visitor(self):
        """ban ::ffff:A.B.C.D said "banned" and banned nobody: visitors
        are compared as IPv4, and so is the target now."""
        _, out, _ = self.ctl("ban", "::ffff:127.0.0.12", "-r", "mapped")
        self.assertIn("banned 127.0.0.12", out)
        self.assertRefused("127.0.0.12", "mapped")
        self.ctl("ban", "::ffff:127.13.0.0/112")
        self.assertRefused("127.13.9.9")
        self.assertEqual(sorted(b["target"] for b in self.bans()),
                         ["127.0.0.12", "127.13.0.0/16"])
        self.ctl("unban", "::ffff:127.0.0.12")
        self.assertWelcome("127.0.0.12")

    def test_mapped_targets_stored_before_are_migrated(self):
        """Bans stored as ::ffff:A.B.C.D before ban_parse() unmapped
        them apply as the IPv4 ones after a restart and unban finds
        them (store.c, migration 3)."""
        statedir = self.daemon.statedir
        self.assertEqual(self.daemon.terminate(), 0)
        db = sqlite3.connect(os.path.join(statedir, "strangerd.db"))
        rows = [("::ffff:127.0.0.14", "address"),
                ("::ffff:127.15.0.0/112", "cidr"),
                ("::ffff:127.0.0.16/128", "cidr"),
                ("::/80", "cidr")]
        db.executemany("INSERT INTO bans (target, kind, reason, created, "
                       "who) VALUES (?, ?, 'old', 1, 'test')", rows)
        db.execute("PRAGMA user_version = 2")
        db.commit()
        db.close()
        self.daemon.cleanup = lambda: None
        self.addCleanup(shutil.rmtree, self.daemon.dir, True)
        again = Daemon(self.workers, ["-d", statedir])
        self.addCleanup(again.cleanup)
        again.start()
        self.daemon = again
        self.port = again.port
        self.daemon.statedir = statedir
        self.assertEqual(sorted((b["target"], b["kind"]) for b in self.bans()),
                         [("127.0.0.14", "address"), ("127.0.0.16", "address"),
                          ("127.15.0.0/16", "cidr"), ("::/80", "cidr")])
        self.assertRefused("127.0.0.14", "old")
        self.assertRefused("127.15.3.3", "old")
        self.ctl("unban", "127.0.0.14")
        self.assertWelcome("127.0.0.14")

    def test_expiry_without_restart(self):
        self.ctl("ban", "127.0.0.6", "-t", "2s", "-r", "cool off")
        self.assertRefused("127.0.0.6", "cool off", "until")
        self.assertIsNotNone(self.bans()[0]["expires"])
        time.sleep(2.2)
        self.assertWelcome("127.0.0.6")
        self.assertEqual(self.bans(), [])

    def test_bad_input_is_refused_and_nothing_stored(self):
        cases = [
            (["ban", "999.1.1.1"], "0 to 255"),
            (["ban", "/129"], "not an address"),
            (["ban", "::/129"], "too long for IPv6"),
            (["ban", "1.2.3.4/33"], "too long for IPv4"),
            (["ban", "example.org"], "not an address"),
            (["ban", "SHA256:tooshort"], "fingerprint"),
            (["ban", "1.2.3.4", "-t", "forever"], "bad duration"),
            (["ban", "1.2.3.4", "-t", "0m"], "more than zero"),
            (["ban", "1.2.3.4", "-r", "x" * 600], "reason longer"),
            (["ban", "1.2.3.4", "-r", "x" * 9000], "too long"),
            (["ban"], "missing argument"),
            (["ban", "1.2.3.4", "-q"], "unknown option"),
            (["frobnicate"], "unknown command"),
            (["report", "burn", "1"], "dismiss or action"),
            (["report", "dismiss", "x1"], "not a report number"),
            (["report", "dismiss", "42"], "no report 42"),
            (["kick", "nonsense"], "no such session"),
            (["kick", "0.9999.1"], "no such session"),
        ]
        for args, want in cases:
            rc, _, err = self.ctl(*args, ok=False)
            self.assertEqual(rc, 1, args)
            self.assertIn(want, err, args)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(err.startswith("strangerctl: "), err)
        self.assertEqual(self.bans(), [])
        self.assertStaysUp()

    def test_ipv6_and_key_targets_listed(self):
        self.ctl("ban", "2001:db8:1:2:3:4:5:6/64")
        fp = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
        self.ctl("ban", fp, "-t", "7d")
        _, out, _ = self.ctl("bans")
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("ID"), out)
        self.assertIn("2001:db8:1:2::/64", out)
        self.assertIn(fp, out)
        # Aligned: every row starts its TARGET column where the header
        # does.
        col = lines[0].index("TARGET")
        for l in lines[1:]:
            self.assertEqual(l[col - 2:col], "  ", out)
            self.assertNotEqual(l[col], " ", out)

    def test_new_ban_ends_live_session(self):
        a = self.visitor("nc")
        b = From(self.port, "127.0.0.3", "banned")
        self._track(b)
        self.agree(b)
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.ctl("ban", "127.0.0.3", "-r", "harassment")
        self.assertTrue(b.wait_closed(), b.text())
        self.assertIn("harassment", b.text())
        a.wait_for("The stranger left")
        self.assertFalse(a.closed)

    def test_sessions_and_kick(self):
        a, b = self.pair("nc", "nc")
        rows = self.ctl("sessions", json_out=True)[1]
        self.assertEqual(len(rows), 2, rows)
        for r in rows:
            self.assertEqual(r["transport"], "telnet")
            self.assertEqual(r["address"], "127.0.0.1")
            self.assertEqual(r["state"], "chatting")
            self.assertIsNone(r["key"])
        self.assertEqual({rows[0]["partner"], rows[1]["partner"]},
                         {rows[0]["id"], rows[1]["id"]})
        _, out, _ = self.ctl("sessions")
        self.assertIn("PARTNER", out.splitlines()[0])
        stats = self.ctl("stats", json_out=True)[1]
        self.assertEqual(stats["sessions"], 2)
        self.assertEqual(stats["chatting"], 2)
        _, out, _ = self.ctl("kick", rows[0]["id"])
        self.assertIn("kicked", out)
        # The kick is in the audit log, with who asked, before the answer.
        kicks = self.query("SELECT who, target FROM audit WHERE "
                           "action = 'kick'")
        self.assertEqual(len(kicks), 1, kicks)
        self.assertEqual(kicks[0][1], rows[0]["id"])
        self.assertTrue(kicks[0][0], kicks)
        poll(lambda: a.closed or b.closed)
        gone, stayed = (a, b) if a.closed else (b, a)
        self.assertTrue(gone.closed)
        stayed.wait_for("The stranger left")
        rc, _, err = self.ctl("kick", rows[0]["id"], ok=False)
        self.assertIn("no such session", err)


class TestReports(ModTest):

    def test_report_with_evidence(self):
        a, b = self.pair("nc", "nc")
        self.assertChat(a, b, "hello there")
        self.assertChat(b, a, "buy cheap pills at example.com")
        a.type_line("/report spam \x1b[31mlinks")
        a.wait_for("Thank you")
        b.wait_for("The stranger left")
        reports = poll(lambda: self.ctl("reports", json_out=True)[1])
        self.assertEqual(len(reports), 1, reports)
        r = reports[0]
        self.assertEqual(r["status"], "open")
        self.assertIn("spam", r["reason"])
        self.assertNotIn("\x1b", r["reason"])
        self.assertIn("telnet 127.0.0.1", r["reporter"])
        self.assertIn("telnet 127.0.0.1", r["reported"])
        self.assertIn("reporter: hello there", r["evidence"])
        self.assertIn("reported: buy cheap pills at example.com",
                      r["evidence"])
        _, out, _ = self.ctl("reports")
        self.assertIn("    | reported: buy cheap pills", out)
        # The two are not paired again.
        a.type_line("")
        b.type_line("")
        time.sleep(1.0)
        self.assertNotIn("connected to a stranger",
                         a.text().split("Thank you")[-1].lower())
        _, out, _ = self.ctl("report", "dismiss", str(r["id"]))
        self.assertIn("dismissed", out)
        _, _, err = self.ctl("report", "action", str(r["id"]), ok=False)
        self.assertIn("already dismissed", err)
        self.assertEqual(self.ctl("stats", json_out=True)[1]
                         ["reports_open"], 0)

    def test_nobody_to_report(self):
        a = self.visitor("nc")
        a.type_line("/report")
        a.wait_for("Nobody to report")


class TestAutoBan(SshTest, ModTest):
    """The automatic ban (strangerd.conf(5), autoban_reports): it needs
    reporters in autoban_reports different networks (IPv4 /24 here),
    each report carrying a line the reported visitor said, and one
    person who comes back with fresh keys or from a neighbouring
    address counts once."""

    def reported_by(self, target, reporter, say=True):
        """reporter meets target (who is searching), target says a line
        unless say is False, reporter reports them and leaves; target
        searches again.  Returns once the report is stored."""
        before = len(self.ctl("reports", json_out=True)[1])
        self.agree(reporter)
        reporter.wait_for("connected to a stranger")
        mark = target.mark()
        if say:
            target.type_line("you are all idiots %d" % before)
            reporter.wait_for("Stranger: you are all idiots %d" % before)
        reporter.type_line("/report rude")
        reporter.wait_for("Thank you")
        self.assertTrue(poll(lambda: len(self.ctl(
            "reports", json_out=True)[1]) == before + 1),
                        "report %d was not stored" % (before + 1))
        reporter.close()
        self.clients.remove(reporter)
        if self.bans():
            return
        self.assertTrue(poll(lambda: b"stranger left" in
                             target.since(mark).lower()), target.text())
        target.send(b"\n" if isinstance(target, Netcat) else b"\r")
        target.wait_for("looking for a stranger")

    def target(self, source):
        t = self.from_addr(source, "target")
        self.agree(t)
        t.wait_for("looking for a stranger")
        return t

    def test_automatic_ban_after_three_networks(self):
        target = self.target("127.0.30.9")
        for n, source in enumerate(("127.31.0.11", "127.32.0.12",
                                    "127.33.0.13")):
            self.reported_by(target, self.from_addr(source,
                                          "reporter%d" % n))
        self.assertTrue(target.wait_closed(), target.text())
        self.assertIn("banned", target.text().lower())
        bans = self.bans()
        self.assertEqual(len(bans), 1, bans)
        self.assertEqual(bans[0]["target"], "127.0.30.9")
        self.assertEqual(bans[0]["by"], "auto")
        self.assertIsNotNone(bans[0]["expires"])
        self.assertRefused("127.0.30.9", "automatic")
        # Only that address: a neighbour behind the same NAT is not.
        self.assertWelcome("127.0.30.10")

    def test_one_person_with_fresh_keys_counts_once(self):
        target = self.target("127.0.34.9")
        for n in range(3):
            key, _ = make_key(self.tmpdir(), "fresh%d" % n)
            self.reported_by(target, self.ssh_pty(
                key=key, args=("-b", "127.35.0.1"), name="reporter%d" % n))
        self.assertEqual(self.bans(), [])
        self.assertIn("Looking for a stranger", target.text())
        self.assertFalse(target.wait_closed(0.5), target.text())

    def test_neighbouring_addresses_count_once(self):
        target = self.target("127.0.36.9")
        for n in range(3):
            self.reported_by(target, self.from_addr("127.37.0.%d" % (n + 1),
                                          "reporter%d" % n))
        self.assertEqual(self.bans(), [])
        self.assertFalse(target.wait_closed(0.5), target.text())

    def test_reports_without_evidence_do_not_count(self):
        # Three networks, but the target said nothing to any of them.
        target = self.target("127.0.38.9")
        for n, source in enumerate(("127.39.0.1", "127.40.0.1",
                                    "127.41.0.1")):
            self.reported_by(target, self.from_addr(source,
                                          "reporter%d" % n), say=False)
        self.assertEqual(self.bans(), [])
        self.assertFalse(target.wait_closed(0.5), target.text())

    def test_reports_from_the_targets_own_network_do_not_count(self):
        # A flatmate (or an attacker behind the same NAT) is not a
        # second network: with two others that makes two.
        target = self.target("127.0.46.9")
        for n, source in enumerate(("127.0.46.1", "127.47.0.1",
                                    "127.48.0.1")):
            self.reported_by(target, self.from_addr(source,
                                                    "reporter%d" % n))
        self.assertEqual(self.bans(), [])
        self.assertFalse(target.wait_closed(0.5), target.text())

    def test_dismissed_reports_do_not_count(self):
        target = self.target("127.0.49.9")
        for n, source in enumerate(("127.50.0.1", "127.51.0.1")):
            self.reported_by(target, self.from_addr(source,
                                                    "reporter%d" % n))
        first = self.ctl("reports", json_out=True)[1][-1]
        self.ctl("report", "dismiss", str(first["id"]))
        self.reported_by(target, self.from_addr("127.52.0.1", "reporter2"))
        self.assertEqual(self.bans(), [])
        self.assertFalse(target.wait_closed(0.5), target.text())

    def test_key_holder_is_banned_by_key_only(self):
        key, fp = make_key(self.tmpdir())
        target = self.ssh_pty(key=key, args=("-b", "127.0.42.9"),
                              name="target")
        self.agree(target)
        target.wait_for("looking for a stranger")
        for n, source in enumerate(("127.43.0.1", "127.44.0.1",
                                    "127.45.0.1")):
            self.reported_by(target, self.from_addr(source,
                                          "reporter%d" % n))
        self.assertTrue(target.wait_exit(), target.describe())
        bans = self.bans()
        self.assertEqual([b["target"] for b in bans], [fp], bans)
        # Someone else at the same address, without that key, gets in.
        self.assertWelcome("127.0.42.9")


class TestControlSocket(ModTest):

    def test_socket_is_owner_only(self):
        path = os.path.join(self.daemon.statedir, "strangerd.sock")
        st = os.stat(path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)

    def test_other_user_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to connect as another user")
        # Open the way through the file modes so that only the daemon's
        # SO_PEERCRED check stands between nobody and the socket.
        path = os.path.join(self.daemon.statedir, "strangerd.sock")
        os.chmod(self.daemon.dir, 0o755)
        os.chmod(self.daemon.statedir, 0o755)
        os.chmod(path, 0o777)
        p = subprocess.run([STRANGERCTL, "-d", self.daemon.statedir,
                            "ban", "127.0.0.7"], capture_output=True,
                           timeout=20, preexec_fn=lambda: (os.setgid(65534),
                                                           os.setuid(65534)))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"permission denied", p.stderr,
                      (p.returncode, p.stdout, self.daemon.log()[-2000:]))
        self.assertEqual(self.bans(), [])
        self.assertIn("control: refused uid 65534", self.daemon.log())

    def ctl_raw(self, data, timeout=TIMEOUT):
        """Send raw bytes to the control socket; return all it answers."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(os.path.join(self.daemon.statedir, "strangerd.sock"))
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not d:
                break
            out += d
        s.close()
        return out

    def test_malformed_requests(self):
        self.assertEqual(self.ctl_raw(b"frob\n"),
                         b"error\tunknown command: frob\n.\n")
        self.assertEqual(self.ctl_raw(b"\n"), b"error\tunknown command: \n.\n")
        self.assertIn(b"malformed", self.ctl_raw(b"ban\tbad\\qescape\n"))
        self.assertIn(b"wrong number", self.ctl_raw(b"bans\textra\n"))
        self.assertIn(b"malformed", self.ctl_raw(b"\t".join([b"ban"] * 40) +
                                             b"\n"))
        self.assertIn(b"longer than", self.ctl_raw(b"x" * 9000))
        self.assertIn(b"without a newline", self.ctl_raw(b"bans"))
        self.assertIn(b"0 to 255", self.ctl_raw(b"ban\t999.1.1.1\t\t\n"))
        self.assertIn(b"error", self.ctl_raw(b"\xff\xfe\x00garbage\n"))
        # Several requests on one connection, answered in order.
        out = self.ctl_raw(b"bans\nstats\nbans\n")
        self.assertEqual(out.count(b"\n.\n"), 3, out)
        self.assertEqual(self.bans(), [])
        self.assertStaysUp()


class TestKeyBan(SshTest, ModTest):

    def test_banned_key_refused_after_auth(self):
        key, fp = make_key(self.tmpdir())
        self.ctl("ban", fp, "-r", "threats")
        c = self.ssh_pty(key=key)
        c.wait_for("banned")
        c.wait_for("threats")
        self.assertTrue(c.wait_exit(), c.describe())
        self.assertNotIn("Press Enter", c.text())
        # Without the key the same person gets in: the ban is the key's.
        d = self.ssh_pty()
        d.wait_for("Press Enter")
        self.ctl("unban", fp)
        e = self.ssh_pty(key=key)
        e.wait_for("Press Enter")

    def test_key_ban_ends_live_session(self):
        key, fp = make_key(self.tmpdir())
        a = self.ssh_visitor(key=key)
        b = self.visitor("nc")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        rows = self.ctl("sessions", json_out=True)[1]
        self.assertIn(fp, [r["key"] for r in rows])
        self.ctl("ban", fp)
        self.assertTrue(a.wait_exit(), a.describe())
        b.wait_for("The stranger left")


class TestDurability(ModTest):

    def test_sigkill_during_ban_burst_loses_nothing_acknowledged(self):
        statedir = self.daemon.statedir
        acked = []
        lock = threading.Lock()
        stop = threading.Event()

        def burst(base):
            for i in range(1000):
                if stop.is_set():
                    return
                target = "10.%d.%d.%d" % (base, i // 250, i % 250 + 1)
                p = subprocess.run([STRANGERCTL, "-d", statedir, "ban",
                                    target, "-r", "burst"],
                                   capture_output=True, timeout=20)
                if p.returncode == 0:
                    with lock:
                        acked.append(target)
                elif not self.daemon.alive():
                    return

        threads = [threading.Thread(target=burst, args=(n,))
                   for n in range(4)]
        for t in threads:
            t.start()
        poll(lambda: len(acked) >= 200, timeout=60)
        self.daemon.proc.send_signal(signal.SIGKILL)
        self.daemon.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreaterEqual(len(acked), 200)
        # The same state directory: the last -d wins.
        self.daemon.cleanup = lambda: None
        self.addCleanup(shutil.rmtree, self.daemon.dir, True)
        again = Daemon(self.workers, ["-d", statedir])
        self.addCleanup(again.cleanup)
        again.start()
        self.daemon = again
        self.port = again.port
        self.daemon.statedir = statedir
        stored = {b["target"] for b in self.bans()}
        lost = [t for t in acked if t not in stored]
        self.assertEqual(lost, [], "%d of %d acknowledged bans lost" %
                         (len(lost), len(acked)))
        # And they apply at once after the restart.
        self.assertIn("10.0.0.1", stored)


class TestControlOutOfDescriptors(ModTest):
    """With no descriptor left, a connection waiting on the control
    socket kept it readable: the admin thread spun a core on accept()
    and logged "control: accept" on every turn of its loop."""

    def test_accept_backs_off(self):
        pid = self.daemon.proc.pid
        limit = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        path = os.path.join(self.daemon.statedir, "strangerd.sock")
        s = socket.socket(socket.AF_UNIX)
        self.addCleanup(s.close)
        # Below the descriptors already open: every accept fails.
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, limit[1]))
        try:
            s.connect(path)
            time.sleep(1.5)
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, limit)
        log = self.daemon.log()
        self.assertLess(log.count("control: accept"), 5, log[-2000:])
        # Once there are descriptors again, the waiting one is served.
        s.settimeout(TIMEOUT)
        s.sendall(b"frob\n")
        self.assertIn(b"unknown command", s.recv(4096))
        self.assertTrue(self.daemon.alive())
