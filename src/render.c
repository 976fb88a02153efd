/*
 * Rendering: the bytes that turn what a terminal shows (one screen) into
 * what it should show (another), appended to an evbuffer.  As in tmux,
 * only cells that changed are sent, with the cheapest cursor movement
 * that gets there.
 *
 * What it owns: nothing beyond the call.  It does not draw screens (the
 * views do), read terminfo (render-term.c) or write to any socket (the
 * session does).  Plain terminals, in line mode, never come here.
 *
 * When a band of rows has moved up (a new line in the conversation), it
 * is scrolled with a scroll region first, so that only the rows that
 * came free are written.  Output is gathered in a buffer on the stack
 * and handed to the evbuffer in a few calls, not one per cell.
 *
 * Rules the terminal is held to:
 * - the bottom-right cell is never written, so that a terminal with
 *   automatic margins never scrolls; it stays blank;
 * - only a scroll region that leaves out the top and bottom rows is
 *   ever scrolled, and the region is the whole terminal again after;
 * - after a character in the last column the cursor position is taken
 *   as unknown (terminals differ on where a pending wrap leaves it);
 * - every render ends with attributes reset, so the next starts from 0.
 */

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "strangerd.h"

/* Equal cells rewritten to reach the next change rather than moving. */
#define RENDER_GAP	4
/* Cursor column when the terminal's cursor position is not known. */
#define RENDER_NOWHERE	UINT_MAX
/* Bytes gathered before they are handed to the evbuffer. */
#define RENDER_BUF	4096
/* Most rows a band of the screen is scrolled by at once. */
#define RENDER_SCROLL_MAX 4
/* A code point no screen holds: the cell is not known. */
#define RENDER_UNKNOWN	0x1fffff

#define RENDER_FLAGS	(ATTR_BOLD|ATTR_REVERSE|ATTR_DIM)

struct render_ctx {
	const struct term	*term;
	const uint8_t		*map;	/* term->attr_map */
	const struct screen	*next;	/* what it should show */
	struct evbuffer		*out;
	u_int			 cx;	/* cursor, or NOWHERE */
	u_int			 cy;
	uint8_t			 attr;	/* current attributes, as mapped */

	u_int			 y;	/* the row want and have are */
	const struct cell	*want;	/* that row as it should be shown */
	const struct cell	*have;	/* and as the terminal shows it */
	const struct screen	*shown;	/* the screen have is a row of */
	/*
	 * The bottom row as it should be shown: its right-hand cell stays
	 * blank, and a wide character that would reach into it becomes a
	 * space.
	 */
	struct cell		 last[SCREEN_MAX_X];
	/* Rows render_scroll() found already equal: no compare again. */
	uint8_t			 same[SCREEN_MAX_Y];

	size_t			 len;	/* bytes in buf */
	char			 buf[RENDER_BUF];
};

static void	 render_flush(struct render_ctx *);
static void	 render_bytes(struct render_ctx *, const char *, size_t);
static void	 render_add(struct render_ctx *, const char *);
static char	*render_number(char *, u_int);
static void	 render_cup(struct render_ctx *, u_int, u_int);
static void	 render_csr(struct render_ctx *, u_int, u_int);
static void	 render_set_row(struct render_ctx *, const struct screen *,
		     u_int);
static uint32_t	 render_mark(const struct screen *, u_int, u_int);
static int	 render_same(const struct render_ctx *, u_int);
static int	 render_blank(const struct render_ctx *, const struct cell *);
static void	 render_set_attr(struct render_ctx *, uint8_t);
static u_int	 render_ascii(u_int);
static void	 render_put(struct render_ctx *, u_int, const struct cell *);
static u_int	 render_run(struct render_ctx *, u_int, u_int);
static u_int	 render_digits(u_int);
static int	 render_cheap(struct render_ctx *, u_int, u_int);
static void	 render_move(struct render_ctx *, u_int, u_int);
static void	 render_row(struct render_ctx *, struct screen *, u_int);
static int	 render_marks_equal(const struct cell *,
		     const struct screen *, u_int, const struct screen *, u_int);
