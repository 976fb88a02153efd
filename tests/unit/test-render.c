/*
 * Unit tests for screen.c, screen-pack.c, render.c and render-term.c.  What render
 * emits is fed to libvterm, a terminal emulator, and what it then shows
 * is compared cell by cell with the screen model.  Needs -lvterm.
 */

#include <locale.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <vterm.h>

#include "strangerd.h"

/* A terminal emulator that reads what we render. */
struct vt {
	VTerm		*vt;
	VTermScreen	*vs;
	int		 visible;	/* cursor visible */
	u_int		 pushed;	/* lines scrolled off: stays 0 */
};

static uint64_t	rng_state;

/* Deterministic xorshift64*, so failures can be replayed. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * 2685821657736338717ULL) >> 32);
}

/* Return a random number below n (n > 0). */
static u_int
rnd(u_int n)
{
	return (rng() % n);
}

/* Count lines that scroll off the top: rendering must never scroll. */
static int
vt_pushline(int cols, const VTermScreenCell *cells, void *data)
{
	struct vt	*v = data;

	(void)cols;
	(void)cells;
	v->pushed++;
	return (1);
}

/* Track cursor visibility. */
static int
vt_settermprop(VTermProp prop, VTermValue *val, void *data)
{
	struct vt	*v = data;

	if (prop == VTERM_PROP_CURSORVISIBLE)
		v->visible = val->boolean;
	return (1);
}

static const VTermScreenCallbacks vt_callbacks = {
	.settermprop = vt_settermprop,
	.sb_pushline = vt_pushline,
};

/* Start an emulator of sx by sy. */
static void
vt_open(struct vt *v, u_int sx, u_int sy)
{
	memset(v, 0, sizeof *v);
	v->vt = vterm_new(sy, sx);
	vterm_set_utf8(v->vt, 1);
	v->vs = vterm_obtain_screen(v->vt);
	vterm_screen_set_callbacks(v->vs, &vt_callbacks, v);
	vterm_screen_reset(v->vs, 1);
	v->visible = 1;
}

/* Stop an emulator. */
static void
vt_close(struct vt *v)
{
	vterm_free(v->vt);
}

/* Feed everything in out to the emulator and empty out. */
static size_t
vt_feed(struct vt *v, struct evbuffer *out)
{
	size_t		 len = evbuffer_get_length(out);
	const char	*p;

	if (len == 0)
		return (0);
	p = (const char *)evbuffer_pullup(out, -1);
	assert_int_equal(vterm_input_write(v->vt, p, len), len);
	evbuffer_drain(out, len);
	return (len);
}

/* Compare the emulator with what shown says the terminal shows. */
static void
vt_check(struct vt *v, const struct term *t, const struct screen *s)
{
	VTermScreenCell	 vc;
	VTermPos	 pos;
	const struct cell *c;
	u_int		 x, y, fg;
	uint32_t	 want;
	int		 rows, cols;

	vterm_get_size(v->vt, &rows, &cols);
	assert_int_equal(rows, s->sy);
	assert_int_equal(cols, s->sx);
	assert_int_equal(v->pushed, 0);

	for (y = 0; y < s->sy; y++) {
		for (x = 0; x < s->sx; x++) {
			c = &s->cells[y * s->sx + x];
			pos.row = y;
			pos.col = x;
			vterm_screen_get_cell(v->vs, pos, &vc);
			if (c->width == 0) {
				/* A right half: the emulator says the same. */
				assert_int_equal(vc.chars[0], (uint32_t)-1);
				continue;
			}
			want = c->cp;
			if (vc.chars[0] == 0 && want == ' ' && !c->mark)
				want = 0;	/* erased, never written */
			if (vc.chars[0] != want || vc.width != c->width)
				fail_msg("cell %u,%u: have U+%04X w%d, want "
				    "U+%04X w%u", x, y, vc.chars[0], vc.width,
				    c->cp, c->width);
			if (want != 0)
				assert_int_equal(vc.chars[1],
				    screen_mark(s, x, y));
			assert_int_equal(vc.attrs.bold,
			    !!(c->attr & ATTR_BOLD));
			assert_int_equal(vc.attrs.reverse,
			    !!(c->attr & ATTR_REVERSE));
			fg = (c->attr & ATTR_FGMASK) >> 4;
			if (fg != 0 && t->colours >= (int)fg) {
				assert_true(VTERM_COLOR_IS_INDEXED(&vc.fg));
				assert_int_equal(vc.fg.indexed.idx, fg - 1);
			} else
				assert_true(VTERM_COLOR_IS_DEFAULT_FG(&vc.fg));
		}
	}

	vterm_state_get_cursorpos(vterm_obtain_state(v->vt), &pos);
	assert_int_equal(pos.col, s->cx);
	assert_int_equal(pos.row, s->cy);
	if (*t->civis != '\0' && *t->cnorm != '\0')
		assert_int_equal(v->visible, s->cursor_visible);
}

