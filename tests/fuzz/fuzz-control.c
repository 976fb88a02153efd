/*
 * Fuzzes the control-socket protocol's parsing as the daemon meets it:
 * a request line split into fields (control_split), and the fields that
 * name a ban target or a duration (ban_parse, ban_parse_duration).
 *
 * Properties: a line that splits re-encodes (control_line) to a line
 * with one LF at the end, no CR or LF inside and one TAB between
 * fields, and splits back to the same fields; a parsed ban target has
 * a canonical text that parses to the same target, a prefix within its
 * family and no host bits; a parsed duration is within
 * [0, BAN_DURATION_MAX] and its text for people parses again.
 */

#include <sys/socket.h>

#include <string.h>

#include "fuzz.h"
#include "control.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	return (0);
}

static void
check_target(const char *s)
{
	struct ban_target	 t, t2;
	char			*cause = NULL;
	u_int			 bits, i;

	if (ban_parse(s, &t, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		return;
	}
	FUZZ_ASSERT(memchr(t.text, '\0', sizeof t.text) != NULL);
	if (t.kind != BAN_KEY) {
		FUZZ_ASSERT(t.family == AF_INET || t.family == AF_INET6);
		bits = t.family == AF_INET ? 32 : 128;
		FUZZ_ASSERT(t.prefix <= bits);
		for (i = t.prefix; i < bits; i++)
			FUZZ_ASSERT(!(t.addr[i / 8] & (0x80 >> (i % 8))));
	}
	FUZZ_ASSERT(ban_parse(t.text, &t2, &cause) == 0);
	FUZZ_ASSERT(t2.kind == t.kind && t2.family == t.family &&
	    t2.prefix == t.prefix && strcmp(t2.text, t.text) == 0 &&
	    memcmp(t2.addr, t.addr, sizeof t.addr) == 0);
}

static void
check_duration(const char *s)
{
	time_t	 d, d2;
	char	 buf[64], *cause = NULL;

	if (ban_parse_duration(s, &d, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		return;
	}
	FUZZ_ASSERT(d >= 0 && d <= BAN_DURATION_MAX);
	if (d == 0)
		return;
	ban_format_duration(d, buf, sizeof buf);
	FUZZ_ASSERT(ban_parse_duration(buf, &d2, &cause) == 0);
	FUZZ_ASSERT(d2 > 0 && d2 <= d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*line, *again, *copy, *fields[CONTROL_FIELDS_MAX];
	char	*fields2[CONTROL_FIELDS_MAX];
	char	*p;
	size_t	 len;
	int	 n, n2, i, tabs;

	if (size > CONTROL_LINE_MAX)
		return (0);
	line = xmalloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	copy = xstrdup(line);

	n = control_split(line, fields, CONTROL_FIELDS_MAX);
	FUZZ_ASSERT(n == -1 || (n >= 1 && n <= CONTROL_FIELDS_MAX));
	if (n > 0) {
		again = control_line((const char *const *)fields, (u_int)n);
		len = strlen(again);
		FUZZ_ASSERT(len >= 1 && again[len - 1] == '\n');
		again[--len] = '\0';
		for (tabs = 0, p = again; *p != '\0'; p++) {
			FUZZ_ASSERT(*p != '\n' && *p != '\r');
			tabs += *p == '\t';
		}
		FUZZ_ASSERT(tabs == n - 1);
		n2 = control_split(again, fields2, CONTROL_FIELDS_MAX);
		FUZZ_ASSERT(n2 == n);
		for (i = 0; i < n; i++)
			FUZZ_ASSERT(strcmp(fields[i], fields2[i]) == 0);
		for (i = 0; i < n; i++) {
			check_target(fields[i]);
			check_duration(fields[i]);
		}
		free(again);
	}
	/* Any text at all, as a target or a duration. */
	check_target(copy);
	check_duration(copy);

	free(copy);
	free(line);
	return (0);
}
