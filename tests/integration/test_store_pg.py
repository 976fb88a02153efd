"""The store in PostgreSQL (issue 17, strangerd.conf(5) store): the
moderation tests of test_moderation.py run again with the daemon's
store in a PostgreSQL server of the test class's own, and the schema
it creates is checked.  What only SQLite has (migration 3, a restart
in the same state directory) stays in test_moderation.py."""

import subprocess
import threading
import time

import test_console as con
import test_moderation as mod
from harness import DAEMON, Daemon, PgStore, RawTelnet, new_source, poll


class TestPgBans(PgStore, mod.TestBans):
    # SQLite's own migration: PostgreSQL's schema starts after it.
    test_mapped_targets_stored_before_are_migrated = None

    def test_schema_and_audit_in_postgresql(self):
        """The bans, with their audit entries, are rows in PostgreSQL,
        and the schema is at its version."""
        self.ctl("ban", "127.0.0.21", "-r", "in pg")
        self.ctl("unban", "127.0.0.21")
        self.ctl("ban", "127.0.0.22", "-t", "1h")
        self.assertEqual(self.query("SELECT schema FROM strangerd_meta"),
                         [["1"]])
        self.assertEqual(self.query("SELECT target FROM bans"),
                         [["127.0.0.22"]])
        self.assertEqual(self.query("SELECT action, target FROM audit "
                                    "ORDER BY id"),
                         [["ban", "127.0.0.21"], ["unban", "127.0.0.21"],
                          ["ban", "127.0.0.22"]])


class TestPgReports(PgStore, mod.TestReports):
    pass


class TestPgAutoBan(PgStore, mod.TestAutoBan):
    pass


class TestPgKeyBan(PgStore, mod.TestKeyBan):
    pass


class TestTwoNodes(PgStore, mod.ModTest):
    """Two strangerd nodes sharing one PostgreSQL database: what one
    does, the other sees (README, Running several nodes)."""

    def setUp(self):
        super().setUp()
        self.node_a = self.daemon
        self.node_b = Daemon(self.workers, list(self.daemon_args))
        self.addCleanup(self.node_b.cleanup)
        self.node_b.start()
        self.addCleanup(self.stop_b)

    def stop_b(self):
        if self.node_b.alive():
            self.assertEqual(self.node_b.terminate(), 0,
                             self.node_b.log()[-3000:])

    def on(self, node, *args, **kw):
        """strangerctl against node (the test's daemon is node A)."""
        self.daemon = node
        try:
            return self.ctl(*args, **kw)
        finally:
            self.daemon = self.node_a

    def kicked_within(self, client, limit, t0):
        """Seconds from t0 until client was disconnected, failing past
        limit (a bound for a loaded machine; the figure is printed)."""
        self.assertTrue(client.wait_closed(limit), client.text())
        return time.monotonic() - t0

    def test_ban_on_one_node_kicks_on_the_other(self):
        b = self._track(mod.From(self.node_b.port, "127.0.0.51", "on-b"))
        self.agree(b)
        b.wait_for("looking for a stranger")
        t0 = time.monotonic()
        self.on(self.node_a, "ban", "127.0.0.51", "-r", "from node a")
        took = self.kicked_within(b, 3, t0)
        print("\nban on A -> kick on B: %.3f s" % took)
        self.assertIn("from node a", b.text())
        # Both nodes list it; both refuse the address.
        for node in (self.node_a, self.node_b):
            self.assertEqual([x["target"] for x in self.on(
                node, "bans", json_out=True)[1]], ["127.0.0.51"])
        self.assertRefused("127.0.0.51", "from node a")
        c = self._track(mod.From(self.node_b.port, "127.0.0.51"))
        self.assertTrue(c.wait_closed(), c.text())
        # An unban on B lets the address in on A again.
        self.on(self.node_b, "unban", "127.0.0.51")
        self.assertTrue(poll(lambda: self.welcomed(self.node_a.port,
                                                   "127.0.0.51"), 3))

    def welcomed(self, port, source):
        c = mod.From(port, source)
        try:
            return c.wait_for("Welcome", timeout=1) or True
        except AssertionError:
            return False
        finally:
            c.close()

    def test_missed_notification_is_caught_by_the_counter(self):
        """A ban written with the notification lost (the trigger off,
        the counter bumped by hand) still reaches node B: it reads
        the counter every second."""
        b = self._track(mod.From(self.node_b.port, "127.0.0.52", "on-b"))
        self.agree(b)
        b.wait_for("looking for a stranger")
        t0 = time.monotonic()
        self.query("ALTER TABLE bans DISABLE TRIGGER bans_changed; "
                   "INSERT INTO bans (target, kind, reason, created, who) "
                   "VALUES ('127.0.0.52', 'address', 'by hand', 1, 'psql');"
                   "UPDATE strangerd_meta SET bans = bans + 1; "
                   "ALTER TABLE bans ENABLE TRIGGER bans_changed")
        took = self.kicked_within(b, 3, t0)
        print("\nban by hand, no NOTIFY -> kick on B: %.3f s" % took)
        self.assertIn("by hand", b.text())

    def test_report_filed_on_one_node_is_actioned_from_the_other(self):
        x, y = self.pair("nc", "nc")
        self.assertChat(y, x, "rude words here")
        x.type_line("/report rude")
        x.wait_for("Thank you")
        reports = poll(lambda: self.on(self.node_b, "reports",
                                       json_out=True)[1])
        self.assertEqual(len(reports), 1, reports)
        self.assertIn("reported: rude words here", reports[0]["evidence"])
        rid = str(reports[0]["id"])
        _, out, _ = self.on(self.node_b, "report", "action", rid)
        self.assertIn("actioned", out)
        _, _, err = self.on(self.node_a, "report", "dismiss", rid, ok=False)
        self.assertIn("already actioned", err)
        self.assertEqual(self.on(self.node_a, "stats", json_out=True)[1]
                         ["reports_open"], 0)
        self.assertEqual(self.query("SELECT who, action, target FROM audit "
                                    "WHERE action LIKE 'report%'")[0][1:],
                         ["report action", rid])


    def test_automatic_ban_counts_reports_from_both_nodes(self):
        """One visitor (one address) on both nodes, reported from three
        networks, once on A and twice on B: the third report bans the
        address, and both of its sessions end."""
        targets = []
        for node in (self.node_a, self.node_b):
            t = self._track(mod.From(node.port, "127.0.50.9", "target"))
            self.agree(t)
            t.wait_for("looking for a stranger")
            targets.append(t)
        reported_by = mod.TestAutoBan.reported_by
        for n, (t, node, source) in enumerate((
                (targets[0], self.node_a, "127.51.0.1"),
                (targets[1], self.node_b, "127.52.0.1"),
                (targets[1], self.node_b, "127.53.0.1"))):
            reported_by(self, t, self._track(mod.From(
                node.port, source, "reporter%d" % n)))
        for t in targets:
            self.assertTrue(t.wait_closed(), t.text())
        bans = self.on(self.node_b, "bans", json_out=True)[1]
        self.assertEqual([(b["target"], b["by"]) for b in bans],
                         [("127.0.50.9", "auto")])

