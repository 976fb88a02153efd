"""Two visitors with real telnet clients meet, chat and part."""

import re
import time

from harness import DaemonTest, new_source, poll


class TestWelcome(DaemonTest):

    def test_welcome_screen_has_rules_and_waits_for_enter(self):
        a = self.pty()
        a.wait_for("Welcome")
        a.wait_for("Press Enter")
        # Nothing happens until the visitor agrees.
        time.sleep(0.5)
        self.assertFalse(a.has("looking for a stranger"), a.describe())
        a.send(b"\r")
        a.wait_for("looking for a stranger")

    def test_status_line_counts_people_online(self):
        a = self.pty()
        a.wait_for(r"\b1 online", regex=True)
        self.assertIn("online", a.row(0).lower(),
                      "status line is not the top line:\n" + a.describe())
        b = self.pty()
        b.wait_for(r"\b2 online", regex=True)
        # The first visitor's status line follows: the worker looks at
        # the count once a second, then redraws its sessions' status
        # lines over the next second.
        a.wait_for(r"^.*\b2 online", regex=True, timeout=10)
        self.assertRegex(a.row(0), r"\b2 online", a.describe())
        b.close()
        a.wait_for(r"\b1 online", regex=True, timeout=10,
                   msg="count after one visitor left")

    def test_status_line_follows_a_count_that_changes_back(self):
        # The worker walked its sessions only when the count differed
        # from the one it last looked at; a session drawn for another
        # reason in between showed a newer count, and kept it for good
        # if the count went back before the worker looked again.
        a = self.pty()
        a.wait_for(r"\b1 online", regex=True)
        for attempt in range(5):
            source = new_source()
            b = self.nc(source=source)
            self.assertTrue(poll(lambda: "start telnet from %s\n" % source
                                 in self.daemon.log()), self.daemon.log())
            # A key typed redraws a's screen, with the new count...
            a.send(b"x")
            a.wait_for(r"^.*\b2 online", regex=True)
            # ...which goes back, most likely before a's worker looks.
            b.close()
            a.wait_for(r"^.*\b1 online", regex=True, timeout=10,
                       msg="count gone back, attempt %d" % attempt)

    def test_help_lists_commands(self):
        a = self.visitor()
        a.type_line("/help")
        for cmd in ("/next", "/quit", "/report", "/help"):
            a.wait_for(cmd, msg="help text")
        self.assertDaemonUp()


class TestChat(DaemonTest):

    def test_two_visitors_pair_and_chat_both_ways(self):
        a, b = self.pair()
        self.assertChat(a, b, "hello from alice")
        self.assertChat(b, a, "hi alice, bob here")
        # Each line shows once on each side, with the right prefix.
        self.assertNotIn("Stranger: hello from alice", a.screen_text())
        self.assertNotIn("You: hi alice", a.screen_text())
        self.assertNotIn("You: hello from alice", b.screen_text())

    def test_typed_text_is_echoed_on_the_input_line(self):
        a, b = self.pair()
        a.send(b"half typed")
        a.wait_for("half typed", msg="the daemon echoes what is typed")
        time.sleep(0.3)
        self.assertFalse(b.has("half typed"),
                         "partner saw an unfinished line:\n" + b.describe())
        # Backspace edits the line before it is sent.
        a.send(b"\x7f\x7f\x7f\x7f\x7fdone\r")
        b.wait_for("Stranger: half done")

    def test_partner_disconnect_shows_stranger_left(self):
        a, b = self.pair()
        self.assertChat(a, b, "before the hangup")
        b.close()
        a.wait_for("The stranger left")
        self.assertStaysUp()

    def test_partner_reset_shows_stranger_left(self):
        a, b = self.pair(kind_b="raw")
        b.abort()
        a.wait_for("The stranger left")
        self.assertStaysUp()

    def test_cjk_text_arrives_intact(self):
        a, b = self.pair()
        text = "你好世界 こんにちは 안녕하세요"
        self.assertChat(a, b, text)
        self.assertChat(b, a, "谢谢 ありがとう")

    def test_wide_characters_wrap_whole(self):
        """A run of CJK wider than the window wraps between characters,
        none lost, none cut in half at the edge."""
        cols = 41			# odd: a wide character would straddle
        a, b = self.pair(kw_a={"cols": cols}, kw_b={"cols": cols})
        text = "".join(chr(0x4e00 + i * 7) for i in range(50))
        a.type_line(text)
        b.wait_for(text[-3:])
        rows = [l for l in b.lines() if any(0x4e00 <= ord(ch) < 0xa000
                                             for ch in l)]
        joined = "".join(re.sub(r"[^\u4e00-\u9fff]", "", l) for l in rows)
        self.assertIn(text, joined, b.describe())
        for l in rows:
            self.assertNotIn("\ufffd", l, b.describe())

    def test_long_line_wraps_at_word_boundaries(self):
        cols = 43
        a, b = self.pair(kw_a={"cols": cols}, kw_b={"cols": cols})
        words = ["word%05d" % i for i in range(1, 21)]	# 9 characters
        a.type_line(" ".join(words))
        b.wait_for(words[-1])
        a.wait_for(words[-1])
        for c in (a, b):
            text = c.screen_text()
            for w in words:
                self.assertIn(w, text, "word %r split or lost in\n%s" %
                              (w, c.describe()))
            for line in c.lines():
                self.assertLessEqual(len(line), cols)


