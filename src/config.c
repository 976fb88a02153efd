/*
 * Configuration: strangerd.conf(5).  One "keyword value" per line,
 * comments from "#" to the end of the line, and a table of keywords
 * that says each one's type, range, default and whether it can change
 * without a restart.
 *
 * Owns: parsing, defaults, range checks and the text dump (-T).  Pure:
 * it reads the file it is given and does nothing else (no name lookups,
 * no logging), so unit tests and fuzzers link it alone.  Applying a
 * configuration (binding, dropping privileges, swapping cfg on SIGHUP)
 * is strangerd.c's job.
 *
 * To add a tunable: a field in struct config (strangerd.h), a line in
 * config_keywords below, an entry in man/strangerd.conf.5 and a
 * commented line in contrib/strangerd.conf.  Then read cfg->field where
 * it is used, each time, so that a reload takes effect.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* Longest line and largest file accepted. */
#define CONFIG_LINE_MAX		1024
#define CONFIG_FILE_MAX		(1024 * 1024)

enum config_type {
	CONFIG_UINT,		/* u_int */
	CONFIG_SIZE,		/* size_t: bytes, with k, m or g */
	CONFIG_RATE,		/* double: per second */
	CONFIG_MS,		/* u_int milliseconds, from a duration */
	CONFIG_SECS,		/* u_int seconds, from a duration */
	CONFIG_STRING,		/* char *, owned */
	CONFIG_LISTEN,		/* a listener of proto; repeatable */
	CONFIG_METRICS,		/* the metrics address */
	CONFIG_NETS,		/* addresses and CIDR blocks; several words */
};

#define CONFIG_FIXED	0x1	/* read at start: a reload cannot change it */
#define CONFIG_NONE	0x2	/* "none" is a value (NULL, off) */
#define CONFIG_SECRET	0x4	/* may hold a password: masked in dumps */

struct config_keyword {
	const char	*name;
	enum config_type type;
	size_t		 off;
	double		 min;		/* in the unit stored */
	double		 max;
	int		 flags;
	const char	*def;		/* as it would be written, or NULL */
	enum proto	 proto;		/* CONFIG_LISTEN only */
};

#define F(f)	offsetof(struct config, f)

/*
 * Every keyword.  Defaults are written as a person would write them and
 * go through the same parser, so the table, the dump and the manual
 * cannot disagree about units.  Keep this in the order of
 * strangerd.conf(5).
 */