/*
 * Is shown what next asked for, apart from the bottom-right corner and
 * a wide character reaching into it, which render leaves blank?
 */
static void
check_shown(const struct screen *shown, const struct screen *next)
{
	const struct cell	*a, *b;
	u_int			 i, n = shown->sx * shown->sy;

	assert_int_equal(shown->sx, next->sx);
	assert_int_equal(shown->sy, next->sy);
	for (i = 0; i < n; i++) {
		a = &shown->cells[i];
		b = &next->cells[i];
		if (i == n - 1 || (i == n - 2 && b->width == 2)) {
			assert_int_equal(a->cp, ' ');
			continue;
		}
		if (a->cp != b->cp || a->attr != b->attr ||
		    a->width != b->width ||
		    screen_mark(shown, i % shown->sx, i / shown->sx) !=
		    screen_mark(next, i % shown->sx, i / shown->sx))
			fail_msg("cell %u,%u differs", i % shown->sx,
			    i / shown->sx);
	}
	assert_int_equal(shown->cx, next->cx);
	assert_int_equal(shown->cy, next->cy);
	assert_int_equal(shown->cursor_visible, next->cursor_visible);
}

/* Append one random code point as UTF-8: mostly ASCII, some wide. */
static size_t
rnd_char(char *buf)
{
	static const uint32_t	 marks[] = { 0x301, 0x308, 0x327, 0x20dd };
	static const uint32_t	 misc[] = { 0xe9, 0x3b1, 0x416, 0x2500,
	    0x2588, 0x20ac, 0xfffd, 0x1 /* never trusted */, 0x7f };
	uint32_t		 cp;
	u_int			 r = rnd(100);

	if (r < 55)
		cp = 0x20 + rnd(0x5f);
	else if (r < 70)
		cp = 0x4e00 + rnd(0x5000);	/* CJK: wide */
	else if (r < 75)
		cp = 0x3041 + rnd(0x50);	/* hiragana: wide */
	else if (r < 80)
		cp = 0xac00 + rnd(0x2000);	/* hangul: wide */
	else if (r < 90)
		cp = marks[rnd(sizeof marks / sizeof marks[0])];
	else
		cp = misc[rnd(sizeof misc / sizeof misc[0])];
	return (utf8_encode(cp, buf));
}

/* Return a random attribute. */
static uint8_t
rnd_attr(void)
{
	uint8_t	attr = rnd(8) & (ATTR_BOLD|ATTR_REVERSE|ATTR_DIM);

	if (rnd(2))
		attr |= ATTR_FG(rnd(16));
	return (attr);
}

/* Make a few random changes to s. */
static void
rnd_change(struct screen *s)
{
	char	 text[256];
	size_t	 len;
	u_int	 n, i, x, y, maxx;

	for (n = 1 + rnd(4); n > 0; n--) {
		x = rnd(s->sx);
		y = rnd(s->sy);
		switch (rnd(10)) {
		case 0:
			screen_fill(s, x, y, rnd(s->sx + 2), rnd_attr());
			break;
		case 1:
			if (rnd(20) == 0)
				screen_clear(s);
			break;
		default:
			len = 0;
			for (i = rnd(40); i > 0; i--)
				len += rnd_char(text + len);
			maxx = x + rnd(s->sx - x + 1);
			if (rnd(4) == 0)
				maxx = s->sx;
			screen_puts(s, x, y, maxx, text, len, rnd_attr());
			break;
		}
	}
	screen_cursor(s, rnd(s->sx), rnd(s->sy), rnd(10) != 0);
}

