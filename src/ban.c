/*
 * Bans without I/O: parsing a target (an IPv4 or IPv6 address, a CIDR
 * block, an SSH key fingerprint) and a duration, matching a connection
 * against a target, and the ban list snapshot that workers consult.
 *
 * A ban list is immutable once built.  The store builds a new one on
 * every change and hands a reference to each worker; a worker drops its
 * reference to the old one when the new one arrives, and the last
 * reference frees it.  Expiry is checked against the time given to each
 * lookup, so an expired ban stops applying without a new list.
 *
 * Owns: nothing global.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strangerd.h"

static int	 ban_parse_ipv4(const char *, uint8_t *, char **);
static int	 ban_parse_prefix(const char *, const char *, u_int, u_int *,
		     char **);
static int	 ban_addr_of(const struct sockaddr *, int *, uint8_t *);
static void	 ban_unmap(int *, uint8_t *, u_int *);
static int	 ban_prefix_equal(const uint8_t *, const uint8_t *, u_int);
static int	 ban_is_b64(int);
static int	 ban_active(const struct ban *, time_t);
static char	*ban_message(const struct ban *);

/* A base64 character as OpenSSH prints fingerprints (no padding). */
static int
ban_is_b64(int c)
{
	return (isascii(c) && (isalnum(c) || c == '+' || c == '/'));
}

/*
 * An IPv4 address in dotted quad, with an error that says which part
 * is wrong: inet_pton() alone only says no.
 */
static int
ban_parse_ipv4(const char *s, uint8_t *out, char **cause)
{
	const char	*p = s;
	u_int		 i, v, digits;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (*p != '.')
				goto bad;
			p++;
		}
		v = 0;
		digits = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (u_int)(*p - '0');
			if (++digits > 3)
				goto range;
			p++;
		}
		if (digits == 0)
			goto bad;
		if (v > 255)
			goto range;
		out[i] = (uint8_t)v;
	}
	if (*p != '\0')
		goto bad;
	return (0);
range:
	xasprintf(cause, "%s: not an IPv4 address (each part must be 0 to "
	    "255)", s);
	return (-1);
bad:
	xasprintf(cause, "%s: not an IPv4 address", s);
	return (-1);
}