static int	 render_rows_equal(const struct screen *, u_int,
		     const struct screen *, u_int);
static void	 render_scroll(struct render_ctx *, struct screen *);
static void	 render_draw(const struct term *, struct screen *,
		     const struct screen *, struct evbuffer *, int);

/* Hand what is gathered to the evbuffer. */
static void
render_flush(struct render_ctx *rc)
{
	if (rc->len != 0) {
		evbuffer_add(rc->out, rc->buf, rc->len);
		rc->len = 0;
	}
}

/* Append n bytes. */
static void
render_bytes(struct render_ctx *rc, const char *p, size_t n)
{
	if (n > sizeof rc->buf - rc->len) {
		render_flush(rc);
		if (n > sizeof rc->buf) {
			evbuffer_add(rc->out, p, n);
			return;
		}
	}
	memcpy(rc->buf + rc->len, p, n);
	rc->len += n;
}

/* Append a capability string; absent ones are "". */
static void
render_add(struct render_ctx *rc, const char *s)
{
	if (*s != '\0')
		render_bytes(rc, s, strlen(s));
}

/* Write n in decimal at p and return the end. */
static char *
render_number(char *p, u_int n)
{
	char	tmp[16];
	u_int	i = 0;

	do {
		tmp[i++] = '0' + n % 10;
		n /= 10;
	} while (n != 0);
	while (i > 0)
		*p++ = tmp[--i];
	return (p);
}

/*
 * Append the sequence moving the cursor to x, y of the screen, which
 * starts oy rows down the terminal.
 */
static void
render_cup(struct render_ctx *rc, u_int x, u_int y)
{
	char	*p;

	y += rc->next->oy;

	if (!rc->term->ansi_cup) {
		render_flush(rc);
		term_cup(rc->term, rc->out, x, y);
		return;
	}
	if (sizeof rc->buf - rc->len < 32)
		render_flush(rc);
	p = rc->buf + rc->len;
	*p++ = '\033';
	*p++ = '[';
	p = render_number(p, y + 1);
	*p++ = ';';
	p = render_number(p, x + 1);
	*p++ = 'H';
	rc->len = p - rc->buf;
}

/*
 * Make rows top to bottom the scroll region, or with bottom 0 the whole
 * terminal again.  The cursor is then somewhere unknown.
 */
static void
render_csr(struct render_ctx *rc, u_int top, u_int bottom)
{
	char	*p;

	rc->cx = RENDER_NOWHERE;
	if (bottom != 0) {
		top += rc->next->oy;
		bottom += rc->next->oy;
	}
	if (!rc->term->ansi_csr) {
		render_flush(rc);
		if (bottom == 0)
			bottom = rc->next->oy + rc->next->sy - 1;
		term_csr(rc->term, rc->out, top, bottom);
		return;
	}
	if (sizeof rc->buf - rc->len < 32)
		render_flush(rc);
	p = rc->buf + rc->len;
	*p++ = '\033';
	*p++ = '[';
	/*
	 * With no numbers the region is the whole terminal, even if it is
	 * bigger than the screen (which is clamped to SCREEN_MAX_X/Y).
	 */
	if (bottom != 0) {
		p = render_number(p, top + 1);
		*p++ = ';';
		p = render_number(p, bottom + 1);
	}
	*p++ = 'r';
	rc->len = p - rc->buf;
}

/* Point want and have at row y of next and shown. */
static void
render_set_row(struct render_ctx *rc, const struct screen *shown, u_int y)
{
	const struct screen	*s = rc->next;

	rc->y = y;
	rc->shown = shown;
	rc->have = shown->cells + (size_t)y * s->sx;
	if (y == s->sy - 1)
		rc->want = rc->last;
	else
		rc->want = s->cells + (size_t)y * s->sx;
}