/* Check the grid invariant: wide cells and right halves come in pairs. */
static void
check_grid(const struct screen *s)
{
	const struct cell	*row;
	u_int			 x, y;

	for (y = 0; y < s->sy; y++) {
		row = s->cells + y * s->sx;
		for (x = 0; x < s->sx; x++) {
			if (row[x].width == 2) {
				assert_true(x + 1 < s->sx);
				assert_int_equal(row[x + 1].width, 0);
				assert_int_equal(row[x + 1].cp, 0);
			} else if (row[x].width == 0) {
				assert_true(x > 0);
				assert_int_equal(row[x - 1].width, 2);
			} else
				assert_int_equal(row[x].width, 1);
		}
	}
}

/* Random screens at one size and terminal, diffed and checked. */
static void
run_random(const char *name, u_int sx, u_int sy, u_int iterations)
{
	const struct term	*t = term_get(name);
	struct screen		 shown, next;
	struct screen_pack	 pack;
	struct evbuffer		*out = evbuffer_new();
	struct vt		 v;
	u_int			 i;

	rng_state = 0x5eed0000ULL + sx * 1000 + sy;
	assert_false(t->plain);
	vt_open(&v, sx, sy);
	screen_init(&shown, sx, sy);
	screen_init(&next, sx, sy);

	render_enter(t, out);
	vt_feed(&v, out);
	vt_check(&v, t, &shown);

	screen_pack_init(&pack, sx, sy);
	for (i = 0; i < iterations; i++) {
		rnd_change(&next);
		check_grid(&next);
		/* As a session does: shown kept packed between frames. */
		memset(shown.cells, 0xff, (size_t)sx * sy * sizeof *shown.cells);
		screen_unpack(&shown, &pack);
		if (rnd(100) == 0)
			render_full(t, &shown, &next, out);
		else
			render_diff(t, &shown, &next, out);
		screen_pack(&pack, &shown);
		vt_feed(&v, out);
		check_shown(&shown, &next);
		/* The big screen is slow to compare; sample it. */
		if (sx * sy < 10000 || i % 10 == 0 || i == iterations - 1)
			vt_check(&v, t, &shown);
	}

	/* Nothing changed: nothing to send. */
	render_diff(t, &shown, &next, out);
	assert_int_equal(evbuffer_get_length(out), 0);

	render_leave(t, out);
	assert_true(evbuffer_get_length(out) > 0);

	screen_free(&shown);
	screen_free(&next);
	screen_pack_free(&pack);
	vt_close(&v);
	evbuffer_free(out);
}

/* Random diffs on xterm-256color at each size. */
static void
test_random_20x5(void **state)
{
	(void)state;
	run_random("xterm-256color", 20, 5, 2000);
}

/* The same at another size. */
static void
test_random_40x12(void **state)
{
	(void)state;
	run_random("xterm-256color", 40, 12, 2000);
}

/* The same at another size. */
static void
test_random_80x24(void **state)
{
	(void)state;
	run_random("xterm-256color", 80, 24, 2000);
}

/* The same at another size. */
static void
test_random_300x100(void **state)
{
	(void)state;
	run_random("xterm-256color", 300, 100, 2000);
}

/* Other terminal types: fewer colours, padding, the default entry. */
static void
test_random_other_terms(void **state)
{
	(void)state;
	run_random("vt100", 80, 24, 500);
	run_random("linux", 80, 24, 500);
	run_random("screen", 40, 12, 500);
	run_random("no-such-term", 80, 24, 500);
	run_random("XTERM", 20, 5, 500);
}