static const struct config_keyword config_keywords[] = {
	/* Where and as whom. */
	{ "state_dir", CONFIG_STRING, F(dir), 0, 0, CONFIG_FIXED,
	  "/var/lib/strangerd", 0 },
	{ "user", CONFIG_STRING, F(user), 0, 0, CONFIG_FIXED | CONFIG_NONE,
	  "none", 0 },
	{ "workers", CONFIG_UINT, F(workers), 0, 64, CONFIG_FIXED, "0", 0 },
	{ "ssh_listen", CONFIG_LISTEN, F(listen), 0, 0,
	  CONFIG_FIXED | CONFIG_NONE, "22", PROTO_SSH },
	{ "telnet_listen", CONFIG_LISTEN, F(listen), 0, 0,
	  CONFIG_FIXED | CONFIG_NONE, "23", PROTO_TELNET },
	{ "metrics_listen", CONFIG_METRICS, F(metrics_name), 0, 0,
	  CONFIG_FIXED | CONFIG_NONE, "none", 0 },
	{ "metrics_max_connections", CONFIG_UINT, F(metrics_maxconns), 1,
	  1024, CONFIG_FIXED, "8", 0 },
	{ "rules_file", CONFIG_STRING, F(rules_file), 0, 0, CONFIG_NONE,
	  "none", 0 },
	{ "proxy_from", CONFIG_NETS, F(proxy_from), 0, 0, CONFIG_NONE,
	  "none", 0 },
	{ "store", CONFIG_STRING, F(store), 0, 0,
	  CONFIG_FIXED | CONFIG_NONE | CONFIG_SECRET, "none", 0 },

	/* Capacity. */
	{ "max_sessions", CONFIG_UINT, F(max_sessions), 0, 1000000, 0,
	  "0", 0 },
	{ "output_queue_max", CONFIG_SIZE, F(outq_max), 4096,
	  64.0 * 1024 * 1024, 0, "256k", 0 },

	/* Per address. */
	{ "max_per_address", CONFIG_UINT, F(limits.per_addr), 1, 100000, 0,
	  "10", 0 },
	{ "max_per_net64", CONFIG_UINT, F(limits.per_net64), 1, 100000, 0,
	  "20", 0 },
	{ "connect_rate", CONFIG_RATE, F(limits.connect_rate), 0.001, 1000,
	  0, "0.5", 0 },
	{ "connect_burst", CONFIG_RATE, F(limits.connect_burst), 1, 100000,
	  0, "10", 0 },

	/* Flood control, per session. */
	{ "flood_line_rate", CONFIG_RATE, F(flood.line_rate), 0.01, 1000, 0,
	  "5", 0 },
	{ "flood_line_burst", CONFIG_RATE, F(flood.line_burst), 1, 10000, 0,
	  "10", 0 },
	{ "flood_byte_rate", CONFIG_RATE, F(flood.byte_rate), 1, 1e9, 0,
	  "2048", 0 },
	{ "flood_byte_burst", CONFIG_RATE, F(flood.byte_burst), 64, 1e9, 0,
	  "8192", 0 },
	{ "flood_input_rate", CONFIG_RATE, F(flood.input_rate), 64, 1e9, 0,
	  "16384", 0 },
	{ "flood_input_burst", CONFIG_RATE, F(flood.input_burst), 1024, 1e9,
	  0, "65536", 0 },
	{ "flood_strikes", CONFIG_UINT, F(flood.strikes), 1, 1000, 0, "10",
	  0 },
	{ "flood_mute", CONFIG_SECS, F(flood.mute_secs), 1, 86400, 0, "30s",
	  0 },
	{ "flood_mutes", CONFIG_UINT, F(flood.mutes), 0, 1000, 0, "3", 0 },
	{ "telnet_option_changes", CONFIG_UINT, F(telnet_changes), 0,
	  255, 0, "10", 0 },

	/* Matching and the chat. */
	{ "interest_wait", CONFIG_SECS, F(interest_wait), 1, 3600, 0, "5s",
	  0 },
	{ "typing_timeout", CONFIG_MS, F(typing_ms), 500, 60000, 0, "3s", 0 },
	{ "block_time", CONFIG_SECS, F(block_secs), 60, 30 * 86400, 0,
	  "1d", 0 },

	/* Timeouts. */
	{ "idle_welcome", CONFIG_SECS, F(idle_welcome), 0, 7 * 86400, 0,
	  "5m", 0 },
	{ "idle_waiting", CONFIG_SECS, F(idle_waiting), 0, 7 * 86400, 0,
	  "30m", 0 },
	{ "idle_chat", CONFIG_SECS, F(idle_chat), 0, 7 * 86400, 0, "15m", 0 },
	{ "telnet_negotiate", CONFIG_MS, F(negotiate_ms), 0, 10000, 0, "1s",
	  0 },
	{ "escape_timeout", CONFIG_MS, F(esc_ms), 10, 2000, 0, "150ms", 0 },
	{ "drain_timeout", CONFIG_MS, F(drain_ms), 0, 60000, 0, "300ms", 0 },

	/* SSH before authentication. */
	{ "ssh_login_grace", CONFIG_SECS, F(ssh_grace), 1, 600, 0, "20s", 0 },
	{ "ssh_max_preauth_per_address", CONFIG_UINT,
	  F(ssh_preauth_per_addr), 1, 65535, 0, "10", 0 },
	{ "ssh_max_preauth", CONFIG_UINT, F(ssh_preauth_max), 1, 1000000,
	  CONFIG_FIXED, "4000", 0 },
	{ "ssh_max_auth_tries", CONFIG_UINT, F(ssh_auth_tries), 1, 1000, 0,
	  "32", 0 },

	/*
	 * Moderation.  store.c keeps its own copy (store_conf), set once
	 * before the store thread starts: a restart is needed for now.
	 */
	{ "autoban_reports", CONFIG_UINT, F(autoban_reports), 0, 1000,
	  CONFIG_FIXED, "3", 0 },
	{ "autoban_window", CONFIG_SECS, F(autoban_window), 60, 30 * 86400,
	  CONFIG_FIXED, "1h", 0 },
	{ "autoban_time", CONFIG_SECS, F(autoban_time), 0, 3650 * 86400,
	  CONFIG_FIXED, "1h", 0 },
	{ "autoban_prefix_ipv4", CONFIG_UINT, F(autoban_prefix4), 8, 24,
	  CONFIG_FIXED, "24", 0 },
	{ "autoban_prefix_ipv6", CONFIG_UINT, F(autoban_prefix6), 16, 48,
	  CONFIG_FIXED, "48", 0 },
	{ "retention", CONFIG_SECS, F(retention), 0, 3650 * 86400,
	  CONFIG_FIXED, "30d", 0 },

	/* Several nodes: cluster.c; none is the single node. */
	{ "cluster", CONFIG_STRING, F(cluster), 0, 0,
	  CONFIG_FIXED | CONFIG_NONE | CONFIG_SECRET, "none", 0 },
	{ "node_name", CONFIG_STRING, F(node_name), 0, 0,
	  CONFIG_FIXED | CONFIG_NONE, "none", 0 },
	/* Redis away: "local" pairs this node's own, "wait" waits. */
	{ "cluster_fallback", CONFIG_STRING, F(cluster_fallback), 0, 0, 0,
	  "local", 0 },
};
#define CONFIG_NKEYWORDS (sizeof config_keywords / sizeof config_keywords[0])

/* What a parse remembers: where each keyword was set. */
struct config_parse {
	const char	*name;		/* file name for messages */
	u_int		 line;
	u_int		 set[CONFIG_NKEYWORDS];	/* line, 0: not yet */
	u_int		 none[CONFIG_NKEYWORDS]; /* line of "none", 0: none */
};

static const struct config_keyword *config_find(const char *);
static char	*config_word(char **);
static int	 config_error(char **, const struct config_parse *,
		     const char *, ...) printflike(3, 4);
static int	 config_whole(double);
static int	 config_number(const char *, double *, const char **);
static int	 config_duration(const char *, double *);
static int	 config_size(const char *, double *);
static int	 config_address(const char *, int,
		     struct sockaddr_storage [2], socklen_t [2], u_int *,
		     const char **);
static char	*config_addr_name(const struct sockaddr *);
static void	 config_listen_clear(struct config *, enum proto);
static int	 config_nets(struct config *, const struct config_keyword *,
		     const char *, const struct config_parse *, char **);
static int	 config_words(const struct config_keyword *, const char *,
		     char *, char *, size_t);