/* The mark of cell x, y of s, which has one (cell->mark). */
static uint32_t
render_mark(const struct screen *s, u_int x, u_int y)
{
	return (s->marks[(size_t)y * s->sx + x]);
}

/* Does the terminal show at column x of the row what it should? */
static inline int
render_same(const struct render_ctx *rc, u_int x)
{
	const struct cell	*a = &rc->have[x], *b = &rc->want[x];
	uint32_t		 ua, ub;

	/* A cell is one word and no padding (strangerd.h). */
	memcpy(&ua, a, sizeof ua);
	memcpy(&ub, b, sizeof ub);
	if (ua != ub && (a->cp != b->cp || a->mark != b->mark ||
	    a->width != b->width || rc->map[a->attr] != rc->map[b->attr]))
		return (0);
	return (!a->mark || render_mark(rc->shown, x, rc->y) ==
	    render_mark(rc->next, x, rc->y));
}

/* Is c what el leaves behind: a space without attributes? */
static int
render_blank(const struct render_ctx *rc, const struct cell *c)
{
	return (c->cp == ' ' && !c->mark && c->width == 1 &&
	    rc->map[c->attr] == 0);
}

/*
 * Switch the terminal to attributes attr.  Attributes can only be
 * turned off all together, with sgr0; colour can be changed directly.
 */
static void
render_set_attr(struct render_ctx *rc, uint8_t attr)
{
	const struct term	*t = rc->term;
	uint8_t			 old = rc->attr;
	u_int			 fg;

	attr = rc->map[attr];
	if (attr == old)
		return;
	rc->attr = attr;

	if (old == 0 && *t->sgr0 != '\0') {
		/* The table's string without its leading sgr0. */
		render_add(rc, t->attr_set[attr] + strlen(t->sgr0));
		return;
	}
	if ((old & ~attr & RENDER_FLAGS) ||
	    ((old & ATTR_FGMASK) && !(attr & ATTR_FGMASK))) {
		render_add(rc, t->attr_set[attr]);
		return;
	}
	if ((attr & ATTR_BOLD) && !(old & ATTR_BOLD))
		render_add(rc, t->bold);
	if ((attr & ATTR_DIM) && !(old & ATTR_DIM))
		render_add(rc, t->dim);
	if ((attr & ATTR_REVERSE) && !(old & ATTR_REVERSE))
		render_add(rc, t->rev);
	fg = (attr & ATTR_FGMASK) >> 4;
	if (fg != 0 && (attr & ATTR_FGMASK) != (old & ATTR_FGMASK))
		render_add(rc, t->setaf[fg - 1]);
}

/*
 * The UI's own non-ASCII characters, for a terminal that may not take
 * UTF-8 (term->ascii): each has a one-column ASCII stand-in.  What
 * strangers write is left alone, unless the client said it takes no
 * UTF-8 at all (TERM_ASCII_ALL, render_charset).
 */
static u_int
render_ascii(u_int cp)
{
	switch (cp) {
	case 0x00b7:		/* middle dot, the status line's separator */
		return ('-');
	case 0x2026:		/* horizontal ellipsis */
		return ('.');
	case 0x2191:		/* upwards arrow */
		return ('^');
	case 0x2193:		/* downwards arrow */
		return ('v');
	}
	return (cp);
}

/*
 * Character cp, width columns wide (mark: with combining marks), as a
 * client of character set ascii (TERM_*) is sent it: cp, its ASCII
 * stand-in, or RENDER_QMARK, one '?' a column (marks and all), for a
 * client that said it takes no UTF-8.  The full screen (render_put)
 * and line mode (session-plain.c) both ask here, so they agree.
 */
uint32_t
render_charset(int ascii, uint32_t cp, u_int width, int mark)
{
	if (ascii != TERM_UTF8 && width == 1 && !mark)
		cp = render_ascii(cp);
	if (ascii == TERM_ASCII_ALL && (cp >= 0x7f || mark))
		return (RENDER_QMARK);
	return (cp);
}

