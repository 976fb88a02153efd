"""What a moderator meets at the edges (issue 15 item 5): strangerctl
takes -j after the command, the line-mode console answers every command
of a burst, the console's session list keeps its order, the ban prompt
names the session as the kick prompt does, a moderator's console is not
counted as a visitor, unban takes the id that bans shows, and the bans
columns come in the same order in strangerctl and in the console."""

import json

from harness import new_source
from test_console import ConsoleTest


def session_key(sid):
    """Sessions in the order the lists keep: worker, slot, generation."""
    return tuple(int(x) for x in sid.split("."))


class TestModeratorDetails(ConsoleTest):

    def test_ctl_json_option_after_the_command(self):
        _, out, _ = self.ctl("stats", "-j")
        self.assertEqual(json.loads(out)["sessions"], 0)
        self.ctl("ban", "192.0.2.5", "-j")
        _, out, _ = self.ctl("bans", "-j")
        self.assertEqual([b["target"] for b in json.loads(out)],
                         ["192.0.2.5"])

    def test_line_console_answers_every_command_of_a_burst(self):
        key, _ = self.moderator_key()
        m = self.ssh_async(keys=[key], pty=False)
        m.wait_for("pairings since the start")	# the greeting's counts
        m.send(b"bans\nstats\nbans\nsessions\nquit\n")
        self.assertTrue(m.wait_closed(), m.text())
        text = m.text()
        self.assertEqual(text.count("(no bans)"), 2, text)
        self.assertEqual(text.count("pairings since the start"), 2, text)
        self.assertIn("ADDRESS", text)
        # In the order they were asked.
        first = text.index("(no bans)")
        stats = text.index("pairings since the start", first)
        second = text.index("(no bans)", stats)
        self.assertLess(second, text.index("ADDRESS"), text)

    def test_session_list_keeps_its_order(self):
        for i in range(6):
            self.visitor("nc", source=new_source(), name="v%d" % i)
        orders = set()
        for _ in range(15):
            rows = self.ctl("sessions", json_out=True)[1]
            orders.add(tuple(r["id"] for r in rows))
        self.assertEqual(len(orders), 1, orders)
        ids = list(orders.pop())
        self.assertEqual(len(ids), 6)
        self.assertEqual(ids, sorted(ids, key=session_key))
        self.assertEqual(len({i.split(".")[0] for i in ids}), 2,
                         "every visitor on one worker: %r" % ids)
        # The console lists them in the same order.
        key, _ = self.moderator_key()
        m = self.console(key, cols=100, rows=30)
        m.wait_for(ids[-1])
        shown = [m.row(y).split()[0] for y in range(3, m.rows - 3)
                 if m.row(y).split() and m.row(y).split()[0] in ids]
        self.assertEqual(shown, ids, m.describe())

    def test_ban_prompt_names_the_session(self):
        key, _ = self.moderator_key()
        src = new_source()
        self.visitor("nc", source=src, name="v")
        m = self.console(key, cols=100, rows=30)
        sid = self.select(m, src).split()[0]
        m.send(b"k")
        m.wait_for("Kick %s (telnet %s)? y/n" % (sid, src))
        m.send(b"n")
        m.wait_for("Cancelled")
        m.send(b"b")
        m.wait_for("Ban %s (telnet %s)" % (sid, src))
        m.send(b"\r1h\r")
        m.wait_for("Ban %s (telnet %s)" % (sid, src))
        m.wait_for("y/n")
        m.send(b"y")
        m.wait_for("banned %s" % src)
        self.assertRefused(src)

    def test_console_is_not_a_visitor(self):
        key, _ = self.moderator_key()
        m = self.console(key)
        v = self.visitor("pty", name="v")
        v.wait_for("1 online")
        self.assertEqual(self.ctl("stats", json_out=True)[1]["sessions"], 1)
        m.wait_for("1 online")

    def test_unban_takes_the_id_bans_shows(self):
        self.ctl("ban", "192.0.2.7")
        bid = self.bans()[0]["id"]
        _, out, _ = self.ctl("unban", str(bid))
        self.assertIn("unbanned 192.0.2.7", out)
        self.assertEqual(self.bans(), [])
        _, _, err = self.ctl("unban", str(bid), ok=False)
        self.assertIn("no ban %d" % bid, err)
        key, fp = self.moderator_key()
        m = self.console(key)
        m.type_line("/ban 192.0.2.8")
        m.wait_for("banned 192.0.2.8")
        bid = self.bans()[0]["id"]
        m.type_line("/unban %d" % bid)
        m.wait_for("unbanned 192.0.2.8")
        self.assertEqual(self.bans(), [])
        self.assertAudited(fp, "unban", "192.0.2.8")

    def test_bans_columns_in_the_same_order(self):
        self.ctl("ban", "192.0.2.9", "-r", "spam", "-t", "1h")
        _, out, _ = self.ctl("bans")
        ctl_cols = out.splitlines()[0].split()
        key, _ = self.moderator_key()
        m = self.console(key, cols=200, rows=30)
        m.send(b"3")
        m.wait_for("spam")
        head = next(m.row(y) for y in range(m.rows) if "TARGET" in m.row(y))
        self.assertEqual(head.split(), ctl_cols, m.describe())


if __name__ == "__main__":
    import unittest
    unittest.main()
