/*
 * Making text typed by one visitor safe to put on another visitor's
 * terminal.  This file owns the policy of which code points may pass
 * (sanitize_allowed) and the cleaning of a whole line (sanitize_text).
 * It does no I/O; decoding and widths are utf8.c's, and the layout of
 * the cleaned text on screen is screen.c's.
 *
 * What is removed, and why:
 *
 *  - C0 and C1 controls and DEL: they start escape sequences (ESC [, the
 *    8-bit CSI 0x9b, OSC hyperlinks, DCS) or move the cursor (CR, LF,
 *    BS), ring the bell, and so on.  TAB alone is kept, as one space.
 *  - Bidi controls, zero-width and other format characters (general
 *    category Cf) and the other default-ignorable code points: they
 *    reorder or hide text, so a line could show something other than
 *    what was sent, or nothing at all.
 *  - Variation selectors (U+FE00-FE0F, U+180B-180F, U+E0100-E01EF).
 *    Terminals disagree on whether an emoji followed by VS16 takes one
 *    column or two, and any disagreement with our screen model garbles
 *    the rest of the line.  Without them a character shows in its
 *    default presentation, which is all the loss there is.
 *  - Tag characters, private use code points (terminals and fonts map
 *    them to anything, including their own icons), noncharacters,
 *    surrogates, line and paragraph separators, interlinear annotation
 *    characters and U+FFFC.
 *  - A combining mark with no base character before it, which would
 *    otherwise combine with whatever we print in front of the line, and
 *    combining marks beyond SANITIZE_MAX_MARKS on one base ("Zalgo"
 *    text that spills over the lines above and below).
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "strangerd.h"

/* Marks kept on one base character; enough for any real script. */
#define SANITIZE_MAX_MARKS	4
/* Replacement characters kept in a row, so garbage cannot amplify. */
#define SANITIZE_MAX_REPLACE	3

/* An inclusive range of code points. */
struct sanitize_range {
	uint32_t	 first;
	uint32_t	 last;
};

/*
 * Code points that are never passed on, sorted.  Besides the controls,
 * this is every Cf character and every Default_Ignorable_Code_Point of
 * Unicode 15, plus the other classes named at the top of the file.
 * Noncharacters are tested arithmetically in sanitize_allowed().
 */
static const struct sanitize_range sanitize_deny[] = {
	{ 0x0000, 0x001f },	/* C0 controls */
	{ 0x007f, 0x009f },	/* DEL and C1 controls */
	{ 0x00ad, 0x00ad },	/* soft hyphen */
	{ 0x034f, 0x034f },	/* combining grapheme joiner */
	{ 0x0600, 0x0605 },	/* Arabic number signs (Cf) */
	{ 0x061c, 0x061c },	/* Arabic letter mark */
	{ 0x06dd, 0x06dd },	/* Arabic end of ayah (Cf) */
	{ 0x070f, 0x070f },	/* Syriac abbreviation mark (Cf) */
	{ 0x0890, 0x0891 },	/* Arabic pound and piastre marks (Cf) */
	{ 0x08e2, 0x08e2 },	/* Arabic disputed end of ayah (Cf) */
	{ 0x115f, 0x1160 },	/* Hangul fillers: invisible */
	{ 0x17b4, 0x17b5 },	/* Khmer inherent vowels: invisible */
	{ 0x180b, 0x180f },	/* Mongolian selectors, vowel separator */
	{ 0x200b, 0x200f },	/* ZWSP, ZWNJ, ZWJ, LRM, RLM */
	{ 0x2028, 0x2029 },	/* line and paragraph separators */
	{ 0x202a, 0x202e },	/* bidi embeddings and overrides */
	{ 0x2060, 0x206f },	/* word joiner, invisibles, isolates */
	{ 0x3164, 0x3164 },	/* Hangul filler */
	{ 0xd800, 0xdfff },	/* surrogates */
	{ 0xe000, 0xf8ff },	/* private use */
	{ 0xfdd0, 0xfdef },	/* noncharacters */
	{ 0xfe00, 0xfe0f },	/* variation selectors */
	{ 0xfeff, 0xfeff },	/* zero-width no-break space, BOM */
	{ 0xffa0, 0xffa0 },	/* halfwidth Hangul filler */
	{ 0xfff0, 0xfffc },	/* ignorables, annotation, U+FFFC */
	{ 0x110bd, 0x110bd },	/* Kaithi number sign (Cf) */
	{ 0x110cd, 0x110cd },	/* Kaithi number sign above (Cf) */
	{ 0x13430, 0x1343f },	/* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical symbol format controls */
	{ 0xe0000, 0xe0fff },	/* tags, variation selectors supplement */
	{ 0xf0000, 0x10ffff },	/* private use planes 15 and 16 */
};

