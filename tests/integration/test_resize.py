"""Window sizes from NAWS: initial size, resizes, and absurd sizes."""

import time

from harness import DaemonTest, poll, new_source, IAC, SB, SE, OPT_NAWS

WORDS = ["alpha%04d" % i for i in range(1, 31)]	# 9 characters each
MIB = 1024


def styled(cell):
    return cell.reverse or cell.bg != "default"


class ResizeMixin:

    def status_extent(self, c):
        """How far the top (status) line reaches: the number of cells
        from the left that are drawn as a bar, or else the column after
        its last character."""
        cells = c.cells(0)
        n = 0
        while n < len(cells) and styled(cells[n]):
            n += 1
        if n:
            return n
        return len(c.row(0))

    def assertStatusSpans(self, c, cols):
        ok = poll(lambda: "online" in c.row(0).lower() and
                  self.status_extent(c) == cols)
        if not ok:
            self.fail("status line does not span %d columns (reaches %d)\n%s"
                      % (cols, self.status_extent(c), c.describe()))

    def assertWordsIntact(self, c, words=WORDS):
        def intact():
            text = c.screen_text()
            return all(w in text for w in words)
        if not poll(intact):
            text = c.screen_text()
            missing = [w for w in words if w not in text]
            self.fail("after resize to %dx%d, words split or lost: %s\n%s" %
                      (c.cols, c.rows, missing[:5], c.describe()))
        for line in c.lines():
            self.assertLessEqual(len(line), c.cols)


class TestResizePty(DaemonTest, ResizeMixin):
    """inetutils telnet sends a new NAWS when its pty is resized."""

    def test_initial_size_from_naws(self):
        a = self.pty(cols=100, rows=30)
        a.wait_for("Welcome")
        self.assertStatusSpans(a, 100)
        b = self.pty(cols=60, rows=20)
        b.wait_for("Welcome")
        self.assertStatusSpans(b, 60)

    def test_narrower_window_rewraps_chat(self):
        a, b = self.pair(kw_b={"cols": 80, "rows": 24})
        a.type_line(" ".join(WORDS))
        b.wait_for(WORDS[-1])
        self.assertWordsIntact(b)
        b.resize(40, 24)
        self.assertStatusSpans(b, 40)
        self.assertWordsIntact(b)
        b.resize(120, 30)
        self.assertStatusSpans(b, 120)
        self.assertWordsIntact(b)
        # Still chatting after the resizes.
        self.assertChat(b, a, "resized and well")

    def test_fewer_rows_keeps_status_and_input_line(self):
        a, b = self.pair()
        for i in range(8):
            a.type_line("line number %d" % i)
        b.wait_for("Stranger: line number 7")
        b.resize(80, 10)
        self.assertStatusSpans(b, 80)
        b.wait_for("line number 7", msg="newest line stays in view")
        b.send(b"draft")
        b.wait_for("draft", msg="the input line is still visible")


class TestResizeRaw(DaemonTest, ResizeMixin):
    """NAWS sent by hand: repeated, tiny and huge sizes."""

    def test_many_resizes(self):
        a = self.raw(cols=80, rows=24)
        a.wait_for("Welcome")
        for cols, rows in ((100, 40), (30, 10), (200, 50), (81, 25)):
            a.resize(cols, rows)
        self.assertStatusSpans(a, 81)
        self.assertStaysUp()

    def test_huge_naws_is_clamped(self):
        a = self.raw(cols=65535, rows=65535, screen_cols=300, screen_rows=100)
        a.wait_for("Welcome")
        b = self.raw(cols=80, rows=24)
        self.agree(a)
        self.agree(b)
        a.wait_for("connected to a stranger")
        b.wait_for("connected to a stranger")
        self.assertChat(b, a, "can you see me")
        # The screen a client gets is clamped to at most 300 columns.
        width = self.status_extent(a)
        self.assertLessEqual(width, 300, a.describe())
        self.assertGreater(width, 80, "a 65535-column window got %d" % width)
        self.assertRssBelow(64 * MIB, "after a 65535x65535 window")
        self.assertStaysUp()

    def test_zero_naws_does_not_break(self):
        a = self.raw(cols=0, rows=0, screen_cols=80, screen_rows=24)
        a.wait_for("Welcome")
        a.resize(1, 1)
        a.resize(0, 65535)
        a.resize(65535, 0)
        time.sleep(0.3)
        self.assertStaysUp()
        a.resize(80, 24)
        self.agree(a)
        a.wait_for("looking for a stranger")

    def test_many_huge_windows_bounded_memory(self):
        clients = []
        for i in range(20):
            c = self.raw(cols=65535, rows=65535, screen_cols=300,
                         screen_rows=100, name="huge%d" % i,
                         source=new_source())
            clients.append(c)
        for c in clients:
            c.wait_for("Welcome")
        for c in clients:
            self.agree(c)
        for c in clients:
            c.wait_for("stranger")		# looking for / connected to
        # Resizing back and forth must not leak.
        for c in clients:
            for size in ((65535, 1), (1, 65535), (65535, 65535)):
                c.resize(*size)
        time.sleep(0.5)
        self.assertRssBelow(64 * MIB, "with 20 clients at 65535x65535")
        self.assertStaysUp()

    def test_naws_split_across_packets(self):
        a = self.raw(cols=80, rows=24, naws=False)
        a.wait_for("Welcome")
        # Offer NAWS ourselves, one byte at a time.
        msg = bytes([IAC, 251, OPT_NAWS, IAC, SB, OPT_NAWS, 0, 90, 0, 20,
                     IAC, SE])
        a._resize_screen(90, 20)
        for b in msg:
            a.send_raw(bytes([b]))
            time.sleep(0.01)
        self.assertStatusSpans(a, 90)