/*
 * Move rows top + k to bottom of s up by k, as a new line moves the
 * conversation, and write random text in the k rows that come free.
 */
static void
rnd_shift(struct screen *s, u_int top, u_int bottom, u_int k)
{
	char	 text[256];
	size_t	 len;
	u_int	 y, i;

	memmove(s->cells + top * s->sx, s->cells + (top + k) * s->sx,
	    (bottom + 1 - top - k) * s->sx * sizeof *s->cells);
	screen_copy_marks(s, top, s, top + k, bottom + 1 - top - k);
	for (y = bottom + 1 - k; y <= bottom; y++) {
		screen_fill(s, 0, y, s->sx, 0);
		len = 0;
		for (i = rnd(60); i > 0; i--)
			len += rnd_char(text + len);
		screen_puts(s, rnd(4), y, s->sx, text, len, rnd_attr());
	}
}

/*
 * Frames where a band of rows moves up by a few rows, plus random
 * changes: the scroll region path, read back through libvterm.  Return
 * how many frames used a scroll region.
 */
static u_int
run_scroll(const char *name, u_int sx, u_int sy, u_int iterations)
{
	const struct term	*t = term_get(name);
	struct screen		 shown, next;
	struct evbuffer		*out = evbuffer_new();
	struct vt		 v;
	u_int			 i, y, top, bottom, k, scrolled = 0;
	char			 text[256];
	size_t			 len, n;
	const char		*p;

	rng_state = 0x5c5011ULL + sx * 1000 + sy;
	vt_open(&v, sx, sy);
	screen_init(&shown, sx, sy);
	screen_init(&next, sx, sy);
	render_enter(t, out);
	vt_feed(&v, out);

	/* Start with every row holding something. */
	for (y = 0; y < sy; y++) {
		len = 0;
		for (i = 10 + rnd(50); i > 0; i--)
			len += rnd_char(text + len);
		screen_puts(&next, 0, y, sx, text, len, rnd_attr());
	}
	render_diff(t, &shown, &next, out);
	vt_feed(&v, out);
	vt_check(&v, t, &shown);

	for (i = 0; i < iterations; i++) {
		/* Mostly the conversation's band: row 1 to sy - 3. */
		if (rnd(4) != 0) {
			top = 1;
			bottom = sy - 3;
		} else {
			top = rnd(sy);
			bottom = top + rnd(sy - top);
		}
		k = 1 + rnd(5);
		if (bottom > top && k <= bottom - top)
			rnd_shift(&next, top, bottom, k);
		if (rnd(3) == 0)
			rnd_change(&next);
		else
			screen_cursor(&next, rnd(sx), sy - 1, rnd(10) != 0);
		check_grid(&next);
		render_diff(t, &shown, &next, out);
		n = evbuffer_get_length(out);
		p = (const char *)evbuffer_pullup(out, -1);
		if (n > 0 && memmem(p, n, "\033[r", 3) != NULL)
			scrolled++;
		vt_feed(&v, out);
		check_shown(&shown, &next);
		vt_check(&v, t, &shown);
	}

	render_diff(t, &shown, &next, out);
	assert_int_equal(evbuffer_get_length(out), 0);

	screen_free(&shown);
	screen_free(&next);
	vt_close(&v);
	evbuffer_free(out);
	return (scrolled);
}

/* A band moving up is scrolled with a region, and the screen stays right. */
static void
test_scroll(void **state)
{
	(void)state;
	assert_true(run_scroll("xterm-256color", 80, 24, 2000) > 500);
	(void)run_scroll("xterm-256color", 20, 5, 1000);	/* too few rows */
	assert_true(run_scroll("xterm-256color", 40, 12, 1000) > 250);
	assert_true(run_scroll("xterm-256color", 300, 100, 300) > 75);
	assert_true(run_scroll("vt100", 80, 24, 500) > 125);
	assert_true(run_scroll("linux", 80, 24, 500) > 125);
	assert_true(run_scroll("screen", 40, 12, 500) > 125);
	assert_true(run_scroll("no-such-term", 80, 24, 500) > 125);
	/* No scroll region: plain diffs, still right. */
	assert_int_equal(run_scroll("ansi", 80, 24, 300), 0);
}

