/*
 * Fuzzes sanitize_text(), checking the properties sanitize.c promises
 * with a validator of its own: the result is valid UTF-8, holds no C0 or
 * C1 control, ESC, DEL, bidi control, format (Cf) or tag character,
 * nothing sanitize_allowed() refuses, no mark without a base, at most
 * four marks on one base and three replacement characters in a row, no
 * trailing space, is at most three times the input long, and cleaning it
 * again gives it back unchanged.
 */

#include <string.h>

#include "fuzz.h"

struct check {
	size_t		 n;		/* code points so far */
	uint32_t	 last;
	u_int		 marks;
	u_int		 repl;
};

/* Code points no visitor may send another, listed independently. */
static int
forbidden(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return (1);		/* C0, DEL, C1 (ESC, CSI, OSC...) */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return (1);		/* bidi controls */
	if (cp == 0x00ad || (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06dd ||
	    cp == 0x070f || cp == 0x08e2 || cp == 0x180e ||
	    (cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) ||
	    (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff ||
	    (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0x110bd ||
	    cp == 0x110cd || (cp >= 0x13430 && cp <= 0x13438) ||
	    (cp >= 0x1bca0 && cp <= 0x1bca3) ||
	    (cp >= 0x1d173 && cp <= 0x1d17a))
		return (1);		/* format characters (Cf) */
	if (cp >= 0xe0000 && cp <= 0xe007f)
		return (1);		/* tags */
	if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef))
		return (1);		/* variation selectors */
	if (cp == 0x2028 || cp == 0x2029)
		return (1);		/* line and paragraph separators */
	if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000)
		return (1);		/* private use */
	if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return (1);		/* noncharacters */
	return (0);
}

static void
check_cp(uint32_t cp, void *arg)
{
	struct check	*c = arg;
	int		 w = utf8_width(cp);

	FUZZ_ASSERT(!forbidden(cp));
	FUZZ_ASSERT(sanitize_allowed(cp));
	FUZZ_ASSERT(w >= 0);
	if (w == 0) {
		FUZZ_ASSERT(c->n > 0);		/* a mark needs a base */
		FUZZ_ASSERT(++c->marks <= 4);
	} else
		c->marks = 0;
	/* Three in a row at most; a mark on one ends the row. */
	if (cp == UTF8_REPLACEMENT)
		FUZZ_ASSERT(++c->repl <= 3);
	else
		c->repl = 0;
	c->last = cp;
	c->n++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check	 c;
	char		*out, *again;
	size_t		 outlen, againlen;

	out = sanitize_text(data, size, &outlen);
	FUZZ_ASSERT(outlen == strlen(out));
	FUZZ_ASSERT(outlen <= 3 * size);

	memset(&c, 0, sizeof c);
	FUZZ_ASSERT(fuzz_utf8_valid(out, outlen, check_cp, &c) == 0);
	FUZZ_ASSERT(outlen == 0 || out[outlen - 1] != ' ');
	/* Valid UTF-8 without anything forbidden comes through whole. */
	again = sanitize_text(out, outlen, &againlen);
	FUZZ_ASSERT(againlen == outlen);
	FUZZ_ASSERT(memcmp(again, out, outlen) == 0);

	free(again);
	free(out);
	return (0);
}
