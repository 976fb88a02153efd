/*
 * Unit tests for match-pool.c: adding, removing and counting, who may be
 * picked, how evenly, and the hash table under many entries and under a
 * long random run checked against a plain array.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

/* A test's own random numbers (xorshift64). */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

/* A realistic handle: worker, slot and generation. */
static uint64_t
handle(u_int i)
{
	return (HANDLE_MAKE(i % 4, i, i * 7 + 1));
}

/* Add, update, remove and count; free takes NULL. */
static void
test_basic(void **state)
{
	struct match_pool	*mp;
	uint64_t		 p;

	(void)state;
	match_pool_free(NULL);
	mp = match_pool_new(1);
	assert_int_equal(match_pool_count(mp), 0);
	assert_int_equal(match_pool_pick(mp, 1, 0, &p), -1);
	assert_int_equal(match_pool_remove(mp, 1), -1);

	match_pool_add(mp, 1, 0);
	match_pool_add(mp, 2, 0);
	match_pool_add(mp, 3, 0);
	assert_int_equal(match_pool_count(mp), 3);
	match_pool_add(mp, 2, 0);
	assert_int_equal(match_pool_count(mp), 3);
	assert_int_equal(match_pool_remove(mp, 2), 0);
	assert_int_equal(match_pool_remove(mp, 2), -1);
	assert_int_equal(match_pool_count(mp), 2);
	assert_int_equal(match_pool_remove(mp, 1), 0);
	assert_int_equal(match_pool_remove(mp, 3), 0);
	assert_int_equal(match_pool_count(mp), 0);
	match_pool_free(mp);
}

/* Pick never returns the requester or anyone it just parted from. */
static void
test_exclusions(void **state)
{
	struct match_pool	*mp;
	uint64_t		 p;
	int			 i;

	(void)state;
	mp = match_pool_new(2);

	/* Only the requester waits (a second tab, say). */
	match_pool_add(mp, 10, 0);
	assert_int_equal(match_pool_pick(mp, 10, 0, &p), -1);
	assert_int_equal(match_pool_count(mp), 1);

	/* 11 just left 10: neither direction may pair them. */
	match_pool_add(mp, 11, 10);
	assert_int_equal(match_pool_pick(mp, 10, 11, &p), -1);
	assert_int_equal(match_pool_pick(mp, 10, 0, &p), -1);
	assert_int_equal(match_pool_pick(mp, 12, 11, &p), 0);
	assert_int_equal(p, 10);
	assert_int_equal(match_pool_count(mp), 1);

	/* Updating last through add changes who 11 may meet. */
	match_pool_add(mp, 11, 0);
	assert_int_equal(match_pool_pick(mp, 10, 0, &p), 0);
	assert_int_equal(p, 11);
	assert_int_equal(match_pool_count(mp), 0);

	/* With one fit among several, it is always the one. */
	for (i = 0; i < 200; i++) {
		match_pool_add(mp, 1, 0);	/* requester itself */
		match_pool_add(mp, 2, 0);	/* requester's last partner */
		match_pool_add(mp, 3, 1);	/* parted from requester */
		match_pool_add(mp, 4, 9);
		assert_int_equal(match_pool_pick(mp, 1, 2, &p), 0);
		assert_int_equal(p, 4);
		assert_int_equal(match_pool_pick(mp, 1, 2, &p), -1);
		assert_int_equal(match_pool_count(mp), 3);
		match_pool_remove(mp, 1);
		match_pool_remove(mp, 2);
		match_pool_remove(mp, 3);
	}
	match_pool_free(mp);
}

/* Pearson's statistic for counts against an even spread. */
static double
chi_square(const u_int *counts, u_int n, u_int total)
{
	double	e = (double)total / n, d, chi = 0;
	u_int	i;

	for (i = 0; i < n; i++) {
		d = counts[i] - e;
		chi += d * d / e;
	}
	return (chi);
}

/* Picks from a pool of five are even (loose chi-square bound). */
static void
test_uniform_small(void **state)
{
	struct match_pool	*mp;
	u_int			 counts[5] = { 0 }, i, total = 50000;
	uint64_t		 p;
	double			 chi;

	(void)state;
	mp = match_pool_new(3);
	for (i = 0; i < 5; i++)
		match_pool_add(mp, i + 1, 0);
	/* Two more that are never eligible. */
	match_pool_add(mp, 100, 0);
	match_pool_add(mp, 200, 100);
	for (i = 0; i < total; i++) {
		assert_int_equal(match_pool_pick(mp, 100, 0, &p), 0);
		assert_true(p >= 1 && p <= 5);
		counts[p - 1]++;
		match_pool_add(mp, p, 0);
	}
	chi = chi_square(counts, 5, total);
	/* 4 degrees of freedom: p < 0.0001 beyond 23.5. */
	assert_true(chi < 23.5);
	match_pool_free(mp);
}

