/* Unit tests for ban.c: targets, durations, matching, list lifetime. */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

#define FP_A "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
#define FP_B "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"

static struct sockaddr_storage
sa_of(const char *text)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	return (ss);
}

static void
parse_ok(const char *in, enum ban_kind kind, const char *canon)
{
	struct ban_target	 t;
	char			*cause = NULL;

	if (ban_parse(in, &t, &cause) != 0)
		fail_msg("%s: %s", in, cause);
	assert_int_equal(t.kind, kind);
	assert_string_equal(t.text, canon);
}

static void
parse_bad(const char *in, const char *want)
{
	struct ban_target	 t;
	char			*cause = NULL;

	assert_int_equal(ban_parse(in, &t, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("%s: cause %s lacks %s", in, cause, want);
	/* One line, for strangerctl's one-line error. */
	assert_null(strchr(cause, '\n'));
	free(cause);
}

static void
test_parse_targets(void **state)
{
	(void)state;
	parse_ok("192.0.2.7", BAN_ADDR, "192.0.2.7");
	parse_ok("10.1.2.3/8", BAN_CIDR, "10.0.0.0/8");
	parse_ok("192.0.2.7/32", BAN_ADDR, "192.0.2.7");
	parse_ok("0.0.0.0/0", BAN_CIDR, "0.0.0.0/0");
	parse_ok("2001:DB8::1", BAN_ADDR, "2001:db8::1");
	parse_ok("2001:db8:1:2:3:4:5:6/64", BAN_CIDR, "2001:db8:1:2::/64");
	parse_ok("2001:db8::1/128", BAN_ADDR, "2001:db8::1");
	parse_ok("2001:db8::/33", BAN_CIDR, "2001:db8::/33");
	parse_ok(FP_A, BAN_KEY, FP_A);
	/* IPv4-mapped IPv6 is IPv4, as a visitor's address is. */
	parse_ok("::ffff:192.0.2.7", BAN_ADDR, "192.0.2.7");
	parse_ok("::FFFF:c000:0207", BAN_ADDR, "192.0.2.7");
	parse_ok("::ffff:192.0.2.7/128", BAN_ADDR, "192.0.2.7");
	parse_ok("::ffff:10.1.2.3/104", BAN_CIDR, "10.0.0.0/8");
	parse_ok("::ffff:0:0/96", BAN_CIDR, "0.0.0.0/0");
	/* Shorter than /96 reaches past the mapped block: stays IPv6. */
	parse_ok("::ffff:10.1.2.3/80", BAN_CIDR, "::/80");
	parse_ok("::192.0.2.7", BAN_ADDR, "::192.0.2.7");
}

static void
test_parse_errors(void **state)
{
	(void)state;
	parse_bad("999.1.1.1", "0 to 255");
	parse_bad("1.2.3", "not an IPv4 address");
	parse_bad("1.2.3.4.5", "not an IPv4 address");
	parse_bad("1.2.3.4/33", "too long for IPv4");
	parse_bad("2001:db8::/129", "too long for IPv6");
	parse_bad("1.2.3.4/", "bad prefix");
	parse_bad("1.2.3.4/x", "bad prefix");
	parse_bad("1.2.3.4/-1", "bad prefix");
	parse_bad("/129", "not an address");
	parse_bad("2001:db8:::1", "not an IPv6 address");
	parse_bad("example.org", "not an address");
	parse_bad("", "empty");
	parse_bad("SHA256:short", "not a key fingerprint");
	parse_bad(FP_A "x", "not a key fingerprint");
	parse_bad("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF!",
	    "not a key fingerprint");
	parse_bad("sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
	    "not an address");
	parse_bad("1.2.3.4 ", "not an IPv4");
	parse_bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa", "not an address");
}

static void
test_durations(void **state)
{
	time_t	 t;
	char	*cause = NULL, buf[32];

	(void)state;
	assert_int_equal(ban_parse_duration("30m", &t, &cause), 0);
	assert_int_equal(t, 1800);
	assert_int_equal(ban_parse_duration("2h", &t, &cause), 0);
	assert_int_equal(t, 7200);
	assert_int_equal(ban_parse_duration("7d", &t, &cause), 0);
	assert_int_equal(t, 7 * 86400);
	assert_int_equal(ban_parse_duration("1d12h", &t, &cause), 0);
	assert_int_equal(t, 86400 + 12 * 3600);
	assert_int_equal(ban_parse_duration("45s", &t, &cause), 0);
	assert_int_equal(t, 45);
	assert_int_equal(ban_parse_duration("2w", &t, &cause), 0);
	assert_int_equal(t, 14 * 86400);
	assert_int_equal(ban_parse_duration("", &t, &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("30", &t, &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("0m", &t, &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("m", &t, &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("5y", &t, &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("-5m", &t, &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("99999999999999999999d", &t,
	    &cause), -1);
	free(cause);
	assert_int_equal(ban_parse_duration("5000w", &t, &cause), -1);
	free(cause);

	ban_format_duration(1800, buf, sizeof buf);
	assert_string_equal(buf, "30m");
	ban_format_duration(86400 + 3 * 3600 + 5, buf, sizeof buf);
	assert_string_equal(buf, "1d3h");
	ban_format_duration(59, buf, sizeof buf);
	assert_string_equal(buf, "59s");
	ban_format_duration(0, buf, sizeof buf);
	assert_string_equal(buf, "0s");
}

static void
add_ban(struct ban *b, const char *target, time_t expires, const char *why)
{
	char	*cause = NULL;

	memset(b, 0, sizeof *b);
	if (ban_parse(target, &b->target, &cause) != 0)
		fail_msg("%s: %s", target, cause);
	b->reason = xstrdup(why);
	b->who = xstrdup("test");
	b->created = 1000;
	b->expires = expires;
}

static void
test_matching(void **state)
{
	struct ban		*bans, mapped;
	struct banlist		*bl;
	struct sockaddr_storage	 ss;
	const struct ban	*b;
	char			*why = NULL;

	(void)state;
	bans = xcalloc(5, sizeof *bans);
	add_ban(&bans[0], "192.0.2.7", 0, "spam");
	add_ban(&bans[1], "10.0.0.0/8", 5000, "");
	add_ban(&bans[2], "2001:db8:1:2::/64", 0, "abuse");
	add_ban(&bans[3], FP_A, 0, "threats");
	add_ban(&bans[4], "203.0.113.9", 2000, "expired");
	bl = banlist_new(bans, 5);

	ss = sa_of("192.0.2.7");
	b = banlist_match_addr(bl, (struct sockaddr *)&ss, 3000);
	assert_non_null(b);
	assert_string_equal(b->reason, "spam");
	ss = sa_of("192.0.2.8");
	assert_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 3000));

	/* A block applies until it expires, and not a second later. */
	ss = sa_of("10.200.3.4");
	assert_non_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 4999));
	assert_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 5000));
	ss = sa_of("11.0.0.1");
	assert_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 3000));

	/* The /64 covers the whole block, not its neighbour. */
	ss = sa_of("2001:db8:1:2:ffff:ffff:ffff:ffff");
	assert_non_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 3000));
	ss = sa_of("2001:db8:1:3::1");
	assert_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 3000));

	/* IPv4-mapped IPv6 is the IPv4 address. */
	ss = sa_of("::ffff:192.0.2.7");
	assert_non_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 3000));

	/* And a mapped target is the IPv4 target, whoever connects. */
	add_ban(&mapped, "::ffff:198.51.100.9", 0, "mapped");
	ss = sa_of("198.51.100.9");
	assert_true(ban_target_match(&mapped.target, (struct sockaddr *)&ss));
	ss = sa_of("::ffff:198.51.100.9");
	assert_true(ban_target_match(&mapped.target, (struct sockaddr *)&ss));
	ss = sa_of("198.51.100.10");
	assert_false(ban_target_match(&mapped.target, (struct sockaddr *)&ss));
	free(mapped.reason);
	free(mapped.who);

	/* Expired: no longer applies. */
	ss = sa_of("203.0.113.9");
	assert_non_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 1999));
	assert_null(banlist_match_addr(bl, (struct sockaddr *)&ss, 2000));

	/* Keys. */
	assert_non_null(banlist_match_key(bl, FP_A, 3000));
	assert_null(banlist_match_key(bl, FP_B, 3000));
	assert_null(banlist_match_key(bl, NULL, 3000));

	/* ban_check: by address or by key, with a line that says why. */
	ss = sa_of("198.51.100.1");
	assert_int_equal(ban_check(bl, (struct sockaddr *)&ss, NULL, 3000,
	    &why), 0);
	assert_int_equal(ban_check(bl, (struct sockaddr *)&ss, FP_A, 3000,
	    &why), 1);
	assert_non_null(strstr(why, "threats"));
	assert_non_null(strstr(why, "permanently"));
	free(why);
	ss = sa_of("10.0.0.1");
	assert_int_equal(ban_check(bl, (struct sockaddr *)&ss, NULL, 3000,
	    &why), 1);
	assert_non_null(strstr(why, "until 1970-01-01 01:23 UTC"));
	free(why);
	assert_int_equal(ban_check(NULL, (struct sockaddr *)&ss, FP_A, 3000,
	    NULL), 0);

	/* ban_target_match, as used to end live sessions. */
	ss = sa_of("10.9.9.9");
	assert_true(ban_target_match(&bans[1].target, (struct sockaddr *)&ss));
	assert_false(ban_target_match(&bans[3].target,
	    (struct sockaddr *)&ss));

	/* References: the list lives until the last holder lets go. */
	assert_ptr_equal(banlist_ref(bl), bl);
	banlist_unref(bl);
	assert_non_null(banlist_match_key(bl, FP_A, 3000));
	banlist_unref(bl);
	banlist_unref(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_targets),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_matching),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
