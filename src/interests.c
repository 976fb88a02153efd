/*
 * Interests: what a visitor would like to talk about, as a normalised
 * comma-separated list ("chess,music") that the matchmaker compares by
 * hash.  Normalising makes "  Chess ", "CHESS" and "chess" one interest
 * (and "CAFÉ" and "café": lower case beyond ASCII), caps the length of
 * each and how many there are, and drops repeats.
 *
 * Pure: no I/O, no state.  The text must already be sanitised.  Case
 * comes from glibc's towlower(), so, as for utf8.c, the process must
 * have called setlocale(LC_CTYPE, "C.UTF-8") first.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

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
 * Normalise what a visitor typed: commas separate interests (or, when
 * there is no comma, spaces do); each is lower-cased, has its runs of
 * spaces made one and is cut to INTEREST_MAX_CHARS code points; empty
 * ones and repeats go; at most INTERESTS_MAX are kept.  Returns the list
 * ("" when none), stores the count in *n and what was cut (INTERESTS_CUT_*
 * bits) in *cut, each if not NULL.
 */
char *
interests_normalise(const char *in, u_int *n, int *cut)
{
	char		*out, *word, *o;
	const char	*p, *end;
	char		 sep;
	size_t		 len, chars, wlen, k;
	u_int		 count = 0;
	uint32_t	 cp;
	int		 space, cuts = 0;

	len = strlen(in);
	sep = strchr(in, ',') != NULL ? ',' : ' ';
	/* Lower case can take more bytes (U+023A, 2, is U+2C65, 3). */
	out = xcalloc(1, 2 * len + 2);
	o = out;
	word = xmalloc(2 * len + 1);
	for (p = in; *p != '\0'; p = end) {
		end = strchr(p, sep);
		if (end == NULL)
			end = p + strlen(p);
		/* Copy one interest: lower case, one space between words. */
		wlen = chars = 0;
		space = 0;
		for (; p < end && chars < INTEREST_MAX_CHARS; p += k) {
			k = utf8_decode(p, (size_t)(end - p), &cp);
			if (cp == ' ' || cp == '\t' || cp == ',') {
				space = wlen > 0;
				continue;
			}
			if (space) {
				word[wlen++] = ' ';
				chars++;
				space = 0;
				if (chars == INTEREST_MAX_CHARS)
					break;
			}
			wlen += utf8_encode((uint32_t)towlower((wint_t)cp),
			    word + wlen);
			chars++;
		}
		/* What is left of it (but spaces) did not fit. */
		if (p + strspn(p, " \t,") < end)
			cuts |= INTERESTS_CUT_LONG;
		if (*end == sep)
			end++;
		/* A cut just after a space leaves it at the end. */
		if (wlen > 0 && word[wlen - 1] == ' ')
			wlen--;
		if (wlen == 0)
			continue;
		word[wlen] = '\0';
		if (interests_find(out, word) != -1)
			continue;
		if (count == INTERESTS_MAX) {
			cuts |= INTERESTS_CUT_MANY;
			break;
		}
		if (o != out)
			*o++ = ',';
		memcpy(o, word, wlen);
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
