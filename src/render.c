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
 * Rules the terminal is held to:
 * - the bottom-right cell is never written, so that a terminal with
 *   automatic margins never scrolls; it stays blank;
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

#define RENDER_FLAGS	(ATTR_BOLD|ATTR_REVERSE|ATTR_DIM)

struct render_ctx {
	const struct term	*term;
	const struct screen	*shown;	/* what the terminal shows */
	const struct screen	*next;	/* what it should show */
	struct evbuffer		*out;
	u_int			 cx;	/* cursor, or NOWHERE */
	u_int			 cy;
	uint8_t			 attr;	/* current attributes */
	struct cell		 blank;	/* the bottom-right cell */
	struct cell		 space;	/* wide char next to it */
};

static void	 render_add(struct render_ctx *, const char *);
static uint8_t	 render_attr(const struct render_ctx *, uint8_t);
static const struct cell *render_want(struct render_ctx *, u_int, u_int);
static const struct cell *render_have(const struct render_ctx *, u_int,
		     u_int);
static int	 render_same(struct render_ctx *, u_int, u_int);
static int	 render_blank(const struct render_ctx *, const struct cell *);
static void	 render_set_attr(struct render_ctx *, uint8_t);
static void	 render_put(struct render_ctx *, u_int, const struct cell *);
static u_int	 render_digits(u_int);
static int	 render_cheap(struct render_ctx *, u_int, u_int);
static void	 render_move(struct render_ctx *, u_int, u_int);
static void	 render_row(struct render_ctx *, u_int);
static void	 render_draw(const struct term *, struct screen *,
		     const struct screen *, struct evbuffer *, int);

/* Append a capability string; absent ones are "". */
static void
render_add(struct render_ctx *rc, const char *s)
{
	if (*s != '\0')
		evbuffer_add(rc->out, s, strlen(s));
}

/*
 * Return the attributes this terminal can actually show out of attr, so
 * that cells differing only in what it cannot show compare equal.
 */
static uint8_t
render_attr(const struct render_ctx *rc, uint8_t attr)
{
	const struct term	*t = rc->term;
	u_int			 fg = (attr & ATTR_FGMASK) >> 4;

	if ((attr & ATTR_BOLD) && *t->bold == '\0')
		attr &= ~ATTR_BOLD;
	if ((attr & ATTR_REVERSE) && *t->rev == '\0')
		attr &= ~ATTR_REVERSE;
	if ((attr & ATTR_DIM) && *t->dim == '\0')
		attr &= ~ATTR_DIM;
	if (fg != 0 && (t->colours < 8 || fg > TERM_NCOLOURS ||
	    *t->setaf[fg - 1] == '\0'))
		attr &= ~ATTR_FGMASK;
	return (attr & (RENDER_FLAGS|ATTR_FGMASK));
}

/*
 * Return the cell to show at x, y: the next screen's, except in the
 * bottom-right corner, which stays blank, and for a wide character
 * that would reach into it, which becomes a space.
 */
static const struct cell *
render_want(struct render_ctx *rc, u_int x, u_int y)
{
	const struct screen	*s = rc->next;
	const struct cell	*c = &s->cells[(size_t)y * s->sx + x];

	if (y == s->sy - 1) {
		if (x == s->sx - 1)
			return (&rc->blank);
		if (x == s->sx - 2 && c->width == 2) {
			rc->space = rc->blank;
			rc->space.attr = c->attr;
			return (&rc->space);
		}
	}
	return (c);
}

/* Return the cell the terminal shows at x, y. */
static const struct cell *
render_have(const struct render_ctx *rc, u_int x, u_int y)
{
	const struct screen	*s = rc->shown;

	return (&s->cells[(size_t)y * s->sx + x]);
}

/* Does the terminal already show at x, y what it should? */
static int
render_same(struct render_ctx *rc, u_int x, u_int y)
{
	const struct cell	*a = render_have(rc, x, y);
	const struct cell	*b = render_want(rc, x, y);

	return (a->cp == b->cp && a->comb == b->comb &&
	    a->width == b->width &&
	    render_attr(rc, a->attr) == render_attr(rc, b->attr));
}