/* A full render, then a resize redraws everything at the new size. */
static void
test_full_and_resize(void **state)
{
	const struct term	*t = term_get("xterm-256color");
	struct screen		 shown, next;
	struct evbuffer		*out = evbuffer_new();
	struct vt		 v;
	u_int			 y;
	char			 line[64];

	(void)state;
	vt_open(&v, 40, 12);
	screen_init(&shown, 40, 12);
	screen_init(&next, 40, 12);
	for (y = 0; y < 12; y++) {
		snprintf(line, sizeof line,
		    "line %u \xe4\xb8\xad\xe6\x96\x87 e\xcc\x81", y);
		screen_puts(&next, 0, y, 40, line, strlen(line), ATTR_FG(y));
	}
	/* The last row entirely in reverse video, to the corner. */
	screen_fill(&next, 0, 11, 40, ATTR_REVERSE);
	screen_puts(&next, 38, 11, 40, "\xe4\xb8\xad", 3, ATTR_REVERSE);
	screen_cursor(&next, 5, 3, 1);

	render_enter(t, out);
	render_full(t, &shown, &next, out);
	vt_feed(&v, out);
	check_shown(&shown, &next);
	vt_check(&v, t, &shown);

	screen_resize(&next, 60, 20);
	screen_puts(&next, 10, 19, 60, "bottom", 6, ATTR_BOLD);
	screen_puts(&next, 55, 0, 60, "top\xe4\xb8\xad", 6, 0);
	screen_cursor(&next, 59, 19, 0);
	vterm_set_size(v.vt, 20, 60);
	v.pushed = 0;
	render_diff(t, &shown, &next, out);
	vt_feed(&v, out);
	check_shown(&shown, &next);
	vt_check(&v, t, &shown);

	/* Shrinking, too. */
	screen_resize(&next, 20, 5);
	screen_puts(&next, 0, 0, 20, "small", 5, 0);
	screen_cursor(&next, 0, 1, 1);
	vterm_set_size(v.vt, 5, 20);
	v.pushed = 0;	/* the emulator's own doing, shrinking */
	render_diff(t, &shown, &next, out);
	vt_feed(&v, out);
	vt_check(&v, t, &shown);

	screen_free(&shown);
	screen_free(&next);
	vt_close(&v);
	evbuffer_free(out);
}

/* Changing one cell costs a few bytes, not a redraw. */
static void
test_diff_is_small(void **state)
{
	const struct term	*t = term_get("xterm-256color");
	struct screen		 shown, next;
	struct evbuffer		*out = evbuffer_new();
	struct vt		 v;
	size_t			 full, diff;
	u_int			 y;
	char			 line[128];

	(void)state;
	vt_open(&v, 80, 24);
	screen_init(&shown, 80, 24);
	screen_init(&next, 80, 24);
	for (y = 0; y < 24; y++) {
		memset(line, 'a' + y, 79);
		screen_puts(&next, 0, y, 80, line, 79, y % 3 ? 0 : ATTR_BOLD);
	}
	render_full(t, &shown, &next, out);
	full = vt_feed(&v, out);

	screen_puts(&next, 40, 10, 80, "X", 1, 0);
	render_diff(t, &shown, &next, out);
	diff = vt_feed(&v, out);
	vt_check(&v, t, &shown);
	/* Move there, write it, move the cursor back. */
	assert_true(diff > 0);
	assert_true(diff <= 16);
	assert_true(diff * 100 < full);

	/* Two changes close together are one run, without a second cup. */
	screen_puts(&next, 40, 10, 80, "Y", 1, 0);
	screen_puts(&next, 43, 10, 80, "Z", 1, 0);
	render_diff(t, &shown, &next, out);
	diff = vt_feed(&v, out);
	vt_check(&v, t, &shown);
	assert_true(diff <= 16 + 3);

	/* Clearing the end of a row uses el. */
	screen_fill(&next, 10, 5, 70, 0);
	screen_cursor(&next, 10, 5, 1);
	render_diff(t, &shown, &next, out);
	diff = vt_feed(&v, out);
	vt_check(&v, t, &shown);
	assert_true(diff <= 20);

	screen_free(&shown);
	screen_free(&next);
	vt_close(&v);
	evbuffer_free(out);
}