class TestPgUnavailable(PgStore, mod.ModTest):
    """The database goes away and comes back (strangerd.conf(5),
    store): known bans stay enforced, strangerctl says so and fails,
    one log line each way, and the node reconnects by itself."""

    def test_server_down_then_back(self):
        self.ctl("ban", "127.0.0.61", "-r", "before the outage")
        self.pg.halt()
        rc, _, err = self.ctl("ban", "127.0.0.62", ok=False)
        self.assertIn("store unavailable", err)
        rc, _, err = self.ctl("bans", ok=False)
        self.assertIn("store unavailable", err)
        # Enforced from memory meanwhile.
        self.assertRefused("127.0.0.61", "before the outage")
        self.assertWelcome("127.0.0.63")
        time.sleep(2.5)		# several reconnection attempts fail
        self.pg.run()
        self.assertTrue(poll(lambda: self.ctl("ban", "127.0.0.62",
                                              ok=None)[0] == 0, 10),
                        self.daemon.log()[-2000:])
        self.assertEqual(sorted(b["target"] for b in self.bans()),
                         ["127.0.0.61", "127.0.0.62"])
        self.assertRefused("127.0.0.62")
        log = self.daemon.log()
        self.assertEqual(log.count("connection lost"), 1, log[-3000:])
        self.assertEqual(log.count("connection back"), 1, log[-3000:])


    def test_report_while_server_down_is_not_thanked(self):
        """A visitor is thanked for a report only once it is committed:
        with the database away they are told it could not be saved."""
        x, y = self.pair("nc", "nc")
        self.assertChat(y, x, "said while the server was away")
        self.pg.halt()
        x.type_line("/report rude")
        x.wait_for("could not be saved")
        self.assertNotIn("Thank you", x.text())
        self.pg.run()
        self.assertTrue(poll(lambda: "connection back" in
                             self.daemon.log(), 10))
        x.close()
        y.close()
        x, y = self.pair("nc", "nc")
        self.assertChat(y, x, "said once it was back")
        x.type_line("/report rude")
        x.wait_for("Thank you")
        r = self.ctl("reports", json_out=True)[1]
        self.assertEqual(len(r), 1, r)
        self.assertIn("said once it was back", r[0]["evidence"])


