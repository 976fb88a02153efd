/*
 * The screen model: a grid of cells, each holding one character (or the
 * right half of a wide one), at most one combining mark and attributes,
 * plus a cursor.  A cell is four bytes; combining marks are rare, so
 * they live in a side table of the screen's (marks), allocated the
 * first time one is written.  Views draw into a screen; render.c turns the
 * difference between two screens into terminal bytes.
 *
 * No I/O and no locking: a screen belongs to one session.  Text given to
 * screen_puts() should already be sanitised (sanitize.c), but nothing
 * here relies on it; controls are skipped.
 *
 * Invariant kept by every function here: a cell of width 2 is always
 * followed on the same row by a right half (cp 0, width 0), and a right
 * half is always preceded by a cell of width 2.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

static void	screen_blank(struct cell *, uint8_t);
static void	screen_split(struct screen *, u_int, u_int, u_int);
static void	screen_set_mark(struct screen *, struct cell *, uint32_t);

/* Make c a space with attributes attr. */
static void
screen_blank(struct cell *c, uint8_t attr)
{
	c->cp = ' ';
	c->mark = 0;
	c->attr = attr;
	c->width = 1;
}

/* Give cell c of s the combining mark cp. */
static void
screen_set_mark(struct screen *s, struct cell *c, uint32_t cp)
{
	if (s->marks == NULL)
		s->marks = xcalloc((size_t)s->sx * s->sy, sizeof *s->marks);
	s->marks[c - s->cells] = cp;
	c->mark = 1;
}

/* The combining mark of the cell at x, y; 0 for none. */
uint32_t
screen_mark(const struct screen *s, u_int x, u_int y)
{
	size_t	i = (size_t)y * s->sx + x;

	if (x >= s->sx || y >= s->sy || !s->cells[i].mark)
		return (0);
	return (s->marks[i]);
}

/*
 * Copy the marks of n rows of src from row sy to row dy of dst, which
 * has the same width (src may be dst).  Only marks flagged in cells
 * are ever read, so a screen without a table needs nothing copied.
 */
void
screen_copy_marks(struct screen *dst, u_int dy, const struct screen *src,
    u_int sy, u_int n)
{
	if (src->marks == NULL || n == 0)
		return;
	if (dst->marks == NULL)
		dst->marks = xcalloc((size_t)dst->sx * dst->sy,
		    sizeof *dst->marks);
	memmove(dst->marks + (size_t)dy * dst->sx,
	    src->marks + (size_t)sy * src->sx,
	    (size_t)n * src->sx * sizeof *dst->marks);
}

/*
 * Prepare columns x to x + n - 1 of row y to be overwritten: a wide
 * character only partly inside that range is replaced by a space on the
 * half that survives, so that no orphaned half is left behind.
 */
static void
screen_split(struct screen *s, u_int x, u_int y, u_int n)
{
	struct cell	*row = s->cells + (size_t)y * s->sx;
	u_int		 last = x + n - 1;

	if (row[x].width == 0 && x > 0)
		screen_blank(&row[x - 1], row[x - 1].attr);
	if (row[last].width == 2 && last + 1 < s->sx)
		screen_blank(&row[last + 1], row[last + 1].attr);
}

/* Set up an empty screen of sx by sy cells with the cursor at the top. */
void
screen_init(struct screen *s, u_int sx, u_int sy)
{
	memset(s, 0, sizeof *s);
	s->cursor_visible = 1;
	screen_resize(s, sx, sy);
}

/* Free what the screen owns; the screen itself belongs to the caller. */
void
screen_free(struct screen *s)
{
	if (s == NULL)
		return;
	free(s->cells);
	free(s->marks);
	s->cells = NULL;
	s->marks = NULL;
	s->sx = s->sy = 0;
}

/*
 * Change the size, clamped to 1..SCREEN_MAX_X by 1..SCREEN_MAX_Y.  The
 * contents are not kept: views redraw everything after a resize.
 */
void
screen_resize(struct screen *s, u_int sx, u_int sy)
{
	if (sx < 1)
		sx = 1;
	if (sx > SCREEN_MAX_X)
		sx = SCREEN_MAX_X;
	if (sy < 1)
		sy = 1;
	if (sy > SCREEN_MAX_Y)
		sy = SCREEN_MAX_Y;

	if (s->cells == NULL || sx != s->sx || sy != s->sy) {
		s->cells = xreallocarray(s->cells, (size_t)sx * sy,
		    sizeof *s->cells);
		/* Contents are not kept; a mark gets a new table. */
		free(s->marks);
		s->marks = NULL;
		s->sx = sx;
		s->sy = sy;
	}
	screen_clear(s);
	if (s->cx >= sx)
		s->cx = sx - 1;
	if (s->cy >= sy)
		s->cy = sy - 1;
}