/* screen_puts: widths, clipping, combining marks, split wide chars. */
static void
test_screen_puts(void **state)
{
	struct screen	 s;
	struct cell	*c;

	(void)state;
	screen_init(&s, 20, 5);

	/* A wide char that would straddle maxx becomes a space. */
	assert_int_equal(screen_puts(&s, 0, 0, 4, "a\xe4\xb8\xad\xe4\xb8\xad",
	    7, 0), 4);
	assert_int_equal(screen_cell(&s, 1, 0)->width, 2);
	assert_int_equal(screen_cell(&s, 2, 0)->width, 0);
	assert_int_equal(screen_cell(&s, 3, 0)->cp, ' ');
	assert_int_equal(screen_cell(&s, 4, 0)->cp, ' ');

	/* A combining mark at the start is dropped, later it attaches. */
	assert_int_equal(screen_puts(&s, 0, 1, 20,
	    "\xcc\x81" "e\xcc\x81\xcc\x88", 7, 0), 1);
	c = screen_cell(&s, 0, 1);
	assert_int_equal(c->cp, 'e');
	assert_int_equal(screen_mark(&s, 0, 1), 0x301);

	/* A mark after a wide char goes on its left half. */
	screen_puts(&s, 0, 2, 20, "\xe4\xb8\xad\xcc\x81", 5, 0);
	assert_int_equal(screen_mark(&s, 0, 2), 0x301);
	assert_int_equal(screen_mark(&s, 1, 2), 0);

	/* Overwriting either half of a wide char blanks the other. */
	screen_puts(&s, 1, 0, 20, "x", 1, 0);
	assert_int_equal(screen_cell(&s, 0, 0)->cp, 'a');
	assert_int_equal(screen_cell(&s, 1, 0)->cp, 'x');
	assert_int_equal(screen_cell(&s, 2, 0)->cp, ' ');
	assert_int_equal(screen_cell(&s, 2, 0)->width, 1);
	screen_puts(&s, 0, 2, 20, "\xe4\xb8\xad", 3, 0);
	screen_puts(&s, 1, 2, 20, "y", 1, 0);
	assert_int_equal(screen_cell(&s, 0, 2)->cp, ' ');
	assert_int_equal(screen_mark(&s, 0, 2), 0);
	check_grid(&s);

	/* Controls and out-of-range positions. */
	assert_int_equal(screen_puts(&s, 0, 3, 20, "a\tb\033c\x7f", 6, 0), 3);
	assert_int_equal(screen_puts(&s, 20, 3, 20, "a", 1, 0), 0);
	assert_int_equal(screen_puts(&s, 0, 5, 20, "a", 1, 0), 0);
	assert_int_equal(screen_puts(&s, 0, 4, 99, "\xe4\xb8\xad", 3, 0), 2);
	assert_int_equal(screen_puts(&s, 19, 4, 99, "\xe4\xb8\xad", 3, 0), 1);
	assert_null(screen_cell(&s, 20, 0));
	screen_fill(&s, 18, 4, 100, ATTR_BOLD);
	check_grid(&s);

	/* Resizing clamps. */
	screen_resize(&s, 0, 100000);
	assert_int_equal(s.sx, 1);
	assert_int_equal(s.sy, SCREEN_MAX_Y);
	screen_free(&s);
	screen_free(NULL);
}