/* Return 1 if cp may be shown to another visitor, 0 if not. */
int
sanitize_allowed(uint32_t cp)
{
	size_t	lo, hi, mid;

	if (cp >= 0x20 && cp < 0x7f)
		return (1);
	if (cp > 0x10ffff)
		return (0);
	/* U+xFFFE and U+xFFFF in every plane are noncharacters. */
	if ((cp & 0xfffe) == 0xfffe)
		return (0);

	lo = 0;
	hi = sizeof sanitize_deny / sizeof sanitize_deny[0];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < sanitize_deny[mid].first)
			hi = mid;
		else if (cp > sanitize_deny[mid].last)
			lo = mid + 1;
		else
			return (0);
	}
	return (1);
}

/*
 * Return a new NUL-terminated copy of len bytes at in, cleaned as the
 * top of this file describes, and its length in *outlen if outlen is
 * not NULL.  Invalid UTF-8 becomes U+FFFD, one per maximal invalid
 * subpart, with runs of them cut to SANITIZE_MAX_REPLACE; TAB becomes a
 * space; trailing spaces go.
 *
 * The result is valid UTF-8 holding only allowed code points, no longer
 * than 3 * len bytes, and cleaning it again gives it back unchanged.
 * That last holds because every decision depends only on what has been
 * written to the output so far, never on what was dropped from the
 * input, except that a dropped character cuts a combining mark off from
 * its base, and a mark so cut off is dropped too.
 */
char *
sanitize_text(const void *in, size_t len, size_t *outlen)
{
	const uint8_t	*p = in;
	char		*out;
	size_t		 off = 0, o = 0, trim = 0;
	uint32_t	 cp;
	u_int		 nmarks = 0, nrepl = 0;
	int		 base = 0;

	if (len > (SIZE_MAX - 1) / 3)
		fatalx("%s: %zu bytes is too long", __func__, len);
	out = xmalloc(3 * len + 1);

	while (off < len) {
		off += utf8_decode(p + off, len - off, &cp);

		if (cp == '\t')
			cp = ' ';
		if (!sanitize_allowed(cp)) {
			/* Nothing may combine across a removed character. */
			base = 0;
			continue;
		}
		if (utf8_width(cp) == 0) {
			if (!base || nmarks >= SANITIZE_MAX_MARKS)
				continue;
			nmarks++;
		} else if (cp == UTF8_REPLACEMENT &&
		    nrepl >= SANITIZE_MAX_REPLACE) {
			/*
			 * Dropped, but the previous replacement character is
			 * still there to carry a following mark.
			 */
			continue;
		} else {
			base = 1;
			nmarks = 0;
		}

		/* A run of replacements is consecutive in the output. */
		if (cp == UTF8_REPLACEMENT)
			nrepl++;
		else
			nrepl = 0;

		o += utf8_encode(cp, out + o);
		if (cp != ' ')
			trim = o;
	}
	out[trim] = '\0';

	if (outlen != NULL)
		*outlen = trim;
	return (xreallocarray(out, trim + 1, 1));
}