static int	 config_apply(struct config *, const struct config_keyword *,
		     const char *, const struct config_parse *, char **);
static void	 config_apply_none(struct config *,
		     const struct config_keyword *);
static int	 config_apply_listen(struct config *,
		     const struct config_keyword *, const char *,
		     const struct config_parse *, char **);
static int	 config_range_error(const struct config_keyword *,
		     const char *, const struct config_parse *, char **);
static char	*config_listen_text(const struct config *, enum proto);
static void	 config_duration_text(uint64_t, char *, size_t);
static void	 config_format(const struct config *,
		     const struct config_keyword *, char *, size_t);

/* The keyword named, or NULL. */
static const struct config_keyword *
config_find(const char *name)
{
	size_t	i;

	for (i = 0; i < CONFIG_NKEYWORDS; i++)
		if (strcmp(config_keywords[i].name, name) == 0)
			return (&config_keywords[i]);
	return (NULL);
}

/* The next word of *s, or NULL; blanks separate words. */
static char *
config_word(char **s)
{
	char	*w;

	*s += strspn(*s, " \t");
	if (**s == '\0')
		return (NULL);
	w = *s;
	*s += strcspn(*s, " \t");
	if (**s != '\0')
		*(*s)++ = '\0';
	return (w);
}

/* Set *cause to "FILE:LINE: why" (or just "why" from the command line). */
static int
config_error(char **cause, const struct config_parse *p, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		fatalx("vasprintf failed");
	va_end(ap);
	if (cause != NULL) {
		if (p != NULL && p->name != NULL)
			xasprintf(cause, "%s:%u: %s", p->name, p->line, why);
		else
			*cause = xstrdup(why);
	}
	free(why);
	return (-1);
}

/* Whether a number (never negative here) is whole. */
static int
config_whole(double v)
{
	return (v >= 0 && v <= 1e18 && v == (double)(uint64_t)v);
}

/* A decimal number at the start of s; *end is what follows. */
static int
config_number(const char *s, double *v, const char **end)
{
	char	*ep;

	/* No signs, hex, infinities or leading space: plain decimals. */
	if (*s < '0' || *s > '9' || strpbrk(s, "xX") != NULL)
		return (-1);
	errno = 0;
	*v = strtod(s, &ep);
	if (errno != 0 || !(*v <= 1e18))
		return (-1);
	*end = ep;
	return (0);
}

/* A duration in milliseconds: 150ms, 20s, 15m, 1h, 2d; bare is seconds. */
static int
config_duration(const char *s, double *ms)
{
	const char	*unit;
	double		 v;

	if (config_number(s, &v, &unit) != 0)
		return (-1);
	if (strcmp(unit, "ms") == 0)
		*ms = v;
	else if (*unit == '\0' || strcmp(unit, "s") == 0)
		*ms = v * 1000;
	else if (strcmp(unit, "m") == 0)
		*ms = v * 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		*ms = v * 3600 * 1000;
	else if (strcmp(unit, "d") == 0)
		*ms = v * 86400 * 1000;
	else
		return (-1);
	return (0);
}

/* A size in bytes: 4096, 256k, 1m, 1g (powers of 1024). */
static int
config_size(const char *s, double *bytes)
{
	const char	*unit;
	double		 v;

	if (config_number(s, &v, &unit) != 0)
		return (-1);
	if (*unit == '\0')
		*bytes = v;
	else if (strcasecmp(unit, "k") == 0)
		*bytes = v * 1024;
	else if (strcasecmp(unit, "m") == 0)
		*bytes = v * 1024 * 1024;
	else if (strcasecmp(unit, "g") == 0)
		*bytes = v * 1024 * 1024 * 1024;
	else
		return (-1);
	if (!config_whole(*bytes))
		return (-1);
	return (0);
}

/*
 * Parse "[addr:]port", "[v6addr]:port", "*:port" or "localhost:port"
 * into up to two addresses.  Numeric only, so that parsing never waits
 * for DNS.  A bare port means every address (any) or, for the metrics
 * endpoint, loopback.
 */
static int
config_address(const char *arg, int loopback, struct sockaddr_storage ss[2],
    socklen_t len[2], u_int *n, const char **why)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	char			 copy[256], *host = NULL, *port, *p, *ep;
	unsigned long		 pn;
	int			 any4 = 0, any6 = 0, lo = 0;
	struct in_addr		 a4;
	struct in6_addr		 a6;
	int			 is6 = 0;

	*n = 0;
	if (strlen(arg) >= sizeof copy) {
		*why = "address too long";
		return (-1);
	}
	memcpy(copy, arg, strlen(arg) + 1);
	if (copy[0] == '[') {
		if ((p = strchr(copy, ']')) == NULL || p[1] != ':') {
			*why = "expected [address]:port";
			return (-1);
		}
		*p = '\0';
		host = copy + 1;
		port = p + 2;
		is6 = 1;
	} else if ((p = strrchr(copy, ':')) != NULL) {
		if (strchr(copy, ':') != p) {
			*why = "an IPv6 address needs [brackets]";
			return (-1);
		}
		*p = '\0';
		host = copy;
		port = p + 1;
	} else
		port = copy;

	if (*port < '0' || *port > '9') {
		*why = "expected a port number";
		return (-1);
	}
	errno = 0;
	pn = strtoul(port, &ep, 10);
	if (errno != 0 || *ep != '\0' || pn < 1 || pn > 65535) {
		*why = "port must be 1 to 65535";
		return (-1);
	}

	if (host == NULL || (!is6 && strcmp(host, "*") == 0)) {
		if (host == NULL && loopback)
			lo = 1;
		else
			any4 = any6 = 1;
	} else if (!is6 && strcmp(host, "localhost") == 0)
		lo = 1;
	else if (is6) {
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			*why = "not an IPv6 address";
			return (-1);
		}
	} else if (inet_pton(AF_INET, host, &a4) != 1) {
		*why = "not a numeric address (host names are not looked up)";
		return (-1);
	}

	memset(ss, 0, 2 * sizeof *ss);
	if (any4 || lo || (!is6 && host != NULL && !any6)) {
		sin = (struct sockaddr_in *)&ss[*n];
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)pn);
		if (lo)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (any4)
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else
			sin->sin_addr = a4;
		len[(*n)++] = sizeof *sin;
	}
	if (any6 || is6) {
		sin6 = (struct sockaddr_in6 *)&ss[*n];
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)pn);
		sin6->sin6_addr = any6 ? in6addr_any : a6;
		len[(*n)++] = sizeof *sin6;
	}
	return (0);
}