/* Unpacking a packed screen gives back every cell, mark and the cursor. */
static void
check_pack(const struct screen *s, struct screen_pack *p, struct screen *u)
{
	u_int	i, n = s->sx * s->sy;

	screen_pack(p, s);
	screen_resize(u, 7, 3);
	screen_puts(u, 0, 0, 7, "garbage", 7, ATTR_BOLD);
	screen_unpack(u, p);
	assert_int_equal(u->sx, s->sx);
	assert_int_equal(u->sy, s->sy);
	for (i = 0; i < n; i++) {
		if (memcmp(&u->cells[i], &s->cells[i], sizeof s->cells[i]) != 0)
			fail_msg("cell %u,%u differs", i % s->sx, i / s->sx);
		assert_int_equal(screen_mark(u, i % s->sx, i / s->sx),
		    screen_mark(s, i % s->sx, i / s->sx));
	}
	assert_int_equal(u->cx, s->cx);
	assert_int_equal(u->cy, s->cy);
	assert_int_equal(u->cursor_visible, s->cursor_visible);
}

/*
 * screen_pack: a session's shown screen, kept packed.  A chat screen
 * packs to a fraction of its 7,680 bytes; any screen comes back whole;
 * the largest screen a hostile client can ask for stays far below 1 MiB.
 */
static void
test_screen_pack(void **state)
{
	struct screen		 s, u;
	struct screen_pack	 p;
	char			 line[81];
	u_int			 i, y;

	(void)state;
	rng_state = 0x9acc;
	screen_init(&s, 80, 24);
	screen_init(&u, 80, 24);
	screen_pack_init(&p, 80, 24);
	screen_unpack(&u, &p);
	check_pack(&u, &p, &s);
	assert_int_equal(p.len, 0);

	/* A conversation: twenty lines of text, a status and an input row. */
	for (y = 0; y < 20; y++) {
		for (i = 0; i < 40 + y; i++)
			line[i] = 'a' + (i * 7 + y) % 26;
		screen_puts(&s, 0, y, 80, "Stranger: ", 10, ATTR_FG(2));
		screen_puts(&s, 10, y, 80, line, 40 + y, 0);
	}
	screen_fill(&s, 0, 22, 80, ATTR_REVERSE);
	screen_puts(&s, 1, 22, 80, "Connected  0:42  1,234 online", 29,
	    ATTR_REVERSE);
	screen_puts(&s, 0, 23, 80, "> hello there", 13, 0);
	screen_cursor(&s, 13, 23, 1);
	check_pack(&s, &p, &u);
	assert_true(p.len < 1400);

	/* Random screens with wide characters, marks and attributes. */
	for (i = 0; i < 200; i++) {
		rnd_change(&s);
		check_pack(&s, &p, &u);
	}

	/* The worst a hostile window size can make of it. */
	screen_resize(&s, SCREEN_MAX_X, SCREEN_MAX_Y);
	for (y = 0; y < SCREEN_MAX_Y; y++)
		for (i = 0; i < SCREEN_MAX_X; i += 2)
			screen_puts(&s, i, y, SCREEN_MAX_X,
			    "\xe4\xb8\xad\xcc\x81", 5, ATTR_BOLD);
	check_pack(&s, &p, &u);
	assert_true(p.len < 1024 * 1024);

	screen_free(&s);
	screen_free(&u);
	screen_pack_free(&p);
}

