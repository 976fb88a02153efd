/*
 * Unit tests for utf8.c and sanitize.c: decoding by maximal subparts,
 * encoding, widths, the allowed set, and sanitize_text() on the byte
 * strings a hostile visitor would send, plus its invariants over random
 * input.
 */

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

/* Is s (len bytes) strictly valid UTF-8?  Written apart from utf8.c. */
static int
valid_utf8(const uint8_t *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	c, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			c = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			c = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			c = s[i] & 0x07;
			min = 0x10000;
		} else
			return (0);
		if (i + n >= len)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

/* Sanitise len bytes of in and check the result is want. */
static void
check_n(const char *in, size_t len, const char *want)
{
	char	*out;
	size_t	 outlen;

	out = sanitize_text(in, len, &outlen);
	assert_string_equal(out, want);
	assert_int_equal(outlen, strlen(want));
	free(out);
}

/* Sanitise a NUL-terminated in and check the result is want. */
static void
check(const char *in, const char *want)
{
	check_n(in, strlen(in), want);
}

/* Decode in and check each code point and the bytes each used. */
static void
check_decode(const char *in, size_t len, const uint32_t *cps,
    const size_t *used, size_t n)
{
	size_t		off = 0, i = 0, u;
	uint32_t	cp;

	while (off < len) {
		assert_true(i < n);
		u = utf8_decode(in + off, len - off, &cp);
		assert_int_equal(cp, cps[i]);
		assert_int_equal(u, used[i]);
		off += u;
		i++;
	}
	assert_int_equal(i, n);
}

#define R UTF8_REPLACEMENT
#define FFFD "\xef\xbf\xbd"

/* Well-formed sequences of every length decode to their code point. */
static void
test_decode_valid(void **state)
{
	static const uint32_t	cps[] = { 'A', 0xe9, 0x4e2d, 0x1f600,
				    0x7f, 0x80, 0x7ff, 0x800, 0xffff,
				    0x10000, 0x10ffff, 0xd7ff, 0xe000 };
	static const size_t	used[] = { 1, 2, 3, 4, 1, 2, 2, 3, 3, 4, 4,
				    3, 3 };
	const char		*s = "A\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"
				    "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80"
				    "\xef\xbf\xbf\xf0\x90\x80\x80"
				    "\xf4\x8f\xbf\xbf"
				    "\xed\x9f\xbf\xee\x80\x80";

	(void)state;
	check_decode(s, strlen(s), cps, used, 13);
}

/* Invalid input is replaced one maximal subpart at a time. */
static void
test_decode_invalid(void **state)
{
	static const uint32_t	r1[] = { R, R };
	static const size_t	u1[] = { 1, 1 };
	static const uint32_t	r3[] = { R, R, R };
	static const size_t	u3[] = { 1, 1, 1 };
	static const uint32_t	r4[] = { R, R, R, R };
	static const size_t	u4[] = { 1, 1, 1, 1 };
	static const uint32_t	trunc[] = { R, 'A' };
	static const size_t	utrunc[] = { 2, 1 };
	static const uint32_t	trunc4[] = { R, 'A' };
	static const size_t	utrunc4[] = { 3, 1 };
	static const uint32_t	one[] = { R };
	static const size_t	uend2[] = { 2 };
	static const size_t	uend3[] = { 3 };
	static const size_t	uone[] = { 1 };

	(void)state;
	/* Overlong '/' (C0 AF): C0 can never start a sequence. */
	check_decode("\xc0\xaf", 2, r1, u1, 2);
	/* Overlong three-byte form E0 80 AF. */
	check_decode("\xe0\x80\xaf", 3, r3, u3, 3);
	/* Surrogate U+D800 (ED A0 80). */
	check_decode("\xed\xa0\x80", 3, r3, u3, 3);
	/* Above U+10FFFF (F4 90 80 80). */
	check_decode("\xf4\x90\x80\x80", 4, r4, u4, 4);
	/* F5 and FF never start anything. */
	check_decode("\xf5\xff", 2, r1, u1, 2);
	/* Stray continuation bytes and raw C1 (0x9b is 8-bit CSI). */
	check_decode("\x80\x9b", 2, r1, u1, 2);
	/* A valid prefix cut short by a non-continuation byte. */
	check_decode("\xe2\x82" "A", 3, trunc, utrunc, 2);
	check_decode("\xf0\x9f\x98" "A", 4, trunc4, utrunc4, 2);
	/* A valid prefix cut short by the end of the buffer. */
	check_decode("\xe2\x82", 2, one, uend2, 1);
	check_decode("\xf0\x9f\x98", 3, one, uend3, 1);
	check_decode("\xc3", 1, one, uone, 1);
}