/*
 * Write cell c at column x of the cursor's row, where the cursor is.  A
 * cell whose character does not have the width the cell claims, or a
 * right half without its left (nothing screen_puts() makes), is written
 * as spaces so that the cursor stays where we think it is.
 */
static void
render_put(struct render_ctx *rc, u_int x, const struct cell *c)
{
	char		*p;
	u_int		 width = c->width, cp = c->cp;
	uint32_t	 mark;

	if (rc->map[c->attr] != rc->attr)
		render_set_attr(rc, c->attr);
	if (sizeof rc->buf - rc->len < 16)
		render_flush(rc);
	p = rc->buf + rc->len;

	if ((cp = render_charset(rc->term->ascii, cp, width, c->mark)) ==
	    RENDER_QMARK) {
		/*
		 * A client that said it takes no UTF-8: one '?' a column,
		 * so that its cursor stays where ours is.
		 */
		if (width == 0 || (width == 2 && x + 1 >= rc->next->sx))
			width = 1;
		memset(p, '?', width);
		rc->len += width;
	} else if (cp >= 0x20 && cp < 0x7f && width == 1 && !c->mark) {
		/* Printable ASCII, the common case. */
		*p = cp;
		rc->len++;
	} else {
		if (width == 0 || (width == 2 && x + 1 >= rc->next->sx))
			width = 1;
		if (cp == 0 || utf8_width(cp) != (int)width) {
			memset(p, ' ', width);
			rc->len += width;
		} else {
			rc->len += utf8_encode(cp, p);
			if (c->mark && utf8_width(mark = render_mark(rc->next,
			    x, rc->y)) == 0)
				rc->len += utf8_encode(mark, rc->buf + rc->len);
		}
	}

	rc->cx = x + width;
	if (rc->cx >= rc->next->sx)
		rc->cx = RENDER_NOWHERE;
}

/*
 * Write the cells of the cursor's row from column x, where the cursor
 * is, up to end, while they are printable ASCII in the current
 * attributes: a byte each, as render_put() would write them.  Returns
 * the column it stopped at.
 */
static u_int
render_run(struct render_ctx *rc, u_int x, u_int end)
{
	const struct cell	*c;
	u_int			 i;

	for (i = x; i < end; i++) {
		c = &rc->want[i];
		if (c->cp < 0x20 || c->cp >= 0x7f || c->width != 1 ||
		    c->mark || rc->map[c->attr] != rc->attr)
			break;
		if (rc->len == sizeof rc->buf)
			render_flush(rc);
		rc->buf[rc->len++] = c->cp;
	}
	if (i != x) {
		rc->cx = i;
		if (rc->cx >= rc->next->sx)
			rc->cx = RENDER_NOWHERE;
	}
	return (i);
}

/* Return the decimal digits in n. */
static u_int
render_digits(u_int n)
{
	u_int	d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return (d);
}

/*
 * Is rewriting the cells between the cursor and column x of its row
 * cheaper than moving there?  Only whole characters ending before x can
 * be rewritten.
 */
static int
render_cheap(struct render_ctx *rc, u_int x, u_int y)
{
	const struct cell	*c;
	char			 buf[8];
	u_int			 i, cost = 0, move;
	uint8_t			 attr = rc->attr;

	if (rc->term->ansi_cup)
		move = 3 + render_digits(x + 1) + render_digits(y + 1);
	else
		move = 8;

	for (i = rc->cx; i < x; i += c->width) {
		c = &rc->want[i];
		if (c->width == 0 || i + c->width > x)
			return (0);
		cost += c->cp < 0x80 ? 1 : utf8_encode(c->cp, buf);
		if (c->mark)
			cost += utf8_encode(render_mark(rc->next, i, y), buf);
		if (rc->map[c->attr] != attr) {
			attr = rc->map[c->attr];
			cost += 6;
		}
		if (cost > move)
			return (0);
	}
	return (1);
}