/* Is c what el leaves behind: a space without attributes? */
static int
render_blank(const struct render_ctx *rc, const struct cell *c)
{
	return (c->cp == ' ' && c->comb == 0 && c->width == 1 &&
	    render_attr(rc, c->attr) == 0);
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

	attr = render_attr(rc, attr);
	if (attr == old)
		return;

	if ((old & ~attr & RENDER_FLAGS) ||
	    ((old & ATTR_FGMASK) && !(attr & ATTR_FGMASK))) {
		render_add(rc, t->sgr0);
		old = 0;
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
	rc->attr = attr;
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
	char	buf[8];
	size_t	n;
	u_int	width = c->width;

	render_set_attr(rc, c->attr);
	if (width == 0 || (width == 2 && x + 1 >= rc->next->sx))
		width = 1;
	if (c->cp == 0 || utf8_width(c->cp) != (int)width) {
		evbuffer_add(rc->out, "  ", width);
	} else {
		n = utf8_encode(c->cp, buf);
		if (c->comb != 0 && utf8_width(c->comb) == 0)
			n += utf8_encode(c->comb, buf + n);
		evbuffer_add(rc->out, buf, n);
	}

	rc->cx = x + width;
	if (rc->cx >= rc->next->sx)
		rc->cx = RENDER_NOWHERE;
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
		c = render_want(rc, i, y);
		if (c->width == 0 || i + c->width > x)
			return (0);
		cost += utf8_encode(c->cp, buf);
		if (c->comb != 0)
			cost += utf8_encode(c->comb, buf);
		if (render_attr(rc, c->attr) != attr) {
			attr = render_attr(rc, c->attr);
			cost += 6;
		}
		if (cost > move)
			return (0);
	}
	return (1);
}

/* Put the cursor at x, y by the cheapest way. */
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
			c = render_want(rc, i, y);
			render_put(rc, i, c);
		}
		return;
	}

	term_cup(rc->term, rc->out, x, y);
	rc->cx = x;
	rc->cy = y;
}

/*
 * Bring row y up to date: each run of changed cells is written in one
 * go, and a changed tail that should be blank is erased with el.
 */
static void
render_row(struct render_ctx *rc, u_int y)
{
	const struct screen	*s = rc->next;
	const struct cell	*c;
	u_int			 x, i, w, start, end, tail, limit;

	/* Columns from tail onwards should all be blank. */
	tail = s->sx;
	if (*rc->term->el != '\0') {
		while (tail > 0 &&
		    render_blank(rc, render_want(rc, tail - 1, y)))
			tail--;
	}

	limit = tail;
	if (y == s->sy - 1 && limit > s->sx - 1)
		limit = s->sx - 1;

	x = 0;
	while (x < limit) {
		if (render_same(rc, x, y)) {
			x++;
			continue;
		}

		/* Never start on the right half of a wide character. */
		start = x;
		if (start > 0 && render_want(rc, start, y)->width == 0)
			start--;
		end = x + 1;
		while (end < limit && !render_same(rc, end, y))
			end++;

		render_move(rc, start, y);
		for (i = start; i < end; i += w) {
			c = render_want(rc, i, y);
			render_put(rc, i, c);
			w = c->width != 0 ? c->width : 1;
		}
		x = i;
	}

	if (tail == s->sx)
		return;
	for (x = tail; x < s->sx; x++) {
		if (!render_same(rc, x, y))
			break;
	}
	if (x < s->sx) {
		render_move(rc, x, y);
		render_set_attr(rc, 0);
		render_add(rc, rc->term->el);
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
	struct cell		*c;
	u_int			 y, sx = next->sx, sy = next->sy;

	memset(&rc, 0, sizeof rc);
	rc.term = t;
	rc.shown = shown;
	rc.next = next;
	rc.out = out;
	rc.cx = at_home ? 0 : shown->cx;
	rc.cy = at_home ? 0 : shown->cy;
	rc.attr = 0;
	rc.blank.cp = ' ';
	rc.blank.width = 1;

	/* Hide the cursor first, so it does not flicker across the screen. */
	if (shown->cursor_visible && !next->cursor_visible)
		render_add(&rc, t->civis);

	for (y = 0; y < sy; y++)
		render_row(&rc, y);

	render_move(&rc, next->cx, next->cy);
	render_set_attr(&rc, 0);
	if (!shown->cursor_visible && next->cursor_visible)
		render_add(&rc, t->cnorm);

	/* Remember what was really drawn, corner included. */
	screen_copy(shown, next);
	shown->cells[(size_t)sy * sx - 1] = rc.blank;
	if (sx >= 2) {
		c = &shown->cells[(size_t)sy * sx - 2];
		if (c->width == 2) {
			c->cp = ' ';
			c->comb = 0;
			c->width = 1;
		}
	}
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
		shown->cells[i].cp = UINT32_MAX;
	term_cup(t, out, 0, 0);
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
