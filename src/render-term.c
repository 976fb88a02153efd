/*
 * Terminal capabilities from terminfo, read once per terminal type and
 * kept for the life of the process.  This is the only file that
 * includes <term.h>; nothing else in strangerd touches ncurses.
 *
 * What it owns: the cache of struct term, and every call into terminfo.
 * It does not draw anything (render.c does) nor decide which TERM a
 * visitor has (the front ends do).
 *
 * Debian's ncurses is built without thread support: setupterm() and
 * tiparm() use global state (cur_term, a static result buffer).  So one
 * mutex, term_lock, covers the cache and every terminfo call, and no
 * terminal stays loaded between calls.  Entries are never freed while the
 * daemon runs, so the pointers term_get() returns may be used from any
 * thread without the lock.
 */

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "strangerd.h"

/*
 * <term.h> comes last: it defines macros for every capability's long
 * name (lines, columns, bell...) that would mangle fields in our header.
 * It also defines its own struct term, the loaded terminal; rename that
 * while it is included so that the name stays ours.
 */
#define term ncurses_term
#include <curses.h>
#include <term.h>
#undef term

/* Longest TERM name looked up; longer ones get the default entry. */
#define TERM_NAME_MAX	64
/* Distinct terminal types kept; beyond this, unknown ones get the default. */
#define TERM_CACHE_MAX	64

struct term_entry {
	char		*name;	/* owned: the name as asked for */
	struct term	*term;	/* owned, unless default or plain */
};

static pthread_mutex_t	 term_lock = PTHREAD_MUTEX_INITIALIZER;
static struct term_entry term_cache[TERM_CACHE_MAX];
static u_int		 term_ncache;
static struct term	*term_default;	/* ANSI, for unknown types */
static struct term	*term_plain;	/* line mode */

static int		 term_name_ok(const char *);
static void		 term_strip_pad(char *);
static void		 term_tiparm(const char *, int, int, struct evbuffer *);
static char		*term_string(const char *);
static struct term	*term_new(const char *);
static int		 term_ascii(const char *);
static void		 term_free(struct term *);
static void		 term_attr_table(struct term *);
static int		 term_ansi(const char *, int);
static void		 term_builtin(void);
static struct term	*term_load(const char *);

/* Is name a plausible terminfo name: short, and only [A-Za-z0-9._+-]? */
static int
term_name_ok(const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= TERM_NAME_MAX)
			return (0);
		if ((u_char)name[i] >= 0x80)
			return (0);
		if (!isalnum((u_char)name[i]) &&
		    strchr("._+-", name[i]) == NULL)
			return (0);
	}
	return (i != 0);
}

/*
 * Remove terminfo padding, $<5> or $<2*>, from s in place.  Padding is
 * only interpreted by tputs(), which we do not use; sent as it is, it
 * would show on the screen.
 */
static void
term_strip_pad(char *s)
{
	char	*in = s, *out = s;
	size_t	 n;

	while (*in != '\0') {
		if (in[0] == '$' && in[1] == '<') {
			n = strspn(in + 2, "0123456789.*/");
			if (in[2 + n] == '>') {
				in += 3 + n;
				continue;
			}
		}
		*out++ = *in++;
	}
	*out = '\0';
}

/* Copy string capability cap of the loaded terminal, "" when absent. */
static char *
term_string(const char *cap)
{
	char	*s;

	s = tigetstr(cap);
	if (s == NULL || s == (char *)-1)
		return (xstrdup(""));
	s = xstrdup(s);
	term_strip_pad(s);
	return (s);
}

/* Allocate a term called name with every string empty. */
static struct term *
term_new(const char *name)
{
	struct term	*t;
	u_int		 i;

	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->cup = xstrdup("");
	t->clear = xstrdup("");
	t->el = xstrdup("");
	t->sgr0 = xstrdup("");
	t->bold = xstrdup("");
	t->rev = xstrdup("");
	t->dim = xstrdup("");
	t->civis = xstrdup("");
	t->cnorm = xstrdup("");
	t->smcup = xstrdup("");
	t->rmcup = xstrdup("");
	t->bel = xstrdup("");
	for (i = 0; i < TERM_NCOLOURS; i++)
		t->setaf[i] = xstrdup("");
	t->csr = xstrdup("");
	t->ind = xstrdup("");
	return (t);
}