/* Put the cursor at x, y (the row render_set_row chose) the cheapest way. */
static void
render_move(struct render_ctx *rc, u_int x, u_int y)
{
	const struct cell	*c;
	u_int			 i;

	if (rc->cx == x && rc->cy == y)
		return;

	if (rc->cy == y && rc->cx != RENDER_NOWHERE && rc->cx < x &&
	    x - rc->cx <= RENDER_GAP && render_cheap(rc, x, y)) {
		for (i = rc->cx; i < x; i += c->width) {
			c = &rc->want[i];
			render_put(rc, i, c);
		}
		return;
	}

	render_cup(rc, x, y);
	rc->cx = x;
	rc->cy = y;
}

/*
 * Bring row y up to date: each run of changed cells is written in one
 * go, and a changed tail that should be blank is erased with el.  The
 * row of shown then holds what was drawn.
 */
static void
render_row(struct render_ctx *rc, struct screen *shown, u_int y)
{
	const struct screen	*s = rc->next;
	const struct cell	*want, *have, *c;
	u_int			 x, i, start, end, tail, limit;

	if (rc->same[y])
		return;
	render_set_row(rc, shown, y);
	want = rc->want;
	have = rc->have;

	/* Most rows of most frames have not changed at all. */
	if (memcmp(want, have, s->sx * sizeof *want) == 0 &&
	    render_marks_equal(want, s, y, shown, y))
		return;

	/* Columns from tail onwards should all be blank. */
	tail = s->sx;
	if (*rc->term->el != '\0') {
		while (tail > 0 && render_blank(rc, &want[tail - 1]))
			tail--;
	}

	limit = tail;
	if (y == s->sy - 1 && limit > s->sx - 1)
		limit = s->sx - 1;

	x = 0;
	while (x < limit) {
		if (render_same(rc, x)) {
			x++;
			continue;
		}

		/* Never start on the right half of a wide character. */
		start = x;
		if (start > 0 && want[start].width == 0)
			start--;
		end = x + 1;
		while (end < limit && !render_same(rc, end))
			end++;

		render_move(rc, start, y);
		i = start;
		while ((i = render_run(rc, i, end)) < end) {
			c = &want[i];
			render_put(rc, i, c);
			i += c->width != 0 ? c->width : 1;
		}
		x = i;
	}

	if (tail != s->sx) {
		for (x = tail; x < s->sx; x++) {
			if (!render_same(rc, x))
				break;
		}
		if (x < s->sx) {
			render_move(rc, x, y);
			render_set_attr(rc, 0);
			render_add(rc, rc->term->el);
		}
	}
	memcpy(shown->cells + (size_t)y * s->sx, want, s->sx * sizeof *want);
	screen_copy_marks(shown, y, s, y, 1);
}

/*
 * Row ya of a and row yb of b have the same cells, of which row is one
 * (or a copy): do the cells with a mark have the same marks?
 */
static int
render_marks_equal(const struct cell *row, const struct screen *a, u_int ya,
    const struct screen *b, u_int yb)
{
	u_int	x;

	if (a->marks == NULL && b->marks == NULL)
		return (1);
	for (x = 0; x < a->sx; x++) {
		if (row[x].mark && render_mark(a, x, ya) !=
		    render_mark(b, x, yb))
			return (0);
	}
	return (1);
}

/* Is row ya of a the same as row yb of b, byte for byte, marks too? */
static int
render_rows_equal(const struct screen *a, u_int ya, const struct screen *b,
    u_int yb)
{
	const struct cell	*row = a->cells + (size_t)ya * a->sx;

	return (memcmp(row, b->cells + (size_t)yb * b->sx,
	    a->sx * sizeof *a->cells) == 0 &&
	    render_marks_equal(row, a, ya, b, yb));
}