/* "127.0.0.1:23" or "[::1]:22". */
static char *
config_addr_name(const struct sockaddr *sa)
{
	char	 host[INET6_ADDRSTRLEN], *name;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		xasprintf(&name, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		xasprintf(&name, "%s:%u", host, ntohs(sin->sin_port));
	}
	return (name);
}

/* Forget every listener of one protocol. */
static void
config_listen_clear(struct config *c, enum proto proto)
{
	u_int	i, j = 0;

	for (i = 0; i < c->nlisten; i++) {
		if (c->listen[i].proto == proto) {
			free(c->listen[i].name);
			continue;
		}
		c->listen[j++] = c->listen[i];
	}
	c->nlisten = j;
}

/* keyword none: back to nothing (no listener, no metrics, no file). */
static void
config_apply_none(struct config *c, const struct config_keyword *k)
{
	char	**sp;

	switch (k->type) {
	case CONFIG_STRING:
		sp = (char **)((char *)c + k->off);
		free(*sp);
		*sp = NULL;
		break;
	case CONFIG_LISTEN:
		config_listen_clear(c, k->proto);
		c->listen_set |= 1U << k->proto;
		break;
	case CONFIG_METRICS:
		free(c->metrics_name);
		c->metrics_name = NULL;
		c->metrics_sslen = 0;
		break;
	case CONFIG_NETS:
		free(c->proxy_from);
		c->proxy_from = NULL;
		c->nproxy_from = 0;
		break;
	default:
		break;
	}
}

/*
 * ssh_listen, telnet_listen: "ADDR:PORT" or "ADDR:PORT proxy", one
 * more listening address, or two for "*" (IPv4 and IPv6).  Its name,
 * for logs and the dump, says "proxy" too.
 */
static int
config_apply_listen(struct config *c, const struct config_keyword *k,
    const char *value, const struct config_parse *p, char **cause)
{
	struct sockaddr_storage	 ss[2];
	socklen_t		 len[2];
	struct listen_addr	*la;
	const char		*why, *flag;
	char			 addr[CONFIG_LINE_MAX + 1], *name;
	u_int			 n, i;
	int			 proxy = 0;

	snprintf(addr, sizeof addr, "%s", value);
	if ((flag = strchr(value, ' ')) != NULL) {
		addr[flag - value] = '\0';
		if (strcmp(flag + 1, "proxy") != 0)
			return (config_error(cause, p, "%s %s: expected "
			    "\"proxy\" or nothing after the address", k->name,
			    value));
		proxy = 1;
	}
	if (config_address(addr, 0, ss, len, &n, &why) != 0)
		return (config_error(cause, p, "%s %s: %s", k->name, addr,
		    why));
	/* The first one named replaces the default. */
	if (!(c->listen_set & (1U << k->proto))) {
		config_listen_clear(c, k->proto);
		c->listen_set |= 1U << k->proto;
	}
	for (i = 0; i < n; i++) {
		c->listen = xreallocarray(c->listen, c->nlisten + 1,
		    sizeof *c->listen);
		la = &c->listen[c->nlisten++];
		memset(la, 0, sizeof *la);
		la->proto = k->proto;
		memcpy(&la->ss, &ss[i], len[i]);
		la->sslen = len[i];
		la->proxy = proxy;
		name = config_addr_name((struct sockaddr *)&ss[i]);
		xasprintf(&la->name, "%s %s%s",
		    k->proto == PROTO_SSH ? "ssh" : "telnet", name,
		    proxy ? " proxy" : "");
		free(name);
	}
	return (0);
}

/* A value out of the keyword's range, said in the unit people write. */
static int
config_range_error(const struct config_keyword *k, const char *value,
    const struct config_parse *p, char **cause)
{
	char	lo[32], hi[32];

	if (k->type == CONFIG_MS) {
		config_duration_text((uint64_t)k->min, lo, sizeof lo);
		config_duration_text((uint64_t)k->max, hi, sizeof hi);
	} else if (k->type == CONFIG_SECS) {
		config_duration_text((uint64_t)k->min * 1000, lo, sizeof lo);
		config_duration_text((uint64_t)k->max * 1000, hi, sizeof hi);
	} else {
		snprintf(lo, sizeof lo, "%g", k->min);
		snprintf(hi, sizeof hi, "%g", k->max);
	}
	return (config_error(cause, p, "%s: %s is out of range (%s to %s)",
	    k->name, value, lo, hi));
}