/* Picks from a pool above the exact-count size are even too. */
static void
test_uniform_large(void **state)
{
	struct match_pool	*mp;
	u_int			 counts[50] = { 0 }, i, total = 200000;
	uint64_t		 p;
	double			 chi;

	(void)state;
	mp = match_pool_new(4);
	for (i = 0; i < 50; i++)
		match_pool_add(mp, i + 1, 0);
	match_pool_add(mp, 1000, 7);	/* requester, waiting too */
	match_pool_add(mp, 2000, 1000);	/* parted from the requester */
	for (i = 0; i < total; i++) {
		assert_int_equal(match_pool_pick(mp, 1000, 7, &p), 0);
		assert_true(p >= 1 && p <= 50 && p != 7);
		counts[p - 1]++;
		match_pool_add(mp, p, 0);
	}
	assert_int_equal(counts[6], 0);
	counts[6] = counts[49];
	chi = chi_square(counts, 49, total);
	/* 48 degrees of freedom: p < 0.0001 beyond 94. */
	assert_true(chi < 94);
	match_pool_free(mp);
}

/* Most of the pool ineligible: the scan still finds the few that fit. */
static void
test_mostly_ineligible(void **state)
{
	struct match_pool	*mp;
	uint64_t		 p;
	u_int			 i;

	(void)state;
	mp = match_pool_new(5);
	for (i = 1; i <= 1000; i++)
		match_pool_add(mp, i, 5000);
	match_pool_add(mp, 4242, 0);
	assert_int_equal(match_pool_pick(mp, 5000, 0, &p), 0);
	assert_int_equal(p, 4242);
	assert_int_equal(match_pool_pick(mp, 5000, 0, &p), -1);
	assert_int_equal(match_pool_count(mp), 1000);
	match_pool_free(mp);
}

/* 50,000 waiting: add, remove half, then pick everyone exactly once. */
static void
test_many(void **state)
{
	struct match_pool	*mp;
	uint8_t			*seen;
	uint64_t		 p, requester = HANDLE_MAKE(255, 0, 1);
	u_int			 i, n = 50000, picked = 0;

	(void)state;
	mp = match_pool_new(6);
	seen = calloc(n, 1);
	assert_non_null(seen);
	for (i = 0; i < n; i++)
		match_pool_add(mp, handle(i), handle((i + 1) % n));
	assert_int_equal(match_pool_count(mp), n);
	for (i = 0; i < n; i += 2)
		assert_int_equal(match_pool_remove(mp, handle(i)), 0);
	assert_int_equal(match_pool_count(mp), n / 2);
	for (i = 0; i < n; i += 2)
		assert_int_equal(match_pool_remove(mp, handle(i)), -1);

	while (match_pool_pick(mp, requester, HANDLE_NONE, &p) == 0) {
		i = HANDLE_SLOT(p);
		assert_true(i < n && i % 2 == 1);
		assert_int_equal(p, handle(i));
		assert_false(seen[i]);
		seen[i] = 1;
		picked++;
	}
	assert_int_equal(picked, n / 2);
	assert_int_equal(match_pool_count(mp), 0);
	free(seen);
	match_pool_free(mp);
}

/* A long random run of every operation agrees with a plain array. */
static void
test_model(void **state)
{
	struct match_pool	*mp;
	uint64_t		 model[512], x = 88172645463325252ULL, h, p, l;
	uint8_t			 in[512];
	u_int			 i, k, n = 0;

	(void)state;
	memset(in, 0, sizeof in);
	memset(model, 0, sizeof model);
	mp = match_pool_new(7);
	for (i = 0; i < 200000; i++) {
		k = rnd(&x) % 512;
		h = k + 1;
		switch (rnd(&x) % 4) {
		case 0:
		case 1:
			l = rnd(&x) % 4 == 0 ? rnd(&x) % 512 + 1 : 0;
			match_pool_add(mp, h, l);
			if (!in[k])
				n++;
			in[k] = 1;
			model[k] = l;
			break;
		case 2:
			assert_int_equal(match_pool_remove(mp, h),
			    in[k] ? 0 : -1);
			if (in[k])
				n--;
			in[k] = 0;
			break;
		case 3:
			l = rnd(&x) % 512 + 1;
			if (match_pool_pick(mp, h, l, &p) == 0) {
				assert_true(p >= 1 && p <= 512);
				assert_true(in[p - 1]);
				assert_true(p != h && p != l);
				assert_true(model[p - 1] != h);
				in[p - 1] = 0;
				n--;
			} else {
				for (k = 0; k < 512; k++) {
					if (in[k] && k + 1 != h &&
					    k + 1 != l && model[k] != h)
						fail_msg("missed %u", k + 1);
				}
			}
			break;
		}
		assert_int_equal(match_pool_count(mp), n);
	}
	match_pool_free(mp);
}

