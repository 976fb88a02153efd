"""
Reports that hold up: the evidence is the reported chat and only that
chat, both sides labelled as who said it, and a /report typed after the
stranger left (the usual "say something nasty and leave") names that
stranger, with their address, and counts towards the automatic ban.
"""

import time

from harness import poll
from test_moderation import ModTest


class TestReportEvidence(ModTest):

    def visitor_from(self, source, name):
        c = self.from_addr(source, name)
        self.agree(c)
        c.wait_for("looking for a stranger")
        return c

    def reports(self, n=1):
        return poll(lambda: (lambda r: r if len(r) >= n else None)(
            self.ctl("reports", json_out=True)[1]))

    def test_evidence_is_only_the_reported_chat(self):
        a = self.visitor_from("127.0.0.21", "a")
        b = self.visitor_from("127.0.0.22", "b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        a.type_line("hello first stranger")
        b.wait_for("Stranger: hello first stranger")
        b.type_line("i am the earlier one")
        a.wait_for("Stranger: i am the earlier one")
        b.close()
        a.wait_for("The stranger left")
        a.type_line("")
        c = self.visitor_from("127.0.0.23", "c")
        c.wait_for("connected to a stranger")
        poll(lambda: a.text().lower().count("connected to a stranger") == 2)
        c.type_line("the rude line")
        a.wait_for("Stranger: the rude line")
        a.type_line("please stop")
        c.wait_for("Stranger: please stop")
        a.type_line("/report rude")
        a.wait_for("Thank you")
        r = self.reports()[0]
        ev = r["evidence"]
        self.assertIn("127.0.0.23", r["reported"])
        self.assertIn("127.0.0.21", r["reporter"])
        self.assertIn("reported: the rude line", ev)
        self.assertIn("reporter: please stop", ev)
        # Nothing from the chat before, under either label.
        self.assertNotIn("earlier one", ev)
        self.assertNotIn("first stranger", ev)

    def test_report_after_the_stranger_left(self):
        a = self.visitor_from("127.0.0.31", "a")
        b = self.visitor_from("127.0.0.32", "b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        b.type_line("something nasty")
        a.wait_for("Stranger: something nasty")
        b.close()
        a.wait_for("The stranger left")
        a.type_line("/report said something nasty and left")
        a.wait_for("Thank you")
        r = self.reports()[0]
        self.assertIn("127.0.0.32", r["reported"])
        self.assertNotIn("unknown", r["reported"])
        self.assertIn("reported: something nasty", r["evidence"])
        # The same chat is not reported twice.
        a.type_line("/report again")
        a.wait_for("already reported")
        time.sleep(0.3)
        self.assertEqual(len(self.ctl("reports", json_out=True)[1]), 1)

    def test_report_while_looking_again(self):
        # /next, then the stranger goes: the report still names them.
        a = self.visitor_from("127.0.0.41", "a")
        b = self.visitor_from("127.0.0.42", "b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        b.type_line("nasty words")
        a.wait_for("Stranger: nasty words")
        a.type_line("/next")
        b.wait_for("The stranger left")
        b.close()
        time.sleep(0.2)
        a.type_line("/report")
        a.wait_for("Thank you")
        r = self.reports()[0]
        self.assertIn("127.0.0.42", r["reported"])
        self.assertIn("reported: nasty words", r["evidence"])

    def test_no_chat_to_report(self):
        a = self.visitor_from("127.0.0.51", "a")
        a.type_line("/report")
        a.wait_for("Nobody to report")
        self.assertNotIn("Thank you", a.text())

    def test_leavers_are_banned_automatically(self):
        # Reporters on three networks, each left by the same address
        # right after a nasty line: the third report bans it.
        for n in range(3):
            r = self.visitor_from("127.6%d.0.1" % n, "reporter%d" % n)
            t = self.visitor_from("127.0.69.9", "target%d" % n)
            r.wait_for("connected to a stranger")
            t.type_line("nasty %d" % n)
            r.wait_for("Stranger: nasty %d" % n)
            t.close()
            r.wait_for("The stranger left")
            r.type_line("/report")
            r.wait_for("Thank you")
            r.close()
        self.assertTrue(poll(lambda: self.bans()), "no automatic ban")
        self.assertEqual(self.bans()[0]["target"], "127.0.69.9")
        self.assertRefused("127.0.69.9", "automatic")