/* The "/N" of a CIDR block, at most max bits. */
static int
ban_parse_prefix(const char *whole, const char *s, u_int max, u_int *out,
    char **cause)
{
	u_int	v = 0;
	size_t	i;

	if (*s == '\0' || strlen(s) > 3) {
		xasprintf(cause, "%s: bad prefix length /%s (0 to %u)", whole,
		    s, max);
		return (-1);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9') {
			xasprintf(cause, "%s: bad prefix length /%s (0 to %u)",
			    whole, s, max);
			return (-1);
		}
		v = v * 10 + (u_int)(s[i] - '0');
	}
	if (v > max) {
		xasprintf(cause, "%s: prefix length /%u is too long for %s "
		    "(0 to %u)", whole, v, max == 32 ? "IPv4" : "IPv6", max);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * Parse a ban target.  Host bits of a CIDR block are cleared; a block
 * of one address (/32, /128) is the address itself, so that "unban
 * 1.2.3.4/32" finds "ban 1.2.3.4"; and an IPv4-mapped IPv6 address or
 * block (::ffff:1.2.3.4, ::ffff:10.0.0.0/104) is the IPv4 one, as a
 * visitor's address is (ban_addr_of()).
 */
int
ban_parse(const char *s, struct ban_target *t, char **cause)
{
	char	 buf[BAN_TEXT_MAX], host[INET6_ADDRSTRLEN], *slash;
	size_t	 len = strlen(s), i;
	u_int	 bits, max;

	memset(t, 0, sizeof *t);
	if (len == 0) {
		*cause = xstrdup("empty target");
		return (-1);
	}
	if (strncmp(s, "SHA256:", 7) == 0) {
		for (i = 7; i < len && ban_is_b64((u_char)s[i]); i++)
			;
		if (len != BAN_FP_LEN || i != len) {
			xasprintf(cause, "%.*s%s: not a key fingerprint (SHA256: "
			    "and 43 base64 characters)", len > 60 ? 60 : (int)len,
			    s, len > 60 ? "..." : "");
			return (-1);
		}
		t->kind = BAN_KEY;
		memcpy(t->text, s, len + 1);
		return (0);
	}
	if (len >= sizeof buf) {
		xasprintf(cause, "%.60s...: not an address, CIDR block or "
		    "SHA256: fingerprint", s);
		return (-1);
	}
	memcpy(buf, s, len + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (strchr(buf, ':') != NULL &&
	    buf[strspn(buf, "0123456789abcdefABCDEF:.")] == '\0') {
		if (inet_pton(AF_INET6, buf, t->addr) != 1) {
			xasprintf(cause, "%s: not an IPv6 address", s);
			return (-1);
		}
		t->family = AF_INET6;
		max = 128;
	} else if (buf[0] >= '0' && buf[0] <= '9') {
		if (ban_parse_ipv4(buf, t->addr, cause) != 0)
			return (-1);
		t->family = AF_INET;
		max = 32;
	} else {
		xasprintf(cause, "%s: not an address, CIDR block or SHA256: "
		    "fingerprint", s);
		return (-1);
	}
	bits = max;
	if (slash != NULL &&
	    ban_parse_prefix(s, slash, max, &bits, cause) != 0)
		return (-1);
	ban_unmap(&t->family, t->addr, &bits);
	max = t->family == AF_INET ? 32 : 128;
	/* Clear the host bits. */
	for (i = 0; i < max / 8; i++) {
		if (i * 8 >= bits)
			t->addr[i] = 0;
		else if (i * 8 + 8 > bits)
			t->addr[i] &= (uint8_t)(0xff << (8 - (bits - i * 8)));
	}
	t->prefix = bits;
	t->kind = bits == max ? BAN_ADDR : BAN_CIDR;
	inet_ntop(t->family, t->addr, host, sizeof host);
	if (t->kind == BAN_ADDR)
		snprintf(t->text, sizeof t->text, "%s", host);
	else
		snprintf(t->text, sizeof t->text, "%s/%u", host, bits);
	return (0);
}

/*
 * A duration: one or more of a number and a unit (s, m, h, d, w), as
 * "30m", "2h", "7d" or "1d12h".  At most ten years.
 */
int
ban_parse_duration(const char *s, time_t *out, char **cause)
{
	const char	*p = s;
	long long	 total = 0, v, unit;

	if (*s == '\0') {
		*cause = xstrdup("empty duration");
		return (-1);
	}
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			goto bad;
		v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			if (v > BAN_DURATION_MAX)
				goto big;
			p++;
		}
		switch (*p) {
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		case 'w':
			unit = 7 * 86400;
			break;
		default:
			goto bad;
		}
		p++;
		total += v * unit;
		if (total > BAN_DURATION_MAX)
			goto big;
	}
	if (total == 0) {
		xasprintf(cause, "%s: duration must be more than zero", s);
		return (-1);
	}
	*out = (time_t)total;
	return (0);
bad:
	xasprintf(cause, "%s: bad duration (a number and s, m, h, d or w, "
	    "as 30m, 2h, 7d)", s);
	return (-1);
big:
	xasprintf(cause, "%s: duration too long (at most ten years)", s);
	return (-1);
}

/* A duration for people, in its two largest units: "2d3h", "45m". */
void
ban_format_duration(time_t secs, char *buf, size_t size)
{
	static const struct {
		char	c;
		time_t	n;
	} units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	time_t	 rest;
	u_int	 i;

	if (secs <= 0) {
		snprintf(buf, size, "0s");
		return;
	}
	for (i = 0; i < 3 && secs < units[i].n; i++)
		;
	rest = i < 3 ? (secs % units[i].n) / units[i + 1].n : 0;
	if (rest != 0)
		snprintf(buf, size, "%lld%c%lld%c",
		    (long long)(secs / units[i].n), units[i].c,
		    (long long)rest, units[i + 1].c);
	else
		snprintf(buf, size, "%lld%c", (long long)(secs / units[i].n),
		    units[i].c);
}

/*
 * An IPv4-mapped IPv6 address (::ffff:0:0/96) as the IPv4 address it
 * stands for, in place; bits, if given, is a prefix length and is
 * unmapped too (a block shorter than /96 reaches beyond the mapped
 * addresses and stays IPv6).  Targets and visitors go through this
 * same test, so that they compare alike.
 */
static void
ban_unmap(int *family, uint8_t *addr, u_int *bits)
{
	static const uint8_t	mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (*family != AF_INET6 || memcmp(addr, mapped, 12) != 0)
		return;
	if (bits != NULL) {
		if (*bits < 96)
			return;
		*bits -= 96;
	}
	*family = AF_INET;
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
}

/* The address of a socket, IPv4-mapped IPv6 as IPv4. */
static int
ban_addr_of(const struct sockaddr *sa, int *family, uint8_t *addr)
{
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return (0);
	}
	if (sa->sa_family == AF_INET6) {
		*family = AF_INET6;
		memcpy(addr, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
		    16);
		ban_unmap(family, addr, NULL);
		return (0);
	}
	return (-1);
}