/* Free a term and the strings it owns. */
static void
term_free(struct term *t)
{
	u_int	i;

	if (t == NULL)
		return;
	for (i = 0; i < TERM_ASCII_ALL + 1; i++)
		term_free(t->variant[i]);
	/* A variant's strings are its original's. */
	if (t->base != NULL) {
		free(t);
		return;
	}
	free(t->name);
	free(t->cup);
	free(t->clear);
	free(t->el);
	free(t->sgr0);
	free(t->bold);
	free(t->rev);
	free(t->dim);
	free(t->civis);
	free(t->cnorm);
	free(t->smcup);
	free(t->rmcup);
	free(t->bel);
	for (i = 0; i < TERM_NCOLOURS; i++)
		free(t->setaf[i]);
	free(t->csr);
	free(t->ind);
	for (i = 0; i < 256; i++) {
		/* Attributes it cannot show share their shown value's. */
		if (t->attr_map[i] == i)
			free(t->attr_set[i]);
	}
	free(t);
}

/*
 * Work out, once per terminal, what of each attribute value it can show
 * (so that cells differing only in what it cannot show compare equal)
 * and the bytes that switch to it from anything: sgr0, then each part.
 */
static void
term_attr_table(struct term *t)
{
	u_int	i, fg;
	uint8_t	a;
	size_t	len;
	char	*s;

	for (i = 0; i < 256; i++) {
		a = i & (ATTR_BOLD|ATTR_REVERSE|ATTR_DIM|ATTR_FGMASK);
		fg = (a & ATTR_FGMASK) >> 4;
		if ((a & ATTR_BOLD) && *t->bold == '\0')
			a &= ~ATTR_BOLD;
		if ((a & ATTR_REVERSE) && *t->rev == '\0')
			a &= ~ATTR_REVERSE;
		if ((a & ATTR_DIM) && *t->dim == '\0')
			a &= ~ATTR_DIM;
		if (fg != 0 && (t->colours < 8 || fg > TERM_NCOLOURS ||
		    *t->setaf[fg - 1] == '\0'))
			a &= ~ATTR_FGMASK;
		t->attr_map[i] = a;
	}
	for (i = 0; i < 256; i++) {
		if (t->attr_map[i] != i)
			continue;
		fg = (i & ATTR_FGMASK) >> 4;
		len = strlen(t->sgr0) + strlen(t->bold) + strlen(t->dim) +
		    strlen(t->rev) + (fg != 0 ? strlen(t->setaf[fg - 1]) : 0);
		s = t->attr_set[i] = xmalloc(len + 1);
		s = stpcpy(s, t->sgr0);
		if (i & ATTR_BOLD)
			s = stpcpy(s, t->bold);
		if (i & ATTR_DIM)
			s = stpcpy(s, t->dim);
		if (i & ATTR_REVERSE)
			s = stpcpy(s, t->rev);
		if (fg != 0)
			stpcpy(s, t->setaf[fg - 1]);
	}
	for (i = 0; i < 256; i++)
		t->attr_set[i] = t->attr_set[t->attr_map[i]];
}

/*
 * Does capability cap, formatted with each pair of probe values, give
 * ESC [ a;b followed by final, a and b being the values plus one?  Then it can be formatted without
 * tiparm() and so without the lock.  Called with term_lock held.
 */
static int
term_ansi(const char *cap, int final)
{
	static const u_int	 probe[][2] = {
		{ 0, 0 }, { 4, 9 }, { 23, 79 }, { 99, 299 }, { 9, 123 }
	};
	char			 want[32], *s;
	u_int			 i;
	int			 ok = 1;

	for (i = 0; ok && i < sizeof probe / sizeof probe[0]; i++) {
		snprintf(want, sizeof want, "\033[%u;%u%c", probe[i][0] + 1,
		    probe[i][1] + 1, final);
		s = tiparm(cap, (int)probe[i][0], (int)probe[i][1]);
		if (s == NULL)
			return (0);
		s = xstrdup(s);
		term_strip_pad(s);
		if (strcmp(s, want) != 0)
			ok = 0;
		free(s);
	}
	return (ok);
}

/* Replace string field *f with a copy of s. */
#define TERM_SET(f, s) do {		\
	free(f);			\
	(f) = xstrdup(s);		\
} while (0)

/*
 * Build the two entries that do not come from terminfo: the plain one
 * and an xterm-like default for types terminfo does not know.  The
 * default uses only sequences from ECMA-48 plus the cursor and
 * alternate screen modes that terminals which lack them ignore.
 */
static void
term_builtin(void)
{
	struct term	*t;
	char		 buf[16];
	u_int		 i;

	if (term_plain != NULL)
		return;

	t = term_plain = term_new("dumb");
	t->plain = 1;
	TERM_SET(t->bel, "\007");
	term_attr_table(t);

	t = term_default = term_new("default");
	t->colours = 8;
	t->ansi_cup = 1;
	TERM_SET(t->cup, "\033[%i%p1%d;%p2%dH");
	TERM_SET(t->clear, "\033[H\033[2J");
	TERM_SET(t->el, "\033[K");
	TERM_SET(t->sgr0, "\033[m");
	TERM_SET(t->bold, "\033[1m");
	TERM_SET(t->rev, "\033[7m");
	TERM_SET(t->dim, "\033[2m");
	TERM_SET(t->civis, "\033[?25l");
	TERM_SET(t->cnorm, "\033[?25h");
	TERM_SET(t->smcup, "\033[?1049h");
	TERM_SET(t->rmcup, "\033[?1049l");
	TERM_SET(t->bel, "\007");
	for (i = 0; i < 8; i++) {
		snprintf(buf, sizeof buf, "\033[3%um", i);
		TERM_SET(t->setaf[i], buf);
	}
	TERM_SET(t->csr, "\033[%i%p1%d;%p2%dr");
	TERM_SET(t->ind, "\n");
	t->ansi_csr = 1;
	term_attr_table(t);
}