/* Addresses and CIDR blocks separated by blanks (proxy_from). */
static int
config_nets(struct config *c, const struct config_keyword *k,
    const char *value, const struct config_parse *p, char **cause)
{
	struct ban_target	 t;
	char			 copy[CONFIG_LINE_MAX + 1], *s, *word, *why;

	free(c->proxy_from);
	c->proxy_from = NULL;
	c->nproxy_from = 0;
	snprintf(copy, sizeof copy, "%s", value);
	s = copy;
	while ((word = config_word(&s)) != NULL) {
		if (ban_parse(word, &t, &why) != 0) {
			config_error(cause, p, "%s: %s", k->name, why);
			free(why);
			return (-1);
		}
		if (t.kind == BAN_KEY)
			return (config_error(cause, p, "%s: %s is a key, not "
			    "an address", k->name, word));
		c->proxy_from = xreallocarray(c->proxy_from,
		    c->nproxy_from + 1, sizeof *c->proxy_from);
		c->proxy_from[c->nproxy_from++] = t;
	}
	if (c->nproxy_from == 0)
		return (config_error(cause, p, "%s: no address", k->name));
	return (0);
}

/* Give one keyword its value; p is NULL for defaults and options. */
static int
config_apply(struct config *c, const struct config_keyword *k,
    const char *value, const struct config_parse *p, char **cause)
{
	struct sockaddr_storage	 ss[2];
	socklen_t		 len[2];
	const char		*why;
	char			**sp;
	double			 v = 0;
	u_int			 n;
	int			 ok;

	if ((k->flags & CONFIG_NONE) && strcmp(value, "none") == 0) {
		config_apply_none(c, k);
		return (0);
	}

	switch (k->type) {
	case CONFIG_STRING:
		if (*value == '\0')
			return (config_error(cause, p, "%s: empty value",
			    k->name));
		sp = (char **)((char *)c + k->off);
		free(*sp);
		*sp = xstrdup(value);
		return (0);
	case CONFIG_LISTEN:
		return (config_apply_listen(c, k, value, p, cause));
	case CONFIG_NETS:
		return (config_nets(c, k, value, p, cause));
	case CONFIG_METRICS:
		if (config_address(value, 1, ss, len, &n, &why) != 0)
			return (config_error(cause, p, "%s %s: %s", k->name,
			    value, why));
		if (n != 1)
			return (config_error(cause, p, "%s %s: name one "
			    "address, not *", k->name, value));
		memcpy(&c->metrics_ss, &ss[0], len[0]);
		c->metrics_sslen = len[0];
		free(c->metrics_name);
		c->metrics_name = config_addr_name((struct sockaddr *)&ss[0]);
		return (0);
	case CONFIG_UINT:
	case CONFIG_RATE: {
		const char *end;

		ok = config_number(value, &v, &end) == 0 && *end == '\0';
		if (ok && k->type == CONFIG_UINT && !config_whole(v))
			ok = 0;
		if (!ok)
			return (config_error(cause, p, "%s: \"%s\" is not %s",
			    k->name, value, k->type == CONFIG_UINT ?
			    "a whole number" : "a number"));
		break;
	}
	case CONFIG_SIZE:
		if (config_size(value, &v) != 0)
			return (config_error(cause, p, "%s: \"%s\" is not a "
			    "size (bytes, or with k, m or g)", k->name, value));
		break;
	case CONFIG_MS:
	case CONFIG_SECS:
		if (config_duration(value, &v) != 0)
			return (config_error(cause, p, "%s: \"%s\" is not a "
			    "duration (such as 150ms, 30s, 15m, 1h, 2d)",
			    k->name, value));
		if (k->type == CONFIG_SECS) {
			if (!config_whole(v / 1000))
				return (config_error(cause, p, "%s: \"%s\" "
				    "is not a whole number of seconds",
				    k->name, value));
			v /= 1000;
		} else if (!config_whole(v))
			return (config_error(cause, p, "%s: \"%s\" is not "
			    "a whole number of milliseconds", k->name, value));
		break;
	}

	if (v < k->min || v > k->max)
		return (config_range_error(k, value, p, cause));
	switch (k->type) {
	case CONFIG_UINT:
	case CONFIG_MS:
	case CONFIG_SECS:
		*(u_int *)((char *)c + k->off) = (u_int)v;
		break;
	case CONFIG_SIZE:
		*(size_t *)((char *)c + k->off) = (size_t)v;
		break;
	case CONFIG_RATE:
		*(double *)((char *)c + k->off) = v;
		break;
	default:
		break;
	}
	return (0);
}

/* A configuration with every default. */
struct config *
config_new(void)
{
	struct config	*c;
	char		*cause;
	size_t		 i;

	c = xcalloc(1, sizeof *c);
	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		if (config_keywords[i].def == NULL)
			continue;
		if (config_apply(c, &config_keywords[i],
		    config_keywords[i].def, NULL, &cause) != 0)
			fatalx("default for %s: %s", config_keywords[i].name,
			    cause);
	}
	/* Defaults do not count as configured. */
	c->listen_set = 0;
	return (c);
}

/* Free a configuration and everything it owns. */
void
config_free(struct config *c)
{
	size_t	i;
	u_int	j;

	if (c == NULL)
		return;
	/* Every string keyword owns its value. */
	for (i = 0; i < CONFIG_NKEYWORDS; i++)
		if (config_keywords[i].type == CONFIG_STRING)
			free(*(char **)((char *)c + config_keywords[i].off));
	for (j = 0; j < c->nlisten; j++)
		free(c->listen[j].name);
	free(c->listen);
	free(c->proxy_from);
	free(c->path);
	free(c->metrics_name);
	free(c);
}