/*
 * If a band of rows in next is what shown has a few rows lower down, as
 * when a new line moves the conversation up, scroll that band on the
 * terminal with a scroll region, as tmux does, and shift shown to match,
 * so that the diff then finds those rows equal.  The band never holds
 * the top row (so a terminal without an alternate screen keeps nothing
 * in its history) nor the bottom one (whose corner is never written).
 */
static void
render_scroll(struct render_ctx *rc, struct screen *shown)
{
	const struct term	*t = rc->term;
	const struct screen	*next = rc->next;
	u_int			 sx = next->sx, sy = next->sy;
	u_int			 k, y, start, gain, best = 1;
	u_int			 top = 0, bottom = 0, by = 0, i;
	struct cell		*c;

	if (*t->csr == '\0' || *t->ind == '\0' || sy < 4)
		return;
	/*
	 * The scroll region is put back by number without ansi_csr, which
	 * is wrong if the terminal is bigger than the clamped screen.
	 */
	if (!t->ansi_csr && sy >= SCREEN_MAX_Y)
		return;

	for (k = 1; k <= RENDER_SCROLL_MAX && k + 2 < sy; k++) {
		/*
		 * A band scrolled by k or more gains at most the sy - 2 - k
		 * rows it can start on: once that is no more than the best
		 * found, no larger k is chosen, so none is looked at.
		 */
		if (best >= sy - 2 - k)
			break;
		y = 1;
		while (y + k <= sy - 2) {
			if (!render_rows_equal(next, y, shown, y + k)) {
				y++;
				continue;
			}
			/* Rows start.. of next are rows start + k.. of shown. */
			start = y;
			gain = 0;
			for (; y + k <= sy - 2 &&
			    render_rows_equal(next, y, shown, y + k); y++) {
				if (!render_rows_equal(next, y, shown, y))
					gain++;
			}
			/* Rows that would be rewritten without scrolling. */
			if (gain > best) {
				best = gain;
				top = start;
				bottom = y - 1 + k;
				by = k;
			}
		}
	}
	if (by == 0)
		return;

	/* Erased rows take the current attributes on some terminals. */
	render_set_attr(rc, 0);
	render_csr(rc, top, bottom);
	render_cup(rc, 0, bottom);
	for (i = 0; i < by; i++)
		render_add(rc, t->ind);
	render_csr(rc, 0, 0);

	memmove(shown->cells + (size_t)top * sx,
	    shown->cells + (size_t)(top + by) * sx,
	    (size_t)(bottom + 1 - top - by) * sx * sizeof *shown->cells);
	screen_copy_marks(shown, top, shown, top + by, bottom + 1 - top - by);
	/* The band's rows now hold what next has there: seen equal above. */
	for (y = top; y <= bottom - by; y++)
		rc->same[y] = 1;
	for (y = bottom + 1 - by; y <= bottom; y++) {
		c = shown->cells + (size_t)y * sx;
		for (i = 0; i < sx; i++) {
			c[i].cp = ' ';
			c[i].mark = 0;
			c[i].attr = 0;
			c[i].width = 1;
		}
	}
}

/*
 * Bring the terminal from shown to next, which have the same size, and
 * make shown a copy of next.  If at_home, the cursor is known to be at
 * the top left; otherwise where shown says.
 */