/*
 * Nothing tells a server whether a terminal takes UTF-8.  The hardware
 * VT family and consoles that switch character sets with enacs (vt100,
 * vt220, linux) and "ansi" (DOS code pages) may not, so the UI's own
 * few non-ASCII characters are drawn in ASCII for them; screen and
 * tmux set enacs too but pass UTF-8 on.  Called with name loaded.
 */
static int
term_ascii(const char *name)
{
	char	*s;

	if (strcmp(name, "ansi") == 0)
		return (1);
	if (strncmp(name, "screen", 6) == 0 || strncmp(name, "tmux", 4) == 0)
		return (0);
	s = tigetstr("enacs");
	return (s != NULL && s != (char *)-1 && *s != '\0');
}

/*
 * Load name from terminfo.  Return NULL if terminfo does not know it,
 * term_plain if it cannot address the cursor, else a new entry.  Called
 * with term_lock held.
 */
static struct term *
term_load(const char *name)
{
	struct term		*t;
	char			 *cup, *s;
	int			 err = 0, n;
	u_int			 i;

	if (setupterm(name, -1, &err) != OK || err != 1) {
		/* A hard copy terminal fails but stays loaded. */
		if (cur_term != NULL)
			del_curterm(cur_term);
		return (NULL);
	}

	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1 || *cup == '\0') {
		t = term_plain;
		goto out;
	}

	t = term_new(name);
	free(t->cup);
	t->cup = term_string("cup");
	free(t->clear);
	t->clear = term_string("clear");
	free(t->el);
	t->el = term_string("el");
	free(t->sgr0);
	t->sgr0 = term_string("sgr0");
	free(t->bold);
	t->bold = term_string("bold");
	free(t->rev);
	t->rev = term_string("rev");
	free(t->dim);
	t->dim = term_string("dim");
	free(t->civis);
	t->civis = term_string("civis");
	free(t->cnorm);
	t->cnorm = term_string("cnorm");
	free(t->smcup);
	t->smcup = term_string("smcup");
	free(t->rmcup);
	t->rmcup = term_string("rmcup");
	free(t->bel);
	t->bel = term_string("bel");

	t->ascii = term_ascii(name);
	/* Attributes cannot be turned off one by one, only all at once. */
	if (*t->sgr0 == '\0') {
		*t->bold = '\0';
		*t->rev = '\0';
		*t->dim = '\0';
	}

	n = tigetnum("colors");
	if (n >= 256)
		t->colours = 256;
	else if (n >= 16)
		t->colours = 16;
	else if (n >= 8)
		t->colours = 8;
	s = tigetstr("setaf");
	if (s == NULL || s == (char *)-1 || *s == '\0' || *t->sgr0 == '\0')
		t->colours = 0;
	for (i = 0; i < TERM_NCOLOURS && (int)i < t->colours; i++) {
		free(t->setaf[i]);
		t->setaf[i] = xstrdup(tiparm(s, (int)i));
		term_strip_pad(t->setaf[i]);
	}

	/*
	 * Almost every terminal's cup is ESC [ y;x H; if this one's is, it
	 * can be formatted without tiparm() and so without the lock.
	 */
	t->ansi_cup = term_ansi(t->cup, 'H');

	/*
	 * A scroll region lets render.c move the conversation up with a
	 * few bytes instead of rewriting it.  It needs a way to scroll too.
	 */
	free(t->ind);
	t->ind = term_string("ind");
	free(t->csr);
	t->csr = term_string("csr");
	if (*t->ind == '\0')
		*t->csr = '\0';
	if (*t->csr != '\0')
		t->ansi_csr = term_ansi(t->csr, 'r');
	term_attr_table(t);

out:
	del_curterm(cur_term);
	return (t);
}

/*
 * Return the capabilities for terminal type name.  NULL, empty, "dumb"
 * and "unknown", and types without cursor addressing, get the plain
 * entry; odd names and types terminfo does not know get an xterm-like
 * default.  The result stays valid until term_free_all().
 */
