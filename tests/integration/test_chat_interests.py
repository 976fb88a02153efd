"""
Interests: a visitor who gives some meets someone who shares one first
(and both are told which), and falls back to anyone after the interest
wait (5 s by default).  Normalised: case and spacing do not matter.
"""

import time
import unittest

from harness import DaemonTest

INTEREST_WAIT = 5.0


class TestInterests(DaemonTest):

    def enter_with(self, c, interests):
        """Agree to the rules with interests typed on the welcome line."""
        c.wait_for("Press Enter")
        c.type_line(interests)
        c.wait_for("looking for a stranger")

    def test_shared_interest_wins_and_is_named(self):
        # Someone with no interests waits first: without the preference
        # for a shared interest, the next visitor would take them.
        anyone = self.visitor("raw", name="anyone")
        a = self.raw(name="chess-a")
        self.enter_with(a, "Chess, Music")
        a.wait_for("Your interests: chess, music")
        b = self.raw(name="chess-b")
        self.enter_with(b, "  CHESS ,art")
        a.wait_for("You both like chess")
        b.wait_for("You both like chess")
        self.assertChat(a, b, "hello chess friend")
        self.assertFalse(anyone.has("connected to a stranger"))

    def test_case_and_accents_beyond_ascii_match(self):
        # "CAFÉ" (precomposed capital) and "cafe" + U+0301 (a combining
        # acute, as some keyboards and paste sources send it) are one
        # interest: folded and composed, both meet on "café".
        anyone = self.visitor("raw", name="anyone")
        a = self.raw(name="upper")
        self.enter_with(a, "CAF\u00c9")
        a.wait_for("Your interests: caf\u00e9")
        b = self.raw(name="combining")
        self.enter_with(b, "cafe\u0301, tea")
        a.wait_for("You both like caf\u00e9")
        b.wait_for("You both like caf\u00e9")
        self.assertFalse(anyone.has("connected to a stranger"))

    def test_falls_back_to_anyone(self):
        anyone = self.visitor("raw", name="anyone")
        a = self.raw(name="knitter")
        t0 = time.monotonic()
        self.enter_with(a, "knitting")
        # Held out for a shared interest at first ...
        time.sleep(1.5)
        self.assertFalse(a.has("connected to a stranger"), a.describe())
        # ... then anyone will do.
        a.wait_for("connected to a stranger", timeout=INTEREST_WAIT + 3)
        waited = time.monotonic() - t0
        anyone.wait_for("connected to a stranger")
        self.assertGreater(waited, INTEREST_WAIT - 1)
        self.assertFalse(a.has("you both like"))
        self.assertChat(anyone, a, "hi knitter")

    def test_interests_command_while_waiting(self):
        a = self.visitor("raw", name="a")
        a.type_line("/interests Jazz")
        a.wait_for("Your interests: jazz")
        b = self.visitor("raw", name="b")
        # a is holding out for jazz now: b (no interests) waits.
        time.sleep(1.0)
        self.assertFalse(b.has("connected to a stranger"), b.describe())
        c = self.raw(name="c")
        self.enter_with(c, "jazz")
        a.wait_for("You both like jazz")
        c.wait_for("You both like jazz")
        a.type_line("/interests off")
        a.wait_for("Interests cleared")


if __name__ == "__main__":
    unittest.main()