/*
 * A listener ("ADDR:PORT proxy") and proxy_from ("CIDR ...") take more
 * than one word: then the value and the rest of the line (s), joined
 * by single spaces into buf, and 1; else 0.
 */
static int
config_words(const struct config_keyword *k, const char *value, char *s,
    char *buf, size_t size)
{
	char	*word;
	size_t	 n;

	if (k->type != CONFIG_LISTEN && k->type != CONFIG_NETS)
		return (0);
	n = (size_t)snprintf(buf, size, "%s", value);
	while ((word = config_word(&s)) != NULL && n < size)
		n += (size_t)snprintf(buf + n, size - n, " %s", word);
	return (1);
}

/*
 * Parse a configuration held in memory, named name in messages.  On
 * error nothing says how much of c was changed: throw it away.
 */
int
config_parse(struct config *c, const char *name, const char *buf,
    size_t len, char **cause)
{
	struct config_parse		 p;
	const struct config_keyword	*k;
	char				 line[CONFIG_LINE_MAX + 1];
	char				 words[CONFIG_LINE_MAX + 1];
	char				*s, *kw, *value, *extra, *hash;
	size_t				 start, end, n, idx;

	memset(&p, 0, sizeof p);
	p.name = name;
	for (start = 0; start < len; start = end + 1) {
		p.line++;
		for (end = start; end < len && buf[end] != '\n'; end++)
			;
		n = end - start;
		if (memchr(buf + start, '\0', n) != NULL)
			return (config_error(cause, &p, "NUL byte in line"));
		if (n > CONFIG_LINE_MAX)
			return (config_error(cause, &p, "line longer than %d "
			    "bytes", CONFIG_LINE_MAX));
		memcpy(line, buf + start, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		/* A name or a path has no business with control bytes. */
		for (s = line; *s != '\0'; s++)
			if ((*s > 0 && *s < 0x20 && *s != '\t') || *s == 0x7f)
				return (config_error(cause, &p, "control "
				    "character 0x%02x in line", (u_char)*s));

		/* "#" starts a comment at the start or after a blank. */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || hash[-1] == ' ' || hash[-1] == '\t')
				break;
		if (hash != NULL)
			*hash = '\0';

		s = line;
		if ((kw = config_word(&s)) == NULL)
			continue;
		if ((k = config_find(kw)) == NULL)
			return (config_error(cause, &p, "unknown keyword "
			    "\"%s\"", kw));
		value = config_word(&s);
		extra = NULL;
		if (value != NULL && config_words(k, value, s, words,
		    sizeof words))
			value = words;
		else if (value != NULL)
			extra = config_word(&s);
		idx = (size_t)(k - config_keywords);
		if (value == NULL)
			return (config_error(cause, &p, "%s needs a value",
			    kw));
		/* Part of a password would be quoted: say less. */
		if (extra != NULL && (k->flags & CONFIG_SECRET))
			return (config_error(cause, &p, "%s takes one value, "
			    "with no spaces (write a space as %%20)", kw));
		if (extra != NULL)
			return (config_error(cause, &p, "%s takes one value, "
			    "not \"%s %s\"", kw, value, extra));
		if (k->type != CONFIG_LISTEN && p.set[idx] != 0)
			return (config_error(cause, &p, "%s is already set "
			    "at line %u", kw, p.set[idx]));
		if (k->type == CONFIG_LISTEN && p.set[idx] != 0 &&
		    (p.none[idx] != 0 || strcmp(value, "none") == 0))
			return (config_error(cause, &p, "%s: \"none\" cannot "
			    "be combined with addresses (line %u)", kw,
			    p.none[idx] != 0 ? p.none[idx] : p.set[idx]));
		if (config_apply(c, k, value, &p, cause) != 0)
			return (-1);
		p.set[idx] = p.line;
		if (strcmp(value, "none") == 0)
			p.none[idx] = p.line;
	}
	return (0);
}

/*
 * Read and parse a file.  A missing file is an error only if it was
 * asked for (-c); the default file is optional.
 */
int
config_load(struct config *c, const char *path, int required, char **cause)
{
	FILE	*f;
	char	*buf;
	size_t	 len;
	int	 rv;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !required)
			return (0);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	buf = xmalloc(CONFIG_FILE_MAX + 1);
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		rv = -1;
	} else if (len > CONFIG_FILE_MAX) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    CONFIG_FILE_MAX);
		rv = -1;
	} else
		rv = config_parse(c, path, buf, len, cause);
	fclose(f);
	free(buf);
	if (rv == 0) {
		free(c->path);
		c->path = xstrdup(path);
	}
	return (rv);
}

/*
 * Set one keyword from the command line; it overrides the file.  The
 * first listener given for a protocol replaces those from the file.
 */
int
config_set(struct config *c, const char *kw, const char *value, char **cause)
{
	const struct config_keyword	*k;

	if ((k = config_find(kw)) == NULL) {
		xasprintf(cause, "unknown keyword \"%s\"", kw);
		return (-1);
	}
	return (config_apply(c, k, value, NULL, cause));
}

/* Two listeners on one address and port (SO_REUSEPORT would let both bind). */
static int
config_same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss.ss_family != b->ss.ss_family)
		return (0);
	if (a->ss.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	}
	a6 = (const struct sockaddr_in6 *)&a->ss;
	b6 = (const struct sockaddr_in6 *)&b->ss;
	return (a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof a6->sin6_addr) == 0);
}

