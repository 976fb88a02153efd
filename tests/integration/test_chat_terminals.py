"""
Terminals and the screens around the chat: a 40x12 phone terminal keeps
the essentials, TERM=dumb and netcat get plain lines with no escape
sequences for every feature, colours follow terminfo and /color, the
bell rings on connect unless /bell off, the welcome text comes from the
operator's rules file (sanitised), and help and status answer.
"""

import os
import re
import time
import unittest

from harness import DaemonTest, poll

COLOUR = re.compile(rb"\x1b\[(?:3[0-7]|9[0-7]|38;5;\d+)m")


class TestNarrow(DaemonTest):

    def test_40x12(self):
        a, b = self.pair("pty", "pty", kw_a={"cols": 40, "rows": 12},
                         kw_b={"cols": 40, "rows": 12})
        status = a.row(0)
        for word in ("chatting", "online", "waiting"):
            self.assertIn(word, status, a.describe())
        self.assertRegex(status, r"\d+ online")
        self.assertChat(b, a, "short hello")
        b.type_line("a line long enough to wrap on a narrow phone screen, "
                    "and then some more words")
        a.wait_for("Stranger: a line long enough")
        a.wait_for("more words")
        b.send("typing")
        a.wait_for("Stranger is typing")
        hints = a.row(10)
        self.assertLessEqual(len(hints), 40)
        # Every row fits: nothing was cut into the next one.
        for line in a.lines():
            self.assertLessEqual(len(line), 40)

    def test_40x12_waiting_status(self):
        a = self.visitor("pty", cols=40, rows=12)
        a.wait_for(r"looking.*0:0\d.*1 online.*1 waiting", regex=True)
        time.sleep(1.2)
        a.wait_for(r"0:0[1-9]", regex=True)

    def test_300x100(self):
        a, b = self.pair("raw", "raw", kw_a={"cols": 300, "rows": 100})
        self.assertIn("chatting with a stranger", a.row(0))
        self.assertIn("online", a.row(0))
        self.assertChat(b, a, "wide hello")


class TestPlain(DaemonTest):

    def assertPlain(self, data):
        self.assertNotIn(b"\x1b", data)
        self.assertNotIn(b"\x07", data)

    def test_dumb_terminal(self):
        a = self.pty(term="dumb")
        self.agree(a)
        a.wait_for("Looking for a stranger")
        b = self.visitor("raw")
        a.wait_for("Connected to a stranger")
        b.send("typing slowly")		# no indicator in line mode
        time.sleep(0.8)
        b.send("\r")
        a.wait_for("Stranger: typing slowly")
        b.type_line("add me on snap: jake_99")
        a.wait_for("Safety tip")
        a.type_line("/status")
        a.wait_for(r"\d+ online, \d+ waiting\. In this chat", regex=True)
        a.type_line("?")
        a.wait_for("/interests")
        self.assertNotIn("typing", a.text().lower().replace(
            "stranger: typing slowly", ""))
        self.assertPlain(a.received())

    def test_netcat(self):
        a = self.nc()
        a.wait_for("Press Enter")
        a.type_line("chess")
        a.wait_for("Your interests: chess")
        a.wait_for("Looking for a stranger")
        b = self.raw()
        b.wait_for("Press Enter")
        b.type_line("chess")
        a.wait_for("You both like chess")
        b.send("abc")
        time.sleep(0.8)
        b.send("\r")
        a.wait_for("Stranger: abc")
        a.type_line("/block")
        a.wait_for("will not meet this stranger again")
        self.assertPlain(a.received())


class TestLooks(DaemonTest):

    def test_colour_off_and_on(self):
        a, b = self.pair("raw", "raw")
        self.assertRegex(a.received(), COLOUR)
        a.type_line("/color off")
        a.wait_for("Colours off")
        time.sleep(0.2)
        mark = a.mark()
        self.assertChat(b, a, "no colour now")
        a.type_line("/help")
        a.wait_for("/block")
        self.assertNotRegex(a.since(mark), COLOUR)
        a.type_line("/color on")
        a.wait_for("Colours on")
        self.assertRegex(a.since(mark), COLOUR)

    def test_no_colour_terminal(self):
        a, b = self.pair("raw", "raw", kw_a={"term": "vt100"})
        self.assertChat(b, a, "plain hello")
        self.assertNotRegex(a.received(), COLOUR)

    def test_bell(self):
        a = self.visitor("raw")
        a.type_line("/bell off")
        a.wait_for("Bell off")
        b = self.visitor("raw")
        b.wait_for("connected to a stranger")
        a.wait_for("connected to a stranger")
        # The bell goes with the frame that says so, or just after it.
        self.assertTrue(poll(lambda: b"\x07" in b.received()),
                        b.received()[-500:])
        self.assertNotIn(b"\x07", a.received())


class TestWelcome(DaemonTest):

    def test_rules_file(self):
        path = os.path.join(self.daemon.statedir, "rules")
        with open(path, "wb") as f:
            f.write(b"House rules of Example Chat\n\tBe excellent\x1b[31m"
                    b" to each other\x07\n\n\n")
        a = self.raw()
        a.wait_for("House rules of Example Chat")
        a.wait_for("Be excellent[31m to each other")
        a.wait_for("Press Enter")
        self.assertFalse(a.has("The rules:"))
        self.assertNotIn(b"\x1b[31m", a.received())
        self.assertNotIn(b"\x07", a.received())
        n = self.nc()
        n.wait_for("House rules of Example Chat")
        n.wait_for("Press Enter")

    def test_default_rules(self):
        a = self.raw()
        a.wait_for("18 or older")
        a.wait_for("Press Enter")

    def test_help(self):
        a = self.visitor("raw", rows=30)
        a.type_line("?")
        for word in ("/next", "/interests", "/block", "/report", "/status",
                     "/color", "/bell", "/quit", "PgUp"):
            a.wait_for(word)


if __name__ == "__main__":
    unittest.main()