/*
 * Fill the whole screen with spaces without attributes: one cell, then
 * copies of what is done, doubling (a handful of memcpy calls rather
 * than a loop over up to 30,000 cells, which instrumented builds such
 * as the fuzzers' make slow).
 */
void
screen_clear(struct screen *s)
{
	size_t	done, n = (size_t)s->sx * s->sy;

	screen_blank(&s->cells[0], 0);
	for (done = 1; done < n; done *= 2)
		memcpy(s->cells + done, s->cells,
		    (done < n - done ? done : n - done) * sizeof *s->cells);
}

/* Return the cell at x, y, or NULL outside the screen. */
struct cell *
screen_cell(struct screen *s, u_int x, u_int y)
{
	if (x >= s->sx || y >= s->sy)
		return (NULL);
	return (&s->cells[(size_t)y * s->sx + x]);
}

/* Write n spaces with attributes attr from x, y, stopping at the edge. */
void
screen_fill(struct screen *s, u_int x, u_int y, u_int n, uint8_t attr)
{
	struct cell	*row;
	u_int		 i;

	if (y >= s->sy || x >= s->sx || n == 0)
		return;
	if (n > s->sx - x)
		n = s->sx - x;
	screen_split(s, x, y, n);
	row = s->cells + (size_t)y * s->sx;
	for (i = 0; i < n; i++)
		screen_blank(&row[x + i], attr);
}

/* Place the cursor, clamped to the screen, and show or hide it. */
void
screen_cursor(struct screen *s, u_int x, u_int y, int visible)
{
	s->cx = x < s->sx ? x : s->sx - 1;
	s->cy = y < s->sy ? y : s->sy - 1;
	s->cursor_visible = visible;
}

/*
 * Write len bytes of UTF-8 text with attributes attr on row y from column
 * x, never at or beyond column maxx, and return the columns used.
 *
 * A wide character that would cross maxx is not written; a space takes
 * its place and the text ends there.  A combining mark goes with the
 * character before it (only the first is kept) and is dropped if
 * nothing has been written yet.  Controls are skipped.
 */
u_int
screen_puts(struct screen *s, u_int x, u_int y, u_int maxx, const char *text,
    size_t len, uint8_t attr)
{
	struct cell	*row, *last = NULL, plain;
	size_t		 off = 0, n, i;
	uint32_t	 cp;
	u_int		 start = x;
	int		 w;

	if (maxx > s->sx)
		maxx = s->sx;
	if (y >= s->sy || x >= maxx)
		return (0);
	row = s->cells + (size_t)y * s->sx;
	screen_blank(&plain, attr);

	while (off < len && x < maxx) {
		/*
		 * Printable ASCII, most text, is one column and one byte: a
		 * run of it is written cell by cell from a template, with
		 * only its ends to split.
		 */
		if ((u_char)text[off] >= 0x20 && (u_char)text[off] < 0x7f) {
			for (n = 1; off + n < len && x + n < maxx &&
			    (u_char)text[off + n] >= 0x20 &&
			    (u_char)text[off + n] < 0x7f; n++)
				/* nothing */;
			screen_split(s, x, y, n);
			for (i = 0; i < n; i++) {
				plain.cp = (u_char)text[off + i];
				row[x + i] = plain;
			}
			last = &row[x + n - 1];
			off += n;
			x += n;
			continue;
		}

		off += utf8_decode(text + off, len - off, &cp);
		if (cp == 0 || (w = utf8_width(cp)) < 0)
			continue;
		if (w == 0) {
			if (last != NULL && !last->mark)
				screen_set_mark(s, last, cp);
			continue;
		}
		if (w == 2 && x + 1 >= maxx) {
			screen_split(s, x, y, 1);
			screen_blank(&row[x], attr);
			x++;
			break;
		}

		screen_split(s, x, y, w);
		last = &row[x];
		last->cp = cp;
		last->mark = 0;
		last->attr = attr;
		last->width = w;
		if (w == 2) {
			row[x + 1].cp = 0;
			row[x + 1].mark = 0;
			row[x + 1].attr = attr;
			row[x + 1].width = 0;
		}
		x += w;
	}
	return (x - start);
}
