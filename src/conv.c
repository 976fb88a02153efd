/*
 * A session's conversation: the lines its screen scrolls and a /report
 * quotes, oldest first, at most CHAT_MAX_LINES of them and
 * CHAT_MAX_BYTES of text.  Each line is packed in one buffer after the
 * one before it (a kind byte, the text, a NUL, so the text reads as a
 * C string in place); a ring of small slots says where each starts and
 * how many rows it took at the width last drawn.
 *
 * A dropped line only moves the ring on.  Its bytes are reclaimed when
 * the newest line reaches the end of the buffer (or at once when the
 * buffer is four times what the lines need): the kept lines move to its
 * front, or to a buffer sized for them, with an eighth to spare so that
 * the next move is that far away (a move copies at most eight bytes for
 * each byte added since the last).  A line costs its text and six
 * bytes, the spare aside; an empty conversation costs nothing.
 *
 * Owns the buffer and the ring; knows nothing of sessions or screens
 * (view.c computes the rows cached here).  No I/O.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

struct conv_slot {
	uint16_t	off;	/* of the line's kind byte in buf */
	uint16_t	rows;	/* at rows_sx; CONV_ROWS_NONE: not known */
};

/* A line's bytes besides its text: the kind before, the NUL after. */
#define CONV_EXTRA	2
/* The ring's first size, and the buffer's least. */
#define CONV_SLOTS_MIN	16
#define CONV_SIZE_MIN	256
/* Buffer sizes are multiples of this. */
#define CONV_ROUND	32
/* The buffer for n bytes of lines: n, an eighth to spare, rounded up. */
#define CONV_SIZE(n)	(((n) + (n) / 8 + CONV_ROUND - 1) / CONV_ROUND * \
			 CONV_ROUND)
/* The most the lines need at once, the caps held: offsets fit 16 bits. */
#define CONV_WANT_MAX	(CHAT_MAX_BYTES + CHAT_MAX_LINES * CONV_EXTRA)
_Static_assert(CONV_SIZE(CONV_WANT_MAX) <= UINT16_MAX,
    "conv offsets are 16 bits");

static struct conv_slot	*conv_slot(const struct conv *, u_int);
static void		 conv_drop(struct conv *);
static void		 conv_put(struct conv *, enum line_kind, const char *);
static void		 conv_room(struct conv *, size_t);
static void		 conv_slots_grow(struct conv *);

/* Slot of line i, oldest first. */
static struct conv_slot *
conv_slot(const struct conv *c, u_int i)
{
	return (&c->slots[(c->first + i) % c->nslots]);
}

/* Line i's text, a C string in place. */
const char *
conv_text(const struct conv *c, u_int i)
{
	return (c->buf + conv_slot(c, i)->off + 1);
}

/* Line i's length in bytes: up to the next line, or the end. */
size_t
conv_len(const struct conv *c, u_int i)
{
	u_int	next;

	next = i + 1 < c->nlines ? conv_slot(c, i + 1)->off : c->end;
	return (next - conv_slot(c, i)->off - CONV_EXTRA);
}

/* Who said line i. */
enum line_kind
conv_kind(const struct conv *c, u_int i)
{
	return ((enum line_kind)(uint8_t)c->buf[conv_slot(c, i)->off]);
}

/* Rows line i takes at width, if known, else CONV_ROWS_NONE. */
u_int
conv_rows(const struct conv *c, u_int i, u_int width)
{
	if (width != c->rows_sx)
		return (CONV_ROWS_NONE);
	return (conv_slot(c, i)->rows);
}

/*
 * Remember line i's rows at width.  The screen has one width at a time,
 * so a new one forgets what every line took at the old.
 */
void
conv_set_rows(struct conv *c, u_int i, u_int width, u_int rows)
{
	u_int	j;

	if (width != c->rows_sx) {
		for (j = 0; j < c->nlines; j++)
			conv_slot(c, j)->rows = CONV_ROWS_NONE;
		c->rows_sx = width;
	}
	conv_slot(c, i)->rows = rows < CONV_ROWS_NONE ? rows : CONV_ROWS_NONE;
}

/* What the conversation has allocated, in bytes. */
size_t
conv_size(const struct conv *c)
{
	return (c->size + (size_t)c->nslots * sizeof *c->slots);
}

