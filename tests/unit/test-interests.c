/*
 * Unit tests for interests.c: normalising what a visitor typed (case,
 * spaces, separators, repeats, length and count caps) and the helpers
 * the matchmaker uses.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

/* normalise(in) gives want with n interests. */
static void
check(const char *in, const char *want, u_int n)
{
	char	*out;
	u_int	 got;

	out = interests_normalise(in, &got, NULL);
	if (strcmp(out, want) != 0 || got != n)
		fail_msg("%s: got \"%s\" (%u), want \"%s\" (%u)", in, out, got,
		    want, n);
	free(out);
}

static void
test_normalise(void **state)
{
	(void)state;
	check("chess, music", "chess,music", 2);
	check("  Chess ,MUSIC,chess ", "chess,music", 2);
	check("chess music", "chess,music", 2);
	check("board   games, Chess", "board games,chess", 2);
	check(",,, ,", "", 0);
	check("", "", 0);
	check("a,b,c,d,e,f,g", "a,b,c,d,e", INTERESTS_MAX);
	check("abcdefghijklmnopqrstuvwxyz0123", "abcdefghijklmnopqrstuvwx",
	    1);
	check("Ümlaut, café", "ümlaut,café", 2);
	check("CAFÉ, Café, café", "café", 1);
	check("ΣΚΑΚΙ, Шахматы", "σκακι,шахматы", 2);
}

/* normalise(in) says what it cut. */
static void
check_cut(const char *in, int want)
{
	char	*out;
	int	 cut = -1;

	out = interests_normalise(in, NULL, &cut);
	if (cut != want)
		fail_msg("%s: cut %d, want %d", in, cut, want);
	free(out);
}

/*
 * Case beyond ASCII and canonical equivalence: a precomposed letter and
 * its base with a combining mark are one interest, in any case.
 */
static void
test_unicode(void **state)
{
	(void)state;
	check("CAFÉ, café, cafe\xcc\x81, CAFE\xcc\x81", "caf\xc3\xa9", 1);
	check("cafe\xcc\x81", "caf\xc3\xa9", 1);
	check("Straße, STRASSE", "strasse", 1);
	check("ΟΔΟΣ, οδος", "οδοσ", 1);
	/* Folding that grows ("ß" is "ss") is cut after it, to the cap. */
	check("ßßßßßßßßßßßßßßßßßßßß", "ssssssssssssssssssssssss", 1);
	check_cut("ßßßßßßßßßßßß", 0);
	check_cut("ßßßßßßßßßßßßß", INTERESTS_CUT_LONG);
	/* A cut never leaves a combining mark without its letter. */
	check("abcdefghijklmnopqrstuvwq\xcc\x81",
	    "abcdefghijklmnopqrstuvw", 1);
	check("abcdefghijklmnopqrstuvwxe\xcc\x81", "abcdefghijklmnopqrstuvwx",
	    1);
}

static void
test_cut(void **state)
{
	(void)state;
	check_cut("a,b,c,d,e", 0);
	check_cut("a,b,c,d,e,a, b", 0);		/* repeats are not cut */
	check_cut("a,b,c,d,e,f", INTERESTS_CUT_MANY);
	check_cut("abcdefghijklmnopqrstuvwx  ", 0);
	check_cut("abcdefghijklmnopqrstuvwxyz", INTERESTS_CUT_LONG);
	check_cut("abcdefghijklmnopqrstuvwxyz,b,c,d,e,f",
	    INTERESTS_CUT_LONG | INTERESTS_CUT_MANY);
}

/* Normalising twice changes nothing. */
static void
test_idempotent(void **state)
{
	const char	*in[] = { "Chess, music", "a b c", "x,,y , Z",
	    "cafe\xcc\x81, Straße", "ßßßßßßßßßßßßßßßßßßßß", NULL };
	char		*once, *twice;
	u_int		 i;

	(void)state;
	for (i = 0; in[i] != NULL; i++) {
		once = interests_normalise(in[i], NULL, NULL);
		twice = interests_normalise(once, NULL, NULL);
		assert_string_equal(once, twice);
		free(once);
		free(twice);
	}
}

static void
test_helpers(void **state)
{
	uint64_t	h[INTERESTS_MAX], g[INTERESTS_MAX];
	char		*item;

	(void)state;
	assert_int_equal(interests_hash("chess,music", h, INTERESTS_MAX), 2);
	assert_int_equal(interests_hash("music", g, INTERESTS_MAX), 1);
	assert_true(h[1] == g[0]);
	assert_true(h[0] != g[0]);
	assert_int_equal(interests_hash(NULL, h, INTERESTS_MAX), 0);
	assert_int_equal(interests_hash("", h, INTERESTS_MAX), 0);
	assert_int_equal(interests_find("chess,music", "music"), 1);
	assert_int_equal(interests_find("chess,music", "mus"), -1);
	item = interests_item("chess,music", 1);
	assert_string_equal(item, "music");
	free(item);
	assert_null(interests_item("chess", 1));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_unicode),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
