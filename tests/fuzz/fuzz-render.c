/*
 * Fuzzes the screen model and the diff renderer at random window sizes:
 * screen_puts() of arbitrary text, fills, cursor moves and resizes, then
 * render_diff()/render_full() into an evbuffer, for one of several real
 * terminal types (terminfo) and the dumb one.
 *
 * Properties: after a render, the model of what the terminal shows
 * equals the screen asked for (but for the bottom-right corner, which
 * is never written so the terminal cannot scroll), also after a round
 * trip through screen_pack() and screen_unpack(); every cell stays
 * within the screen's size, which stays within SCREEN_MAX_X/Y.  In
 * "oracle" mode the terminal is xterm-256color, the text is drawn from
 * a small alphabet whose widths libvterm and glibc agree on (ASCII,
 * Latin, CJK, a combining mark, a box line), and the bytes are fed to
 * libvterm, whose screen must then match cell by cell, attributes and
 * cursor included.  A terminal whose client said it takes no UTF-8
 * (term_charset(TERM_ASCII_ALL), bit 6 of the first byte) is sent no
 * byte >= 0x80.
 *
 * Input: a byte choosing the terminal and the mode, two bytes for the
 * size, then operations, one byte each followed by its arguments.
 */

#include <string.h>

#include <event2/buffer.h>
#include <vterm.h>

#include "fuzz.h"

#define FUZZ_MAXOPS	256
#define FUZZ_MAXRENDERS	6
#define FUZZ_MAXCELLS	120000	/* resized or rendered in one input */

static const char *terms[] = {
	"xterm-256color", "vt100", "linux", "ansi", "screen", "vt52",
	"xterm-mono", "sun", "dumb", "no-such-term",
};
static const char *alphabet[] = {
	"a", "b", "Z", "0", " ", " ", "~", ".", "\xc3\xa9" /* é */,
	"\xe4\xb8\xad" /* 中, wide */, "\xe3\x82\xa2" /* ア, wide */,
	"\xcc\x81" /* combining acute */, "\xe2\x94\x80" /* ─ */,
	"\x01" /* a control: skipped */,
};

static struct evbuffer	*out;
static int		 ascii_only;	/* the client takes no UTF-8 */

struct vt {
	VTerm		*vt;
	VTermScreen	*vs;
	int		 visible;
};

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
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t	i;

	(void)argc;
	(void)argv;
	fuzz_locale();
	/* Load every type once: terminfo is read at the first use. */
	for (i = 0; i < sizeof terms / sizeof terms[0]; i++)
		(void)term_get(terms[i]);
	out = evbuffer_new();
	return (0);
}

/* The model of the terminal matches what was asked for. */
FUZZ_CHECKER static void
check_shown(const struct screen *shown, const struct screen *next)
{
	const struct cell	*a, *b;
	size_t			 i, n = (size_t)shown->sx * shown->sy;

	FUZZ_ASSERT(shown->sx == next->sx && shown->sy == next->sy);
	/*
	 * Rows but the last are compared whole (cells have no padding)
	 * unless there are combining marks, which live beside the cells.
	 */
	i = n - shown->sx;
	if (memcmp(shown->cells, next->cells, i * sizeof *shown->cells) != 0 ||
	    shown->marks != NULL || next->marks != NULL)
		i = 0;		/* find which cell differs */
	for (; i < n; i++) {
		a = &shown->cells[i];
		b = &next->cells[i];
		if (i == n - 1 || (i == n - 2 && b->width == 2)) {
			FUZZ_ASSERT(a->cp == ' ');
			continue;
		}
		FUZZ_ASSERT(a->cp == b->cp && a->attr == b->attr &&
		    a->width == b->width &&
		    screen_mark(shown, i % shown->sx, i / shown->sx) ==
		    screen_mark(next, i % shown->sx, i / shown->sx));
	}
	FUZZ_ASSERT(shown->cx == next->cx && shown->cy == next->cy);
	FUZZ_ASSERT(shown->cursor_visible == next->cursor_visible);
}

/* Cells as screen_puts() makes them: a wide one has its right half. */
FUZZ_CHECKER static void
check_cells(const struct screen *s)
{
	const struct cell	*row;
	u_int			 x, y;

	FUZZ_ASSERT(s->sx >= 1 && s->sx <= SCREEN_MAX_X);
	FUZZ_ASSERT(s->sy >= 1 && s->sy <= SCREEN_MAX_Y);
	FUZZ_ASSERT(s->cx < s->sx && s->cy < s->sy);
	for (y = 0; y < s->sy; y++) {
		row = s->cells + (size_t)y * s->sx;
		for (x = 0; x < s->sx; x++) {
			FUZZ_ASSERT(row[x].width <= 2);
			if (row[x].width == 2) {
				FUZZ_ASSERT(x + 1 < s->sx);
				FUZZ_ASSERT(row[x + 1].width == 0);
			}
			if (row[x].width == 0) {
				FUZZ_ASSERT(x > 0 && row[x - 1].width == 2);
			}
		}
	}
}

