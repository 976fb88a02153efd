/*
 * The chat screen: lays a session out onto a screen model.  From the
 * top: a status line, the conversation (word-wrapped, newest at the
 * bottom, or scrolled back with a marker), a line of hints (or "Stranger
 * is typing…") and the input line with its cursor.
 *
 * Every line is built from a few candidates, longest first, so that the
 * essentials (state, time, people online and waiting) survive on a
 * 40-column phone terminal and nothing is cut mid-word on a wide one.
 *
 * Reads the session, except that it clamps s->scroll to what exists and
 * notes the rows each line takes; the time and the counts come from the
 * caller (struct view_now), so this is a pure module: it changes only
 * the screen it is given, does no I/O, and the unit tests draw with it
 * (tests/unit/test-view.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* Continuation rows of a wrapped line start this far in. */
#define VIEW_INDENT	2
/* Prefix and text up to this many bytes are joined on the stack. */
#define VIEW_JOIN_MAX	(16 + LINE_MAX_CHARS * 4 + 1)

#define VIEW_ATTR_STATUS	ATTR_REVERSE
#define VIEW_ATTR_HINT		ATTR_DIM
#define VIEW_ATTR_TYPING	(ATTR_DIM | ATTR_FG(5))
#define VIEW_ATTR_MARKER	(ATTR_REVERSE | ATTR_FG(3))
#define VIEW_ATTR_SYSTEM	(ATTR_FG(3))
#define VIEW_ATTR_YOU		(ATTR_BOLD | ATTR_FG(6))
#define VIEW_ATTR_STRANGER	(ATTR_BOLD | ATTR_FG(5))

/*
 * The status and hint rows this thread drew last and what they were
 * drawn from (key, with the width): most sessions show the same ones,
 * so a row whose key matches is copied instead of laid out again.
 */
#define VIEW_MEMO_KEY	192
struct view_memo {
	char		 key[VIEW_MEMO_KEY];	/* "": nothing kept */
	struct cell	 cells[SCREEN_MAX_X];
};
static __thread struct view_memo view_memo_status, view_memo_hint;

static int	view_memo_get(const struct view_memo *, const char *,
		    struct screen *, u_int);
static void	view_memo_put(struct view_memo *, const char *, size_t,
		    const struct screen *, u_int);
static void	view_status(const struct session *, struct screen *,
		    const struct view_now *);
static void	view_status_draw(const struct session *, struct screen *,
		    const struct view_now *);
static void	view_conversation(struct session *, struct screen *,
		    const struct screen *, u_int, u_int);
static int	view_conversation_add(struct session *, struct screen *,
		    const struct screen *, u_int, u_int);
static void	view_line(struct view_row *, struct conv *, u_int);
static void	view_hint(struct session *, struct screen *, u_int);
static void	view_input(struct session *, struct screen *, u_int);
static const char *view_prefix(enum line_kind);
static char	*view_join(char *, size_t, const char *, const char *);
static u_int	view_cl_rows(struct conv *, u_int, u_int);
static u_int	view_width(const char *);
static void	view_status_right(char *, size_t, u_int,
		    const struct view_now *);
static size_t	view_cat(char *, size_t, size_t, const char *);
static size_t	view_cat_u(char *, size_t, size_t, u_int);
static void	view_one_row(struct view_row *, const char *, const char *);

/*
 * Break text into rows of at most width columns, at spaces where it
 * can; rows after the first are indent columns narrower.  Calls cb for
 * each row (if cb is not NULL) and returns how many rows there were.
 */