class TestNext(DaemonTest):

    def _next_with_third(self, leave):
        a, b = self.pair()
        self.assertChat(a, b, "first chat")
        c = self.visitor()
        leave(a)
        b.wait_for("The stranger left")
        # a may not meet b again at once, so a must meet c.
        c.wait_for("connected to a stranger")
        self.assertChat(a, c, "second chat from a")
        self.assertChat(c, a, "reply from c")
        time.sleep(0.2)
        self.assertFalse(b.has("second chat"), b.describe())
        self.assertFalse(b.has("reply from c"), b.describe())

    def test_next_finds_another_stranger(self):
        self._next_with_third(lambda a: a.type_line("/next"))

    def test_escape_twice_is_next(self):
        def esc_esc(a):
            a.send(b"\x1b")
            time.sleep(0.1)
            a.send(b"\x1b")
        self._next_with_third(esc_esc)

    def test_escape_then_text_then_escape_is_not_next(self):
        """Esc twice means two Esc presses in a row: Esc, a key, Esc (or
        two Alt chords, or a pasted OSC ... ESC \\) must not leave."""
        a, b = self.pair()
        for seq in (b"\x1b", b"x", b"\x1b", b"y", b"\x1bb", b"\x1bf"):
            a.send(seq)
            time.sleep(0.25)
        a.send(b"\r")
        time.sleep(0.5)
        self.assertFalse(b.has("The stranger left"), b.describe())
        self.assertChat(a, b, "still together")

    def test_leaver_searches_again(self):
        a, b = self.pair()
        a.type_line("/next")
        b.wait_for("The stranger left")
        a.wait_for("looking for a stranger")
        # Only b is left, whom a has just left: no pairing.
        time.sleep(1)
        a.wait_for("looking for a stranger")
        self.assertStaysUp()

    def test_just_parted_do_not_meet_again(self):
        a, b = self.pair()
        a.type_line("/next")
        b.wait_for("The stranger left")
        b.send(b"\r")			# b searches again too
        b.wait_for("looking for a stranger")
        time.sleep(1.5)
        for c in (a, b):
            self.assertRegex(c.row(0), r"(?i)looking",
                             "%s is not searching:\n%s" %
                             (c.name, c.describe()))
            self.assertNotRegex(c.screen_text().split("left")[-1],
                                r"(?i)connected to a stranger",
                                "the two who just parted met again\n" +
                                c.describe())
        # Newcomers pair with them, one each.
        c = self.visitor()
        c.wait_for("connected to a stranger")
        d = self.visitor()
        d.wait_for("connected to a stranger")
        c.type_line("hello from c")
        d.type_line("hello from d")
        poll(lambda: any(x.has("Stranger: hello from c") for x in (a, b)))
        poll(lambda: any(x.has("Stranger: hello from d") for x in (a, b)))
        hc = [x.name for x in (a, b) if x.has("Stranger: hello from c")]
        hd = [x.name for x in (a, b) if x.has("Stranger: hello from d")]
        self.assertEqual(len(hc), 1, "c's line reached %s" % hc)
        self.assertEqual(len(hd), 1, "d's line reached %s" % hd)
        self.assertNotEqual(hc, hd)

    def test_after_next_old_partner_gets_no_lines(self):
        a, b = self.pair()
        a.type_line("/next")
        b.wait_for("The stranger left")
        b.type_line("are you there")
        time.sleep(0.5)
        self.assertFalse(a.has("are you there"), a.describe())


class TestQuit(DaemonTest):

    def test_quit_command_closes_connection(self):
        a = self.visitor()
        a.type_line("/quit")
        self.assertTrue(a.wait_exit(), "telnet still running after /quit\n"
                        + a.describe())
        self.assertStaysUp()

    def test_quit_tells_the_partner(self):
        a, b = self.pair()
        a.type_line("/quit")
        b.wait_for("The stranger left")

    def test_ctrl_c_closes_connection(self):
        a, b = self.pair()
        a.send(b"\x03")
        self.assertTrue(a.wait_exit(), "telnet still running after Ctrl-C\n"
                        + a.describe())
        b.wait_for("The stranger left")

    def test_telnet_interrupt_process_is_ctrl_c(self):
        """Telnet clients that trap signals locally (localchars, PuTTY's
        special commands) send Ctrl-C as IAC IP (RFC 854)."""
        a, b = self.pair(kind_a="raw")
        a.send_raw(bytes([255, 244]))		# IAC IP
        self.assertTrue(a.wait_closed(), "still connected after IAC IP\n"
                        + a.describe())
        b.wait_for("The stranger left")

    def test_ctrl_c_on_welcome_screen_closes_connection(self):
        a = self.raw()
        a.wait_for("Press Enter")
        a.send(b"\x03")
        self.assertTrue(a.wait_closed(), "still connected after Ctrl-C\n"
                        + a.describe())

    def test_ctrl_d_on_empty_line_closes_connection(self):
        a = self.visitor(kind="raw")
        a.send(b"\x04")
        self.assertTrue(a.wait_closed(), "still connected after Ctrl-D\n"
                        + a.describe())

    def test_ctrl_d_on_nonempty_line_does_not_quit(self):
        a, b = self.pair(kind_a="raw")
        a.send(b"keep")
        a.wait_for("keep")
        a.send(b"\x04")
        time.sleep(0.5)
        self.assertFalse(a.closed, "Ctrl-D with text on the line quit")
        a.send(b"\r")
        b.wait_for("Stranger: keep")