/* libvterm, fed the output, shows what shown says. */
FUZZ_CHECKER static void
check_vterm(struct vt *v, const struct term *t, const struct screen *s)
{
	VTermScreenCell	 vc;
	VTermPos	 pos;
	const struct cell *c;
	u_int		 x, y, fg;
	uint32_t	 want;
	int		 rows, cols;

	vterm_get_size(v->vt, &rows, &cols);
	FUZZ_ASSERT(rows == (int)s->sy && cols == (int)s->sx);
	for (y = 0; y < s->sy; y++) {
		for (x = 0; x < s->sx; x++) {
			c = &s->cells[y * s->sx + x];
			pos.row = y;
			pos.col = x;
			vterm_screen_get_cell(v->vs, pos, &vc);
			if (c->width == 0) {
				FUZZ_ASSERT(vc.chars[0] == (uint32_t)-1);
				continue;
			}
			want = c->cp;
			if (vc.chars[0] == 0 && want == ' ' && !c->mark)
				want = 0;	/* erased, never written */
			FUZZ_ASSERT(vc.chars[0] == want);
			FUZZ_ASSERT(vc.width == c->width);
			if (want != 0)
				FUZZ_ASSERT(vc.chars[1] ==
				    screen_mark(s, x, y));
			FUZZ_ASSERT(vc.attrs.bold == !!(c->attr & ATTR_BOLD));
			FUZZ_ASSERT(vc.attrs.reverse ==
			    !!(c->attr & ATTR_REVERSE));
			fg = (c->attr & ATTR_FGMASK) >> 4;
			if (fg != 0 && t->colours >= (int)fg) {
				FUZZ_ASSERT(VTERM_COLOR_IS_INDEXED(&vc.fg));
				FUZZ_ASSERT(vc.fg.indexed.idx == fg - 1);
			} else
				FUZZ_ASSERT(VTERM_COLOR_IS_DEFAULT_FG(&vc.fg));
		}
	}
	vterm_state_get_cursorpos(vterm_obtain_state(v->vt), &pos);
	FUZZ_ASSERT(pos.col == (int)s->cx && pos.row == (int)s->cy);
	FUZZ_ASSERT(v->visible == s->cursor_visible);
}

/* Hand what the renderer wrote to the emulator, if there is one. */
static void
flush_out(struct vt *v)
{
	size_t		 len = evbuffer_get_length(out);
	const char	*p;

	if (v != NULL && len != 0) {
		p = (const char *)evbuffer_pullup(out, -1);
		FUZZ_ASSERT(vterm_input_write(v->vt, p, len) == len);
	}
	/*
	 * Said it takes no UTF-8 (telnet CHARSET): no byte of it at all.
	 * VT52's cursor address (ESC Y, then row and column each plus 32
	 * as a byte) is a number, not text: past column 95 it is a byte
	 * over 0x7f, as terminfo says to send it (found by fuzz-render).
	 */
	if (ascii_only && len != 0) {
		p = (const char *)evbuffer_pullup(out, -1);
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '\033' && i + 2 < len && p[i + 1] == 'Y') {
				i += 3;
				continue;
			}
			FUZZ_ASSERT((u_char)p[i] < 0x80);
		}
	}
	evbuffer_drain(out, len);
}

/* A window size as session.c clamps it. */
static u_int
clamp(u_int v, u_int min, u_int max)
{
	return (v < min ? min : v > max ? max : v);
}

/*
 * A size from one byte: mostly ordinary windows, which render quickly,
 * sometimes at or near the limit, and sometimes far beyond it.
 */