u_int
view_wrap(const char *text, u_int width, u_int indent,
    void (*cb)(const char *, size_t, u_int, void *), void *arg)
{
	size_t		 len = strlen(text), pos = 0, i, end, next, brk, n;
	u_int		 rows = 0, used, avail;
	uint32_t	 cp;
	int		 cw;

	if (width == 0)
		return (0);
	if (indent >= width)
		indent = 0;
	do {
		avail = rows == 0 ? width : width - indent;
		used = 0;
		brk = 0;
		for (i = pos; i < len; i += n) {
			if ((u_char)text[i] >= 0x20 && (u_char)text[i] < 0x7f) {
				/* Printable ASCII: one byte, one column. */
				n = 1;
				cp = (u_char)text[i];
				cw = 1;
			} else {
				n = utf8_decode(text + i, len - i, &cp);
				cw = utf8_width(cp);
				if (cw < 0)
					cw = 0;
			}
			if (used + cw > avail)
				break;
			if (cp == ' ')
				brk = i;
			used += cw;
		}
		if (i >= len) {
			end = next = len;
		} else if (brk > pos) {
			end = brk;
			next = brk + 1;
		} else {
			/* One word wider than the row: break it anywhere. */
			end = next = i;
			if (i == pos)
				end = next = i + utf8_decode(text + i,
				    len - i, &cp);
		}
		if (cb != NULL)
			cb(text + pos, end - pos, rows == 0 ? 0 : indent, arg);
		rows++;
		pos = next;
	} while (pos < len);
	return (rows);
}

/*
 * view_wrap()'s callback: draw one wrapped row (the prefix of row one in
 * its own attribute), unless it is scrolled off above or below.
 */
void
view_put_row(const char *text, size_t len, u_int x, void *arg)
{
	struct view_row	*vr = arg;
	size_t		 plen;

	if (vr->skip > 0) {
		vr->skip--;
		vr->first = 0;
		return;
	}
	if (vr->y >= vr->ymax)
		return;
	if (vr->first && vr->prefix_len > 0) {
		plen = vr->prefix_len < len ? vr->prefix_len : len;
		x += screen_puts(vr->scr, x, vr->y, vr->scr->sx, text, plen,
		    vr->prefix_attr);
		text += plen;
		len -= plen;
	}
	screen_puts(vr->scr, x, vr->y, vr->scr->sx, text, len, vr->attr);
	vr->first = 0;
	vr->y++;
}

/*
 * A line that fits on one row (view_cl_rows() says so for this width),
 * as view_wrap() and view_put_row() would draw it: the prefix, then the
 * text, on the next row unless it is scrolled off.
 */
static void
view_one_row(struct view_row *vr, const char *prefix, const char *text)
{
	u_int	x;

	if (vr->skip > 0) {
		vr->skip--;
		return;
	}
	if (vr->y >= vr->ymax)
		return;
	x = screen_puts(vr->scr, 0, vr->y, vr->scr->sx, prefix,
	    vr->prefix_len, vr->prefix_attr);
	screen_puts(vr->scr, x, vr->y, vr->scr->sx, text, strlen(text),
	    vr->attr);
	vr->y++;
}

/* The prefix a kind of line is shown with. */
static const char *
view_prefix(enum line_kind kind)
{
	switch (kind) {
	case LINE_YOU:
		return ("You: ");
	case LINE_STRANGER:
		return ("Stranger: ");
	case LINE_SYSTEM:
	case LINE_RULES:
		break;
	}
	return ("");
}

/* Display width of a string. */
static u_int
view_width(const char *text)
{
	return ((u_int)utf8_strwidth(text, strlen(text)));
}

/*
 * "0:12" for seconds, or "3 min" (minutes) for a chat: the status
 * line's clock, which /status words the same way.
 */
void
view_clock(char *buf, size_t size, uint64_t ms, int minutes)
{
	uint64_t	secs = ms / 1000;

	if (minutes) {
		if (secs < 60)
			snprintf(buf, size, "<1 min");
		else
			snprintf(buf, size, "%llu min",
			    (unsigned long long)(secs / 60));
	} else
		snprintf(buf, size, "%llu:%02llu",
		    (unsigned long long)(secs / 60),
		    (unsigned long long)(secs % 60));
}

/*
 * What the status line's clock shows for a session at now: seconds
 * while waiting, minutes in a chat (so that a chat redraws once a
 * minute, not once a second), 0 otherwise.  The session's timer is
 * armed for when it changes (view_status_next()) and redraws then.
 */
