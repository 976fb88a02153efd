/*
 * The control protocol's encoding, shared by strangerd and strangerctl:
 * fields apart by TAB on one line, with backslash escapes for the
 * characters that would break that.  See include/control.h.
 *
 * Owns: nothing.  No I/O.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "strangerd.h"
#include "control.h"

/* One field escaped: backslash, TAB, LF and CR as \\, \t, \n, \r. */
static char *
control_escape(const char *s)
{
	char	*out, *o;

	out = o = xmalloc(strlen(s) * 2 + 1);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		default:
			*o++ = *s;
			break;
		}
	}
	*o = '\0';
	return (out);
}

/* A whole line of n fields, escaped, with its LF. */
char *
control_line(const char *const *fields, u_int n)
{
	char	*line, *e;
	size_t	 len = 0, size = 1, fl;
	u_int	 i;

	for (i = 0; i < n; i++)
		size += strlen(fields[i]) * 2 + 1;
	line = xmalloc(size);
	for (i = 0; i < n; i++) {
		e = control_escape(fields[i]);
		fl = strlen(e);
		memcpy(line + len, e, fl);
		len += fl;
		line[len++] = i + 1 < n ? '\t' : '\n';
		free(e);
	}
	if (n == 0)
		line[len++] = '\n';
	line[len] = '\0';
	return (line);
}

/*
 * Split a line (without its LF) into fields in place, undoing the
 * escapes.  Returns the number of fields, or -1 if there are more than
 * max or an escape is unknown.
 */
int
control_split(char *line, char **fields, u_int max)
{
	char	*r = line, *w = line;
	u_int	 n = 0;

	if (max == 0)
		return (-1);
	fields[n++] = w;
	for (; *r != '\0'; r++) {
		if (*r == '\t') {
			*w++ = '\0';
			if (n == max)
				return (-1);
			fields[n++] = w;
			continue;
		}
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case '\\':
			*w++ = '\\';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		default:
			return (-1);
		}
	}
	*w = '\0';
	return ((int)n);
}

/* Append a line of n fields to a growing buffer (*buf may be NULL). */
void
control_append(char **buf, size_t *len, const char *const *fields, u_int n)
{
	char	*line;
	size_t	 ll;

	line = control_line(fields, n);
	ll = strlen(line);
	*buf = xreallocarray(*buf, 1, *len + ll + 1);
	memcpy(*buf + *len, line, ll + 1);
	*len += ll;
	free(line);
}