/* Every scalar value survives encode then decode; the rest become FFFD. */
static void
test_encode(void **state)
{
	char		buf[4];
	uint32_t	cp, back;
	size_t		n, want;

	(void)state;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = utf8_encode(cp, buf);
		want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		assert_int_equal(n, want);
		assert_true(valid_utf8((uint8_t *)buf, n));
		assert_int_equal(utf8_decode(buf, n, &back), n);
		assert_int_equal(back, cp);
	}
	assert_int_equal(utf8_encode(0xd800, buf), 3);
	assert_memory_equal(buf, FFFD, 3);
	assert_int_equal(utf8_encode(0x110000, buf), 3);
	assert_memory_equal(buf, FFFD, 3);
}

/* Widths of ASCII, controls, combining marks, CJK and emoji. */
static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(utf8_width('a'), 1);
	assert_int_equal(utf8_width(' '), 1);
	assert_int_equal(utf8_width(0), -1);
	assert_int_equal(utf8_width(0x1b), -1);
	assert_int_equal(utf8_width(0x7f), -1);
	assert_int_equal(utf8_width(0x9b), -1);
	assert_int_equal(utf8_width(0x301), 0);		/* acute */
	assert_int_equal(utf8_width(0x200b), 0);	/* ZWSP */
	assert_int_equal(utf8_width(0xe9), 1);
	assert_int_equal(utf8_width(0x4e2d), 2);	/* CJK */
	assert_int_equal(utf8_width(0xac00), 2);	/* Hangul */
	assert_int_equal(utf8_width(0xff21), 2);	/* fullwidth A */
	assert_int_equal(utf8_width(0x1f600), 2);	/* emoji */
	assert_int_equal(utf8_width(0xfffd), 1);
	/* Unknown to wcwidth but printable: not a control. */
	assert_int_equal(utf8_width(0x378), 1);		/* unassigned */
	assert_int_equal(utf8_width(0xfdd0), 1);	/* noncharacter */
	assert_int_equal(utf8_width(0x3fffd), 2);	/* CJK default wide */

	assert_int_equal(utf8_strwidth("abc", 3), 3);
	assert_int_equal(utf8_strwidth("", 0), 0);
	/* a, CJK, emoji, combining acute: 1 + 2 + 2 + 0. */
	assert_int_equal(utf8_strwidth("a\xe4\xb8\xad\xf0\x9f\x98\x80"
	    "\xcc\x81", 10), 5);
	/* Controls count nothing, invalid bytes one column each. */
	assert_int_equal(utf8_strwidth("a\x1b" "b\xff", 4), 3);
}

/* The allowed set, class by class. */
static void
test_allowed(void **state)
{
	static const uint32_t	deny[] = {
		0x00, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85,
		0x9b, 0x9f, 0x61c, 0x200e, 0x200f, 0x202a, 0x202e, 0x2066,
		0x2069, 0x200b, 0x200c, 0x200d, 0x2060, 0x2064, 0xfeff, 0xad,
		0x180e, 0x34f, 0x600, 0x6dd, 0x110bd, 0x1d173, 0xe0001, 0xe0020,
		0xe007f, 0xfe0f, 0xfe00, 0xe0100, 0xfdd0, 0xfdef, 0xfffe,
		0xffff, 0x1fffe, 0x10ffff, 0xe000, 0xf8ff, 0xf0000, 0x100000,
		0xd800, 0xdfff, 0x2028, 0x2029, 0xfff9, 0xfffb, 0xfffc,
		0x110000, 0xffffffff, 0x3164, 0x115f,
	};
	static const uint32_t	allow[] = {
		' ', 'a', '~', 0xa0, 0xe9, 0x301, 0x4e2d, 0x1f600, 0x1f3f4,
		0xfffd, 0x2027, 0x202f, 0x205f, 0xf900, 0xfdcf, 0xfdf0,
		0xffe8, 0x10000, 0xefffd, 0x1f1e6, 0x20ac,
	};
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof deny / sizeof deny[0]; i++) {
		if (sanitize_allowed(deny[i]))
			fail_msg("U+%04X allowed", deny[i]);
	}
	for (i = 0; i < sizeof allow / sizeof allow[0]; i++) {
		if (!sanitize_allowed(allow[i]))
			fail_msg("U+%04X denied", allow[i]);
	}
}

