/*
 * Unit tests for view.c and console-view.c: a session and a console
 * drawn onto a screen model, with the time and the counts given, and
 * the screen read back as text.
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"
#include "../../src/console.h"

/* Row y of a screen as UTF-8 text, trailing blanks cut. */
static char *
row_text(struct screen *scr, u_int y)
{
	static char	 buf[SCREEN_MAX_X * 4 + 1];
	struct cell	*c;
	size_t		 len = 0;
	u_int		 x;

	for (x = 0; x < scr->sx; x++) {
		c = screen_cell(scr, x, y);
		if (c->width == 0)
			continue;
		len += utf8_encode(c->cp != 0 ? c->cp : ' ', buf + len);
	}
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
	return (buf);
}

/* Is text on any row of the screen? */
static int
screen_has(struct screen *scr, const char *text)
{
	u_int	y;

	for (y = 0; y < scr->sy; y++)
		if (strstr(row_text(scr, y), text) != NULL)
			return (1);
	return (0);
}

/* A session in a chat since 1 s on the clock, with two lines. */
static void
chat_session(struct session *s, u_int sx, u_int sy)
{
	memset(s, 0, sizeof *s);
	s->state = SESSION_PAIRED;
	s->state_since = 1000;
	s->sx = sx;
	s->sy = sy;
	editor_init(&s->editor, LINE_MAX_CHARS);
	conv_add(&s->conv, LINE_STRANGER, "hello there");
	conv_add(&s->conv, LINE_YOU, "hi");
}

static void	add_line(struct session *, u_int);

static void
chat_free(struct session *s)
{
	conv_free(&s->conv);
	editor_free(&s->editor);
}

/* The status line shows the time and the counts it is given. */
static void
test_chat_status(void **state)
{
	struct view_now	 vn = { 1000 + 125000, 3, 1 };
	struct session	 s;
	struct screen	 scr;

	(void)state;
	chat_session(&s, 80, 24);
	screen_init(&scr, 80, 24);
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0),
	    "chatting with a stranger \xc2\xb7 2 min"));
	assert_non_null(strstr(row_text(&scr, 0),
	    "3 online \xc2\xb7 1 waiting"));
	assert_true(screen_has(&scr, "Stranger: hello there"));
	assert_true(screen_has(&scr, "You: hi"));
	assert_int_equal(strncmp(row_text(&scr, 23), "> ", 1), 0);
	/* Narrow: the counts shrink last, to "3/1". */
	screen_resize(&scr, 20, 6);
	s.sx = 20;
	s.sy = 6;
	vn.online = 12;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0), "12/1"));
	screen_free(&scr);
	chat_free(&s);
}

/*
 * Waiting: the clock counts seconds from when the search began; the
 * status says when it waits for the chat network.
 */
static void
test_waiting_clock(void **state)
{
	struct view_now	 vn = { 1000 + 65000, 1, 1 };
	struct session	 s;
	struct screen	 scr;

	(void)state;
	chat_session(&s, 80, 24);
	s.state = SESSION_WAITING;
	screen_init(&scr, 80, 24);
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0),
	    "looking for a stranger\xe2\x80\xa6 \xc2\xb7 1:05"));
	assert_int_equal(view_status_clock(&s, vn.now), 66);
	/* The cluster's Redis is away (cluster_fallback wait). */
	s.network_away = 1;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0),
	    "waiting for the chat network\xe2\x80\xa6 \xc2\xb7 1:05"));
	screen_free(&scr);
	chat_free(&s);
}

/* A conversation of n lines, some wrapped, for the incremental view. */
static void
many_lines(struct session *s, u_int n)
{
	u_int	i;

	chat_session(s, 80, 24);
	conv_free(&s->conv);
	for (i = 0; i < n; i++)
		add_line(s, i);
}

/* Line i: every fifth wraps over rows, every seventh has a mark. */
static void
add_line(struct session *s, u_int i)
{
	char	buf[256];

	if (i % 5 == 4)
		snprintf(buf, sizeof buf, "line %u %s", i, "words that wrap "
		    "over more than one row of an eighty column screen, "
		    "with more words after them to make three rows of it "
		    "at least when the screen is narrow");
	else if (i % 7 == 6)
		snprintf(buf, sizeof buf, "line %u cafe\xcc\x81 \xe4\xb8\xad", i);
	else
		snprintf(buf, sizeof buf, "line %u", i);
	conv_add(&s->conv, i % 2 ? LINE_YOU : LINE_STRANGER, buf);
}

/* Make a a copy of b, which has the same size. */
static void
copy_screen(struct screen *a, struct screen *b)
{
	memcpy(a->cells, b->cells, (size_t)a->sx * a->sy * sizeof *a->cells);
	screen_copy_marks(a, 0, b, 0, a->sy);
}

/* Are two screens the same, cell for cell and mark for mark? */
static int
screens_equal(struct screen *a, struct screen *b)
{
	u_int	x, y;

	if (a->sx != b->sx || a->sy != b->sy || memcmp(a->cells, b->cells,
	    (size_t)a->sx * a->sy * sizeof *a->cells) != 0)
		return (0);
	for (y = 0; y < a->sy; y++)
		for (x = 0; x < a->sx; x++)
			if (screen_mark(a, x, y) != screen_mark(b, x, y))
				return (0);
	return (1);
}

/*
 * A frame drawn from the last one (only the new lines laid out) is the
 * frame laid out from nothing: for one line added, several, a line that
 * wraps, none (only the input changed), and after scrolling back.
 */
