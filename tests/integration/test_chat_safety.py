"""
Safety: the receiver of what looks like contact details sees one calm
reminder per chat (the sender sees none); /block ends the chat and the
two never meet again -- even from a new connection from the same
address -- while a third visitor shows that pairing still works.
"""

import time
import unittest

from harness import DaemonTest, poll

NUDGE = "Safety tip"


class TestNudges(DaemonTest):

    def test_once_per_chat_to_the_receiver(self):
        a, b = self.pair("raw", "nc")
        self.assertChat(a, b, "hi there, how are you")
        self.assertNotIn(NUDGE.lower(), b.text().lower())
        a.type_line("add me on snap: jake_99")
        b.wait_for("Stranger: add me on snap")
        b.wait_for(NUDGE)
        self.assertIn("personal information", b.text())
        a.type_line("or call 07700 900123")
        b.wait_for("Stranger: or call")
        a.type_line("ok bye")
        b.wait_for("Stranger: ok bye")
        self.assertEqual(b.text().count(NUDGE), 1, b.text())
        self.assertFalse(a.has(NUDGE), a.describe())

    def test_each_kind(self):
        for line in ("mail me at jake.doe@example.com",
                     "my number is +44 7700 900123",
                     "my insta is jake.99"):
            a, b = self.pair("raw", "nc")
            a.type_line(line)
            b.wait_for("Stranger: " + line)
            b.wait_for(NUDGE, msg=line)
            a.close()
            b.close()

    def test_ordinary_chat_no_nudge(self):
        a, b = self.pair("raw", "nc")
        for line in ("I am 25 and like chess", "meet you at 10:30 in the game",
                     "do you use instagram?"):
            a.type_line(line)
            b.wait_for("Stranger: " + line)
        time.sleep(0.3)
        self.assertNotIn(NUDGE, b.text())


class TestBlock(DaemonTest):

    def visitor_from(self, source, name):
        c = self.raw(name=name, source=source)
        self.agree(c)
        c.wait_for("looking for a stranger")
        return c

    def test_blocked_pair_never_meets_again(self):
        a = self.visitor_from("127.0.0.2", "a")
        b = self.visitor_from("127.0.0.3", "b")
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        a.type_line("/block")
        a.wait_for("you will not meet this stranger again")
        b.wait_for("The stranger left")
        # b is not told it was blocked: it just sees the stranger leave.
        self.assertNotIn("blocked", b.screen_text().lower())

        # b comes back on a new connection from the same address: only
        # the block can keep them apart now (the "just left" rule names
        # the old session).
        b.close()
        b2 = self.visitor_from("127.0.0.3", "b2")
        a.type_line("")
        a.wait_for("looking for a stranger")
        time.sleep(1.5)
        self.assertFalse(b2.has("connected to a stranger"), b2.describe())
        # Only the first chat's "Connected" is on a's screen.
        self.assertEqual(a.screen_text().lower().count(
            "connected to a stranger"), 1, a.describe())

        # A third visitor meets one of them, a fourth the other.
        c = self.visitor_from("127.0.0.4", "c")
        c.wait_for("connected to a stranger")
        d = self.visitor_from("127.0.0.5", "d")
        d.wait_for("connected to a stranger")
        b2.wait_for("connected to a stranger")
        a.wait_for("connected to a stranger")
        # Whoever c met, a and b2 did not meet each other: c's line
        # reaches exactly one of them and d's the other.
        c.type_line("hello from c")
        c.wait_for("You: hello from c")
        got = poll(lambda: [x for x in (a, b2)
                            if x.has("Stranger: hello from c")])
        self.assertEqual(len(got), 1, [x.describe() for x in (a, b2)])
        other = b2 if got[0] is a else a
        d.type_line("hello from d")
        other.wait_for("Stranger: hello from d")

    def test_block_needs_a_chat(self):
        a = self.visitor("raw")
        a.type_line("/block")
        a.wait_for("Nobody to block")


if __name__ == "__main__":
    unittest.main()