/* term_get: known types, the plain entry, fallbacks and the cache. */
static void
test_term_get(void **state)
{
	const struct term	*t, *d;
	char			*big;
	u_int			 i;

	(void)state;
	t = term_get("xterm-256color");
	assert_non_null(t);
	assert_false(t->plain);
	assert_int_equal(t->colours, 256);
	assert_true(t->ansi_cup);
	assert_string_equal(t->setaf[1], "\033[31m");
	assert_string_equal(t->setaf[9], "\033[91m");
	assert_ptr_equal(term_get("xterm-256color"), t);
	assert_int_equal(term_get("XTERM-256COLOR")->colours, 256);

	assert_true(term_get("dumb")->plain);
	assert_true(term_get(NULL)->plain);
	assert_true(term_get("")->plain);
	assert_true(term_get("unknown")->plain);
	assert_true(term_get("DUMB")->plain);

	d = term_get("no-such-term");
	assert_false(d->plain);
	assert_true(d->ansi_cup);
	assert_true(*d->clear != '\0');
	assert_ptr_equal(term_get("no-such-term"), d);
	assert_ptr_equal(term_get("../../etc/passwd"), d);
	assert_ptr_equal(term_get("xterm\033[31m"), d);
	assert_ptr_equal(term_get("xterm 256"), d);
	assert_ptr_equal(term_get("\xe4\xb8\xad"), d);
	big = malloc(10240);
	memset(big, 'a', 10239);
	big[10239] = '\0';
	assert_ptr_equal(term_get(big), d);
	free(big);

	/* vt100 pads with $<n>: none of it may reach the client. */
	t = term_get("vt100");
	assert_false(t->plain);
	assert_int_equal(t->colours, 0);
	assert_true(t->ansi_cup);
	assert_null(strstr(t->sgr0, "$<"));
	assert_null(strstr(t->clear, "$<"));
	assert_null(strstr(t->el, "$<"));
	for (i = 0; i < TERM_NCOLOURS; i++)
		assert_string_equal(t->setaf[i], "");

	t = term_get("linux");
	assert_int_equal(t->colours, 8);
	assert_string_equal(t->setaf[8], "");
}

/* term_cup through tiparm for a terminal that is not ANSI. */
static void
test_term_cup(void **state)
{
	const struct term	*t;
	struct evbuffer		*out = evbuffer_new();
	char			 buf[32];
	size_t			 len;

	(void)state;
	t = term_get("xterm");
	term_cup(t, out, 9, 4);
	len = evbuffer_remove(out, buf, sizeof buf - 1);
	buf[len] = '\0';
	assert_string_equal(buf, "\033[5;10H");

	t = term_get("vt52");
	assert_false(t->plain);
	assert_false(t->ansi_cup);
	term_cup(t, out, 9, 4);
	len = evbuffer_remove(out, buf, sizeof buf - 1);
	buf[len] = '\0';
	assert_string_equal(buf, "\033Y$)");

	/* Nothing at all for the plain entry. */
	t = term_get("dumb");
	render_enter(t, out);
	render_leave(t, out);
	assert_int_equal(evbuffer_get_length(out), 0);
	evbuffer_free(out);
}

/* Many threads asking at once. */
static void *
term_thread(void *arg)
{
	static const char	*names[] = { "vt52", "xterm", "screen", "nope",
	    "tmux-256color", "rxvt", "dumb", "vt220", "ansi" };
	struct evbuffer		*out = evbuffer_new();
	const struct term	*t;
	u_int			 i;
	char			 buf[32];
	size_t			 len;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		t = term_get(names[i % (sizeof names / sizeof names[0])]);
		if (t->plain)
			continue;
		term_cup(t, out, i % 80, i % 24);
		len = evbuffer_remove(out, buf, sizeof buf - 1);
		if (len == 0)
			return ((void *)1);
	}
	evbuffer_free(out);
	return (NULL);
}

/* term_get and term_cup from four threads at once must not race. */
static void
test_term_threads(void **state)
{
	pthread_t	 th[4];
	void		*rv;
	u_int		 i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, term_thread,
		    NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &rv), 0);
		assert_null(rv);
	}
}

/* Run every test in a UTF-8 locale, which utf8_width() needs. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screen_puts),
		cmocka_unit_test(test_screen_pack),
		cmocka_unit_test(test_term_get),
		cmocka_unit_test(test_term_cup),
		cmocka_unit_test(test_term_threads),
		cmocka_unit_test(test_full_and_resize),
		cmocka_unit_test(test_diff_is_small),
		cmocka_unit_test(test_random_20x5),
		cmocka_unit_test(test_random_40x12),
		cmocka_unit_test(test_random_80x24),
		cmocka_unit_test(test_random_300x100),
		cmocka_unit_test(test_random_other_terms),
		cmocka_unit_test(test_scroll),
	};
	int	rc;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		fprintf(stderr, "warning: no C.UTF-8 locale\n");
	log_init(1, 0);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	term_free_all();
	return (rc);
}