u_int
view_status_clock(const struct session *s, uint64_t now)
{
	uint64_t	ms = now > s->state_since ? now - s->state_since : 0;

	if (s->state == SESSION_WAITING)
		return ((u_int)(ms / 1000) + 1);
	if (s->state == SESSION_PAIRED)
		return ((u_int)(ms / 60000) + 1);
	return (0);
}

/*
 * When view_status_clock() will next change, on the now_ms() clock;
 * UINT64_MAX for never.  The session's timer is armed for it.
 */
uint64_t
view_status_next(const struct session *s, uint64_t now)
{
	uint64_t	ms = now > s->state_since ? now - s->state_since : 0;
	uint64_t	step;

	if (s->state == SESSION_WAITING)
		step = 1000;
	else if (s->state == SESSION_PAIRED)
		step = 60000;
	else
		return (UINT64_MAX);
	return (s->state_since + (ms / step + 1) * step);
}

/* If m holds the row key makes, copy it to row y of scr. */
static int
view_memo_get(const struct view_memo *m, const char *key, struct screen *scr,
    u_int y)
{
	if (m->key[0] == '\0' || strcmp(m->key, key) != 0)
		return (0);
	memcpy(scr->cells + (size_t)y * scr->sx, m->cells,
	    scr->sx * sizeof *scr->cells);
	return (1);
}

/*
 * Keep row y of scr in m as the row key makes: not one with a combining
 * mark (the marks live apart), nor one whose key was cut to fit.
 */
static void
view_memo_put(struct view_memo *m, const char *key, size_t len,
    const struct screen *scr, u_int y)
{
	const struct cell	*row = scr->cells + (size_t)y * scr->sx;
	u_int			 x;

	m->key[0] = '\0';
	if (len + 1 >= sizeof m->key)
		return;
	for (x = 0; x < scr->sx; x++)
		if (row[x].mark)
			return;
	memcpy(m->cells, row, scr->sx * sizeof *row);
	memcpy(m->key, key, len + 1);
}

/*
 * The top line, from this thread's last one when that was drawn from
 * the same state (and network), clock, counts, shared interest and
 * width.
 */
static void
view_status(const struct session *s, struct screen *scr,
    const struct view_now *vn)
{
	char	key[VIEW_MEMO_KEY];
	size_t	n;

	n = view_cat_u(key, sizeof key, 0, scr->sx);
	n = view_cat(key, sizeof key, n, " ");
	n = view_cat_u(key, sizeof key, n, s->state);
	n = view_cat(key, sizeof key, n, s->network_away ? "n " : " ");
	n = view_cat_u(key, sizeof key, n, view_status_clock(s, vn->now));
	n = view_cat(key, sizeof key, n, " ");
	n = view_cat_u(key, sizeof key, n, vn->online);
	n = view_cat(key, sizeof key, n, " ");
	n = view_cat_u(key, sizeof key, n, vn->waiting);
	if (s->shared != NULL && s->state == SESSION_PAIRED) {
		n = view_cat(key, sizeof key, n, " ");
		n = view_cat(key, sizeof key, n, s->shared);
	}
	if (view_memo_get(&view_memo_status, key, scr, 0))
		return;
	view_status_draw(s, scr, vn);
	view_memo_put(&view_memo_status, key, n, scr, 0);
}

/*
 * The top line: what is happening, for how long, and how many people
 * are online and waiting.  Tried from the longest wording to the
 * shortest; the first that fits is drawn.
 */
