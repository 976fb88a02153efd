/*
 * The input line: the code points a visitor is typing, the cursor within
 * them, and the lines sent before (for Up and Down).  This file owns the
 * editing keys, emacs-style as readline binds them; every other key
 * (Ctrl-C, Esc, Tab, PgUp...) is left to the caller.  It does no I/O and
 * does not draw: the caller renders the text and places the cursor at
 * editor_width_to(ed, ed->cursor).
 *
 * Text is held as code points so that the cursor moves by character.
 * The array grows as needed, never beyond max, and is released when a
 * long line is cleared, so an idle visitor costs almost nothing.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* The buffer first allocated, and the most kept once a line is cleared. */
#define EDITOR_MINSIZE	32

static void	editor_reserve(struct editor *, size_t);
static enum editor_result editor_insert(struct editor *, uint32_t);
static void	editor_delete(struct editor *, size_t, size_t);
static enum editor_result editor_move(struct editor *, size_t);
static enum editor_result editor_word(struct editor *);
static enum editor_result editor_history(struct editor *, int);
static char	*editor_string(const struct editor *);
static void	editor_load(struct editor *, const char *);
static void	editor_reset(struct editor *);

/* Prepare an empty line of at most max code points; allocates nothing. */
void
editor_init(struct editor *ed, size_t max)
{
	memset(ed, 0, sizeof *ed);
	ed->max = max;
	ed->hpos = -1;
}

/* Free the line and its history; a zeroed editor is fine. */
void
editor_free(struct editor *ed)
{
	u_int	 i;

	if (ed == NULL)
		return;
	free(ed->text);
	for (i = 0; i < ed->nhistory && i < EDITOR_HISTORY; i++)
		free(ed->history[i]);
	free(ed->saved);
	memset(ed, 0, sizeof *ed);
	ed->hpos = -1;
}

/* Make room for n code points; callers never ask for more than max. */
static void
editor_reserve(struct editor *ed, size_t n)
{
	size_t	 size;

	if (n <= ed->size)
		return;
	size = ed->size == 0 ? EDITOR_MINSIZE : ed->size;
	while (size < n)
		size *= 2;
	if (size > ed->max)
		size = ed->max;
	ed->text = xreallocarray(ed->text, size, sizeof *ed->text);
	ed->size = size;
}

/* Insert a code point at the cursor. */
static enum editor_result
editor_insert(struct editor *ed, uint32_t cp)
{
	if (ed->len >= ed->max || utf8_width(cp) < 0)
		return (EDITOR_UNCHANGED);
	editor_reserve(ed, ed->len + 1);
	memmove(ed->text + ed->cursor + 1, ed->text + ed->cursor,
	    (ed->len - ed->cursor) * sizeof *ed->text);
	ed->text[ed->cursor++] = cp;
	ed->len++;
	return (EDITOR_CHANGED);
}

/* Remove n code points starting at from, moving the cursor with them. */
static void
editor_delete(struct editor *ed, size_t from, size_t n)
{
	memmove(ed->text + from, ed->text + from + n,
	    (ed->len - from - n) * sizeof *ed->text);
	ed->len -= n;
	if (ed->cursor > from + n)
		ed->cursor -= n;
	else if (ed->cursor > from)
		ed->cursor = from;
}

/* Put the cursor at pos. */
static enum editor_result
editor_move(struct editor *ed, size_t pos)
{
	if (pos == ed->cursor)
		return (EDITOR_UNCHANGED);
	ed->cursor = pos;
	return (EDITOR_CHANGED);
}

/* Delete the word before the cursor and the spaces after it, as Ctrl-W. */
static enum editor_result
editor_word(struct editor *ed)
{
	size_t	 start = ed->cursor;

	while (start > 0 && ed->text[start - 1] == ' ')
		start--;
	while (start > 0 && ed->text[start - 1] != ' ')
		start--;
	if (start == ed->cursor)
		return (EDITOR_UNCHANGED);
	editor_delete(ed, start, ed->cursor - start);
	return (EDITOR_CHANGED);
}

/*
 * Step through history: older with dir < 0, newer with dir > 0.  The line
 * being typed is kept aside on the first step and comes back after the
 * newest entry.
 */
static enum editor_result
editor_history(struct editor *ed, int dir)
{
	if (dir < 0) {
		if (ed->nhistory == 0 || ed->hpos == 0)
			return (EDITOR_UNCHANGED);
		if (ed->hpos == -1) {
			free(ed->saved);
			ed->saved = editor_string(ed);
			ed->hpos = ed->nhistory - 1;
		} else
			ed->hpos--;
		editor_load(ed, ed->history[ed->hpos]);
		return (EDITOR_CHANGED);
	}

	if (ed->hpos == -1)
		return (EDITOR_UNCHANGED);
	if ((u_int)ed->hpos + 1 >= ed->nhistory) {
		editor_load(ed, ed->saved != NULL ? ed->saved : "");
		free(ed->saved);
		ed->saved = NULL;
		ed->hpos = -1;
	} else {
		ed->hpos++;
		editor_load(ed, ed->history[ed->hpos]);
	}
	return (EDITOR_CHANGED);
}

