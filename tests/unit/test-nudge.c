/*
 * Unit tests for nudge.c: what counts as contact details or a move off
 * the platform (phone numbers, e-mail addresses, "add me on ..." with a
 * handle), and the ordinary chat that must not.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "strangerd.h"

struct nudge_case {
	const char	*text;
	enum nudge_kind	 kind;
};

static const struct nudge_case nudge_hits[] = {
	{ "call me on 07700 900123", NUDGE_PHONE },
	{ "my number is +44 7700 900123", NUDGE_PHONE },
	{ "(555) 123-4567", NUDGE_PHONE },
	{ "555.123.4567 text me", NUDGE_PHONE },
	{ "0612345678", NUDGE_PHONE },
	{ "+1-202-555-0143", NUDGE_PHONE },
	{ "mail me jake.smith99@gmail.com", NUDGE_EMAIL },
	{ "Jake@Example.ORG", NUDGE_EMAIL },
	{ "jake at gmail dot com", NUDGE_EMAIL },
	{ "reach me: jake (at) protonmail", NUDGE_EMAIL },
	{ "add me on snap", NUDGE_HANDLE },
	{ "Add me on Snapchat: jake_99", NUDGE_HANDLE },
	{ "my insta is jake.99", NUDGE_HANDLE },
	{ "discord: jake#1234", NUDGE_HANDLE },
	{ "hmu on telegram @jakey", NUDGE_HANDLE },
	{ "dm me on ig", NUDGE_HANDLE },
	{ "lets move to whatsapp", NUDGE_HANDLE },
	{ "follow me @jake_99", NUDGE_HANDLE },
	{ "kik me: jakey99", NUDGE_HANDLE },
	{ "my discord is jakey", NUDGE_HANDLE },
	{ NULL, NUDGE_NONE }
};

static const char *const nudge_misses[] = {
	"hi, how are you?",
	"I am 25 and live in a big city",
	"do you use instagram much?",
	"I hate snapchat honestly",
	"it was 1999, I was 12",
	"meet at 10:30 tomorrow",
	"the score was 3 - 2 - 1",
	"I like chess and music",
	"what's your favourite number",
	"@ home now",
	"this costs $1,200",
	"add some salt",
	"my session ended",
	"I'm at gmail headquarters today lol",
	"version 1.2.3.4 is out",
	"",
	NULL
};

/* Each line with contact details is caught, as the right kind. */
static void
test_hits(void **state)
{
	const struct nudge_case	*c;

	(void)state;
	for (c = nudge_hits; c->text != NULL; c++) {
		if (nudge_check(c->text) != c->kind)
			fail_msg("%s: got %d, want %d", c->text,
			    nudge_check(c->text), c->kind);
	}
}

/* Ordinary chat is left alone. */
static void
test_misses(void **state)
{
	const char *const	*t;

	(void)state;
	for (t = nudge_misses; *t != NULL; t++) {
		if (nudge_check(*t) != NUDGE_NONE)
			fail_msg("%s: got %d, want none", *t, nudge_check(*t));
	}
}

/* A long line of digits and words does not overrun anything. */
static void
test_long(void **state)
{
	char	buf[8192];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof buf - 1; i++)
		buf[i] = "ab 1@.#_"[i % 8];
	buf[sizeof buf - 1] = '\0';
	(void)nudge_check(buf);
	for (i = 0; i < sizeof buf - 1; i++)
		buf[i] = '1';
	assert_int_equal(nudge_check(buf), NUDGE_NONE);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_hits),
		cmocka_unit_test(test_misses),
		cmocka_unit_test(test_long),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
