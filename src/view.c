/*
 * The chat screen: lays a session out onto a screen model.  From the
 * top: a status line, the conversation (word-wrapped, newest at the
 * bottom), a line of hints and the input line with its cursor.
 *
 * Reads the session; changes only the screen it is given.  No I/O.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* Continuation rows of a wrapped line start this far in. */
#define VIEW_INDENT	2

#define VIEW_ATTR_STATUS	ATTR_REVERSE
#define VIEW_ATTR_HINT		ATTR_DIM
#define VIEW_ATTR_SYSTEM	(ATTR_FG(3))
#define VIEW_ATTR_YOU		(ATTR_BOLD | ATTR_FG(6))
#define VIEW_ATTR_STRANGER	(ATTR_BOLD | ATTR_FG(5))

struct view_row {
	struct screen	*scr;
	u_int		 y;
	u_int		 skip;		/* rows above the top to leave out */
	u_int		 ymax;		/* first row below the conversation */
	uint8_t		 attr;
	uint8_t		 prefix_attr;
	size_t		 prefix_len;	/* bytes of the prefix in row one */
	int		 first;
};

static void	view_status(struct session *, struct screen *);
static void	view_conversation(struct session *, struct screen *, u_int,
		    u_int);
static void	view_input(struct session *, struct screen *, u_int);
static void	view_put_row(const char *, size_t, u_int, void *);
static const char *view_prefix(enum line_kind);

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
			n = utf8_decode(text + i, len - i, &cp);
			cw = utf8_width(cp);
			if (cw < 0)
				cw = 0;
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

/* Draw one wrapped row of the conversation, if it is on screen. */
static void
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

/* The top line: what is happening and how many people are here. */
static void
view_status(struct session *s, struct screen *scr)
{
	const char	*state = "";
	char		 right[64];
	u_int		 x, rw;

	switch (s->state) {
	case SESSION_WELCOME:
		state = "welcome";
		break;
	case SESSION_WAITING:
		state = "looking for a stranger\xe2\x80\xa6";
		break;
	case SESSION_PAIRED:
		state = "chatting with a stranger";
		break;
	case SESSION_ALONE:
		state = "the stranger left";
		break;
	case SESSION_CLOSING:
		state = "goodbye";
		break;
	}
	screen_fill(scr, 0, 0, scr->sx, VIEW_ATTR_STATUS);
	snprintf(right, sizeof right, "%u online ", s->shown_online);
	rw = (u_int)strlen(right);
	x = screen_puts(scr, 0, 0, scr->sx, " strangerd \xc2\xb7 ",
	    strlen(" strangerd \xc2\xb7 "), VIEW_ATTR_STATUS | ATTR_BOLD);
	/* The count wins over the state when the line is short. */
	screen_puts(scr, x, 0, scr->sx > rw + x ? scr->sx - rw - 1 : x, state,
	    strlen(state), VIEW_ATTR_STATUS);
	if (scr->sx > rw)
		screen_puts(scr, scr->sx - rw, 0, scr->sx, right, rw,
		    VIEW_ATTR_STATUS);
}

/* The conversation, bottom-aligned between rows top and bottom. */
static void
view_conversation(struct session *s, struct screen *scr, u_int top,
    u_int bottom)
{
	struct view_row		 vr;
	const struct chat_line	*cl;
	char			*full;
	u_int			 height = bottom - top, rows = 0, i, first;
	u_int			*counts;

	if (height == 0 || s->nlines == 0)
		return;
	/* Walk back from the newest line until the area is full. */
	counts = xcalloc(s->nlines, sizeof *counts);
	first = s->nlines;
	while (first > 0 && rows < height) {
		first--;
		cl = &s->lines[(s->line_first + first) % CHAT_MAX_LINES];
		xasprintf(&full, "%s%s", view_prefix(cl->kind), cl->text);
		counts[first] = view_wrap(full, scr->sx, VIEW_INDENT, NULL,
		    NULL);
		rows += counts[first];
		free(full);
	}
	memset(&vr, 0, sizeof vr);
	vr.scr = scr;
	vr.ymax = bottom;
	vr.y = rows < height ? bottom - rows : top;
	vr.skip = rows > height ? rows - height : 0;
	for (i = first; i < s->nlines; i++) {
		cl = &s->lines[(s->line_first + i) % CHAT_MAX_LINES];
		vr.first = 1;
		vr.prefix_len = strlen(view_prefix(cl->kind));
		switch (cl->kind) {
		case LINE_YOU:
			vr.prefix_attr = VIEW_ATTR_YOU;
			vr.attr = 0;
			break;
		case LINE_STRANGER:
			vr.prefix_attr = VIEW_ATTR_STRANGER;
			vr.attr = 0;
			break;
		case LINE_SYSTEM:
			vr.attr = VIEW_ATTR_SYSTEM;
			break;
		case LINE_RULES:
			vr.attr = 0;
			break;
		}
		xasprintf(&full, "%s%s", view_prefix(cl->kind), cl->text);
		view_wrap(full, scr->sx, VIEW_INDENT, view_put_row, &vr);
		free(full);
	}
	free(counts);
}

/* The input line, scrolled sideways so the cursor stays in view. */
static void
view_input(struct session *s, struct screen *scr, u_int y)
{
	static const char	 prompt[] = "> ";
	const struct editor	*ed = &s->editor;
	const char		*hint;
	char			*buf, *p;
	size_t			 start = 0, i;
	u_int			 avail, x, cx;

	if (s->state == SESSION_WELCOME) {
		hint = "Press Enter to agree and meet a stranger.";
		x = screen_puts(scr, 0, y, scr->sx, hint, strlen(hint),
		    ATTR_BOLD);
		screen_cursor(scr, x < scr->sx ? x : scr->sx - 1, y, 1);
		return;
	}
	x = screen_puts(scr, 0, y, scr->sx, prompt, sizeof prompt - 1,
	    ATTR_BOLD);
	avail = scr->sx > x + 1 ? scr->sx - x - 1 : 1;
	while (editor_width_to(ed, ed->cursor) - editor_width_to(ed, start) >=
	    avail && start < ed->cursor)
		start++;
	buf = p = xmalloc((ed->len - start) * 4 + 1);
	for (i = start; i < ed->len; i++)
		p += utf8_encode(ed->text[i], p);
	*p = '\0';
	screen_puts(scr, x, y, scr->sx, buf, (size_t)(p - buf), 0);
	free(buf);
	cx = x + (u_int)(editor_width_to(ed, ed->cursor) -
	    editor_width_to(ed, start));
	screen_cursor(scr, cx < scr->sx ? cx : scr->sx - 1, y, 1);
}

/* Lay the whole session out onto scr, which has the session's size. */
void
view_draw(struct session *s, struct screen *scr)
{
	static const char	hint[] =
	    " /next new stranger \xc2\xb7 /report \xc2\xb7 /help \xc2\xb7 "
	    "Ctrl-C quit";

	screen_clear(scr);
	view_status(s, scr);
	view_conversation(s, scr, 1, scr->sy - 2);
	screen_puts(scr, 0, scr->sy - 2, scr->sx, hint, sizeof hint - 1,
	    VIEW_ATTR_HINT);
	view_input(s, scr, scr->sy - 1);
}