/* Return the line as a new UTF-8 string. */
static char *
editor_string(const struct editor *ed)
{
	char	*s, *p;
	size_t	 i;

	p = s = xreallocarray(NULL, ed->len + 1, 4);
	for (i = 0; i < ed->len; i++)
		p += utf8_encode(ed->text[i], p);
	*p = '\0';
	return (s);
}

/* Replace the line with a UTF-8 string, cursor at the end. */
static void
editor_load(struct editor *ed, const char *s)
{
	size_t		 left = strlen(s), n;
	uint32_t	 cp;

	ed->len = ed->cursor = 0;
	while (left > 0 && ed->len < ed->max) {
		if ((n = utf8_decode(s, left, &cp)) == 0 || n > left)
			break;
		s += n;
		left -= n;
		if (utf8_width(cp) < 0)
			continue;
		editor_reserve(ed, ed->len + 1);
		ed->text[ed->len++] = cp;
	}
	ed->cursor = ed->len;
}

/* Empty the line; a long line's buffer is given back. */
static void
editor_reset(struct editor *ed)
{
	ed->len = ed->cursor = 0;
	if (ed->size > EDITOR_MINSIZE) {
		free(ed->text);
		ed->text = NULL;
		ed->size = 0;
	}
}

/* Apply a key to the line and say what became of it. */
enum editor_result
editor_key(struct editor *ed, const struct key *key)
{
	switch (key->type) {
	case KEYC_CHAR:
		return (editor_insert(ed, key->cp));
	case KEYC_ENTER:
		return (EDITOR_SUBMIT);
	case KEYC_LEFT:
		return (editor_move(ed, ed->cursor > 0 ? ed->cursor - 1 : 0));
	case KEYC_RIGHT:
		return (editor_move(ed,
		    ed->cursor < ed->len ? ed->cursor + 1 : ed->len));
	case KEYC_HOME:
		return (editor_move(ed, 0));
	case KEYC_END:
		return (editor_move(ed, ed->len));
	case KEYC_BACKSPACE:
		if (ed->cursor == 0)
			return (EDITOR_UNCHANGED);
		editor_delete(ed, ed->cursor - 1, 1);
		return (EDITOR_CHANGED);
	case KEYC_DELETE:
		if (ed->cursor == ed->len)
			return (EDITOR_UNCHANGED);
		editor_delete(ed, ed->cursor, 1);
		return (EDITOR_CHANGED);
	case KEYC_UP:
		return (editor_history(ed, -1));
	case KEYC_DOWN:
		return (editor_history(ed, 1));
	case KEYC_CTRL:
		break;
	default:
		return (EDITOR_IGNORED);
	}

	switch (key->cp) {
	case 'a':
		return (editor_move(ed, 0));
	case 'e':
		return (editor_move(ed, ed->len));
	case 'b':
		return (editor_move(ed, ed->cursor > 0 ? ed->cursor - 1 : 0));
	case 'f':
		return (editor_move(ed,
		    ed->cursor < ed->len ? ed->cursor + 1 : ed->len));
	case 'd':
		/* On an empty line Ctrl-D means quit: the caller's. */
		if (ed->len == 0)
			return (EDITOR_IGNORED);
		if (ed->cursor == ed->len)
			return (EDITOR_UNCHANGED);
		editor_delete(ed, ed->cursor, 1);
		return (EDITOR_CHANGED);
	case 'k':
		if (ed->cursor == ed->len)
			return (EDITOR_UNCHANGED);
		ed->len = ed->cursor;
		return (EDITOR_CHANGED);
	case 'u':
		if (ed->cursor == 0)
			return (EDITOR_UNCHANGED);
		editor_delete(ed, 0, ed->cursor);
		return (EDITOR_CHANGED);
	case 'w':
		return (editor_word(ed));
	}
	return (EDITOR_IGNORED);
}

/*
 * Return the line as a new UTF-8 string for the caller to free, remember
 * it in history and start a fresh line.
 */
char *
editor_take(struct editor *ed)
{
	char	*s;

	s = editor_string(ed);
	if (ed->len != 0 && (ed->nhistory == 0 ||
	    strcmp(ed->history[ed->nhistory - 1], s) != 0)) {
		if (ed->nhistory == EDITOR_HISTORY) {
			free(ed->history[0]);
			memmove(ed->history, ed->history + 1,
			    (EDITOR_HISTORY - 1) * sizeof *ed->history);
			ed->nhistory--;
		}
		ed->history[ed->nhistory++] = xstrdup(s);
	}
	editor_clear(ed);
	return (s);
}

/* Empty the line and stop browsing history; history itself is kept. */
void
editor_clear(struct editor *ed)
{
	editor_reset(ed);
	free(ed->saved);
	ed->saved = NULL;
	ed->hpos = -1;
}

/* Return non-zero if nothing is typed. */
int
editor_empty(const struct editor *ed)
{
	return (ed->len == 0);
}

/* Return the display width of the first n code points. */
size_t
editor_width_to(const struct editor *ed, size_t n)
{
	size_t	 i, width = 0;
	int	 w;

	if (n > ed->len)
		n = ed->len;
	for (i = 0; i < n; i++) {
		if ((w = utf8_width(ed->text[i])) > 0)
			width += w;
	}
	return (width);
}
