/*
 * Passwords in the connection strings of store (a libpq URI or
 * key=value string) and cluster (redis://user:password@HOST:PORT),
 * masked wherever the configuration is shown: strangerd -T and the log
 * lines that quote a server's complaint about the string.
 *
 * Pure: no I/O, no state.  Masking is idempotent and what it leaves
 * still parses: a masked dump is a valid configuration (with the
 * password "********"), and dumping that again gives the same text.
 * Errs towards masking more, never less.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

#define CONFIG_MASK		"********"

struct config_mask_span {
	size_t	 off;
	size_t	 len;
};

/*
 * The password of URI's user information, if it has one: from the first
 * ':' after "scheme://" to the last '@'.  libpq ends the user
 * information at the first '@' or '/', cluster-url.c at the last '@'
 * (a Redis password may hold '@'); taking the last for both also masks
 * a password with a '/' that libpq would misread, and quote, as a host
 * and port.
 */
static int
config_mask_userinfo(const char *v, struct config_mask_span *sp)
{
	const char	*start, *end, *colon;

	if ((start = strstr(v, "://")) == NULL ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz") != (size_t)(start - v))
		return (0);
	start += 3;
	if ((end = strrchr(start, '@')) == NULL)
		return (0);
	colon = memchr(start, ':', (size_t)(end - start));
	if (colon == NULL || colon + 1 == end)
		return (0);
	sp->off = (size_t)(colon + 1 - v);
	sp->len = (size_t)(end - colon - 1);
	return (1);
}

/*
 * Mark in mark[] the bytes of v that are passwords: the user
 * information's, and (but in a Redis URL) the value of "password=" (a URI
 * parameter after '?' or '&', or a key=value connection string's word,
 * which may be quoted).
 */
static void
config_mask_mark(const char *v, char *mark)
{
	struct config_mask_span	 sp;
	const char		*p, *q;

	sp.off = sp.len = 0;
	if (config_mask_userinfo(v, &sp))
		memset(mark + sp.off, 1, sp.len);
	/*
	 * A Redis URL has no parameters: a "password=" in it is part of
	 * the user name or the host, and masking it could take the ':' or
	 * the '@' the URL is read by (found by fuzz-config).
	 */
	if (strncmp(v, "redis://", 8) == 0)
		return;
	for (p = v; (p = strstr(p, "password=")) != NULL; p = q) {
		q = p + 9;
		if (p != v && strchr("?& \t", p[-1]) == NULL)
			continue;
		/* One inside the user information is masked with it. */
		if ((size_t)(p - v) >= sp.off && (size_t)(p - v) <
		    sp.off + sp.len)
			continue;
		if (*q == '\'') {
			/* A quoted value ends at a quote not after '\'. */
			for (q++; *q != '\0' && *q != '\''; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			if (*q == '\'')
				q++;
			/*
			 * Up to the next separator, as an unquoted value: the
			 * mask is then masked to itself (what follows a
			 * quote would run on from the mask's stars).
			 */
			q += strcspn(q, "& \t");
		} else
			q += strcspn(q, "& \t");
		memset(mark + (p + 9 - v), 1, (size_t)(q - (p + 9)));
	}
}

/*
 * One pass: a copy of v in which each run of password bytes
 * (overlapping finds make one run) is "********".
 */
static char *
config_mask_once(const char *v)
{
	size_t	 len = strlen(v), i;
	char	*mark, *out, *o;

	mark = xcalloc(1, len + 1);
	config_mask_mark(v, mark);
	out = o = xmalloc(len * (sizeof CONFIG_MASK - 1) + 1);
	for (i = 0; i < len; i++) {
		if (!mark[i])
			*o++ = v[i];
		else if (i == 0 || !mark[i - 1]) {
			memcpy(o, CONFIG_MASK, sizeof CONFIG_MASK - 1);
			o += sizeof CONFIG_MASK - 1;
		}
	}
	*o = '\0';
	free(mark);
	return (out);
}

/*
 * A copy of a store or cluster value with its passwords masked, masked
 * again until it masks to itself: a mask can join what was apart (a
 * password that held the ':' or '@' a span was found by), and -T's
 * output must read back as the same configuration.  Each pass that
 * changes anything takes out bytes that were not stars, so a few do.
 */
char *
config_mask(const char *v)
{
	char	*a, *b;
	u_int	 n;

	a = config_mask_once(v);
	for (n = 0; n < 8; n++) {
		b = config_mask_once(a);
		if (strcmp(a, b) == 0) {
			free(b);
			break;
		}
		free(a);
		a = b;
	}
	return (a);
}

/* Replace each [at, at + n) of *out that holds pw with the mask. */
static void
config_mask_replace(char **out, const char *pw, size_t n)
{
	char	*tmp, *hit;
	size_t	 at = 0;

	while ((hit = strstr(*out + at, pw)) != NULL) {
		*hit = '\0';
		xasprintf(&tmp, "%s%s%s", *out, CONFIG_MASK, hit + n);
		at = (size_t)(hit - *out) + sizeof CONFIG_MASK - 1;
		free(*out);
		*out = tmp;
	}
}

/*
 * Does a quoted piece of text (q, n bytes) lie within a password of v
 * (marked in mark)?  libpq quotes the value it could not use, which may
 * be a piece of a password cut at a '/' or ':'.
 */
static int
config_mask_quoted(const char *v, const char *mark, const char *q, size_t n)
{
	const char	*hit;

	for (hit = v; n > 0 && (hit = memmem(hit, strlen(hit), q, n)) != NULL;
	    hit++) {
		if (memchr(mark + (hit - v), 0, n) == NULL)
			return (1);
	}
	return (0);
}

/*
 * A copy of text (a server's or library's message about v) in which each
 * password of v is masked where it appears, whole, or as a quoted piece.
 */
char *
config_mask_in(const char *text, const char *v)
{
	size_t	 len = strlen(v), i, j, at;
	char	*mark, *out, *pw, *q, *end;

	out = xstrdup(text);
	mark = xcalloc(1, len + 1);
	config_mask_mark(v, mark);
	for (i = 0; i < len; i = j) {
		for (j = i; j < len && mark[j] == mark[i]; j++)
			;
		if (!mark[i])
			continue;
		pw = xstrndup(v + i, j - i);
		config_mask_replace(&out, pw, j - i);
		free(pw);
	}
	for (at = 0; (q = strchr(out + at, '"')) != NULL; ) {
		if ((end = strchr(++q, '"')) == NULL)
			break;
		at = (size_t)(end + 1 - out);
		if (!config_mask_quoted(v, mark, q, (size_t)(end - q)))
			continue;
		*q = '\0';
		xasprintf(&pw, "%s%s%s", out, CONFIG_MASK, end);
		at = (size_t)(q - out) + sizeof CONFIG_MASK;
		free(out);
		out = pw;
	}
	free(mark);
	return (out);
}