/* Escape sequences lose their introducers and become harmless text. */
static void
test_escapes(void **state)
{
	(void)state;
	/* SGR colour. */
	check("\x1b[31mred\x1b[0m", "[31mred[0m");
	/* OSC 8 hyperlink, ST and BEL terminated. */
	check("\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\",
	    "]8;;http://evil/\\click]8;;\\");
	check("\x1b]0;title\x07x", "]0;titlex");
	/* DCS, 7-bit. */
	check("\x1bP1$r\x1b\\", "P1$r\\");
	/* 8-bit CSI and DCS as raw bytes are invalid UTF-8. */
	check("\x9b" "2J", FFFD "2J");
	check("\x90q\x9c", FFFD "q" FFFD);
	/* The same C1 controls encoded as UTF-8 are removed. */
	check("\xc2\x9b" "2J", "2J");
	check("a\xc2\x85" "b", "ab");
	/* CR, LF, BEL, BS, NUL, DEL. */
	check("a\rb\nc\x07" "d\be\x7f", "abcde");
	check_n("a\0b", 3, "ab");
}

/* Invalid UTF-8 becomes one FFFD per maximal subpart, at most three. */
static void
test_invalid(void **state)
{
	(void)state;
	check("a\xc0\xaf" "b", "a" FFFD FFFD "b");
	check("a\xed\xa0\x80" "b", "a" FFFD FFFD FFFD "b");
	/* F4 90 80 80 is four subparts, cut to three. */
	check("a\xf4\x90\x80\x80" "b", "a" FFFD FFFD FFFD "b");
	check("\xff\xff\xff\xff\xff\xff\xff\xff", FFFD FFFD FFFD);
	/* A removed control does not split a run. */
	check(FFFD FFFD "\x07" FFFD FFFD, FFFD FFFD FFFD);
	/* A kept character does. */
	check(FFFD FFFD FFFD "x" FFFD, FFFD FFFD FFFD "x" FFFD);
	/* Truncated at the end. */
	check("ok\xe2\x82", "ok" FFFD);
	check("\xe2\x82" "A", FFFD "A");
}

/* Bidi, zero-width, format, tag, private use and other removals. */
static void
test_invisible(void **state)
{
	(void)state;
	/* RLO U+202E and LRI U+2066 ... PDI U+2069. */
	check("abc\xe2\x80\xae" "fdp.exe", "abcfdp.exe");
	check("\xe2\x81\xa6" "x\xe2\x81\xa9", "x");
	check("a\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c" "b", "ab");
	/* ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen. */
	check("a\xe2\x80\x8b" "b\xe2\x80\x8c" "c\xe2\x80\x8d" "d", "abcd");
	check("\xef\xbb\xbf" "a\xe2\x81\xa0" "b\xc2\xad" "c", "abc");
	/* Man ZWJ woman: the joiner goes, both emoji stay. */
	check("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
	    "\xf0\x9f\x91\xa8\xf0\x9f\x91\xa9");
	/* Flag of England: black flag plus tags; the tags go. */
	check("\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2"
	    "\xf3\xa0\x81\xa5\xf3\xa0\x81\xae\xf3\xa0\x81\xa7"
	    "\xf3\xa0\x81\xbf", "\xf0\x9f\x8f\xb4");
	/* Variation selector 16 after a heart. */
	check("\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x9d\xa4");
	/* Private use, plane 15 private use, noncharacters. */
	check("a\xee\x80\x80" "b\xf3\xb0\x80\x80" "c\xef\xb7\x90"
	    "d\xef\xbf\xbf" "e", "abcde");
	/* Line and paragraph separators, annotation, U+FFFC. */
	check("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xef\xbf\xb9" "d"
	    "\xef\xbf\xbc" "e", "abcde");
	/* Hangul filler, used for invisible messages. */
	check("\xe3\x85\xa4", "");
}