static void
view_status_draw(const struct session *s, struct screen *scr,
    const struct view_now *vn)
{
	static const char	 brand[] = " strangerd \xc2\xb7 ";
	const char		*state[3] = { "", "", "" };
	char			 clock[32], left[3][96], right[64];
	u_int			 lws[3] = { 0, 0, 0 };	/* widths + 1 */
	u_int			 x, lw, rw, bw, i, j;
	size_t			 n;
	uint64_t		 now = vn->now;
	int			 with_brand, shared;

	clock[0] = '\0';
	switch (s->state) {
	case SESSION_WELCOME:
		state[0] = state[1] = state[2] = "welcome";
		break;
	case SESSION_WAITING:
		if (s->network_away) {
			state[0] = "waiting for the chat network\xe2\x80\xa6";
			state[1] = "no network";
			state[2] = "no net";
		} else {
			state[0] = "looking for a stranger\xe2\x80\xa6";
			state[1] = "looking\xe2\x80\xa6";
			state[2] = "looking";
		}
		view_clock(clock, sizeof clock, now - s->state_since, 0);
		break;
	case SESSION_PAIRED:
		state[0] = "chatting with a stranger";
		state[1] = "chatting";
		state[2] = "chatting";
		view_clock(clock, sizeof clock, now - s->state_since, 1);
		break;
	case SESSION_ALONE:
		state[0] = "the stranger left";
		state[1] = state[2] = "alone";
		break;
	case SESSION_CLOSING:
		state[0] = state[1] = state[2] = "goodbye";
		break;
	}
	shared = s->shared != NULL && s->state == SESSION_PAIRED;
	bw = view_width(brand);

	screen_fill(scr, 0, 0, scr->sx, VIEW_ATTR_STATUS);
	/*
	 * Fewest cuts first: the right side shrinks last.  Each wording is
	 * formatted only when tried (most screens take the first ones).
	 */
	for (j = 0; j < 3; j++) {
		view_status_right(right, sizeof right, j, vn);
		rw = view_width(right) + 1;
		for (i = 0; i < 3; i++) {
			if (lws[i] == 0) {
				n = view_cat(left[i], sizeof left[i], 0,
				    state[i]);
				if (clock[0] != '\0')
					n = view_cat(left[i], sizeof left[i],
					    n, i == 2 ? " " : " \xc2\xb7 ");
				n = view_cat(left[i], sizeof left[i], n,
				    clock);
				if (shared && i == 0) {
					n = view_cat(left[i], sizeof left[i],
					    n, " \xc2\xb7 you both like ");
					view_cat(left[i], sizeof left[i], n,
					    s->shared);
				}
				lws[i] = view_width(left[i]) + 1;
			}
			lw = lws[i];
			with_brand = lw + rw + bw <= scr->sx;
			/* At least two spaces between left and right. */
			if (lw + rw + 2 > scr->sx && !(i == 2 && j == 2))
				continue;
			x = 0;
			if (with_brand)
				x = screen_puts(scr, 0, 0, scr->sx, brand,
				    sizeof brand - 1,
				    VIEW_ATTR_STATUS | ATTR_BOLD);
			else
				x = 1;
			screen_puts(scr, x, 0, scr->sx > rw ? scr->sx - rw :
			    0, left[i], strlen(left[i]), VIEW_ATTR_STATUS);
			if (scr->sx > rw)
				screen_puts(scr, scr->sx - rw, 0, scr->sx,
				    right, strlen(right), VIEW_ATTR_STATUS);
			return;
		}
	}
}

/* The status line's right side, wording j (0 longest, 2 shortest). */
static void
view_status_right(char *buf, size_t size, u_int j, const struct view_now *vn)
{
	size_t	n;

	n = view_cat_u(buf, size, 0, vn->online);
	n = view_cat(buf, size, n, j == 0 ? " online \xc2\xb7 " :
	    j == 1 ? " on \xc2\xb7 " : "/");
	n = view_cat_u(buf, size, n, vn->waiting);
	if (j < 2)
		view_cat(buf, size, n, j == 0 ? " waiting" : " wait");
}

/*
 * Append text to the len bytes of buf, cut as snprintf() would to fit
 * size, and return the new length: the status line is built each frame,
 * and formatting with snprintf() cost more than drawing it.
 */
static size_t
view_cat(char *buf, size_t size, size_t len, const char *text)
{
	while (*text != '\0' && len + 1 < size)
		buf[len++] = *text++;
	buf[len] = '\0';
	return (len);
}

/* Append n in decimal, as view_cat() appends text. */
static size_t
view_cat_u(char *buf, size_t size, size_t len, u_int n)
{
	char	tmp[16];
	u_int	i = sizeof tmp - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = '0' + n % 10;
		n /= 10;
	} while (n != 0);
	return (view_cat(buf, size, len, tmp + i));
}

