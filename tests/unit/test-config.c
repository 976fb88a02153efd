/*
 * config.c: defaults, values, units, listeners, errors that name the
 * file and line, the dump that parses back to itself, and what a
 * reload may not change.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "strangerd.h"

/* Parse text as "t.conf"; returns the config or NULL with *cause. */
static struct config *
parse(const char *text, char **cause)
{
	struct config	*c = config_new();

	*cause = NULL;
	if (config_parse(c, "t.conf", text, strlen(text), cause) != 0 ||
	    config_finish(c, cause) != 0) {
		config_free(c);
		return (NULL);
	}
	return (c);
}

/* Parsing must fail with exactly this message. */
static void
expect_error(const char *text, const char *want)
{
	struct config	*c;
	char		*cause;

	c = parse(text, &cause);
	if (c != NULL)
		fail_msg("parsed: %s", text);
	assert_non_null(cause);
	if (strcmp(cause, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", cause, want);
	free(cause);
}

/* How many listeners of a protocol. */
static u_int
count_listen(const struct config *c, enum proto proto)
{
	u_int	i, n = 0;

	for (i = 0; i < c->nlisten; i++)
		if (c->listen[i].proto == proto)
			n++;
	return (n);
}

static void
test_defaults(void **state)
{
	struct config	*c = config_new();

	(void)state;
	assert_string_equal(c->dir, "/var/lib/strangerd");
	assert_null(c->user);
	assert_int_equal(c->workers, 0);
	assert_int_equal(c->max_sessions, 0);
	assert_int_equal(c->outq_max, 256 * 1024);
	assert_int_equal(c->negotiate_ms, 1000);
	assert_int_equal(c->esc_ms, 150);
	assert_int_equal(c->drain_ms, 300);
	assert_int_equal(c->idle_welcome, 300);
	assert_int_equal(c->idle_waiting, 1800);
	assert_int_equal(c->idle_chat, 900);
	assert_int_equal(c->limits.per_addr, 10);
	assert_true(c->limits.connect_rate == 0.5);
	assert_int_equal(c->flood.mute_secs, 30);
	assert_int_equal(c->ssh_grace, 20);
	assert_int_equal(c->metrics_sslen, 0);
	assert_null(c->rules_file);
	/* A bare port: every IPv4 and IPv6 address. */
	assert_int_equal(count_listen(c, PROTO_SSH), 2);
	assert_int_equal(count_listen(c, PROTO_TELNET), 2);
	assert_string_equal(c->listen[0].name, "ssh 0.0.0.0:22");
	assert_string_equal(c->listen[1].name, "ssh [::]:22");
	config_free(c);
}

static void
test_values(void **state)
{
	struct config	*c;
	char		*cause;

	(void)state;
	c = parse("# a comment\n"
	    "\n"
	    "   max_sessions\t500   # trailing comment\r\n"
	    "output_queue_max 1m\n"
	    "idle_chat 1h\n"
	    "idle_welcome 0\n"
	    "escape_timeout 200ms\n"
	    "telnet_negotiate 2\n"
	    "drain_timeout 1.5s\n"
	    "connect_rate 0.25\n"
	    "user nobody\n"
	    "state_dir /srv/chat#1\n"
	    "rules_file /etc/strangerd/rules\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(c->max_sessions, 500);
	assert_int_equal(c->outq_max, 1024 * 1024);
	assert_int_equal(c->idle_chat, 3600);
	assert_int_equal(c->idle_welcome, 0);
	assert_int_equal(c->esc_ms, 200);
	assert_int_equal(c->negotiate_ms, 2000);
	assert_int_equal(c->drain_ms, 1500);
	assert_true(c->limits.connect_rate == 0.25);
	assert_string_equal(c->user, "nobody");
	/* "#" inside a word is not a comment. */
	assert_string_equal(c->dir, "/srv/chat#1");
	assert_string_equal(c->rules_file, "/etc/strangerd/rules");
	config_free(c);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("max_sessions 5\nbogus 1\n",
	    "t.conf:2: unknown keyword \"bogus\"");
	expect_error("\n\nmax_sessions\n", "t.conf:3: max_sessions needs a value");
	expect_error("max_sessions 5 6\n",
	    "t.conf:1: max_sessions takes one value, not \"5 6\"");
	expect_error("max_sessions five\n",
	    "t.conf:1: max_sessions: \"five\" is not a whole number");
	expect_error("max_sessions 1.5\n",
	    "t.conf:1: max_sessions: \"1.5\" is not a whole number");
	expect_error("max_sessions -1\n",
	    "t.conf:1: max_sessions: \"-1\" is not a whole number");
	expect_error("max_sessions 0x10\n",
	    "t.conf:1: max_sessions: \"0x10\" is not a whole number");
	expect_error("workers 65\n",
	    "t.conf:1: workers: 65 is out of range (0 to 64)");
	expect_error("escape_timeout 5s\n",
	    "t.conf:1: escape_timeout: 5s is out of range (10ms to 2s)");
	expect_error("idle_chat 10x\n", "t.conf:1: idle_chat: \"10x\" is not "
	    "a duration (such as 150ms, 30s, 15m, 1h, 2d)");
	expect_error("idle_chat 1500ms\n", "t.conf:1: idle_chat: \"1500ms\" "
	    "is not a whole number of seconds");
	expect_error("output_queue_max 1t\n", "t.conf:1: output_queue_max: "
	    "\"1t\" is not a size (bytes, or with k, m or g)");
	expect_error("max_sessions 5\n# x\nmax_sessions 6\n",
	    "t.conf:3: max_sessions is already set at line 1");
	expect_error("ssh_listen none\nssh_listen 2222\n", "t.conf:2: "
	    "ssh_listen: \"none\" cannot be combined with addresses (line 1)");
	expect_error("telnet_listen 2323\ntelnet_listen none\n", "t.conf:2: "
	    "telnet_listen: \"none\" cannot be combined with addresses "
	    "(line 1)");
	expect_error("telnet_listen example.org:23\n", "t.conf:1: "
	    "telnet_listen example.org:23: not a numeric address (host names "
	    "are not looked up)");
	expect_error("telnet_listen 127.0.0.1:0\n", "t.conf:1: telnet_listen "
	    "127.0.0.1:0: port must be 1 to 65535");
	expect_error("telnet_listen ::1:23\n", "t.conf:1: telnet_listen "
	    "::1:23: an IPv6 address needs [brackets]");
	expect_error("metrics_listen *:9100\n", "t.conf:1: metrics_listen "
	    "*:9100: name one address, not *");
	expect_error("user \n", "t.conf:1: user needs a value");
	expect_error("ssh_listen none\ntelnet_listen none\n",
	    "nothing to listen on: ssh_listen and telnet_listen are both none");
}

static void
test_nul_and_long_lines(void **state)
{
	struct config	*c = config_new();
	char		*cause = NULL, buf[3000];

	(void)state;
	assert_int_equal(config_parse(c, "t.conf", "workers 1\nwor\0kers 2\n",
	    21, &cause), -1);
	assert_string_equal(cause, "t.conf:2: NUL byte in line");
	free(cause);
	memset(buf, 'a', sizeof buf);
	assert_int_equal(config_parse(c, "t.conf", buf, sizeof buf, &cause),
	    -1);
	assert_string_equal(cause, "t.conf:1: line longer than 1024 bytes");
	free(cause);
	config_free(c);
}

static void
test_listen(void **state)
{
	struct config	*c;
	char		*cause;

	(void)state;
	c = parse("telnet_listen 127.0.0.1:2323\ntelnet_listen [::1]:2324\n"
	    "ssh_listen none\nmetrics_listen 9100\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(count_listen(c, PROTO_SSH), 0);
	assert_int_equal(count_listen(c, PROTO_TELNET), 2);
	assert_string_equal(c->listen[0].name, "telnet 127.0.0.1:2323");
	assert_string_equal(c->listen[1].name, "telnet [::1]:2324");
	/* The metrics endpoint is on loopback unless told otherwise. */
	assert_string_equal(c->metrics_name, "127.0.0.1:9100");
	assert_int_equal(c->metrics_ss.ss_family, AF_INET);
	config_free(c);

	c = parse("ssh_listen localhost:2222\ntelnet_listen *:2323\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(count_listen(c, PROTO_SSH), 1);
	assert_string_equal(c->listen[0].name, "ssh 127.0.0.1:2222");
	assert_int_equal(count_listen(c, PROTO_TELNET), 2);
	config_free(c);
}

/*
 * A listener marked proxy, proxy_from with several words (and its
 * dump), and the errors: a bad flag, a key, and proxy without
 * proxy_from.
 */
static void
test_proxy(void **state)
{
	struct config	*c, *d;
	char		*cause, *dump;

	(void)state;
	c = parse("ssh_listen 127.0.0.1:2222 proxy\ntelnet_listen 2323\t "
	    "proxy  # balanced\nproxy_from 10.0.0.0/8\t::ffff:192.0.2.1 "
	    "2001:db8::/32 \n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_string_equal(c->listen[0].name, "ssh 127.0.0.1:2222 proxy");
	assert_true(c->listen[0].proxy);
	assert_int_equal(count_listen(c, PROTO_TELNET), 2);
	assert_true(c->listen[1].proxy && c->listen[2].proxy);
	assert_int_equal(c->nproxy_from, 3);
	assert_string_equal(c->proxy_from[1].text, "192.0.2.1");
	dump = config_dump(c);
	assert_non_null(strstr(dump, "\nssh_listen 127.0.0.1:2222 proxy\n"));
	assert_non_null(strstr(dump, "\nproxy_from 10.0.0.0/8 192.0.2.1 "
	    "2001:db8::/32\n"));
	d = config_dup(c);
	assert_int_equal(d->nproxy_from, 3);
	assert_true(d->proxy_from != c->proxy_from);
	config_free(d);
	free(dump);
	/* The command line may mark one too; "none" empties proxy_from. */
	assert_int_equal(config_set(c, "telnet_listen", "127.0.0.1:9 proxy",
	    &cause), 0);
	assert_int_equal(config_set(c, "proxy_from", "none", &cause), 0);
	assert_int_equal(c->nproxy_from, 0);
	assert_int_equal(config_finish(c, &cause), -1);
	assert_string_equal(cause, "ssh 127.0.0.1:2222 proxy: a listener "
	    "marked proxy needs proxy_from, the balancers allowed to send the "
	    "header");
	free(cause);
	config_free(c);

	c = parse("telnet_listen 2323\n", &cause);
	assert_false(c->listen[0].proxy);
	config_free(c);
	expect_error("telnet_listen 2323 proxi\n", "t.conf:1: telnet_listen "
	    "2323 proxi: expected \"proxy\" or nothing after the address");
	expect_error("telnet_listen 2323 proxy proxy\n", "t.conf:1: "
	    "telnet_listen 2323 proxy proxy: expected \"proxy\" or nothing "
	    "after the address");
	expect_error("proxy_from 10.0.0.1 SHA256:"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "t.conf:1: "
	    "proxy_from: SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA is "
	    "a key, not an address");
	expect_error("proxy_from 10.0.0.300\n", "t.conf:1: proxy_from: "
	    "10.0.0.300: not an IPv4 address (each part must be 0 to 255)");
	expect_error("telnet_listen 2323 proxy\n", "telnet 0.0.0.0:2323 "
	    "proxy: a listener marked proxy needs proxy_from, the balancers "
	    "allowed to send the header");
}

/* Two listeners on one address and port are refused, whatever the protocol. */
static void
test_same_address(void **state)
{
	struct config	*c;
	char		*cause;

	(void)state;
	expect_error("telnet_listen 127.0.0.1:2222\nssh_listen "
	    "127.0.0.1:2222\n", "telnet 127.0.0.1:2222 and ssh "
	    "127.0.0.1:2222: one address and port for two listeners");
	expect_error("telnet_listen [::1]:2323\ntelnet_listen [::1]:2323\n",
	    "telnet [::1]:2323 and telnet [::1]:2323: one address and port "
	    "for two listeners");
	/* Another address, or another port, is another listener. */
	c = parse("telnet_listen 127.0.0.1:2222\nssh_listen 127.0.0.2:2222\n"
	    "telnet_listen [::1]:2222\n", &cause);
	assert_non_null(c);
	config_free(c);
	c = parse("telnet_listen 127.0.0.1:2323\nssh_listen 127.0.0.1:2222\n",
	    &cause);
	assert_non_null(c);
	config_free(c);
}

/* The command line replaces the file's listeners and overrides values. */
static void
test_set(void **state)
{
	struct config	*c;
	char		*cause;

	(void)state;
	c = parse("telnet_listen 2323\nmax_sessions 5\n", &cause);
	assert_non_null(c);
	assert_int_equal(config_set(c, "telnet_listen", "none", &cause), 0);
	assert_int_equal(config_set(c, "telnet_listen", "127.0.0.1:9",
	    &cause), 0);
	assert_int_equal(config_set(c, "max_sessions", "7", &cause), 0);
	assert_int_equal(count_listen(c, PROTO_TELNET), 1);
	assert_int_equal(c->max_sessions, 7);
	assert_int_equal(config_set(c, "workers", "99", &cause), -1);
	assert_string_equal(cause, "workers: 99 is out of range (0 to 64)");
	free(cause);
	assert_int_equal(config_set(c, "nope", "1", &cause), -1);
	free(cause);
	config_free(c);
}

/* What -T prints parses back to the same configuration. */
static void
test_dump_round_trip(void **state)
{
	struct config	*c, *d;
	char		*cause, *a, *b;

	(void)state;
	c = parse("telnet_listen 127.0.0.1:2323\nmax_sessions 77\n"
	    "escape_timeout 1500ms\nidle_chat 90s\nflood_line_rate 2.5\n"
	    "output_queue_max 5000\nuser daemon\nmetrics_listen [::1]:9\n",
	    &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	a = config_dump(c);
	assert_non_null(strstr(a, "escape_timeout 1500ms\n"));
	assert_non_null(strstr(a, "idle_chat 90s\n"));
	assert_non_null(strstr(a, "output_queue_max 5000\n"));
	assert_non_null(strstr(a, "metrics_listen [::1]:9\n"));
	assert_non_null(strstr(a, "rules_file none\n"));
	d = parse(a, &cause);
	if (d == NULL)
		fail_msg("%s\n%s", cause, a);
	b = config_dump(d);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(d);

	/* And a copy is the same too. */
	d = config_dup(c);
	a = config_dump(c);
	b = config_dump(d);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_free(d);
	config_free(c);
}

/* mask(in) is want, and masking that again changes nothing. */
static void
check_mask(const char *in, const char *want)
{
	char	*a, *b;

	a = config_mask(in);
	b = config_mask(a);
	if (strcmp(a, want) != 0 || strcmp(b, a) != 0)
		fail_msg("%s: got \"%s\" then \"%s\", want \"%s\"", in, a, b,
		    want);
	free(a);
	free(b);
}

/* Passwords in store and cluster values never reach a dump or a log. */
static void
test_mask(void **state)
{
	struct config	*c;
	char		*cause, *a;

	(void)state;
	check_mask("postgresql://u:pw@h/db", "postgresql://u:********@h/db");
	check_mask("postgresql://u@h/db", "postgresql://u@h/db");
	check_mask("postgresql://h:5432/db", "postgresql://h:5432/db");
	check_mask("postgresql://h/db?user=u&password=pw&sslmode=require",
	    "postgresql://h/db?user=u&password=********&sslmode=require");
	check_mask("postgres://u:p:w@h/x@y", "postgres://u:********@y");
	check_mask("postgresql://u:p/w@h/db", "postgresql://u:********@h/db");
	check_mask("host=h password='p w\\' x' dbname=d",
	    "host=h password=******** dbname=d");
	check_mask("host=h mypassword=x", "host=h mypassword=x");
	/* What follows a closing quote goes with it (found by fuzz-config). */
	check_mask("h&password='a&password='b&c", "h&password=********&c");
	check_mask("host=h password='open", "host=h password=********");
	check_mask("posl://a@d&password=x/l:s:e://a@d&pass@",
	    "posl://a@d&password=********");
	check_mask("redis://:&password='x@h:6", "redis://:********@h:6");
	check_mask("redis://a:b@c@h:1", "redis://a:********@h:1");
	/* A Redis URL's only password is its user information's. */
	check_mask("redis://u&password='x,0,b:s@1:6",
	    "redis://u&password='x,0,b:********@1:6");
	check_mask("redis://h&password=x:6", "redis://h&password=x:6");
	check_mask("redis://h:6379", "redis://h:6379");
	check_mask("unix:/run/redis.sock", "unix:/run/redis.sock");
	check_mask("none", "none");
	check_mask("postgresql://?password=x:y@h",
	    "postgresql://?password=********");

	a = config_mask_in("invalid percent-encoded token: \"p%zz\"",
	    "postgresql://u:p%zz@h/db");
	assert_string_equal(a, "invalid percent-encoded token: \"********\"");
	free(a);
	/* libpq quotes a piece of a password it took for a port. */
	a = config_mask_in("invalid integer value \"s3\" for connection "
	    "option \"port\"", "postgresql://u:s3/cret@h/db");
	assert_string_equal(a, "invalid integer value \"********\" for "
	    "connection option \"port\"");
	free(a);
	/* A password that is part of the mask does not loop. */
	a = config_mask_in("a * b", "redis://u:*@h:1");
	assert_string_equal(a, "a ******** b");
	free(a);

	c = parse("store postgresql://u:s3cret@h/db\n"
	    "cluster redis://u:r3d@h:1\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	a = config_dump(c);
	assert_null(strstr(a, "s3cret"));
	assert_null(strstr(a, "r3d"));
	assert_non_null(strstr(a, "store postgresql://u:********@h/db\n"));
	assert_non_null(strstr(a, "cluster redis://u:********@h:1\n"));
	free(a);
	config_free(c);
}

/* A reload names what needs a restart and keeps its running value. */
static void
test_fixed(void **state)
{
	struct config	*old, *new;
	char		*cause, *fixed;

	(void)state;
	old = parse("workers 2\ntelnet_listen 2323\nmax_sessions 5\n", &cause);
	new = parse("workers 3\ntelnet_listen 2324\nmax_sessions 1\n", &cause);
	assert_non_null(old);
	assert_non_null(new);
	fixed = config_fixed(old, new);
	assert_non_null(fixed);
	assert_string_equal(fixed, "workers, telnet_listen");
	free(fixed);
	config_keep_fixed(new, old);
	assert_int_equal(new->workers, 2);
	assert_int_equal(new->max_sessions, 1);
	assert_null(config_fixed(old, new));
	config_free(old);
	config_free(new);
}

/* Every keyword's default is in range and dumps as itself. */
static void
test_every_default(void **state)
{
	struct config	*c = config_new(), *d;
	char		*a, *line, *p, *cause;

	(void)state;
	a = config_dump(c);
	/* Each line alone is a valid configuration. */
	for (line = a; (p = strchr(line, '\n')) != NULL; line = p + 1) {
		*p = '\0';
		d = config_new();
		if (config_parse(d, "t.conf", line, strlen(line), &cause) != 0)
			fail_msg("%s", cause);
		config_free(d);
	}
	free(a);
	config_free(c);
}

/*
 * cluster: the two URL forms, with and without a password; node_name;
 * cluster_fallback.
 */
static void
test_cluster(void **state)
{
	struct cluster_url	 u;
	struct config		*c;
	char			*cause;
	const char		*bad[] = { "redis://", "redis://host",
	    "redis://host:0", "redis://host:70000", "redis://:6379",
	    "redis://user@host:6379", "redis://u:@host:1", "unix:relative",
	    "http://host:6379", "redis://host:6379/0" };
	size_t			 i;

	(void)state;
	c = parse("cluster redis://u:p:w@10.0.0.1:6379\nnode_name a-1.b_2\n",
	    &cause);
	assert_non_null(c);
	assert_int_equal(cluster_url_parse(c->cluster, &u, &cause), 0);
	assert_string_equal(u.host, "10.0.0.1");
	assert_int_equal(u.port, 6379);
	assert_string_equal(u.user, "u");
	assert_string_equal(u.password, "p:w");
	cluster_url_clear(&u);
	assert_string_equal(c->node_name, "a-1.b_2");
	assert_string_equal(c->cluster_fallback, "local");
	config_free(c);
	c = parse("cluster_fallback wait\n", &cause);
	assert_non_null(c);
	assert_string_equal(c->cluster_fallback, "wait");
	config_free(c);
	assert_int_equal(cluster_url_parse("redis://:secret@[::1]:7000", &u,
	    &cause), 0);
	assert_null(u.user);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.password, "secret");
	cluster_url_clear(&u);
	assert_int_equal(cluster_url_parse("unix:/run/redis.sock", &u,
	    &cause), 0);
	assert_string_equal(u.path, "/run/redis.sock");
	cluster_url_clear(&u);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (cluster_url_parse(bad[i], &u, &cause) == 0)
			fail_msg("accepted %s", bad[i]);
		free(cause);
	}
	expect_error("cluster redis://host\n", "cluster: not "
	    "redis://[user:password@]HOST:PORT or unix:/PATH");
	expect_error("node_name a/b\n", "node_name a/b: 1 to 63 letters, "
	    "digits, \".\", \"-\" or \"_\"");
	expect_error("cluster_fallback pair\n", "cluster_fallback pair: "
	    "local or wait");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_same_address),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_every_default),
		cmocka_unit_test(test_cluster),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