/* Combining marks need a base; a removed character is no base. */
static void
test_combining(void **state)
{
	(void)state;
	/* Lone mark at the start. */
	check("\xcc\x81" "abc", "abc");
	/* After a base: kept. */
	check("e\xcc\x81", "e\xcc\x81");
	/* After a removed control: dropped. */
	check("e\x1b\xcc\x81", "e");
	check("e\xe2\x80\x8b\xcc\x81", "e");
	/* After a kept space or FFFD: kept. */
	check("a \xcc\x81", "a \xcc\x81");
	check("\xff\xcc\x81", FFFD "\xcc\x81");
	/* At most four marks on one base. */
	check("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85\xcc\x86" "b",
	    "a\xcc\x81\xcc\x82\xcc\x83\xcc\x84" "b");
	/* Vietnamese: two marks on one letter survive. */
	check("e\xcc\x82\xcc\x81", "e\xcc\x82\xcc\x81");
}

/* Ordinary text in any script passes untouched; spaces as typed. */
static void
test_kept(void **state)
{
	(void)state;
	check("hello, world!", "hello, world!");
	check("\xe4\xb8\xad\xe6\x96\x87 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
	    "\xe4\xb8\xad\xe6\x96\x87 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4");
	check("\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
	    "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd");
	check("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
	    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7");
	check("caf\xc3\xa9", "caf\xc3\xa9");
	check("  two  spaces", "  two  spaces");
	check("a\tb", "a b");
	check("trailing   ", "trailing");
	check("tab\t", "tab");
	check("   ", "");
	check("", "");
	check_n(NULL, 0, "");
}

/* Does out break any promise sanitize_text() makes? */
static void
check_invariants(const uint8_t *in, size_t len, const char *out,
    size_t outlen)
{
	size_t		off = 0, n, run = 0;
	uint32_t	cp;
	int		first = 1;

	assert_int_equal(strlen(out), outlen);
	assert_true(outlen <= 3 * len);
	assert_true(valid_utf8((const uint8_t *)out, outlen));
	if (outlen > 0)
		assert_true(out[outlen - 1] != ' ');
	while (off < outlen) {
		n = utf8_decode(out + off, outlen - off, &cp);
		if ((uint8_t)out[off] < 0x20 || (uint8_t)out[off] == 0x7f)
			fail_msg("control byte in output");
		if (!sanitize_allowed(cp))
			fail_msg("U+%04X in output", cp);
		if (first && utf8_width(cp) == 0)
			fail_msg("output starts with a mark U+%04X", cp);
		run = cp == UTF8_REPLACEMENT ? run + 1 : 0;
		assert_true(run <= 3);
		first = 0;
		off += n;
	}
	(void)in;
}

/* Random input, biased towards interesting bytes: invariants hold. */
static void
test_random(void **state)
{
	static const char	*frag[] = {
		"\x1b", "[", "\x9b", "\xc2\x9b", "\xe2\x80\xae", "\xe2\x80\x8d",
		"\xcc\x81", "\xef\xbf\xbd", "\xed\xa0\x80", "\xf4\x90",
		"\xf0\x9f\x98\x80", "\xe4\xb8\xad", "\xf3\xa0\x81\xa7", " ",
		"\t", "\r\n", "a", "\xef\xb8\x8f", "\xe0\x80", "\xc0",
		"\xe2\x82", "\xf0\x9f", "\xe1\x84\x80", "\xe1\x85\xa1",
	};
	uint8_t			 in[256];
	char			*out, *again;
	size_t			 len, outlen, againlen, f, i, k;
	uint64_t		 x = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (i = 0; i < 5000; i++) {
		len = 0;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		k = x % 48;
		while (k-- > 0 && len < sizeof in - 8) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			if (x % 3 == 0)
				in[len++] = (x >> 8) & 0xff;
			else {
				f = (x >> 8) % (sizeof frag / sizeof frag[0]);
				memcpy(in + len, frag[f], strlen(frag[f]));
				len += strlen(frag[f]);
			}
		}
		out = sanitize_text(in, len, &outlen);
		check_invariants(in, len, out, outlen);
		again = sanitize_text(out, outlen, &againlen);
		assert_int_equal(againlen, outlen);
		assert_memory_equal(again, out, outlen + 1);
		free(again);
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_decode_valid),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_combining),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_random),
	};

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "no C.UTF-8 locale\n");
		return (1);
	}
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