/* A request with an identity and interests, strict until until. */
static struct match_want
want(uint64_t h, uint64_t ident, const char *interests, uint64_t until)
{
	struct match_want	w;

	memset(&w, 0, sizeof w);
	w.handle = h;
	w.ident = ident;
	w.interests = (char *)interests;
	w.strict_until = until;
	return (w);
}

/*
 * Pop empties the pool one request at a time, each handed over once
 * with its interests, and the pool still works after.
 */
static void
test_pop(void **state)
{
	struct match_pool	*mp;
	struct match_want	 w;
	uint64_t		 p;
	u_int			 i, seen = 0, n = 100;

	(void)state;
	mp = match_pool_new(5);
	assert_int_equal(match_pool_pop(mp, &w), -1);
	for (i = 1; i <= n; i++) {
		w = want(handle(i), i, i == 7 ? "chess" : NULL, 0);
		match_pool_want(mp, &w);
	}
	while (match_pool_pop(mp, &w) == 0) {
		for (i = 1; i <= n; i++)
			if (w.handle == handle(i))
				break;
		assert_true(i <= n);
		assert_false(i == 7 && seen);
		if (i == 7) {
			assert_string_equal(w.interests, "chess");
			seen = 1;
		} else
			assert_null(w.interests);
		free(w.interests);
		assert_int_equal(match_pool_remove(mp, w.handle), -1);
		n--;
		assert_int_equal(match_pool_count(mp), n);
	}
	assert_int_equal(n, 0);
	assert_true(seen);
	match_pool_add(mp, 1, 0);
	match_pool_add(mp, 2, 0);
	assert_int_equal(match_pool_pick(mp, 1, 0, &p), 0);
	assert_int_equal(p, 2);
	match_pool_free(mp);
}

/* A shared interest comes first, and says which. */
static void
test_interests_shared(void **state)
{
	struct match_pool	*mp;
	struct match_want	 r, p;
	char			*shared;
	u_int			 k;

	(void)state;
	for (k = 0; k < 50; k++) {
		mp = match_pool_new(k);
		r = want(1, 0, NULL, 0);
		match_pool_want(mp, &r);
		r = want(2, 0, "art,chess", 1000);
		match_pool_want(mp, &r);
		r = want(3, 0, NULL, 0);
		match_pool_want(mp, &r);
		r = want(9, 0, "music,chess", 1000);
		assert_int_equal(match_pool_match(mp, &r, 10, &p, &shared), 0);
		assert_true(p.handle == 2);
		assert_string_equal(shared, "chess");
		free(shared);
		free(p.interests);
		match_pool_free(mp);
	}
}

/*
 * Strict requests meet only a shared interest until their time is up;
 * then match_pool_due hands them back and anyone will do.
 */
static void
test_interests_fallback(void **state)
{
	struct match_pool	*mp;
	struct match_want	 r, p;
	char			*shared;

	(void)state;
	mp = match_pool_new(7);
	r = want(1, 0, "chess", 1000);
	match_pool_want(mp, &r);
	assert_true(match_pool_next_due(mp) == 1000);
	/* Someone with no interests does not take a strict one. */
	r = want(2, 0, NULL, 0);
	assert_int_equal(match_pool_match(mp, &r, 10, &p, &shared), -1);
	match_pool_want(mp, &r);
	/* A strict newcomer with other interests waits too. */
	r = want(3, 0, "music", 1500);
	assert_int_equal(match_pool_match(mp, &r, 20, &p, &shared), -1);
	match_pool_want(mp, &r);
	assert_int_equal(match_pool_count(mp), 3);
	assert_int_equal(match_pool_due(mp, 999, &p), -1);
	/* At 1000, 1 is due: it may now meet 2 (not 3, still strict). */
	assert_int_equal(match_pool_due(mp, 1000, &p), 0);
	assert_true(p.handle == 1);
	assert_string_equal(p.interests, "chess");
	p.strict_until = 0;
	r = p;
	assert_int_equal(match_pool_match(mp, &r, 1000, &p, &shared), 0);
	assert_true(p.handle == 2);
	assert_null(shared);
	free(r.interests);
	free(p.interests);
	assert_int_equal(match_pool_count(mp), 1);
	/* A request asked again replaces its deadline: the old is stale. */
	r = want(3, 0, "music", 5000);
	match_pool_want(mp, &r);
	assert_int_equal(match_pool_due(mp, 2000, &p), -1);
	assert_int_equal(match_pool_count(mp), 1);
	match_pool_free(mp);
}

