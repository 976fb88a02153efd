"""
Typing indicator: "Stranger is typing..." shows on the partner's screen
within half a second of the first key, and goes when the line is sent,
when the line is erased, and after the typing timeout (3 s) of idling.
"""

import sys
import time
import unittest

from harness import DaemonTest
from test_limits import LimitTest

TYPING = "Stranger is typing"


class TestTyping(DaemonTest):

    def latency(self, watcher, pattern, action, present=True):
        t0 = time.monotonic()
        action()
        if present:
            watcher.wait_for(pattern, timeout=3)
        else:
            watcher.wait_gone(pattern, timeout=6)
        return time.monotonic() - t0

    def test_appears_and_clears_on_send(self):
        a, b = self.pair("raw", "raw")
        lat = self.latency(b, TYPING, lambda: a.send("hel"))
        sys.stderr.write("\n  typing indicator latency: %.1f ms\n" %
                         (lat * 1000))
        self.assertLess(lat, 0.5)
        self.assertFalse(a.has(TYPING), "the typist sees no indicator")
        a.send("lo\r")
        b.wait_for("Stranger: hello")
        self.assertFalse(b.has(TYPING), b.describe())

    def test_whole_line_sends_no_notice(self):
        # A line that comes whole with its Enter (pasted, or from a
        # client that sends lines) has nobody typing by the time it is
        # read: the partner must not be sent the notice only to have the
        # line take it down again.  A notice sent ahead of a long line
        # reaches a partner on the other worker on a frame of its own:
        # five pairs, so that some pair is very likely split.
        for p in range(5):
            a, b = self.pair("raw", "raw")
            mark = b.mark()
            for i in range(3):
                text = "pasted %d %s" % (i, "x" * 300)
                a.send(text + "\r")
                b.wait_for("Stranger: pasted %d" % i)
            self.assertNotIn(b"typing", b.since(mark), "pair %d" % p)
            # Typed key by key, it still shows.
            a.send("k")
            b.wait_for(TYPING, timeout=0.5)

    def test_clears_on_erase(self):
        a, b = self.pair("raw", "raw")
        a.send("xy")
        b.wait_for(TYPING, timeout=0.5)
        lat = self.latency(b, TYPING, lambda: a.send("\x7f\x7f"),
                           present=False)
        self.assertLess(lat, 0.5)

    def test_clears_when_idle(self):
        a, b = self.pair("raw", "raw")
        # From before the key: the daemon reads it later, so its idle
        # timer cannot go off sooner, however loaded the machine.  That
        # it is the typist's timer, not the partner's fallback, is
        # TestTypingIdleTimer's to show; the wait is only a hang guard.
        t0 = time.monotonic()
        a.send("abc")
        b.wait_for(TYPING, timeout=0.5)
        b.wait_gone(TYPING, timeout=15)
        idle = time.monotonic() - t0
        sys.stderr.write("\n  typing indicator cleared after %.2f s idle\n"
                         % idle)
        self.assertGreater(idle, 2.5)

    def test_keeps_showing_while_typing(self):
        a, b = self.pair("raw", "raw")
        # Type a key every 0.4 s for 5 s: longer than the idle timeout,
        # so the indicator must be renewed (at most once a second).
        end = time.monotonic() + 5
        seen_gone = False
        a.send("k")
        b.wait_for(TYPING, timeout=0.5)
        while time.monotonic() < end:
            a.send("k")
            time.sleep(0.4)
            if not b.has(TYPING):
                seen_gone = True
        self.assertFalse(seen_gone, "indicator went while still typing")

    def test_plain_mode_shows_nothing(self):
        a, b = self.pair("raw", "nc")
        mark = b.mark()
        a.send("typing away")
        time.sleep(1.0)
        self.assertNotIn(b"typing", b.since(mark).lower())
        a.send("\r")
        b.wait_for("Stranger: typing away")


class TestTypingIdleTimer(LimitTest):
    """The typist's own idle timer takes the indicator down, not the
    partner's fallback (typing_timeout and 1.5 s more without a renewal).
    Keys further apart than typing_timeout but closer than the fallback
    make the indicator go and come back between keys; the fallback alone
    would never take it down, as each key renews it.  Counted in what the
    partner is sent, so no wait has to catch a short gap."""

    conf = {"typing_timeout": "500ms"}

    def test_goes_between_keys(self):
        a, b = self.pair("raw", "raw")
        mark = b.mark()
        for _ in range(4):
            a.send("k")
            time.sleep(1.25)
        drawn = b.since(mark).count(TYPING.encode())
        sys.stderr.write("\n  typing indicator drawn %d times for 4 keys\n" %
                         drawn)
        self.assertGreaterEqual(drawn, 2, "the indicator was drawn %d "
                                "time(s) for 4 keys 1.25 s apart\n%s" %
                                (drawn, b.describe()))


if __name__ == "__main__":
    unittest.main()
