"""The store in PostgreSQL (issue 17, strangerd.conf(5) store): the
moderation tests of test_moderation.py run again with the daemon's
store in a PostgreSQL server of the test class's own, and the schema
it creates is checked.  What only SQLite has (migration 3, a restart
in the same state directory) stays in test_moderation.py."""

import test_moderation as mod
from harness import PgStore


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
