/*
 * Interests: what a visitor would like to talk about, as a normalised
 * comma-separated list ("chess,music") that the matchmaker compares by
 * hash.  Normalising makes "  Chess ", "CHESS" and "chess" one interest,
 * and "CAFÉ", "café" and "cafe" with a combining acute too (Unicode case
 * folding and NFC), caps the length of each and how many there are, and
 * drops repeats.
 *
 * Pure: no I/O, no state.  The text must already be sanitised.  Folding
 * and composing come from libunistring (u8_casefold with UNINORM_NFC):
 * Unicode's own full case folding and canonical composition, kept up to
 * date by GNU, instead of tables of our own; it does not depend on the
 * process locale.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>
#include <unictype.h>

#include "strangerd.h"

static uint64_t	 interests_mix(uint64_t);

/* A 64-bit finaliser (splitmix64), so that close inputs spread apart. */
static uint64_t
interests_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Hash len bytes (FNV-1a, then mixed); never 0. */
uint64_t
interests_hash_one(const char *p, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	h = interests_mix(h);
	return (h == 0 ? 1 : h);
}

/*
 * Copy the interest in [p, end) to word with its runs of spaces made one
 * and none at either end; return its length.
 */
static size_t
interests_copy(const char *p, const char *end, char *word)
{
	size_t		 wlen = 0;
	int		 space = 0;

	for (; p < end; p++) {
		if (*p == ' ' || *p == '\t' || *p == ',') {
			space = wlen > 0;
			continue;
		}
		if (space)
			word[wlen++] = ' ';
		space = 0;
		word[wlen++] = *p;
	}
	return (wlen);
}

/*
 * Fold the case of word (wlen bytes) and compose it (NFC), then cut it to
 * INTEREST_MAX_CHARS code points, after folding since folding can make
 * more ("ß" is "ss").  The cut backs off to before a combining mark's
 * base, so that what is kept normalises to itself.  Writes at most
 * INTEREST_MAX_BYTES bytes and a NUL to out; returns the length, setting
 * *cut if something was left out.
 */
static size_t
interests_fold(const char *word, size_t wlen, char *out, int *cut)
{
	uint8_t		*f;
	size_t		 flen, i, keep, k, chars = 0;
	uint32_t	 cp;

	f = u8_casefold((const uint8_t *)word, wlen, NULL, UNINORM_NFC, NULL,
	    &flen);
	if (f == NULL)		/* ENOMEM or not UTF-8: a sanitised line is */
		return (0);
	keep = 0;
	for (i = 0; i < flen; i += k) {
		k = utf8_decode(f + i, flen - i, &cp);
		if (uc_combining_class(cp) == 0)
			keep = i;	/* a cut here keeps whole clusters */
		if (chars++ == INTEREST_MAX_CHARS) {
			*cut = 1;
			flen = keep;
			break;
		}
	}
	while (flen > 0 && f[flen - 1] == ' ')
		flen--;
	memcpy(out, f, flen);
	out[flen] = '\0';
	free(f);
	return (flen);
}

/*
 * Normalise what a visitor typed: commas separate interests (or, when
 * there is no comma, spaces do); each is case-folded and composed, has
 * its runs of spaces made one and is cut to INTEREST_MAX_CHARS code
 * points; empty ones and repeats go; at most INTERESTS_MAX are kept.
 * Returns the list ("" when none), stores the count in *n and what was
 * cut (INTERESTS_CUT_* bits) in *cut, each if not NULL.
 */
char *
interests_normalise(const char *in, u_int *n, int *cut)
{
	char		*out, *word, *o;
	char		 folded[INTEREST_MAX_BYTES + 1];
	const char	*p, *end;
	char		 sep;
	size_t		 wlen;
	u_int		 count = 0;
	int		 cuts = 0, long_cut;

	sep = strchr(in, ',') != NULL ? ',' : ' ';
	out = xcalloc(1, INTERESTS_MAX * (INTEREST_MAX_BYTES + 1) + 1);
	o = out;
	word = xmalloc(strlen(in) + 1);
	for (p = in; *p != '\0'; p = end) {
		end = strchr(p, sep);
		if (end == NULL)
			end = p + strlen(p);
		wlen = interests_copy(p, end, word);
		long_cut = 0;
		wlen = interests_fold(word, wlen, folded, &long_cut);
		if (long_cut)
			cuts |= INTERESTS_CUT_LONG;
		if (*end == sep)
			end++;
		if (wlen == 0 || interests_find(out, folded) != -1)
			continue;
		if (count == INTERESTS_MAX) {
			cuts |= INTERESTS_CUT_MANY;
			break;
		}
		if (o != out)
			*o++ = ',';
		memcpy(o, folded, wlen);
		o += wlen;
		*o = '\0';
		count++;
	}
	free(word);
	if (n != NULL)
		*n = count;
	if (cut != NULL)
		*cut = cuts;
	return (out);
}

/* Hash each interest of a normalised list into h; return how many. */
u_int
interests_hash(const char *list, uint64_t *h, u_int max)
{
	const char	*p, *end;
	u_int		 n = 0;

	if (list == NULL)
		return (0);
	for (p = list; *p != '\0' && n < max; p = end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if (end > p)
			h[n++] = interests_hash_one(p, (size_t)(end - p));
		if (*end == ',')
			end++;
	}
	return (n);
}

/* Which item of a normalised list word is, or -1. */
int
interests_find(const char *list, const char *word)
{
	const char	*p, *end;
	size_t		 wlen = strlen(word);
	int		 i = 0;

	for (p = list; *p != '\0'; p = end, i++) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == wlen && memcmp(p, word, wlen) == 0)
			return (i);
		if (*end == ',')
			end++;
	}
	return (-1);
}

/* A copy of item i of a normalised list, or NULL. */
char *
interests_item(const char *list, u_int i)
{
	const char	*p, *end;

	for (p = list; *p != '\0'; p = end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if (i-- == 0)
			return (xstrndup(p, (size_t)(end - p)));
		if (*end == ',')
			end++;
	}
	return (NULL);
}