/*
 * Every listener on an address and port of its own: the kernel would
 * share one between two sockets of ours, handing each connection to
 * either protocol at random.
 */
static int
config_listen_distinct(const struct config *c, char **cause)
{
	u_int	i, j;

	for (i = 0; i < c->nlisten; i++)
		for (j = i + 1; j < c->nlisten; j++)
			if (config_same_addr(&c->listen[i], &c->listen[j])) {
				xasprintf(cause, "%s and %s: one address "
				    "and port for two listeners",
				    c->listen[i].name, c->listen[j].name);
				return (-1);
			}
	return (0);
}

/* Checks that involve more than one keyword, once everything is read. */
int
config_finish(struct config *c, char **cause)
{
	u_int	i;

	if (c->nlisten == 0) {
		*cause = xstrdup("nothing to listen on: ssh_listen and "
		    "telnet_listen are both none");
		return (-1);
	}
	if (config_listen_distinct(c, cause) != 0)
		return (-1);
	for (i = 0; i < c->nlisten; i++)
		if (c->listen[i].proxy && c->nproxy_from == 0) {
			xasprintf(cause, "%s: a listener marked proxy needs "
			    "proxy_from, the balancers allowed to send the "
			    "header", c->listen[i].name);
			return (-1);
		}
	if (c->flood.line_burst < 1 || c->flood.byte_burst <
	    LINE_MAX_BYTES / 4) {
		*cause = xstrdup("flood_line_burst and flood_byte_burst "
		    "must let at least one line through");
		return (-1);
	}
	if (c->cluster != NULL && cluster_url_check(c->cluster, cause) != 0)
		return (-1);
	if (c->node_name != NULL && !cluster_node_name_ok(c->node_name)) {
		xasprintf(cause, "node_name %s: 1 to %d letters, digits, "
		    "\".\", \"-\" or \"_\"", c->node_name, CLUSTER_NAME_MAX);
		return (-1);
	}
	if (strcmp(c->cluster_fallback, "local") != 0 &&
	    strcmp(c->cluster_fallback, "wait") != 0) {
		xasprintf(cause, "cluster_fallback %s: local or wait",
		    c->cluster_fallback);
		return (-1);
	}
	return (0);
}

/* A duration in milliseconds as a person would write it: 150ms, 15m. */
static void
config_duration_text(uint64_t ms, char *buf, size_t size)
{
	uint64_t	u = ms / 1000;

	if (ms == 0)
		snprintf(buf, size, "0");
	else if (ms % 1000 != 0)
		snprintf(buf, size, "%llums", (unsigned long long)ms);
	else if (u % 86400 == 0)
		snprintf(buf, size, "%llud", (unsigned long long)(u / 86400));
	else if (u % 3600 == 0)
		snprintf(buf, size, "%lluh", (unsigned long long)(u / 3600));
	else if (u % 60 == 0)
		snprintf(buf, size, "%llum", (unsigned long long)(u / 60));
	else
		snprintf(buf, size, "%llus", (unsigned long long)u);
}

/* One keyword's value as it would be written in the file. */
static void
config_format(const struct config *c, const struct config_keyword *k,
    char *buf, size_t size)
{
	const void	*f = (const char *)c + k->off;
	size_t		 z;
	u_int		 u;

	switch (k->type) {
	case CONFIG_UINT:
		snprintf(buf, size, "%u", *(const u_int *)f);
		break;
	case CONFIG_SIZE:
		z = *(const size_t *)f;
		if (z != 0 && z % (1024 * 1024 * 1024) == 0)
			snprintf(buf, size, "%zug", z / (1024 * 1024 * 1024));
		else if (z != 0 && z % (1024 * 1024) == 0)
			snprintf(buf, size, "%zum", z / (1024 * 1024));
		else if (z != 0 && z % 1024 == 0)
			snprintf(buf, size, "%zuk", z / 1024);
		else
			snprintf(buf, size, "%zu", z);
		break;
	case CONFIG_RATE:
		snprintf(buf, size, "%.15g", *(const double *)f);
		break;
	case CONFIG_MS:
		config_duration_text(*(const u_int *)f, buf, size);
		break;
	case CONFIG_SECS:
		config_duration_text((uint64_t)*(const u_int *)f * 1000, buf,
		    size);
		break;
	case CONFIG_STRING:
		snprintf(buf, size, "%s", *(char *const *)f != NULL ?
		    *(char *const *)f : "none");
		break;
	case CONFIG_METRICS:
		snprintf(buf, size, "%s", c->metrics_name != NULL ?
		    c->metrics_name : "none");
		break;
	case CONFIG_LISTEN:
		/* Done by the caller: one line per address. */
		buf[0] = '\0';
		break;
	case CONFIG_NETS:
		snprintf(buf, size, "%s", c->nproxy_from == 0 ? "none" : "");
		for (u = 0; u < c->nproxy_from; u++) {
			z = strlen(buf);
			snprintf(buf + z, size - z, "%s%s", u == 0 ? "" : " ",
			    c->proxy_from[u].text);
		}
		break;
	}
}

/*
 * Every keyword with its value, one per line, in the file's syntax:
 * what -T prints.  Parsing the result gives the same configuration,
 * but for passwords (CONFIG_SECRET), which are masked: the dump may be
 * shown or pasted into a bug report, and the file holds the real ones.
 */
