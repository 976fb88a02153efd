/*
 * Unit tests for limit.c: token buckets refill at their rate and cap at
 * their burst; the address table counts IPv4 addresses, IPv6 addresses
 * and their /64s, refuses over each limit, releases, and forgets idle
 * addresses without losing the busy ones.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

static const struct limit_conf conf = { 3, 5, 1.0, 4 };

/* An IPv4 or IPv6 socket address from text. */
static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
	}
	return (ss);
}

/* A bucket starts full, empties, refills at its rate, caps at burst. */
static void
test_bucket(void **state)
{
	struct bucket	b = { 0, 0 };
	int		i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(bucket_take(&b, 5, 10, 1, 1000), 0);
	assert_int_equal(bucket_take(&b, 5, 10, 1, 1000), -1);
	/* 200 ms at 5 a second is one token. */
	assert_int_equal(bucket_take(&b, 5, 10, 1, 1200), 0);
	assert_int_equal(bucket_take(&b, 5, 10, 1, 1200), -1);
	/* An hour later it holds the burst, not more. */
	for (i = 0; i < 10; i++)
		assert_int_equal(bucket_take(&b, 5, 10, 1, 3601200), 0);
	assert_int_equal(bucket_take(&b, 5, 10, 1, 3601200), -1);
	/* A cost above the burst never passes. */
	assert_int_equal(bucket_take(&b, 5, 10, 11, 7200000), -1);
	/* The clock going backwards does not add tokens. */
	assert_int_equal(bucket_take(&b, 5, 10, 10, 100), 0);
	assert_int_equal(bucket_take(&b, 5, 10, 1, 50), -1);
}

/* Concurrent connections per IPv4 address, and release. */
static void
test_per_addr(void **state)
{
	struct limit_table	*t = limit_table_new(100);
	struct sockaddr_storage	 a = addr("192.0.2.1"), b = addr("192.0.2.2");
	uint64_t		 now = 1000;

	(void)state;
	assert_null(limit_admit(t, (struct sockaddr *)&a, &conf, now));
	assert_null(limit_admit(t, (struct sockaddr *)&a, &conf, now));
	assert_null(limit_admit(t, (struct sockaddr *)&a, &conf, now));
	assert_non_null(limit_admit(t, (struct sockaddr *)&a, &conf, now));
	/* Another address is not affected. */
	assert_null(limit_admit(t, (struct sockaddr *)&b, &conf, now));
	limit_release(t, (struct sockaddr *)&a);
	assert_null(limit_admit(t, (struct sockaddr *)&a, &conf, now + 5000));
	limit_table_free(t);
}

/* The connection rate: a burst, then one a second. */
static void
test_rate(void **state)
{
	struct limit_table	*t = limit_table_new(100);
	struct sockaddr_storage	 a = addr("198.51.100.7");
	const char		*why;
	int			 i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_null(limit_admit(t, (struct sockaddr *)&a, &conf,
		    1000));
		limit_release(t, (struct sockaddr *)&a);
	}
	why = limit_admit(t, (struct sockaddr *)&a, &conf, 1000);
	assert_non_null(why);
	assert_non_null(strstr(why, "often"));
	assert_null(limit_admit(t, (struct sockaddr *)&a, &conf, 2000));
	limit_table_free(t);
}

/* IPv6: each address, and all of one /64 together. */
static void
test_net64(void **state)
{
	struct limit_table	*t = limit_table_new(100);
	struct sockaddr_storage	 ss;
	char			 text[64];
	const char		*why;
	int			 i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "2001:db8:1:2::%d", i + 1);
		ss = addr(text);
		assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf,
		    1000 + i * 10000));
	}
	ss = addr("2001:db8:1:2:ffff::1");
	why = limit_admit(t, (struct sockaddr *)&ss, &conf, 100000);
	assert_non_null(why);
	assert_non_null(strstr(why, "network"));
	/* The next /64 is free. */
	ss = addr("2001:db8:1:3::1");
	assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf, 100000));
	/* A v4-mapped address counts as its IPv4 address. */
	ss = addr("::ffff:192.0.2.9");
	assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf, 100000));
	limit_table_free(t);
}

/* The table is bounded; idle addresses are forgotten, busy ones kept. */
static void
test_sweep(void **state)
{
	struct limit_table	*t = limit_table_new(64);
	struct sockaddr_storage	 ss;
	char			 text[64];
	int			 i;

	(void)state;
	for (i = 0; i < 64; i++) {
		snprintf(text, sizeof text, "10.0.%d.%d", i / 256, i % 256);
		ss = addr(text);
		assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf,
		    1000));
		if (i % 2 == 0)
			limit_release(t, (struct sockaddr *)&ss);
	}
	assert_int_equal(limit_count(t), 64);
	/* Full of recent addresses: a new one is refused. */
	ss = addr("10.9.9.9");
	assert_non_null(limit_admit(t, (struct sockaddr *)&ss, &conf, 1000));
	/* Later, the released ones have full buckets and make room. */
	assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf, 60000));
	assert_int_equal(limit_count(t), 33);
	/* The busy ones are still counted. */
	for (i = 1; i < 64; i += 2) {
		snprintf(text, sizeof text, "10.0.%d.%d", i / 256, i % 256);
		ss = addr(text);
		assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf,
		    60000));
		assert_null(limit_admit(t, (struct sockaddr *)&ss, &conf,
		    60000));
		assert_non_null(limit_admit(t, (struct sockaddr *)&ss, &conf,
		    60000));
	}
	limit_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_per_addr),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_net64),
		cmocka_unit_test(test_sweep),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
