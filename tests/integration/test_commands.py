"""
Chat commands as a visitor meets them: /help in line mode lists only
what works there; commands in any case; //text sends "/text"; a bad
/color or /bell argument is an error; /block right after a chat ended;
and a repeated flood warning is one line with a count, not a screenful.
"""

from harness import DaemonTest


class TestCommands(DaemonTest):

    def test_plain_help_lists_what_works(self):
        a = self.nc()
        a.wait_for("Press Enter")
        a.type_line("/help")
        a.wait_for("/report")
        a.wait_for("/next")
        text = a.text()
        for absent in ("PgUp", "/color", "/bell", "Esc twice", "Ctrl-A"):
            self.assertNotIn(absent, text)

    def test_full_screen_help_lists_keys(self):
        a = self.pty()
        a.wait_for("Press Enter")
        a.type_line("/help")
        a.wait_for("PgUp")
        a.wait_for("/color")

    def test_commands_in_any_case(self):
        a, b = self.pair("pty", "pty")
        a.type_line("/STATUS")
        a.wait_for(r"\d+ online, \d+ waiting", regex=True)
        a.type_line("/Next")
        a.wait_for("You left the stranger")
        b.wait_for("The stranger left")
        self.assertNotIn("Unknown command", a.screen_text())

    def test_double_slash_sends_a_slash_line(self):
        a, b = self.pair("pty", "pty")
        a.type_line("//shrug")
        b.wait_for("Stranger: /shrug")
        a.wait_for("You: /shrug")
        self.assertNotIn("Unknown command", a.screen_text())

    def test_bad_switch_is_an_error(self):
        a = self.visitor("pty")
        a.type_line("/color purple")
        a.wait_for("Usage: /color on|off")
        self.assertNotIn("Colours off", a.screen_text())
        a.type_line("/bell loud")
        a.wait_for("Usage: /bell on|off")
        a.type_line("/color OFF")
        a.wait_for("Colours off")

    def test_block_right_after_the_chat(self):
        a, b = self.pair("pty", "pty")
        b.type_line("/next")
        a.wait_for("The stranger left")
        a.type_line("/block")
        a.wait_for("will not meet that stranger again")
        self.assertNotIn("Nobody to block", a.screen_text())

    def test_nobody_to_block(self):
        a = self.visitor("pty")
        a.type_line("/block")
        a.wait_for("Nobody to block")

    def test_flood_warnings_collapse(self):
        a, b = self.pair("pty", "pty")
        # Past the burst of 10 lines, several are dropped in a row.
        a.send(b"".join(b"line %d\r" % i for i in range(16)))
        a.wait_for(r"Slow down: that line was not sent\. \(\d+ times\)",
                   regex=True)
        self.assertEqual(a.screen_text().count("Slow down"), 1,
                         a.describe())