static void
test_incremental(void **state)
{
	struct view_now	 vn = { 5000, 3, 1 };
	struct session	 s;
	struct screen	 prev, next, fresh;
	u_int		 i, n = 30, step[] = { 1, 1, 3, 0, 1, 2, 1, 5, 1 };

	(void)state;
	many_lines(&s, n);
	screen_init(&prev, 80, 24);
	screen_init(&next, 80, 24);
	screen_init(&fresh, 80, 24);
	view_draw(&s, &prev, NULL, &vn);
	for (i = 0; i < sizeof step / sizeof step[0]; i++) {
		while (step[i]-- > 0)
			add_line(&s, n++);
		if (i == 3) {
			s.editor.text = xreallocarray(s.editor.text, 1, 4);
			s.editor.text[0] = 'x';
			s.editor.len = s.editor.cursor = 1;
		}
		view_draw(&s, &next, &prev, &vn);
		assert_int_equal(s.view_seq, s.conv.seq);
		view_draw(&s, &fresh, NULL, &vn);
		assert_true(screens_equal(&next, &fresh));
		copy_screen(&prev, &next);
	}
	/* It did start from prev: a cell only prev has moves up a row. */
	prev.cells[2 * 80 + 79].cp = 'Z';
	add_line(&s, n++);
	view_draw(&s, &next, &prev, &vn);
	assert_int_equal(next.cells[1 * 80 + 79].cp, 'Z');
	view_draw(&s, &fresh, NULL, &vn);
	copy_screen(&prev, &fresh);
	/* Scrolled back: laid out in full, marker and all. */
	s.scroll = 3;
	add_line(&s, n++);
	view_draw(&s, &next, &prev, &vn);
	assert_int_equal(s.view_seq, 0);
	view_draw(&s, &fresh, NULL, &vn);
	assert_true(screens_equal(&next, &fresh));
	assert_true(screen_has(&next, "scrolled back"));
	screen_free(&prev);
	screen_free(&next);
	screen_free(&fresh);
	conv_free(&s.conv);
	editor_free(&s.editor);
}

/*
 * The status and hint rows kept from the last frame drawn are used only
 * for the same inputs: a shared interest, the clock, the counts, the
 * typing notice, the state and the network each make their own row.
 */
static void
test_memo_rows(void **state)
{
	struct view_now	 vn = { 1000 + 5000, 3, 1 };
	struct session	 s;
	struct screen	 scr;

	(void)state;
	chat_session(&s, 80, 24);
	screen_init(&scr, 80, 24);
	s.shared = xstrdup("chess");
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0), "you both like chess"));
	free(s.shared);
	s.shared = NULL;
	view_draw(&s, &scr, NULL, &vn);
	assert_null(strstr(row_text(&scr, 0), "you both like"));
	vn.now += 60000;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0), "1 min"));
	vn.waiting = 7;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0), "7 waiting"));
	s.state = SESSION_WAITING;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0), "looking"));
	s.network_away = 1;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 0), "chat network"));
	s.network_away = 0;
	s.state = SESSION_PAIRED;
	s.partner_typing = 1;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 22), "Stranger is typing"));
	s.partner_typing = 0;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 22), "/next"));
	s.state = SESSION_WELCOME;
	view_draw(&s, &scr, NULL, &vn);
	assert_non_null(strstr(row_text(&scr, 22), "Press Enter"));
	screen_free(&scr);
	chat_free(&s);
}

/* The console: its counts, its tabs and the bans in table order. */
static void
test_console_bans(void **state)
{
	struct session	 s;
	struct console	 c;
	struct screen	 scr;
	char		*cells[TABLE_COLS_MAX], key[] = "SHA256:abc";
	char		*row;

	(void)state;
	memset(&s, 0, sizeof s);
	memset(&c, 0, sizeof c);
	s.sx = 120;
	s.sy = 20;
	s.key = key;
	s.console = &c;
	editor_init(&s.editor, LINE_MAX_CHARS);
	c.s = &s;
	c.pane = CONSOLE_BANS;
	c.have_counts = 1;
	c.counts[STAT_SESSIONS] = 5;
	c.counts[STAT_WAITING] = 2;
	c.counts[STAT_BANS] = 1;
	cells[BCOL_ID] = (char *)"7";
	cells[BCOL_TARGET] = (char *)"192.0.2.1";
	cells[BCOL_KIND] = (char *)"address";
	cells[BCOL_EXPIRES] = (char *)"never";
	cells[BCOL_CREATED] = (char *)"2026-01-01 00:00:00Z";
	cells[BCOL_BY] = (char *)"root";
	cells[BCOL_REASON] = (char *)"spam";
	c.tables[CONSOLE_BANS].cells = cells;
	c.tables[CONSOLE_BANS].nrows = 1;
	c.loaded[CONSOLE_BANS] = 1;
	screen_init(&scr, 120, 20);
	console_view_draw(&s, &scr);
	assert_non_null(strstr(row_text(&scr, 0), "console \xc2\xb7 "
	    "SHA256:abc"));
	assert_non_null(strstr(row_text(&scr, 0), "5 online \xc2\xb7 2 "
	    "waiting"));
	assert_true(screen_has(&scr, "Bans"));
	row = row_text(&scr, 2);
	assert_non_null(strstr(row, "ID"));
	assert_true(strstr(row, "ID") < strstr(row, "TARGET"));
	assert_true(strstr(row, "TARGET") < strstr(row, "KIND"));
	assert_true(strstr(row, "KIND") < strstr(row, "EXPIRES"));
	assert_true(strstr(row, "BY") < strstr(row, "REASON"));
	assert_true(screen_has(&scr, "192.0.2.1"));
	screen_free(&scr);
	editor_free(&s.editor);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat_status),
		cmocka_unit_test(test_waiting_clock),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_memo_rows),
		cmocka_unit_test(test_console_bans),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