/* Append a line, dropping the oldest past the caps. */
void
conv_add(struct conv *c, enum line_kind kind, const char *text)
{
	if (c->nlines == CHAT_MAX_LINES)
		conv_drop(c);
	conv_put(c, kind, text);
	c->seq++;
}

/*
 * Replace the newest line's text (text is not the conversation's own):
 * in place, as the same line, with older lines dropped if it no longer
 * fits the byte cap beside them.
 */
void
conv_rewrite(struct conv *c, const char *text)
{
	enum line_kind	kind;

	if (c->nlines == 0)
		return;
	kind = conv_kind(c, c->nlines - 1);
	c->text_bytes -= conv_len(c, c->nlines - 1);
	c->end = conv_slot(c, c->nlines - 1)->off;
	c->nlines--;
	conv_put(c, kind, text);
}

/* Free what the conversation holds; it is empty again. */
void
conv_free(struct conv *c)
{
	free(c->buf);
	free(c->slots);
	memset(c, 0, sizeof *c);
}

/* Forget the oldest line; its bytes stay until conv_room() moves. */
static void
conv_drop(struct conv *c)
{
	c->text_bytes -= conv_len(c, 0);
	c->first = (c->first + 1) % c->nslots;
	if (--c->nlines == 0)
		c->end = 0;
}

/*
 * Put a line after the newest, first dropping the oldest until its text
 * fits CHAT_MAX_BYTES beside theirs.  A longer one is cut to that, at
 * a character boundary, and is then all there is.
 */
static void
conv_put(struct conv *c, enum line_kind kind, const char *text)
{
	struct conv_slot	*sl;
	size_t			 len = strlen(text);

	if (len > CHAT_MAX_BYTES) {
		len = CHAT_MAX_BYTES;
		while (len > 0 && ((uint8_t)text[len] & 0xc0) == 0x80)
			len--;
	}
	while (c->nlines > 0 && c->text_bytes + len > CHAT_MAX_BYTES)
		conv_drop(c);
	if (c->nlines == c->nslots)
		conv_slots_grow(c);
	conv_room(c, len + CONV_EXTRA);
	sl = conv_slot(c, c->nlines);
	sl->off = c->end;
	sl->rows = CONV_ROWS_NONE;
	c->buf[c->end] = (char)kind;
	memcpy(c->buf + c->end + 1, text, len);
	c->buf[c->end + 1 + len] = '\0';
	c->end += len + CONV_EXTRA;
	c->text_bytes += len;
	c->nlines++;
}

/*
 * Make need bytes free after the newest line.  When the end is reached,
 * the kept lines go to the front of a buffer with an eighth to spare
 * beyond them and the new line: this one if it is that big and not
 * twice that, else a new one.  A buffer four times what the lines need
 * (long lines gone, short ones left) is replaced at once, so a chat
 * that had long lines gives the memory back even if it goes quiet.
 */
static void
conv_room(struct conv *c, size_t need)
{
	size_t	 start, live, size;
	char	*buf;
	u_int	 i;

	start = c->nlines > 0 ? conv_slot(c, 0)->off : c->end;
	live = c->end - start;
	size = CONV_SIZE(live + need);
	if (size < CONV_SIZE_MIN)
		size = CONV_SIZE_MIN;
	if (c->end + need <= c->size && size > c->size / 4)
		return;
	if (size > c->size || size <= c->size / 2) {
		buf = xmalloc(size);
		if (live > 0)
			memcpy(buf, c->buf + start, live);
		free(c->buf);
		c->buf = buf;
		c->size = size;
	} else
		memmove(c->buf, c->buf + start, live);
	for (i = 0; i < c->nlines; i++)
		conv_slot(c, i)->off -= start;
	c->end = live;
}

/*
 * Room in the ring for one more line: it starts small (a chat that has
 * just begun holds the rules and a few lines) and doubles up to
 * CHAT_MAX_LINES, oldest line first again.
 */
static void
conv_slots_grow(struct conv *c)
{
	struct conv_slot	*slots;
	u_int			 n, i;

	n = c->nslots == 0 ? CONV_SLOTS_MIN : c->nslots * 2;
	if (n > CHAT_MAX_LINES)
		n = CHAT_MAX_LINES;
	slots = xreallocarray(NULL, n, sizeof *slots);
	for (i = 0; i < c->nlines; i++)
		slots[i] = *conv_slot(c, i);
	free(c->slots);
	c->slots = slots;
	c->nslots = n;
	c->first = 0;
}
