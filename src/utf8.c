/*
 * UTF-8 decoding and encoding, and the number of terminal columns a code
 * point takes.  No I/O and no state: every function here may be called
 * from any thread.  Deciding which code points are safe to show is not
 * done here but in sanitize.c.
 *
 * Widths come from glibc's wcwidth(), so the process must have called
 * setlocale(LC_CTYPE, "C.UTF-8") (or another UTF-8 locale) first; in
 * the "C" locale wcwidth() knows nothing beyond ASCII.
 */

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "strangerd.h"

/* Range of code points whose unassigned members default to wide. */
struct utf8_range {
	uint32_t	 first;
	uint32_t	 last;
};

/*
 * Blocks in which Unicode's EastAsianWidth.txt gives unassigned code
 * points the default width "W".  glibc's tables lag the terminals people
 * use, so a CJK or emoji character newer than glibc would otherwise be
 * counted as one column while the terminal draws two.
 */
static const struct utf8_range utf8_wide_default[] = {
	{ 0x3400, 0x4dbf },
	{ 0x4e00, 0x9fff },
	{ 0xf900, 0xfaff },
	{ 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff },
	{ 0x1fa70, 0x1faff },
	{ 0x20000, 0x2fffd },
	{ 0x30000, 0x3fffd },
};

/* Is b a continuation byte (10xxxxxx)? */
static int
utf8_cont(uint8_t b)
{
	return ((b & 0xc0) == 0x80);
}

/*
 * Decode one code point from buf, which holds len >= 1 bytes, into *cp
 * and return the bytes used, always at least 1.
 *
 * Anything invalid (a stray continuation byte, a lead byte that can
 * never start a sequence, an overlong form, a surrogate, a value above
 * U+10FFFF or a sequence cut short) yields UTF8_REPLACEMENT.  What is
 * consumed then is the "maximal subpart" of Unicode 15 section 3.9
 * (table 3-7): the longest prefix that could still have begun a valid
 * sequence, or one byte if there is none.  So C0 AF is two
 * replacements, ED A0 80 three and E2 82 followed by 'A' one, then 'A'.
 *
 * A sequence that is valid so far but runs off the end of buf is
 * reported the same way, consuming the rest of buf.  Callers that
 * receive text in pieces must keep an incomplete tail themselves and
 * decode it once more bytes arrive.  A len of 0 is a caller's mistake;
 * it too yields a replacement and 1, so that a decoding loop still ends.
 */
size_t
utf8_decode(const void *buf, size_t len, uint32_t *cp)
{
	const uint8_t	*p = buf;
	uint32_t	 c;
	uint8_t		 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (len == 0) {
		*cp = UTF8_REPLACEMENT;
		return (1);
	}
	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	}

	/*
	 * The allowed range of the second byte depends on the lead byte:
	 * that is how overlong forms, surrogates and values beyond
	 * U+10FFFF are refused at the earliest byte that shows them.
	 */
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		c = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		c = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		/* 80..C1 and F5..FF never begin a sequence. */
		*cp = UTF8_REPLACEMENT;
		return (1);
	}

	for (i = 1; i <= need; i++) {
		if (i >= len) {
			*cp = UTF8_REPLACEMENT;
			return (i);
		}
		if (i == 1 ? (p[i] < lo || p[i] > hi) : !utf8_cont(p[i])) {
			*cp = UTF8_REPLACEMENT;
			return (i);
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*cp = c;
	return (need + 1);
}

/*
 * Write cp as UTF-8 to out, which has room for 4 bytes, and return the
 * number of bytes written.  A surrogate or a value above U+10FFFF cannot
 * be encoded and is written as UTF8_REPLACEMENT instead.
 */
size_t
utf8_encode(uint32_t cp, char *out)
{
	uint8_t	*p = (uint8_t *)out;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = UTF8_REPLACEMENT;
	if (cp < 0x80) {
		p[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		p[0] = 0xc0 | (cp >> 6);
		p[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		p[0] = 0xe0 | (cp >> 12);
		p[1] = 0x80 | ((cp >> 6) & 0x3f);
		p[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	p[0] = 0xf0 | (cp >> 18);
	p[1] = 0x80 | ((cp >> 12) & 0x3f);
	p[2] = 0x80 | ((cp >> 6) & 0x3f);
	p[3] = 0x80 | (cp & 0x3f);
	return (4);
}

/*
 * Return the columns cp takes: -1 for C0 and C1 controls and DEL, 0 for
 * combining and other zero-width characters, 2 for wide ones, else 1.
 */
int
utf8_width(uint32_t cp)
{
	size_t	i;
	int	w;

	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return (-1);
	if (cp < 0x7f)
		return (1);

	if ((w = wcwidth((wchar_t)cp)) >= 0)
		return (w > 2 ? 2 : w);

	/*
	 * wcwidth() also says -1 for code points its tables do not know
	 * (unassigned in glibc's Unicode version, noncharacters,
	 * surrogates).  None of them is a control; a terminal draws them
	 * as something, usually one column, or two in the blocks that
	 * default to wide.
	 */
	for (i = 0; i < sizeof utf8_wide_default / sizeof utf8_wide_default[0];
	    i++) {
		if (cp >= utf8_wide_default[i].first &&
		    cp <= utf8_wide_default[i].last)
			return (2);
	}
	return (1);
}

/*
 * Return the columns taken by len bytes of UTF-8 at s.  Controls count
 * as nothing; an invalid sequence counts as the one-column replacement
 * character a terminal would show.
 */
size_t
utf8_strwidth(const char *s, size_t len)
{
	size_t		 off = 0, width = 0;
	uint32_t	 cp;
	int		 w;

	while (off < len) {
		/* Printable ASCII, most text: a byte and a column. */
		if ((u_char)s[off] >= 0x20 && (u_char)s[off] < 0x7f) {
			off++;
			width++;
			continue;
		}
		off += utf8_decode(s + off, len - off, &cp);
		if ((w = utf8_width(cp)) > 0)
			width += w;
	}
	return (width);
}