/*
 * Join prefix and text into buf if they fit (a typed line always does),
 * else into a new string: the caller frees the result if it is not buf.
 */
static char *
view_join(char *buf, size_t size, const char *prefix, const char *text)
{
	size_t	plen = strlen(prefix), tlen = strlen(text);
	char	*full;

	if (plen + tlen < size) {
		memcpy(buf, prefix, plen);
		memcpy(buf + plen, text, tlen + 1);
		return (buf);
	}
	xasprintf(&full, "%s%s", prefix, text);
	return (full);
}

/* How many rows a conversation line takes at a width. */
u_int
view_line_rows(enum line_kind kind, const char *text, u_int width)
{
	char	 buf[VIEW_JOIN_MAX], *full;
	u_int	 rows;

	full = view_join(buf, sizeof buf, view_prefix(kind), text);
	rows = view_wrap(full, width, VIEW_INDENT, NULL, NULL);
	if (full != buf)
		free(full);
	return (rows);
}

/* The same for line i of the conversation, remembered per width. */
static u_int
view_cl_rows(struct conv *c, u_int i, u_int width)
{
	u_int	rows;

	if ((rows = conv_rows(c, i, width)) == CONV_ROWS_NONE) {
		rows = view_line_rows(conv_kind(c, i), conv_text(c, i), width);
		conv_set_rows(c, i, width, rows);
	}
	return (rows);
}

/* Draw line i of the conversation from vr's row on. */
static void
view_line(struct view_row *vr, struct conv *c, u_int i)
{
	enum line_kind	 kind = conv_kind(c, i);
	const char	*text = conv_text(c, i);
	char		 buf[VIEW_JOIN_MAX], *full;

	vr->first = 1;
	vr->prefix_len = strlen(view_prefix(kind));
	switch (kind) {
	case LINE_YOU:
		vr->prefix_attr = VIEW_ATTR_YOU;
		vr->attr = 0;
		break;
	case LINE_STRANGER:
		vr->prefix_attr = VIEW_ATTR_STRANGER;
		vr->attr = 0;
		break;
	case LINE_SYSTEM:
		vr->attr = VIEW_ATTR_SYSTEM;
		break;
	case LINE_RULES:
		vr->attr = 0;
		break;
	}
	/* Most lines fit on a row: nothing to join or wrap. */
	if (view_cl_rows(c, i, vr->scr->sx) == 1) {
		view_one_row(vr, view_prefix(kind), text);
		return;
	}
	full = view_join(buf, sizeof buf, view_prefix(kind), text);
	view_wrap(full, vr->scr->sx, VIEW_INDENT, view_put_row, vr);
	if (full != buf)
		free(full);
}

/*
 * The conversation between rows top and bottom when prev, the screen
 * the last frame drew, shows it at the bottom and it has only had lines
 * added since (s->view_seq): prev's rows move up by the rows of the new
 * lines, which are drawn below them; nothing else is laid out again.
 * Returns 0 when it cannot, and the caller lays it all out.
 */
static int
view_conversation_add(struct session *s, struct screen *scr,
    const struct screen *prev, u_int top, u_int bottom)
{
	struct conv	*c = &s->conv;
	struct view_row	 vr;
	uint64_t	 added = c->seq - s->view_seq;
	u_int		 height = bottom - top, rows = 0, old = 0, i;

	if (prev == NULL || prev->cells == NULL || prev->sx != scr->sx ||
	    prev->sy != scr->sy || s->view_seq == 0 || s->scroll != 0 ||
	    added > c->nlines)
		return (0);
	for (i = c->nlines - added; i < c->nlines && rows < height; i++)
		rows += view_cl_rows(c, i, scr->sx);
	/* The rows that stay were all of lines still kept. */
	for (i = c->nlines - added; i > 0 && old < height; i--)
		old += view_cl_rows(c, i - 1, scr->sx);
	if (rows >= height || old < height)
		return (0);

	memcpy(scr->cells + (size_t)top * scr->sx,
	    prev->cells + (size_t)(top + rows) * scr->sx,
	    (size_t)(height - rows) * scr->sx * sizeof *scr->cells);
	screen_copy_marks(scr, top, prev, top + rows, height - rows);
	memset(&vr, 0, sizeof vr);
	vr.scr = scr;
	vr.ymax = bottom;
	vr.y = bottom - rows;
	for (i = c->nlines - added; i < c->nlines; i++)
		view_line(&vr, c, i);
	s->unseen = 0;
	return (1);
}

