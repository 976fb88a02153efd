/*
 * The welcome text: rules, age confirmation and a safety note, read from
 * the file the operator edits (cfg->rules_file, else DIR/rules), or a
 * built-in text when there is none.  The file is bounded in size and
 * lines, and every line is sanitised like a stranger's, so a stray
 * escape sequence in it cannot reach a visitor's terminal.
 *
 * Each thread keeps its own copy and looks at the file's mtime at most
 * every RULES_CHECK_MS, so an edit shows up without a restart and no
 * state is shared between workers.  The returned lines are valid until
 * the next rules_get() on the same thread.  The copy lives in fixed
 * thread-local storage, so nothing is left to free when a thread ends.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

#define RULES_MAX_BYTES	(16 * 1024)
#define RULES_MAX_LINES	60
#define RULES_CHECK_MS	5000
#define RULES_TAB	8
/* Room for the sanitised text (U+FFFD can triple an invalid byte). */
#define RULES_BUF	(3 * RULES_MAX_BYTES)

static const char *const rules_builtin[] = {
	"Welcome to strangerd: text chat with a random stranger.",
	"",
	"The rules:",
	"  1. You must be 18 or older to chat here.",
	"  2. Be kind. No harassment, hate, threats, or sexual content",
	"     involving minors -- ever.",
	"  3. No spam, no advertising, no bots.",
	"  4. Do not share personal information: yours or anyone else's.",
	"",
	"Stay safe: strangers may not be who they say they are. Never",
	"share your address, phone number or accounts elsewhere. /block",
	"ends a chat for good; /report sends it to a moderator.",
	"",
	"By pressing Enter you confirm you are 18 or older and agree.",
	"Optional: type interests first (e.g. chess, music) to meet",
	"someone who shares one.",
	NULL
};

struct rules_cache {
	char		 *lines[RULES_MAX_LINES + 1];	/* into buf */
	char		  buf[RULES_BUF];
	char		  path[1024];	/* the file read */
	struct timespec	  mtime;
	off_t		  size;
	uint64_t	  checked;	/* ms, now_ms() */
	int		  loaded;	/* lines came from the file */
};
static __thread struct rules_cache rules_cache;

static int	rules_item(const char *);

static int	  rules_read(struct rules_cache *, const char *);

/* Read and sanitise the file into rc; -1 if unreadable or empty. */
static int
rules_read(struct rules_cache *rc, const char *path)
{
	FILE	*f;
	char	*buf, *line, *p, *end, *clean, *exp;
	size_t	 len, n = 0, clen, i, col, last = 0, used = 0;

	rc->loaded = 0;
	rc->lines[0] = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	buf = xmalloc(RULES_MAX_BYTES + 1);
	len = fread(buf, 1, RULES_MAX_BYTES, f);
	fclose(f);
	buf[len] = '\0';
	exp = xmalloc(RULES_MAX_BYTES * RULES_TAB + 1);
	for (p = buf; p < buf + len && n < RULES_MAX_LINES; p = end + 1) {
		if ((end = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			end = buf + len;
		line = p;
		*end = '\0';
		if (end > line && end[-1] == '\r')
			end[-1] = '\0';
		/* Tabs to spaces, or the sanitiser would drop them. */
		for (i = col = 0; line[i] != '\0'; i++) {
			if (line[i] == '\t') {
				do
					exp[col++] = ' ';
				while (col % RULES_TAB != 0);
			} else
				exp[col++] = line[i];
		}
		exp[col] = '\0';
		clean = sanitize_text(exp, col, &clen);
		if (used + clen + 1 > sizeof rc->buf) {
			free(clean);
			break;
		}
		memcpy(rc->buf + used, clean, clen + 1);
		free(clean);
		rc->lines[n++] = rc->buf + used;
		used += clen + 1;
		if (clen > 0)
			last = n;
	}
	free(exp);
	free(buf);
	/* Trailing blank lines say nothing. */
	rc->lines[last] = NULL;
	if (last == 0)
		return (-1);
	rc->loaded = 1;
	return (0);
}

/* The welcome text for this thread, re-read if the file changed. */
const char *const *
rules_get(void)
{
	struct rules_cache	*rc = &rules_cache;
	struct stat		 st;
	uint64_t		 now = now_ms();
	char			 path[sizeof rc->path];

	if (rc->checked != 0 && now - rc->checked < RULES_CHECK_MS)
		goto out;
	rc->checked = now;
	if (cfg->rules_file != NULL)
		snprintf(path, sizeof path, "%s", cfg->rules_file);
	else
		snprintf(path, sizeof path, "%s/rules", cfg->dir);
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc->loaded = 0;
		goto out;
	}
	if (rc->loaded && strcmp(rc->path, path) == 0 &&
	    rc->size == st.st_size &&
	    rc->mtime.tv_sec == st.st_mtim.tv_sec &&
	    rc->mtime.tv_nsec == st.st_mtim.tv_nsec)
		goto out;
	memcpy(rc->path, path, sizeof rc->path);
	rc->mtime = st.st_mtim;
	rc->size = st.st_size;
	rules_read(rc, path);
out:
	if (rc->loaded)
		return ((const char *const *)rc->lines);
	return (rules_builtin);
}

/* Does a line start a list item ("  1. ", "- ", "* ")? */
static int
rules_item(const char *line)
{
	line += strspn(line, " ");
	if (isdigit((u_char)*line)) {
		line += strspn(line, "0123456789");
		return ((*line == '.' || *line == ')') && line[1] == ' ');
	}
	return ((*line == '-' || *line == '*') && line[1] == ' ');
}

/*
 * Hand the welcome text to cb a paragraph at a time, so that a screen
 * wraps it once, at its own width: the file is written wrapped at some
 * width of its own (the built-in text at 62 columns), and wrapping
 * those lines again on a narrower screen left ragged fragments.  A line
 * joins the one before it unless either is empty or it starts a list
 * item; empty lines pass through as "".
 */
void
rules_flow(const char *const *lines, void (*cb)(const char *, void *),
    void *arg)
{
	char	*para = NULL;
	size_t	 len = 0, n;

	for (; *lines != NULL; lines++) {
		if (para != NULL && (**lines == '\0' || rules_item(*lines))) {
			cb(para, arg);
			free(para);
			para = NULL;
		}
		if (**lines == '\0') {
			cb("", arg);
			continue;
		}
		if (para == NULL) {
			para = xstrdup(*lines);
			len = strlen(para);
			continue;
		}
		/* One space where the line broke. */
		n = strlen(*lines + strspn(*lines, " "));
		para = xreallocarray(para, 1, len + n + 2);
		para[len++] = ' ';
		memcpy(para + len, *lines + strspn(*lines, " "), n + 1);
		len += n;
	}
	if (para != NULL)
		cb(para, arg);
	free(para);
}