/* Do the first bits of two addresses agree? */
static int
ban_prefix_equal(const uint8_t *a, const uint8_t *b, u_int bits)
{
	u_int	whole = bits / 8, rest = bits % 8;
	uint8_t	mask;

	if (memcmp(a, b, whole) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - rest));
	return ((a[whole] & mask) == (b[whole] & mask));
}

/* Does an address or block target cover this socket address? */
int
ban_target_match(const struct ban_target *t, const struct sockaddr *sa)
{
	uint8_t	addr[16];
	int	family;

	if (t->kind == BAN_KEY || ban_addr_of(sa, &family, addr) != 0)
		return (0);
	if (family != t->family)
		return (0);
	return (ban_prefix_equal(addr, t->addr, t->prefix));
}

/* Does a ban still apply at now? */
static int
ban_active(const struct ban *b, time_t now)
{
	return (b->expires == 0 || now < b->expires);
}

/* Make a list of n bans, taking them (and their strings) over. */
struct banlist *
banlist_new(struct ban *bans, u_int n)
{
	struct banlist	*bl;

	bl = xcalloc(1, sizeof *bl);
	atomic_init(&bl->refs, 1);
	bl->bans = bans;
	bl->n = n;
	return (bl);
}

/* One more holder of a list; from any thread. */
struct banlist *
banlist_ref(struct banlist *bl)
{
	if (bl != NULL)
		atomic_fetch_add_explicit(&bl->refs, 1, memory_order_relaxed);
	return (bl);
}

/*
 * One holder fewer; the last frees the list.  Release and acquire on the
 * decrement, so that every holder's reads happen before the free.  (Not
 * a release decrement and an acquire fence: the same on x86, but
 * ThreadSanitizer does not model fences and reports the free as a race.)
 */
void
banlist_unref(struct banlist *bl)
{
	u_int	i;

	if (bl == NULL)
		return;
	if (atomic_fetch_sub_explicit(&bl->refs, 1,
	    memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < bl->n; i++)
		ban_free_fields(&bl->bans[i]);
	free(bl->bans);
	free(bl);
}

/* Free what a ban owns, not the ban. */
void
ban_free_fields(struct ban *b)
{
	free(b->reason);
	free(b->who);
	b->reason = b->who = NULL;
}

/*
 * The ban that covers an address at now, or NULL.  A linear scan: a
 * few thousand bans cost microseconds, once per connection.
 */
const struct ban *
banlist_match_addr(const struct banlist *bl, const struct sockaddr *sa,
    time_t now)
{
	const struct ban	*b;
	uint8_t			 addr[16];
	int			 family;
	u_int			 i;

	if (bl == NULL || ban_addr_of(sa, &family, addr) != 0)
		return (NULL);
	for (i = 0; i < bl->n; i++) {
		b = &bl->bans[i];
		if (b->target.kind == BAN_KEY || b->target.family != family)
			continue;
		if (ban_prefix_equal(addr, b->target.addr, b->target.prefix) &&
		    ban_active(b, now))
			return (b);
	}
	return (NULL);
}

/* The ban on a key fingerprint at now, or NULL. */
const struct ban *
banlist_match_key(const struct banlist *bl, const char *fp, time_t now)
{
	const struct ban	*b;
	u_int			 i;

	if (bl == NULL || fp == NULL)
		return (NULL);
	for (i = 0; i < bl->n; i++) {
		b = &bl->bans[i];
		if (b->target.kind == BAN_KEY &&
		    strcmp(b->target.text, fp) == 0 && ban_active(b, now))
			return (b);
	}
	return (NULL);
}

/*
 * Is this visitor banned at now, by address (sa, may be NULL) or key
 * (fp, may be NULL)?  If so return 1 and, if why is not NULL, the line
 * to show them.
 */
int
ban_check(const struct banlist *bl, const struct sockaddr *sa,
    const char *fp, time_t now, char **why)
{
	const struct ban	*b = NULL;

	if (sa != NULL)
		b = banlist_match_addr(bl, sa, now);
	if (b == NULL && fp != NULL)
		b = banlist_match_key(bl, fp, now);
	if (b == NULL)
		return (0);
	if (why != NULL)
		*why = ban_message(b);
	return (1);
}

/* The one line a banned visitor sees: why, and until when. */
static char *
ban_message(const struct ban *b)
{
	struct tm	 tm;
	char		 until[64], *s;

	if (b->expires == 0)
		snprintf(until, sizeof until, "permanently");
	else {
		gmtime_r(&b->expires, &tm);
		strftime(until, sizeof until, "until %Y-%m-%d %H:%M UTC", &tm);
	}
	xasprintf(&s, "You are banned from this server %s%s%s.", until,
	    b->reason != NULL && *b->reason != '\0' ? ": " : "",
	    b->reason != NULL ? b->reason : "");
	return (s);
}
