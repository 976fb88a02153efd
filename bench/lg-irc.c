/*
 * The load generator's IRC client, for the ngircd peer: registers as
 * nick "b<id>", answers PING, and "pairs" with the client whose id
 * differs in the lowest bit, to whom it sends private messages.  The
 * same tokens as over telnet carry the latency.
 */

#include <stdio.h>
#include <string.h>

#include "loadgen.h"

/* The socket is up: register. */
void
irc_connected(struct client *c)
{
	char	buf[128];
	int	n;

	n = snprintf(buf, sizeof buf, "NICK b%u\r\nUSER b%u 0 * :bench\r\n",
	    c->id, c->id);
	lg_send_raw(c, buf, (size_t)n);
}

/* One line from the server, without its CR LF. */
static void
irc_line(struct client *c, char *line, size_t len)
{
	char	 buf[600];
	char	*p;
	int	 n;

	if (len >= 5 && memcmp(line, "PING ", 5) == 0) {
		n = snprintf(buf, sizeof buf, "PONG %.*s\r\n", (int)(len - 5),
		    line + 5);
		lg_send_raw(c, buf, (size_t)n);
		return;
	}
	if (line[0] != ':' || (p = memchr(line, ' ', len)) == NULL)
		return;
	p++;
	if (c->phase != C_PAIRED && (size_t)(p - line) + 4 <= len &&
	    memcmp(p, "001 ", 4) == 0) {
		lg_setup_done(c);
		return;
	}
	if ((size_t)(p - line) + 8 <= len && memcmp(p, "PRIVMSG ", 8) == 0)
		scan_tokens(p, len - (size_t)(p - line), c);
	else if ((size_t)(p - line) + 4 <= len && p[0] >= '4' && p[0] <= '5' &&
	    p[3] == ' ' && opt_verbose)
		fprintf(stderr, "irc %u: %.*s\n", c->id, (int)len, line);
}

/* Bytes from the socket, split into lines. */
void
irc_input(struct client *c, const char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			if (c->ilen > 0 && c->ibuf[c->ilen - 1] == '\r')
				c->ilen--;
			irc_line(c, c->ibuf, c->ilen);
			c->ilen = 0;
		} else if (c->ilen < sizeof c->ibuf - 1)
			c->ibuf[c->ilen++] = buf[i];
	}
}

/* A chat line for the fixed partner. */
void
irc_send_line(struct client *c, const char *text)
{
	char	buf[256];
	int	n;

	n = snprintf(buf, sizeof buf, "PRIVMSG b%u :%s\r\n", c->id ^ 1u,
	    text);
	lg_send_raw(c, buf, (size_t)n);
}