/* The only other one waiting is the one just left: say who, else not. */
static void
test_only_last(void **state)
{
	struct match_pool	*mp;
	struct match_want	 a, b, c;
	uint64_t		 other = 0;

	(void)state;
	mp = match_pool_new(5);
	a = want(1, 100, NULL, 0);
	a.last = 2;
	match_pool_want(mp, &a);
	assert_int_equal(match_pool_only_last(mp, &a, 10, &other), -1);
	b = want(2, 200, NULL, 0);
	b.last = 1;
	match_pool_want(mp, &b);
	assert_int_equal(match_pool_only_last(mp, &b, 10, &other), 0);
	assert_true(other == 1);
	/* One of them asked to meet again: still only each other. */
	b.last = HANDLE_NONE;
	assert_int_equal(match_pool_only_last(mp, &b, 10, &other), 0);
	/* A third: someone is coming. */
	c = want(3, 300, NULL, 0);
	match_pool_want(mp, &c);
	assert_int_equal(match_pool_only_last(mp, &b, 10, &other), -1);
	assert_int_equal(match_pool_remove(mp, 3), 0);
	/* Blocked: they will not meet, so nothing to offer. */
	match_pool_block(mp, &a, &b, 5000);
	assert_int_equal(match_pool_only_last(mp, &b, 10, &other), -1);
	match_pool_free(mp);
}

/* Blocked pairs never meet until the block ends, whatever the handle. */
static void
test_blocks(void **state)
{
	struct match_pool	*mp;
	struct match_want	 a, b, c, p;
	char			*shared;
	u_int			 k;

	(void)state;
	mp = match_pool_new(3);
	a = want(1, 100, NULL, 0);
	b = want(2, 200, NULL, 0);
	match_pool_block(mp, &a, &b, 5000);
	/* b comes back as a new session (handle 7), same identity. */
	b = want(7, 200, NULL, 0);
	match_pool_want(mp, &b);
	for (k = 0; k < 20; k++)
		assert_int_equal(match_pool_match(mp, &a, 10, &p, &shared),
		    -1);
	/* A third visitor can meet either. */
	c = want(3, 300, NULL, 0);
	assert_int_equal(match_pool_match(mp, &c, 10, &p, &shared), 0);
	assert_true(p.handle == 7);
	/* After the block ends they may meet. */
	match_pool_want(mp, &b);
	assert_int_equal(match_pool_expire(mp, 5000), 0);
	assert_int_equal(match_pool_match(mp, &a, 5000, &p, &shared), 0);
	assert_true(p.handle == 7);

	/* Same identity (one address): only those two sessions are kept
	 * apart, not everyone behind it. */
	a = want(11, 500, NULL, 0);
	b = want(12, 500, NULL, 0);
	match_pool_block(mp, &a, &b, 9000);
	match_pool_want(mp, &b);
	assert_int_equal(match_pool_match(mp, &a, 10, &p, &shared), -1);
	c = want(13, 500, NULL, 0);
	assert_int_equal(match_pool_match(mp, &c, 10, &p, &shared), 0);
	assert_true(p.handle == 12);
	match_pool_free(mp);
}

/* The block set is bounded: past its size the oldest go first. */
static void
test_blocks_bounded(void **state)
{
	struct match_pool	*mp;
	struct match_want	 a, b, p;
	char			*shared;
	u_int			 i;

	(void)state;
	mp = match_pool_new(5);
	for (i = 0; i < 100000; i++) {
		a = want(1000000 + i, 1000000 + i, NULL, 0);
		b = want(3000000 + i, 3000000 + i, NULL, 0);
		match_pool_block(mp, &a, &b, 1ULL << 40);
	}
	assert_true(match_pool_expire(mp, 0) <= 100000);
	assert_true(match_pool_expire(mp, 0) >= 1000);
	/* The newest is still blocked, the first long forgotten. */
	a = want(1000000 + 99999, 1000000 + 99999, NULL, 0);
	b = want(3000000 + 99999, 3000000 + 99999, NULL, 0);
	match_pool_want(mp, &b);
	assert_int_equal(match_pool_match(mp, &a, 0, &p, &shared), -1);
	match_pool_remove(mp, b.handle);
	a = want(1000000, 1000000, NULL, 0);
	b = want(3000000, 3000000, NULL, 0);
	match_pool_want(mp, &b);
	assert_int_equal(match_pool_match(mp, &a, 0, &p, &shared), 0);
	match_pool_free(mp);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_pop),
		cmocka_unit_test(test_exclusions),
		cmocka_unit_test(test_uniform_small),
		cmocka_unit_test(test_uniform_large),
		cmocka_unit_test(test_mostly_ineligible),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_interests_shared),
		cmocka_unit_test(test_interests_fallback),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_only_last),
		cmocka_unit_test(test_blocks_bounded),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