const struct term *
term_get(const char *name)
{
	struct term	*t;
	char		 lower[TERM_NAME_MAX + 1];
	u_int		 i;
	int		 upper = 0;

	pthread_mutex_lock(&term_lock);
	term_builtin();

	if (name == NULL || *name == '\0' || strcmp(name, "dumb") == 0 ||
	    strcmp(name, "unknown") == 0) {
		t = term_plain;
		goto out;
	}
	if (!term_name_ok(name)) {
		t = term_default;
		goto out;
	}

	for (i = 0; i < term_ncache; i++) {
		if (strcmp(term_cache[i].name, name) == 0) {
			t = term_cache[i].term;
			goto out;
		}
	}
	if (term_ncache == TERM_CACHE_MAX) {
		log_debug("terminal type %s not cached: cache full", name);
		t = term_default;
		goto out;
	}

	/*
	 * Telnet clients send their type in upper case (RFC 1091) but
	 * terminfo names are mostly lower case.
	 */
	for (i = 0; name[i] != '\0'; i++) {
		if (isupper((u_char)name[i]))
			upper = 1;
		lower[i] = tolower((u_char)name[i]);
	}
	lower[i] = '\0';
	if (strcmp(lower, "dumb") == 0 || strcmp(lower, "unknown") == 0)
		t = term_plain;
	else if ((t = term_load(name)) == NULL && upper)
		t = term_load(lower);

	/*
	 * Unknown types are not cached: otherwise anyone could fill the
	 * cache with nonsense and leave real terminals with the default.
	 */
	if (t == NULL) {
		log_debug("terminal type %s unknown, using default", name);
		t = term_default;
		goto out;
	}
	term_cache[term_ncache].name = xstrdup(name);
	term_cache[term_ncache].term = t;
	term_ncache++;

out:
	pthread_mutex_unlock(&term_lock);
	return (t);
}

/*
 * The same terminal with ascii set (TERM_*): what the client said of
 * its character set through telnet CHARSET, which terminfo cannot know.
 * Variants are built once and kept with their original, as it is.
 */
const struct term *
term_charset(const struct term *t, int ascii)
{
	struct term	*base, *v;

	if (t->plain || t->ascii == ascii || ascii < 0 ||
	    ascii >= (int)TERM_ASCII_ALL + 1)
		return (t);
	pthread_mutex_lock(&term_lock);
	/* Cache entries are ours to change, under the lock. */
	base = (struct term *)(t->base != NULL ? t->base : t);
	if (base->ascii == ascii)
		v = base;
	else if ((v = base->variant[ascii]) == NULL) {
		v = xmalloc(sizeof *v);
		memcpy(v, base, sizeof *v);
		memset(v->variant, 0, sizeof v->variant);
		v->ascii = ascii;
		v->base = base;
		base->variant[ascii] = v;
	}
	pthread_mutex_unlock(&term_lock);
	return (v);
}

/*
 * Append a capability with two parameters, through tiparm(): not
 * thread-safe (its result is a static buffer), hence the lock.
 */
static void
term_tiparm(const char *cap, int a, int b, struct evbuffer *out)
{
	char	*s;

	if (*cap == '\0')
		return;
	pthread_mutex_lock(&term_lock);
	s = tiparm(cap, a, b);
	if (s != NULL) {
		s = xstrdup(s);
		term_strip_pad(s);
	}
	pthread_mutex_unlock(&term_lock);
	if (s != NULL) {
		evbuffer_add(out, s, strlen(s));
		free(s);
	}
}

/* Append the sequence moving the cursor to column x, row y (from 0). */
void
term_cup(const struct term *t, struct evbuffer *out, u_int x, u_int y)
{
	if (t->ansi_cup) {
		evbuffer_add_printf(out, "\033[%u;%uH", y + 1, x + 1);
		return;
	}
	term_tiparm(t->cup, (int)y, (int)x, out);
}

/*
 * Append the sequence making rows top to bottom (from 0) the scroll
 * region; the cursor is then somewhere the caller does not know.
 */
void
term_csr(const struct term *t, struct evbuffer *out, u_int top, u_int bottom)
{
	if (t->ansi_csr) {
		evbuffer_add_printf(out, "\033[%u;%ur", top + 1, bottom + 1);
		return;
	}
	term_tiparm(t->csr, (int)top, (int)bottom, out);
}

/* Free every cached entry; for tests and leak checkers, at exit. */
void
term_free_all(void)
{
	u_int	i;

	pthread_mutex_lock(&term_lock);
	for (i = 0; i < term_ncache; i++) {
		if (term_cache[i].term != term_plain &&
		    term_cache[i].term != term_default)
			term_free(term_cache[i].term);
		free(term_cache[i].name);
		term_cache[i].name = NULL;
		term_cache[i].term = NULL;
	}
	term_ncache = 0;
	term_free(term_plain);
	term_free(term_default);
	term_plain = term_default = NULL;
	pthread_mutex_unlock(&term_lock);
}
