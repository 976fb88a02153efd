/*
 * What the libFuzzer harnesses in tests/fuzz/ share: the locale the
 * daemon runs in, a reader that takes parameters from the front of the
 * input, and an independent strict UTF-8 check.  Each harness links the
 * pure modules alone (see the Makefile's fuzz targets).
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "strangerd.h"

/* A finding: print why and abort, so libFuzzer keeps the input. */
#define FUZZ_ASSERT(e) do {						\
	if (!(e)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",	\
		    __FILE__, __LINE__, #e);				\
		abort();						\
	}								\
} while (0)

/*
 * For a harness's own property checks: they are the oracle, not the
 * code under test, so they feed no coverage to libFuzzer (whose
 * comparison tracing in a loop over every cell of a screen otherwise
 * costs more than the renderer it checks).  Not inlined, so that the
 * attribute holds.  Sanitizers still apply.
 */
#define FUZZ_CHECKER __attribute__((no_sanitize("coverage"), noinline))

/* Input consumed from the front. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 len;
};

static inline uint8_t
fuzz_byte(struct fuzz_in *in)
{
	if (in->len == 0)
		return (0);
	in->len--;
	return (*in->p++);
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t	v = fuzz_byte(in);

	return ((uint16_t)(v << 8 | fuzz_byte(in)));
}

/* Take up to n bytes (fewer at the end); returns how many. */
static inline size_t
fuzz_take(struct fuzz_in *in, size_t n, const uint8_t **out)
{
	if (n > in->len)
		n = in->len;
	*out = in->p;
	in->p += n;
	in->len -= n;
	return (n);
}

/* The daemon decodes widths in a UTF-8 locale: so do the harnesses. */
static inline void
fuzz_locale(void)
{
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "fuzz: no C.UTF-8 locale\n");
		abort();
	}
	log_init(1, 0);
}

/*
 * Strict UTF-8 validation written apart from utf8.c: shortest form
 * only, no surrogates, nothing above U+10FFFF.  Calls cb for each code
 * point; returns 0 if s is valid, -1 if not.
 */
static inline int
fuzz_utf8_valid(const char *s, size_t len, void (*cb)(uint32_t, void *),
    void *arg)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0, n, k;
	uint32_t	 cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			cp = p[i];
			n = 1;
			min = 0;
		} else if ((p[i] & 0xe0) == 0xc0) {
			cp = p[i] & 0x1f;
			n = 2;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			cp = p[i] & 0x0f;
			n = 3;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			cp = p[i] & 0x07;
			n = 4;
			min = 0x10000;
		} else
			return (-1);
		if (len - i < n)
			return (-1);
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (-1);
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (-1);
		if (cb != NULL)
			cb(cp, arg);
		i += n;
	}
	return (0);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#endif /* FUZZ_H */