class TestPgMove(PgStore, mod.ModTest):
    """strangerd -M moves a single node's SQLite store into PostgreSQL
    (strangerd(8)), keeping evidence and audit, and is safe to re-run."""

    def move(self, statedir):
        p = subprocess.run([DAEMON, "-M", "-d", statedir, "-c",
                            self.store_conf(self.db)],
                           capture_output=True, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, err)
        return err

    def test_move_then_move_again(self):
        # A single node with SQLite: two bans, a report, a kick.
        old = Daemon(self.workers)
        self.addCleanup(old.cleanup)
        old.start()
        node, self.daemon = self.daemon, old
        self.port = old.port
        try:
            self.ctl("ban", "127.0.0.71", "-r", "moved ban")
            self.ctl("ban", "127.0.0.72", "-t", "1d")
            x, y = self.pair("nc", "nc")
            self.assertChat(y, x, "evidence that moves")
            x.type_line("/report moving")
            x.wait_for("Thank you")
            self.assertTrue(poll(lambda: self.ctl("reports",
                                                  json_out=True)[1]))
            self.assertEqual(old.terminate(), 0)
        finally:
            self.daemon = node
            self.port = node.port
        err = self.move(old.statedir)
        self.assertIn("bans: 2 copied, 0 already there", err)
        self.assertIn("reports: 1 copied, 0 already there", err)
        audit = self.query("SELECT count(*) FROM audit")[0][0]
        self.assertEqual(audit, "2", err)	# the two bans
        # The running node sees the moved bans (the trigger told it).
        self.assertTrue(poll(lambda: len(self.bans()) == 2))
        self.assertRefused("127.0.0.71", "moved ban")
        r = self.ctl("reports", json_out=True)[1]
        self.assertEqual(len(r), 1, r)
        self.assertIn("reported: evidence that moves", r[0]["evidence"])
        # Again: nothing doubled.
        err = self.move(old.statedir)
        self.assertIn("bans: 0 copied, 2 already there", err)
        self.assertIn("reports: 0 copied, 1 already there", err)
        self.assertIn("audit: 0 copied, 2 already there", err)
        self.assertEqual(self.query("SELECT count(*) FROM reports"), [["1"]])
        # New rows get ids past the moved ones.
        self.ctl("ban", "127.0.0.73")
        ids = self.query("SELECT id FROM audit ORDER BY id")
        self.assertEqual(len(ids), 3, ids)


