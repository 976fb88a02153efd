/*
 * Plain line mode: a session whose terminal cannot address the cursor
 * (netcat, ssh without a pty, TERM=dumb) gets its conversation as lines
 * of text with a prefix, and nothing else: no escape sequences.
 *
 * A client that named a terminal type has agreed not to echo (telnet
 * WILL ECHO, an SSH pty in raw mode), so for it the input line is drawn
 * here with carriage return, spaces and backspaces, the only motion a
 * dumb terminal knows, and kept below the lines that arrive.  Clients
 * that never negotiated echo what they type themselves.
 *
 * A client that said it takes no UTF-8 (telnet CHARSET) gets what the
 * full screen would show it: ASCII stand-ins and '?' (render_charset),
 * for the stranger's lines, our own and its echoed typing alike.
 *
 * Owns nothing: it appends bytes to the buffer it is given, and
 * session.c sends them.  No I/O.
 */

#include <sys/types.h>

#include <string.h>

#include <event2/buffer.h>

#include "strangerd.h"

static void	session_plain_erase(struct session *, struct evbuffer *);
static int	session_plain_char(struct session *, struct evbuffer *,
		    uint32_t, u_int, int);
static void	session_plain_text(struct session *, struct evbuffer *,
		    const char *);

/* Take the echoed input line off the terminal's last row. */
static void
session_plain_erase(struct session *s, struct evbuffer *out)
{
	u_int	i;

	if (s->echo_cols == 0)
		return;
	evbuffer_add(out, "\r", 1);
	for (i = 0; i < s->echo_cols; i++)
		evbuffer_add(out, " ", 1);
	evbuffer_add(out, "\r", 1);
	s->echo_cols = 0;
}

/*
 * Append character cp, width columns (mark: combining marks follow),
 * in the client's character set.  Returns 0 if the marks are to be
 * left out: the '?' written stands for them too.
 */
static int
session_plain_char(struct session *s, struct evbuffer *out, uint32_t cp,
    u_int width, int mark)
{
	char	buf[8];
	u_int	i;

	if ((cp = render_charset(s->charset, cp, width, mark)) ==
	    RENDER_QMARK) {
		for (i = 0; i < width; i++)
			evbuffer_add(out, "?", 1);
		return (0);
	}
	evbuffer_add(out, buf, utf8_encode(cp, buf));
	return (1);
}

/* Append text (UTF-8) in the client's character set. */
static void
session_plain_text(struct session *s, struct evbuffer *out, const char *text)
{
	const char	*p = text, *end = text + strlen(text);
	uint32_t	 cp, next;
	size_t		 n;
	int		 width, keep = 1;

	if (s->charset == TERM_UTF8) {
		evbuffer_add(out, text, end - text);
		return;
	}
	while (p < end) {
		p += utf8_decode(p, end - p, &cp);
		width = utf8_width(cp);
		if (width == 0 && !keep)
			continue;	/* a mark of a character shown as '?' */
		n = p < end ? utf8_decode(p, end - p, &next) : 0;
		keep = session_plain_char(s, out, cp, width < 0 ? 1 : width,
		    width > 0 && n != 0 && utf8_width(next) == 0);
	}
}

/*
 * Draw the input line again: the part of it around the cursor that
 * fits in the row, spaces over what is left of the previous drawing,
 * then back to the cursor.
 */
void
session_plain_input(struct session *s, struct evbuffer *out)
{
	const struct editor	*ed = &s->editor;
	size_t			 start = 0, i;
	u_int			 avail, width, shown = 0, pad;
	int			 cw, keep = 1;

	if (!s->echo)
		return;
	avail = s->sx > 1 ? s->sx - 1 : 1;
	width = (u_int)editor_width_to(ed, ed->cursor);
	while (width >= avail && start < ed->cursor) {
		if ((cw = utf8_width(ed->text[start])) > 0)
			width -= (u_int)cw;
		start++;
	}
	if (ed->len == 0 && s->echo_cols == 0)
		return;
	evbuffer_add(out, "\r", 1);
	for (i = start; i < ed->len; i++) {
		cw = utf8_width(ed->text[i]);
		if (!sanitize_allowed(ed->text[i]) || cw < 0 ||
		    shown + (u_int)cw > avail)
			break;
		if (cw == 0 && !keep)
			continue;	/* a mark of a character shown as '?' */
		keep = session_plain_char(s, out, ed->text[i], cw, cw > 0 &&
		    i + 1 < ed->len && utf8_width(ed->text[i + 1]) == 0);
		shown += (u_int)cw;
	}
	pad = s->echo_cols > shown ? s->echo_cols - shown : 0;
	for (i = 0; i < pad; i++)
		evbuffer_add(out, " ", 1);
	for (i = width; i < shown + pad; i++)
		evbuffer_add(out, "\b", 1);
	s->echo_cols = shown;
}

/*
 * One line with its prefix.  Our own lines are shown only where the
 * client does not echo them; the input line, if echoed, moves below.
 */
void
session_plain_line(struct session *s, struct evbuffer *out,
    enum line_kind kind, const char *text)
{
	const char	*prefix = "";

	if (kind == LINE_YOU && !s->echo)
		return;
	if (kind == LINE_YOU)
		prefix = "You: ";
	else if (kind == LINE_STRANGER)
		prefix = "Stranger: ";
	else if (kind == LINE_SYSTEM)
		prefix = "* ";
	session_plain_erase(s, out);
	evbuffer_add(out, prefix, strlen(prefix));
	session_plain_text(s, out, text);
	evbuffer_add(out, "\r\n", 2);
	session_plain_input(s, out);
}
