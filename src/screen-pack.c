/*
 * A screen packed into a few hundred bytes, for the screen each session's
 * client shows: render.c diffs the next frame against it, so it is kept
 * for the session's whole life, yet a chat screen is mostly spaces and
 * plain ASCII.  Unpacked (four bytes a cell) an 80x24 screen is 7.7 KB,
 * the largest part of a telnet session; packed it is typically 0.3 to
 * 1.5 KB.  Packing and unpacking cost about as much as drawing a frame,
 * so session.c packs only the screens of sessions left alone for a
 * while, and unpacks one for its next frame.
 *
 * The bytes, cell after cell in row order from the top left; cells after
 * the last one written are spaces without attributes:
 *
 *	0x20-0x7e	that ASCII character, width 1, the current attributes
 *	0x01 a		the current attributes become a (at first 0)
 *	0x02 n		n spaces (1 to 255) with the current attributes
 *	0x03 c [m]	any other cell: its four bytes as struct cell, then
 *			the four bytes of its combining mark if it has one
 *
 * At most nine bytes a cell, so a hostile window of SCREEN_MAX_X by
 * SCREEN_MAX_Y costs at most 270 KB.
 *
 * No I/O and no locking: a pack belongs to one session.  The buffer
 * packing writes into first is one per thread, as large as the largest
 * screen this thread packed, and never freed.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

#define PACK_ATTR	0x01
#define PACK_SPACES	0x02
#define PACK_CELL	0x03
#define PACK_CELL_MAX	9	/* PACK_CELL, a cell, a mark */

static __thread u_char	*pack_buf;
static __thread size_t	 pack_size;

static uint32_t	screen_pack_word(const struct cell *);
static struct cell screen_pack_plain(uint8_t, uint32_t);

/* Set up the pack of an empty screen, as screen_init() makes one. */
void
screen_pack_init(struct screen_pack *p, u_int sx, u_int sy)
{
	memset(p, 0, sizeof *p);
	p->sx = sx;
	p->sy = sy;
	p->cursor_visible = 1;
}

/* Free what the pack owns; the pack itself belongs to the caller. */
void
screen_pack_free(struct screen_pack *p)
{
	free(p->data);
	p->data = NULL;
	p->len = 0;
}

/* Free this thread's packing buffer, as the thread ends. */
void
screen_pack_done(void)
{
	free(pack_buf);
	pack_buf = NULL;
	pack_size = 0;
}

/* A cell as one word, to compare all its fields at once. */
static uint32_t
screen_pack_word(const struct cell *c)
{
	uint32_t	w;

	memcpy(&w, c, sizeof w);
	return (w);
}

/* The cell that is cp, width 1, no mark, attributes attr. */
static struct cell
screen_pack_plain(uint8_t attr, uint32_t cp)
{
	struct cell	c;

	memset(&c, 0, sizeof c);
	c.cp = cp;
	c.width = 1;
	c.attr = attr;
	return (c);
}

/*
 * Make p the packed form of s, which is left as it is.  A cell is looked
 * at as one word: it is plain (one byte packed) when it equals the plain
 * cell of its character and the current attributes.
 */
void
screen_pack(struct screen_pack *p, const struct screen *s)
{
	const struct cell	*c = s->cells;
	struct cell		 plain = screen_pack_plain(0, 0);
	uint32_t		 blank, w;
	size_t			 i, j, end, n = (size_t)s->sx * s->sy;
	size_t			 len = 0;
	uint8_t			 attr = 0;

	if (pack_size < n * PACK_CELL_MAX) {
		pack_size = n * PACK_CELL_MAX;
		pack_buf = xreallocarray(pack_buf, pack_size, 1);
	}
	plain.cp = ' ';
	blank = screen_pack_word(&plain);
	for (end = n; end > 0 && screen_pack_word(&c[end - 1]) == blank; end--)
		/* nothing */;
	for (i = 0; i < end; i++) {
		plain.cp = c[i].cp;
		if (screen_pack_word(&plain) == screen_pack_word(&c[i]) &&
		    c[i].cp > ' ' && c[i].cp < 0x7f) {
			pack_buf[len++] = c[i].cp;
			continue;
		}
		if (c[i].cp < ' ' || c[i].cp >= 0x7f || c[i].width != 1 ||
		    c[i].mark) {
			pack_buf[len++] = PACK_CELL;
			memcpy(pack_buf + len, &c[i], sizeof c[i]);
			len += sizeof c[i];
			if (c[i].mark) {
				memcpy(pack_buf + len, &s->marks[i],
				    sizeof s->marks[i]);
				len += sizeof s->marks[i];
			}
			continue;
		}
		if (c[i].attr != attr) {
			attr = c[i].attr;
			pack_buf[len++] = PACK_ATTR;
			pack_buf[len++] = attr;
			plain = screen_pack_plain(attr, 0);
		}
		if (c[i].cp != ' ') {
			pack_buf[len++] = c[i].cp;
			continue;
		}
		/* A run of spaces with these attributes. */
		plain.cp = ' ';
		w = screen_pack_word(&plain);
		for (j = i + 1; j < end && j - i < 255 &&
		    screen_pack_word(&c[j]) == w; j++)
			/* nothing */;
		if (j - i < 3) {
			memset(pack_buf + len, ' ', j - i);
			len += j - i;
		} else {
			pack_buf[len++] = PACK_SPACES;
			pack_buf[len++] = j - i;
		}
		i = j - 1;
	}

	if (len != p->len || p->data == NULL)
		p->data = xreallocarray(p->data, len == 0 ? 1 : len, 1);
	memcpy(p->data, pack_buf, len);
	p->len = len;
	p->sx = s->sx;
	p->sy = s->sy;
	p->cx = s->cx;
	p->cy = s->cy;
	p->cursor_visible = s->cursor_visible;
}

/* Make s the screen p is the packed form of. */
void
screen_unpack(struct screen *s, const struct screen_pack *p)
{
	struct cell	 plain = screen_pack_plain(0, 0), *c;
	const u_char	*b = p->data, *end = b;
	size_t		 i = 0, run, n;

	/* An empty pack has no data: no arithmetic on a NULL pointer. */
	if (p->len > 0)
		end = b + p->len;
	/* Resizing clears the screen to spaces without attributes. */
	screen_resize(s, p->sx, p->sy);
	n = (size_t)s->sx * s->sy;
	c = s->cells;
	while (b < end && i < n) {
		if (*b >= 0x20 && *b < 0x7f) {
			plain.cp = *b++;
			c[i++] = plain;
			continue;
		}
		switch (*b) {
		case PACK_ATTR:
			plain.attr = b[1];
			b += 2;
			break;
		case PACK_SPACES:
			plain.cp = ' ';
			for (run = b[1]; run > 0 && i < n; run--)
				c[i++] = plain;
			b += 2;
			break;
		default:
			memcpy(&c[i], b + 1, sizeof c[i]);
			b += 1 + sizeof c[i];
			if (c[i].mark) {
				if (s->marks == NULL)
					s->marks = xcalloc(n, sizeof *s->marks);
				memcpy(&s->marks[i], b, sizeof s->marks[i]);
				b += sizeof s->marks[i];
			}
			i++;
			break;
		}
	}
	s->cx = p->cx;
	s->cy = p->cy;
	s->cursor_visible = p->cursor_visible;
}