class TestPgDurability(PgStore, mod.ModTest):
    """Nothing acknowledged is lost: strangerctl is answered, and a
    visitor thanked for a report, only after COMMIT, so a SIGKILL of the
    node or of the PostgreSQL server in the middle of a stream of bans
    and reports loses none that was answered."""

    def burst(self, statedir, acked, stop):
        def run(base):
            for i in range(1000):
                if stop.is_set():
                    return
                target = "10.%d.%d.%d" % (base, i // 250, i % 250 + 1)
                p = subprocess.run([mod.STRANGERCTL, "-d", statedir, "ban",
                                    target, "-r", "burst"],
                                   capture_output=True, timeout=20)
                if p.returncode == 0:
                    acked.append(target)
        threads = [threading.Thread(target=run, args=(n,))
                   for n in range(4)]
        for t in threads:
            t.start()
        return threads

    def report_once(self, port, tag):
        """Two visitors meet and one reports the other with reason tag;
        True if the reporter was thanked.  Two streams may cross (each
        reports whoever it met), which is as good."""
        # Addresses of their own: the matchmaker keeps a reporter and
        # the address reported apart while both are connected.
        a = RawTelnet(port, name="reporter-" + tag, source=new_source())
        b = RawTelnet(port, name="reported-" + tag, source=new_source())
        try:
            for c in (a, b):
                c.wait_for("Press Enter", timeout=3)
                c.send(b"\r")
            a.wait_for("connected to a stranger", timeout=3)
            b.type_line("something to report " + tag)
            a.type_line("/report " + tag)
            a.wait_for("Thank you|could not be saved", regex=True,
                       timeout=3)
            return a.has("Thank you")
        except AssertionError:
            # Node or server killed meanwhile: not acknowledged.
            return a.has("Thank you")
        finally:
            a.close()
            b.close()

    def reports(self, port, thanked, tried, stop):
        def run(k):
            for i in range(100000):
                if stop.is_set():
                    return
                tag = "burst-%d-%d" % (k, i)
                tried.append(tag)
                if self.report_once(port, tag):
                    thanked.append(tag)
        threads = [threading.Thread(target=run, args=(n,))
                   for n in range(2)]
        for t in threads:
            t.start()
        return threads

    def stored(self):
        return {r[0] for r in self.query("SELECT target FROM bans")}

    def stored_reports(self):
        return {r[0] for r in self.query("SELECT reason FROM reports")}

    def stream(self):
        """Bans from strangerctl and reports from visitors, until at
        least 100 bans and 10 reports are acknowledged."""
        acked, thanked, tried = [], [], []
        stop = threading.Event()
        threads = (self.burst(self.daemon.statedir, acked, stop) +
                   self.reports(self.daemon.port, thanked, tried, stop))
        poll(lambda: len(acked) >= 100 and len(thanked) >= 10, 60)
        return acked, thanked, tried, stop, threads

    def assertNothingLost(self, acked, thanked):
        stored = self.stored()
        lost = [t for t in acked if t not in stored]
        self.assertEqual(lost, [], "%d of %d acknowledged bans lost" %
                         (len(lost), len(acked)))
        stored = self.stored_reports()
        lost = [t for t in thanked if t not in stored]
        self.assertEqual(lost, [], "%d of %d thanked reports lost" %
                         (len(lost), len(thanked)))

    def test_kill_9_of_the_server_loses_nothing_acknowledged(self):
        """Even with the database's synchronous_commit off (an
        operator's choice for speed), which the node overrides on its
        connection: else COMMIT would answer before the WAL is
        written, and a crash would lose bans strangerctl was told were
        made."""
        self.query("ALTER DATABASE %s SET synchronous_commit = off" %
                   self.db)
        self.daemon.terminate()
        self.daemon = Daemon(self.workers, list(self.daemon_args))
        self.addCleanup(self.daemon.cleanup)
        self.daemon.start()
        acked, thanked, tried, stop, threads = self.stream()
        self.pg.kill9()
        n, m = len(acked), len(thanked)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        self.assertGreaterEqual(n, 100)
        self.assertGreaterEqual(m, 10)
        self.pg.run()
        self.assertNothingLost(acked, thanked)
        # The node carries on once it has reconnected.
        self.assertTrue(poll(lambda: self.ctl("ban", "127.0.0.81",
                                              ok=None)[0] == 0, 10))
        self.assertTrue(self.report_once(self.daemon.port, "after"))
        self.assertIn("after", self.stored_reports())

    def test_kill_9_of_the_node_loses_nothing_acknowledged(self):
        acked, thanked, tried, stop, threads = self.stream()
        self.daemon.kill()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreaterEqual(len(acked), 100)
        self.assertGreaterEqual(len(thanked), 10)
        self.assertNothingLost(acked, thanked)


class TestPgRetention(PgStore, mod.ModTest):
    """Retention in PostgreSQL (strangerd.conf(5), retention): evidence
    past the period is erased and the table vacuumed at once, so the
    old row versions holding it do not wait for autovacuum."""

    def test_evidence_erased_and_vacuumed(self):
        x, y = self.pair("nc", "nc")
        self.assertChat(y, x, "words with a shelf life")
        x.type_line("/report rude")
        x.wait_for("Thank you")
        vacuums = lambda: self.query(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE "
            "relname = 'reports'")[0][0]
        self.assertEqual(vacuums(), "0")
        self.assertEqual(self.daemon.terminate(), 0)
        # Whole seconds: "older than 1 s" may need nearly 2.
        time.sleep(2.1)
        # The sweep runs when the store thread starts.
        self.daemon = Daemon(self.workers, ["-c", self.store_conf(
            self.db, "retention 1s\n")])
        self.addCleanup(self.daemon.cleanup)
        self.daemon.start()
        self.assertTrue(poll(lambda: self.query(
            "SELECT evidence IS NULL FROM reports") == [["t"]]),
            self.daemon.log()[-3000:])
        self.assertTrue(poll(lambda: vacuums() != "0"), vacuums())
        r = self.ctl("reports", json_out=True)[1]
        self.assertEqual(r[0]["evidence"], "(purged)", r)


class TestPgConsole(PgStore, con.ConsoleTest):
    """The moderator console with the store in PostgreSQL, and what it
    says while the database is away (strangerd.conf(5), store)."""

    def test_console_says_store_unavailable(self):
        key, fp = self.moderator_key()
        m = self.console(key)
        m.type_line("/ban 192.0.2.0/28 2h before")
        m.wait_for("banned 192.0.2.0/28")
        self.pg.halt()
        m.type_line("/ban 192.0.2.16/28 2h during")
        m.wait_for("store unavailable")
        self.pg.run()
        self.assertTrue(poll(lambda: "connection back" in
                             self.daemon.log(), 10))
        m.type_line("/ban 192.0.2.32/28 2h after")
        m.wait_for("banned 192.0.2.32/28")
        self.assertEqual(self.query("SELECT who, target FROM audit "
                                    "ORDER BY id"),
                         [[fp, "192.0.2.0/28"], [fp, "192.0.2.32/28"]])