/*
 * The conversation between rows top and bottom: bottom-aligned, or
 * s->scroll rows back from the end, with a marker on the last row when
 * scrolled.  The scroll is clamped to the conversation there is.  Only
 * the new lines are laid out when view_conversation_add() can.
 */
static void
view_conversation(struct session *s, struct screen *scr,
    const struct screen *prev, u_int top, u_int bottom)
{
	struct conv		*c = &s->conv;
	struct view_row		 vr;
	char			 mark[96];
	u_int			 height = bottom - top, rows = 0, i, first;
	u_int			 want;

	if (height == 0 || c->nlines == 0) {
		s->scroll = 0;
		s->view_seq = 0;
		return;
	}
	if (view_conversation_add(s, scr, prev, top, bottom)) {
		s->view_seq = c->seq;
		return;
	}
	/* Walk back from the newest line until the area is full. */
	want = height + s->scroll;
	first = c->nlines;
	while (first > 0 && rows < want) {
		first--;
		rows += view_cl_rows(c, first, scr->sx);
	}
	if (rows < want)
		s->scroll = rows > height ? rows - height : 0;
	if (s->scroll == 0)
		s->unseen = 0;
	/* The next frame may start from this one if it is at the end. */
	s->view_seq = s->scroll == 0 ? c->seq : 0;
	memset(&vr, 0, sizeof vr);
	vr.scr = scr;
	vr.ymax = bottom;
	vr.y = rows < height ? bottom - rows : top;
	vr.skip = rows > height + s->scroll ? rows - height - s->scroll : 0;
	for (i = first; i < c->nlines && vr.y < vr.ymax; i++)
		view_line(&vr, c, i);
	if (s->scroll == 0)
		return;
	if (s->state == SESSION_WELCOME)
		snprintf(mark, sizeof mark, " \xe2\x86\x93 more below "
		    "\xc2\xb7 PgDn ");
	else if (s->unseen > 0)
		snprintf(mark, sizeof mark, " \xe2\x86\x93 %u new line%s below "
		    "\xc2\xb7 End to return ", s->unseen, s->unseen == 1 ?
		    "" : "s");
	else
		snprintf(mark, sizeof mark, " \xe2\x86\x91 scrolled back "
		    "\xc2\xb7 PgDn, End to return ");
	screen_fill(scr, 0, bottom - 1, scr->sx, VIEW_ATTR_MARKER);
	screen_puts(scr, 0, bottom - 1, scr->sx, mark, strlen(mark),
	    VIEW_ATTR_MARKER);
}

