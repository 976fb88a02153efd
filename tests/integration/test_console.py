"""The moderator console: only a verified key listed in DIR/moderators
gets it (a key offered without its private half, or an unlisted one,
gets the chat), the file is read again without a restart, and what a
moderator does from the console (ban, kick, dismiss, a notice) takes
effect and is in the audit log under the moderator's key fingerprint.
Also line mode (no pty) and small terminals."""

import os
import sqlite3
import time

from harness import TIMEOUT, new_source, poll
from test_moderation import ModTest
from harness_ssh import SshTest, make_key

# The daemon looks at DIR/moderators at most once a second per worker.
RECHECK = 1.2

UP, DOWN, HOME = b"\x1b[A", b"\x1b[B", b"\x1b[H"
RIGHT, LEFT = b"\x1b[C", b"\x1b[D"


class ConsoleTest(SshTest, ModTest):

    def write_moderators(self, *pubs, mode=0o600, extra=""):
        """DIR/moderators listing the public key files pubs."""
        path = os.path.join(self.daemon.statedir, "moderators")
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write("# strangerd moderators\n" + extra)
            for p in pubs:
                with open(p) as k:
                    f.write(k.read())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
        return path

    def moderator_key(self, name="mod"):
        key, fp = make_key(self.tmpdir(), name)
        self.write_moderators(key + ".pub")
        return key, fp

    def console(self, key, cols=80, rows=24, name="moderator"):
        c = self.ssh_pty(cols=cols, rows=rows, key=key, name=name)
        c.wait_for("console")
        c.wait_for(r"\d+ on", regex=True)
        return c

    def audit(self):
        """The audit log, read-only: [(who, action, target, detail)]."""
        path = os.path.join(self.daemon.statedir, "strangerd.db")
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True,
                             timeout=5)
        try:
            return db.execute("SELECT who, action, target, detail "
                              "FROM audit ORDER BY id").fetchall()
        finally:
            db.close()

    def assertAudited(self, fp, action, target=None):
        def find():
            for who, act, tgt, _ in self.audit():
                if who == fp and act == action and \
                        (target is None or tgt == target):
                    return True
            return False
        self.assertTrue(poll(find), "no audit entry %s %s by %s in %r" %
                        (action, target, fp, self.audit()))

    def select(self, c, text):
        """Move the selection to the table row showing text (the table
        starts on row 3 and fits on the screen); returns the row."""
        y = poll(lambda: next((y for y in range(3, c.rows - 3)
                               if text in c.row(y)), None))
        if y is None:
            self.fail("no row with %r\n%s" % (text, c.describe()))
        c.send(HOME + DOWN * (y - 3))
        if not poll(lambda: c.cells(y)[0].reverse and
                    c.cells(y)[c.cols // 2].reverse and
                    text in c.row(y)):
            self.fail("row %d (%r) not selected\n%s" % (y, text,
                                                        c.describe()))
        return c.row(y)


class TestConsoleAccess(ConsoleTest):

    def test_listed_key_gets_console(self):
        key, fp = self.moderator_key()
        c = self.console(key)
        self.assertFalse(c.has("Press Enter"), c.describe())
        c.wait_for("Sessions")
        c.wait_for("Reports")
        c.wait_for("Bans")
        # It lists itself, with its key.
        c.wait_for(fp[:30])
        self.assertTrue(poll(lambda: self.log_lines(
            r"moderator console for " + fp.replace("+", r"\+"))),
            self.daemon.log())

    def test_public_half_only_gets_chat(self):
        # OpenSSH offers the listed key, cannot sign and falls back to
        # keyboard-interactive: no verified key, no console.
        key, fp = make_key(self.tmpdir(), "only_pub")
        self.write_moderators(key + ".pub")
        os.unlink(key)
        os.rename(key + ".pub", key)
        os.chmod(key, 0o600)
        a = self.ssh_pty(key=key)
        a.wait_for("Press Enter")
        self.assertFalse(a.has("console"), a.describe())
        self.assertNotIn("moderator console", self.daemon.log())

    def test_unlisted_key_gets_chat(self):
        self.moderator_key()
        other, fp = make_key(self.tmpdir(), "visitor")
        a = self.ssh_pty(key=other)
        a.wait_for("Press Enter")
        self.assertTrue(poll(lambda: self.log_lines(
            r"key " + fp.replace("+", r"\+"))), self.daemon.log())
        self.assertNotIn("moderator console", self.daemon.log())
        # No key at all: the chat too.
        b = self.ssh_pty()
        b.wait_for("Press Enter")

    def test_key_added_and_removed_without_restart(self):
        key, fp = make_key(self.tmpdir(), "late")
        other, _ = make_key(self.tmpdir(), "other")
        a = self.ssh_pty(key=key, name="before")
        a.wait_for("Press Enter")
        a.close()
        self.clients.remove(a)
        self.write_moderators(other + ".pub", key + ".pub")
        time.sleep(RECHECK)
        c = self.console(key)
        # Taken off the list: the open console ends.
        self.write_moderators(other + ".pub")
        self.assertTrue(c.wait_closed(TIMEOUT + RECHECK), c.describe())
        self.assertIn("no longer a moderator", self.daemon.log())
        b = self.ssh_pty(key=key, name="after")
        b.wait_for("Press Enter")

    def test_bad_lines_skipped_and_unsafe_file_refused(self):
        key, fp = make_key(self.tmpdir(), "good")
        self.write_moderators(key + ".pub", extra=(
            "ssh-ed25519 AAAAnot-base64\n"
            "garbage\n"
            'from="10.0.0.1" ' + open(key + ".pub").read().strip() +
            " restricted\n"
            "ssh-rsa\n"))
        c = self.console(key)
        log = self.daemon.log()
        self.assertIn("moderators:", log)
        self.assertIn("option from is not supported", log)
        self.assertIn("skipped", log)
        c.close()
        self.clients.remove(c)
        # Writable by others: nobody is a moderator.
        self.write_moderators(key + ".pub", mode=0o666)
        time.sleep(RECHECK)
        a = self.ssh_pty(key=key, name="unsafe")
        a.wait_for("Press Enter")
        self.assertIn("writable by others", self.daemon.log())


class TestConsoleActions(ConsoleTest):

    def test_ban_from_report_dismiss_and_kick_are_audited(self):
        key, fp = self.moderator_key()
        # Two reports: a -> b and c -> d, each pair from its own address.
        sa, sb, sc, sd = (new_source() for _ in range(4))
        a = self.visitor("nc", source=sa, name="a")
        b = self.visitor("nc", source=sb, name="b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.assertChat(b, a, "send me your address")
        a.type_line("/report creepy")
        a.wait_for("Thank you")
        poll(lambda: self.ctl("reports", json_out=True)[1])

        m = self.console(key, cols=100, rows=30)
        m.send(b"2")
        m.wait_for("creepy")
        m.wait_for("reported: send me your address")
        # b: ban the reported visitor from the queue, which closes it.
        m.send(b"b")
        m.wait_for("Ban %s, reason:" % sb)
        m.send(b"\r")
        m.wait_for("For how long")
        m.send(b"1h\r")
        m.wait_for("Ban %s for 1h and close the report? y/n" % sb)
        m.send(b"y")
        self.assertTrue(b.wait_closed(), b.text())
        self.assertIn("creepy", b.text())
        m.wait_for("actioned")
        self.assertRefused(sb, "creepy")
        bans = self.bans()
        self.assertEqual([(x["target"], x["by"]) for x in bans], [(sb, fp)])
        self.assertAudited(fp, "ban", sb)
        reports = self.ctl("reports", json_out=True)[1]
        self.assertEqual(reports[0]["status"], "actioned")
        self.assertAudited(fp, "report action", str(reports[0]["id"]))

        # d: dismiss the second report.
        c = self.visitor("nc", source=sc, name="c")
        d = self.visitor("nc", source=sd, name="d")
        c.wait_for("connected to a stranger")
        d.wait_for("connected to a stranger")
        c.type_line("/report just testing")
        c.wait_for("Thank you")
        m.wait_for("just testing", timeout=TIMEOUT + 10)
        row = self.select(m, "just testing")
        self.assertIn("open", row)
        m.send(b"d")
        m.wait_for("Dismiss report")
        m.send(b"y")
        m.wait_for("dismissed")
        reports = self.ctl("reports", json_out=True)[1]
        rid = [r["id"] for r in reports if r["reason"] == "just testing"][0]
        self.assertEqual([r["status"] for r in reports if r["id"] == rid],
                         ["dismissed"])
        self.assertAudited(fp, "report dismiss", str(rid))

        # k: kick d from the sessions pane.
        m.send(b"1")
        m.wait_for("ADDRESS")
        m.wait_for(sd)
        row = self.select(m, sd)
        sid = row.split()[0]
        m.send(b"k")
        m.wait_for("Kick %s" % sid)
        m.send(b"y")
        self.assertTrue(d.wait_closed(), d.text())
        self.assertIn("moderator", d.text().lower())
        m.wait_for("kicked %s" % sid)
        self.assertAudited(fp, "kick", sid)
        self.assertFalse(c.closed)

        # u: unban from the bans pane.
        m.send(b"3")
        m.wait_for("EXPIRES")
        m.wait_for(sb)
        self.select(m, sb)
        m.send(b"u")
        m.wait_for("Unban %s? y/n" % sb)
        m.send(b"y")
        m.wait_for("no bans in force")
        self.assertAudited(fp, "unban", sb)
        self.assertWelcome(sb)

    def test_typed_commands(self):
        key, fp = self.moderator_key()
        m = self.console(key)
        m.type_line("/ban 192.0.2.0/28 2h botnet wave")
        m.wait_for("banned 192.0.2.0/28")
        bans = self.bans()
        self.assertEqual(bans[0]["target"], "192.0.2.0/28")
        self.assertEqual(bans[0]["reason"], "botnet wave")
        self.assertIsNotNone(bans[0]["expires"])
        m.type_line("/ban 999.1.1.1")
        m.wait_for("999.1.1.1")
        self.assertEqual(len(self.bans()), 1)
        m.type_line("/unban 192.0.2.0/28")
        m.wait_for("unbanned")
        m.type_line("/kick 0.99999.5")
        m.wait_for("no such session")
        m.type_line("/dismiss 4242")
        m.wait_for("no report 4242")
        self.assertAudited(fp, "ban", "192.0.2.0/28")
        self.assertAudited(fp, "unban", "192.0.2.0/28")
        self.assertDaemonUp()

    def test_notice_reaches_telnet_visitor(self):
        key, fp = self.moderator_key()
        v = self.pty(name="visitor")
        v.wait_for("Press Enter")
        w = self.visitor("nc", name="waiting")
        m = self.console(key)
        m.send(b"n")
        m.wait_for("Notice to everyone:")
        m.type_line("Maintenance in 5 minutes")
        m.wait_for("to everyone? y/n")
        m.send(b"y")
        v.wait_for("Notice from the moderators: Maintenance in 5 minutes")
        w.wait_for("Notice from the moderators: Maintenance in 5 minutes")
        m.wait_for("Notice sent")
        self.assertAudited(fp, "notice")
        self.assertIn("Maintenance in 5 minutes",
                      [d for who, act, _, d in self.audit()
                       if act == "notice"][0])
        self.assertFalse(v.closed)

    def test_cancel_does_nothing(self):
        key, fp = self.moderator_key()
        v = self.visitor("nc", source=new_source(), name="v")
        m = self.console(key)
        m.wait_for("waiting")
        self.select(m, "waiting")
        m.send(b"k")
        m.wait_for("y/n")
        m.send(b"n")
        m.wait_for("Cancelled")
        time.sleep(0.3)
        self.assertFalse(v.closed)
        self.assertEqual([a for a in self.audit() if a[1] == "kick"], [])

    def test_pane_and_input_line_keys(self):
        """Tab, Right and Left switch panes; ':' begins a command as '/'
        does; Esc cancels a question or a command being typed; Ctrl-L
        redraws; Ctrl-D quits only from an empty input line."""
        key, fp = self.moderator_key()
        m = self.console(key)
        m.wait_for("ADDRESS")
        m.send(b"\t")
        m.wait_for("no reports")
        m.send(RIGHT)
        m.wait_for("no bans in force")
        m.send(LEFT)
        m.wait_for("no reports")
        last = m.rows - 1
        m.send(b":")
        self.assertTrue(poll(lambda: m.row(last) == "> /"), m.row(last))
        m.type_line("bans")
        m.wait_for("no bans in force")
        m.send(b"n")
        m.wait_for("Notice to everyone:")
        m.send(b"\x1b")
        m.wait_for("Cancelled.")
        self.assertTrue(poll(lambda: m.row(last) == ">"), m.row(last))
        m.send(b"/ban")
        self.assertTrue(poll(lambda: m.row(last) == "> /ban"), m.row(last))
        m.send(b"\x04")
        m.send(b"\x1b")
        self.assertTrue(poll(lambda: m.row(last) == ">"), m.row(last))
        self.assertFalse(m.closed)
        m.send(b"\x0c")
        m.wait_for("no bans in force")
        m.send(b"\x04")
        self.assertTrue(m.wait_closed(), m.describe())


class TestConsoleTerminals(ConsoleTest):

    def test_line_mode_without_pty(self):
        key, fp = self.moderator_key()
        v = self.visitor("nc", source=new_source(), name="v")
        m = self.ssh_async(keys=[key], pty=False)
        m.wait_for("moderator console (line mode)")
        m.wait_for("online")
        m.type_line("sessions")
        m.wait_for("ADDRESS")
        m.wait_for("waiting")
        m.type_line("ban 127.0.0.99 30m line mode test")
        m.wait_for("banned 127.0.0.99")
        m.type_line("bans")
        m.wait_for(fp)
        m.type_line("help")
        m.wait_for("/notice TEXT")
        m.type_line("bogus")
        m.wait_for("unknown command")
        self.assertAudited(fp, "ban", "127.0.0.99")
        m.type_line("quit")
        self.assertTrue(m.wait_closed(), m.text())
        self.assertFalse(v.closed)

    def test_small_terminals(self):
        key, fp = self.moderator_key()
        self.visitor("nc", source=new_source(), name="v")
        m = self.console(key, cols=40, rows=12)
        m.wait_for("waiting")
        for y in range(12):
            self.assertLessEqual(len(m.row(y)), 40)
        self.assertIn("console", m.row(0))
        self.assertIn("1", m.row(1))
        self.assertTrue(m.row(11).startswith(">"), m.describe())
        m.send(b"?")
        m.wait_for("help")
        m.send(b"\x1b")
        m.resize(20, 5)
        time.sleep(0.5)
        m.resize(80, 24)
        m.wait_for("1 Sessions")
        m.send(b"2")
        m.wait_for("no reports")
        self.assertDaemonUp()


if __name__ == "__main__":
    import unittest
    unittest.main()