static u_int
pick_size(uint8_t b, u_int min, u_int max)
{
	if (b >= 0xf8)
		return (clamp(65535 - (b & 7), min, max));
	if (b >= 0xf0)
		return (max - (b & 7));
	return (min + b % 64);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in = { data, size };
	struct screen	 shown, next;
	struct screen_pack pack;
	struct vt	 vt, *v = NULL;
	const struct term *t;
	const uint8_t	*p;
	char		 text[512];
	size_t		 tl, n, i;
	uint8_t		 sel, op, attr;
	u_int		 sx, sy, x, y, maxx, nops = 0, nrenders = 0;
	size_t		 ncells = 0;
	int		 full, resized = 0;

	sel = fuzz_byte(&in);
	sx = pick_size(fuzz_byte(&in), SCREEN_MIN_X, SCREEN_MAX_X);
	sy = pick_size(fuzz_byte(&in), SCREEN_MIN_Y, SCREEN_MAX_Y);
	if (sel & 0x80) {
		t = term_get("xterm-256color");
		v = &vt;
		memset(v, 0, sizeof *v);
		v->vt = vterm_new(sy, sx);
		vterm_set_utf8(v->vt, 1);
		v->vs = vterm_obtain_screen(v->vt);
		vterm_screen_set_callbacks(v->vs, &vt_callbacks, v);
		vterm_screen_reset(v->vs, 1);
		v->visible = 1;
	} else
		t = term_get(terms[sel % (sizeof terms / sizeof terms[0])]);
	FUZZ_ASSERT(t != NULL);
	ascii_only = !(sel & 0x80) && (sel & 0x40) && !t->plain;
	if (ascii_only)
		t = term_charset(t, TERM_ASCII_ALL);

	screen_init(&shown, sx, sy);
	screen_init(&next, sx, sy);
	screen_pack_init(&pack, sx, sy);
	render_enter(t, out);
	flush_out(v);

	while (in.len > 0 && nops++ < FUZZ_MAXOPS) {
		op = fuzz_byte(&in);
		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			x = fuzz_byte(&in) % (next.sx + 2);
			y = fuzz_byte(&in) % (next.sy + 2);
			maxx = fuzz_u16(&in) % (next.sx + 8);
			attr = fuzz_byte(&in);
			tl = fuzz_take(&in, fuzz_byte(&in) % 96, &p);
			if (v != NULL) {
				for (n = 0, i = 0; i < tl; i++) {
					const char *a = alphabet[p[i] %
					    (sizeof alphabet / sizeof alphabet[0])];
					memcpy(text + n, a, strlen(a));
					n += strlen(a);
				}
				tl = n;
			} else
				memcpy(text, p, tl);
			n = screen_puts(&next, x, y, maxx, text, tl, attr);
			FUZZ_ASSERT(n <= next.sx);
			break;
		case 3:
			x = fuzz_byte(&in) % (next.sx + 2);
			y = fuzz_byte(&in) % (next.sy + 2);
			n = fuzz_byte(&in);
			screen_fill(&next, x, y, n, fuzz_byte(&in));
			break;
		case 4:
			x = fuzz_byte(&in) % (next.sx + 2);
			y = fuzz_byte(&in) % (next.sy + 2);
			screen_cursor(&next, x, y, fuzz_byte(&in) & 1);
			break;
		case 5:
			/* The client resized: the view redraws everything. */
			if (ncells > FUZZ_MAXCELLS)
				break;
			sx = pick_size(fuzz_byte(&in), SCREEN_MIN_X,
			    SCREEN_MAX_X);
			sy = pick_size(fuzz_byte(&in), SCREEN_MIN_Y,
			    SCREEN_MAX_Y);
			screen_resize(&next, sx, sy);
			ncells += (size_t)next.sx * next.sy;
			if (v != NULL)
				vterm_set_size(v->vt, sy, sx);
			/*
			 * As session_resize() does: even back at the old
			 * size, the terminal's contents and cursor are not
			 * known (libvterm clamps the cursor).
			 */
			resized = 1;
			break;
		case 6:
			n = fuzz_byte(&in);
			if (n & 1)
				screen_clear(&next);
			else if (n & 2) {
				/*
				 * Rows move up within a band, as the
				 * conversation does: render.c may scroll.
				 */
				y = fuzz_byte(&in) % next.sy;
				maxx = y + fuzz_byte(&in) % (next.sy - y);
				x = 1 + fuzz_byte(&in) % 5;
				if (x <= maxx - y) {
					memmove(next.cells +
					    (size_t)y * next.sx,
					    next.cells +
					    (size_t)(y + x) * next.sx,
					    (size_t)(maxx + 1 - y - x) *
					    next.sx * sizeof *next.cells);
					screen_copy_marks(&next, y, &next,
					    y + x, maxx + 1 - y - x);
				}
			}
			break;
		case 7:
			/*
			 * Few renders an input, fewer on large screens, so
			 * that each run stays quick.
			 */
			if (nrenders++ >= FUZZ_MAXRENDERS ||
			    ncells > FUZZ_MAXCELLS)
				break;
			ncells += (size_t)next.sx * next.sy;
			full = (fuzz_byte(&in) & 1) || resized;
			resized = 0;
			check_cells(&next);
			if (full)
				render_full(t, &shown, &next, out);
			else
				render_diff(t, &shown, &next, out);
			flush_out(v);
			/* As a session keeps it between frames. */
			screen_pack(&pack, &shown);
			screen_unpack(&shown, &pack);
			if (!t->plain)
				check_shown(&shown, &next);
			/* libvterm at the end only: it is the slow part. */
			break;
		}
	}

	check_cells(&next);
	if (resized)
		render_full(t, &shown, &next, out);
	else
		render_diff(t, &shown, &next, out);
	flush_out(v);
	if (!t->plain) {
		check_shown(&shown, &next);
		if (v != NULL)
			check_vterm(v, t, &shown);
	}
	render_leave(t, out);
	flush_out(v);

	if (v != NULL)
		vterm_free(v->vt);
	screen_free(&shown);
	screen_free(&next);
	screen_pack_free(&pack);
	return (0);
}