/* The row above the input: the stranger typing, or a few hints. */
static void
view_hint(struct session *s, struct screen *scr, u_int y)
{
	static const char *const welcome[] = {
		" Press Enter to agree and meet a stranger "
		    "(type interests first if you like: chess, music)",
		" Press Enter to agree and meet a stranger.",
		" Press Enter to agree.",
		NULL
	};
	static const char *const chat[] = {
		" /next new stranger \xc2\xb7 /block \xc2\xb7 /report \xc2\xb7 "
		    "/help \xc2\xb7 PgUp scroll \xc2\xb7 Ctrl-C quit",
		" /next new stranger \xc2\xb7 /block \xc2\xb7 /report \xc2\xb7 "
		    "/help \xc2\xb7 Ctrl-C quit",
		" /next \xc2\xb7 /block \xc2\xb7 /help \xc2\xb7 Ctrl-C quit",
		" /help \xc2\xb7 Ctrl-C quit",
		NULL
	};
	static const char	 typing[] = " Stranger is typing\xe2\x80\xa6";
	const char *const	*l;
	char			 key[VIEW_MEMO_KEY];
	size_t			 n;
	int			 which;

	/* The row is one of three and the width picks the wording. */
	which = s->partner_typing && s->state == SESSION_PAIRED ? 0 :
	    s->state == SESSION_WELCOME ? 1 : 2;
	n = view_cat_u(key, sizeof key, 0, scr->sx);
	n = view_cat(key, sizeof key, n, " ");
	n = view_cat_u(key, sizeof key, n, which);
	if (view_memo_get(&view_memo_hint, key, scr, y))
		return;
	if (which == 0)
		screen_puts(scr, 0, y, scr->sx, typing, sizeof typing - 1,
		    VIEW_ATTR_TYPING);
	else {
		l = which == 1 ? welcome : chat;
		for (; l[1] != NULL; l++)
			if (view_width(*l) <= scr->sx)
				break;
		screen_puts(scr, 0, y, scr->sx, *l, strlen(*l),
		    which == 1 ? ATTR_BOLD : VIEW_ATTR_HINT);
	}
	view_memo_put(&view_memo_hint, key, n, scr, y);
}

/* The input line, scrolled sideways so the cursor stays in view. */
static void
view_input(struct session *s, struct screen *scr, u_int y)
{
	static const char	 prompt[] = "> ";
	static const char	 wprompt[] = "interests> ";
	const struct editor	*ed = &s->editor;
	u_int			 x;

	/* On the welcome screen the line takes interests (or a command). */
	if (s->state == SESSION_WELCOME && scr->sx >= 30)
		x = screen_puts(scr, 0, y, scr->sx, wprompt,
		    sizeof wprompt - 1, ATTR_DIM);
	else
		x = screen_puts(scr, 0, y, scr->sx, prompt,
		    sizeof prompt - 1, ATTR_BOLD);
	view_editor(scr, ed, x, y);
}

/*
 * The editor's text from column x of row y, scrolled sideways so that the
 * cursor stays in view, and the cursor placed.  The widths are summed in
 * one pass: a hostile 500-character line must not cost a quadratic scan
 * on every keystroke.
 */
void
view_editor(struct screen *scr, const struct editor *ed, u_int x, u_int y)
{
	char	*buf, *p;
	size_t	 start = 0, i;
	u_int	 avail, width;
	int	 cw;

	avail = scr->sx > x + 1 ? scr->sx - x - 1 : 1;
	width = (u_int)editor_width_to(ed, ed->cursor);
	while (width >= avail && start < ed->cursor) {
		if ((cw = utf8_width(ed->text[start])) > 0)
			width -= (u_int)cw;
		start++;
	}
	buf = p = xmalloc((ed->len - start) * 4 + 1);
	for (i = start; i < ed->len; i++)
		p += utf8_encode(ed->text[i], p);
	*p = '\0';
	screen_puts(scr, x, y, scr->sx, buf, (size_t)(p - buf), 0);
	free(buf);
	x += width;
	screen_cursor(scr, x < scr->sx ? x : scr->sx - 1, y, 1);
}

/*
 * Lay the whole session out onto scr, which has the session's size.
 * prev, if not NULL, is what the last frame drew (the screen the client
 * shows), which the conversation may start from.
 */
void
view_draw(struct session *s, struct screen *scr, const struct screen *prev,
    const struct view_now *vn)
{
	u_int	i, n;

	screen_clear(scr);
	view_status(s, scr, vn);
	view_conversation(s, scr, prev, 1, scr->sy - 2);
	view_hint(s, scr, scr->sy - 2);
	view_input(s, scr, scr->sy - 1);
	/* /color off, or a terminal without colours: attributes only. */
	if (s->no_colour || s->term == NULL || s->term->colours < 8) {
		n = scr->sx * scr->sy;
		for (i = 0; i < n; i++)
			scr->cells[i].attr &= ~ATTR_FGMASK;
	}
}