char *
config_dump(const struct config *c)
{
	const struct config_keyword	*k;
	char				*out = NULL, *tmp, *masked;
	char				 value[CONFIG_LINE_MAX + 1];
	size_t				 i;
	u_int				 j, n;

	out = xstrdup("");
	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		k = &config_keywords[i];
		if (k->type == CONFIG_LISTEN) {
			for (j = n = 0; j < c->nlisten; j++) {
				if (c->listen[j].proto != k->proto)
					continue;
				/* The name is "ssh ADDR:PORT". */
				xasprintf(&tmp, "%s%s %s\n", out, k->name,
				    strchr(c->listen[j].name, ' ') + 1);
				free(out);
				out = tmp;
				n++;
			}
			if (n != 0)
				continue;
			snprintf(value, sizeof value, "none");
		} else
			config_format(c, k, value, sizeof value);
		if (k->flags & CONFIG_SECRET) {
			masked = config_mask(value);
			xasprintf(&tmp, "%s%s %s\n", out, k->name, masked);
			free(masked);
		} else
			xasprintf(&tmp, "%s%s %s\n", out, k->name, value);
		free(out);
		out = tmp;
	}
	return (out);
}

/* The listeners of one protocol, for comparing. */
static char *
config_listen_text(const struct config *c, enum proto proto)
{
	char	*out, *tmp;
	u_int	 i;

	out = xstrdup("");
	for (i = 0; i < c->nlisten; i++) {
		if (c->listen[i].proto != proto)
			continue;
		xasprintf(&tmp, "%s%s;", out, c->listen[i].name);
		free(out);
		out = tmp;
	}
	return (out);
}

/*
 * The keywords that differ between two configurations but cannot
 * change without a restart, as "a, b, c", or NULL if there are none.
 */
char *
config_fixed(const struct config *old, const struct config *new)
{
	const struct config_keyword	*k;
	char				*out = NULL, *tmp, *a, *b;
	size_t				 i;

	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		k = &config_keywords[i];
		if (!(k->flags & CONFIG_FIXED))
			continue;
		if (k->type == CONFIG_LISTEN) {
			a = config_listen_text(old, k->proto);
			b = config_listen_text(new, k->proto);
		} else {
			a = xmalloc(512);
			b = xmalloc(512);
			config_format(old, k, a, 512);
			config_format(new, k, b, 512);
		}
		if (strcmp(a, b) != 0) {
			xasprintf(&tmp, "%s%s%s", out != NULL ? out : "",
			    out != NULL ? ", " : "", k->name);
			free(out);
			out = tmp;
		}
		free(a);
		free(b);
	}
	return (out);
}

/* A deep copy. */
struct config *
config_dup(const struct config *c)
{
	struct config	*d;
	char		**sp;
	size_t		 i;
	u_int		 j;

	d = xmalloc(sizeof *d);
	*d = *c;
	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		if (config_keywords[i].type != CONFIG_STRING)
			continue;
		sp = (char **)((char *)d + config_keywords[i].off);
		if (*sp != NULL)
			*sp = xstrdup(*sp);
	}
	d->path = c->path != NULL ? xstrdup(c->path) : NULL;
	d->metrics_name = c->metrics_name != NULL ?
	    xstrdup(c->metrics_name) : NULL;
	d->listen = xreallocarray(NULL, c->nlisten ? c->nlisten : 1,
	    sizeof *d->listen);
	for (j = 0; j < c->nlisten; j++) {
		d->listen[j] = c->listen[j];
		d->listen[j].name = xstrdup(c->listen[j].name);
	}
	d->proxy_from = NULL;
	if (c->nproxy_from != 0) {
		d->proxy_from = xreallocarray(NULL, c->nproxy_from,
		    sizeof *d->proxy_from);
		memcpy(d->proxy_from, c->proxy_from, c->nproxy_from *
		    sizeof *d->proxy_from);
	}
	return (d);
}

/*
 * Copy what cannot change live from the running configuration, so that
 * the new one describes what the daemon actually does.
 */
void
config_keep_fixed(struct config *new, const struct config *old)
{
	u_int	i;

	free(new->dir);
	new->dir = old->dir != NULL ? xstrdup(old->dir) : NULL;
	free(new->user);
	new->user = old->user != NULL ? xstrdup(old->user) : NULL;
	new->workers = old->workers;
	for (i = 0; i < new->nlisten; i++)
		free(new->listen[i].name);
	free(new->listen);
	new->listen = xreallocarray(NULL, old->nlisten ? old->nlisten : 1,
	    sizeof *new->listen);
	for (i = 0; i < old->nlisten; i++) {
		new->listen[i] = old->listen[i];
		new->listen[i].name = xstrdup(old->listen[i].name);
	}
	new->nlisten = old->nlisten;
	new->listen_set = old->listen_set;
	memcpy(&new->metrics_ss, &old->metrics_ss, sizeof new->metrics_ss);
	new->metrics_sslen = old->metrics_sslen;
	free(new->metrics_name);
	new->metrics_name = old->metrics_name != NULL ?
	    xstrdup(old->metrics_name) : NULL;
	new->ssh_preauth_max = old->ssh_preauth_max;
	new->autoban_reports = old->autoban_reports;
	new->autoban_window = old->autoban_window;
	new->autoban_time = old->autoban_time;
	new->autoban_prefix4 = old->autoban_prefix4;
	new->autoban_prefix6 = old->autoban_prefix6;
	new->retention = old->retention;
	free(new->store);
	new->store = old->store != NULL ? xstrdup(old->store) : NULL;
}