static void
render_draw(const struct term *t, struct screen *shown,
    const struct screen *next, struct evbuffer *out, int at_home)
{
	struct render_ctx	 rc;
	struct cell		*c, blank;
	u_int			 y, sx = next->sx, sy = next->sy;

	rc.term = t;
	rc.map = t->attr_map;
	rc.next = next;
	rc.out = out;
	rc.cx = at_home ? 0 : shown->cx;
	rc.cy = at_home ? 0 : shown->cy;
	/* Home is above the screen when it starts further down. */
	if (at_home && next->oy != 0)
		rc.cx = RENDER_NOWHERE;
	rc.attr = 0;
	rc.len = 0;
	memset(rc.same, 0, sy);

	memset(&blank, 0, sizeof blank);
	blank.cp = ' ';
	blank.width = 1;
	memcpy(rc.last, next->cells + (size_t)(sy - 1) * sx,
	    sx * sizeof *rc.last);
	if (sx >= 2 && rc.last[sx - 2].width == 2) {
		c = &rc.last[sx - 2];
		c->cp = ' ';
		c->mark = 0;
		c->width = 1;
	}
	rc.last[sx - 1] = blank;

	/* Hide the cursor first, so it does not flicker across the screen. */
	if (shown->cursor_visible && !next->cursor_visible)
		render_add(&rc, t->civis);

	if (!at_home)
		render_scroll(&rc, shown);
	for (y = 0; y < sy; y++)
		render_row(&rc, shown, y);

	render_set_row(&rc, shown, next->cy);
	render_move(&rc, next->cx, next->cy);
	render_set_attr(&rc, 0);
	if (!shown->cursor_visible && next->cursor_visible)
		render_add(&rc, t->cnorm);
	render_flush(&rc);

	/* Each row of shown was brought up to date by render_row. */
	shown->cx = next->cx;
	shown->cy = next->cy;
	shown->cursor_visible = next->cursor_visible;
}

/* Clear the terminal and draw all of next; shown becomes a copy of it. */
void
render_full(const struct term *t, struct screen *shown,
    const struct screen *next, struct evbuffer *out)
{
	size_t	i, n;
	int	visible = shown->cursor_visible;

	if (t->plain)
		return;

	screen_resize(shown, next->sx, next->sy);
	shown->cursor_visible = visible;
	evbuffer_add(out, t->sgr0, strlen(t->sgr0));
	if (*t->clear != '\0') {
		evbuffer_add(out, t->clear, strlen(t->clear));
		render_draw(t, shown, next, out, 1);
		return;
	}

	/*
	 * Without clear, nothing on the terminal is known: make every cell
	 * of shown something no screen holds, so all are written.
	 */
	n = (size_t)shown->sx * shown->sy;
	for (i = 0; i < n; i++)
		shown->cells[i].cp = RENDER_UNKNOWN;
	term_cup(t, out, 0, next->oy);
	render_draw(t, shown, next, out, 1);
}

/*
 * Send what changed from shown to next, and make shown a copy of next.
 * A change of size means the terminal was resized and its contents are
 * not known, so everything is drawn again.
 */
void
render_diff(const struct term *t, struct screen *shown,
    const struct screen *next, struct evbuffer *out)
{
	if (t->plain)
		return;
	if (shown->sx != next->sx || shown->sy != next->sy ||
	    shown->cells == NULL) {
		render_full(t, shown, next, out);
		return;
	}
	render_draw(t, shown, next, out, 0);
}

/*
 * Take over the terminal: the alternate screen, cleared, no attributes,
 * cursor visible at the top left.  That is what screen_init() gives, so
 * the caller starts shown as a fresh screen.
 */
void
render_enter(const struct term *t, struct evbuffer *out)
{
	if (t->plain)
		return;
	evbuffer_add(out, t->smcup, strlen(t->smcup));
	evbuffer_add(out, t->sgr0, strlen(t->sgr0));
	evbuffer_add(out, t->clear, strlen(t->clear));
	evbuffer_add(out, t->cnorm, strlen(t->cnorm));
}

/*
 * Give the terminal back as it was.  Without an alternate screen, clear
 * it instead, so the conversation does not stay on it.
 */
void
render_leave(const struct term *t, struct evbuffer *out)
{
	if (t->plain)
		return;
	evbuffer_add(out, t->sgr0, strlen(t->sgr0));
	evbuffer_add(out, t->cnorm, strlen(t->cnorm));
	if (*t->rmcup != '\0')
		evbuffer_add(out, t->rmcup, strlen(t->rmcup));
	else
		evbuffer_add(out, t->clear, strlen(t->clear));
}
