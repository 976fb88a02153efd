/*
 * Fuzzes the key decoder and the input line together, as session.c
 * drives them: raw bytes through input_feed()/input_flush() to keys,
 * keys through editor_key(), a submitted line taken with editor_take().
 *
 * Properties: the keys do not depend on how the bytes were split
 * between feeds; a character key is a printable code point; nothing is
 * pending after a flush; the line never exceeds its limit, the cursor
 * stays on it, and a taken line is valid UTF-8 without controls.
 *
 * Input: one byte choosing the line limit, one seeding the split
 * points, then the bytes as a client would send them.
 */

#include <string.h>

#include "fuzz.h"

#define FUZZ_MAXKEYS	(64 * 1024)

struct keylog {
	struct key	*keys;
	size_t		 n;
	struct editor	*ed;		/* non-NULL: also edit */
};

static struct key	keys_a[FUZZ_MAXKEYS], keys_b[FUZZ_MAXKEYS];

static void
check_line_cp(uint32_t cp, void *arg)
{
	(void)arg;
	FUZZ_ASSERT(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0));
}

/* The editor's invariants, and what comes out of it. */
static void
check_editor(struct editor *ed, enum editor_result r)
{
	char	*s;
	size_t	 len, i;

	FUZZ_ASSERT(ed->len <= ed->max);
	FUZZ_ASSERT(ed->cursor <= ed->len);
	FUZZ_ASSERT(ed->len == 0 || ed->size >= ed->len);
	FUZZ_ASSERT(ed->nhistory <= EDITOR_HISTORY);
	FUZZ_ASSERT(ed->hpos >= -1 && ed->hpos < (int)ed->nhistory);
	FUZZ_ASSERT(editor_width_to(ed, ed->cursor) <=
	    editor_width_to(ed, ed->len));
	for (i = 0; i < ed->len; i++)
		FUZZ_ASSERT(utf8_width(ed->text[i]) >= 0);
	if (r != EDITOR_SUBMIT)
		return;
	s = editor_take(ed);
	len = strlen(s);
	FUZZ_ASSERT(len <= 4 * ed->max);
	FUZZ_ASSERT(fuzz_utf8_valid(s, len, check_line_cp, NULL) == 0);
	FUZZ_ASSERT(editor_empty(ed) && ed->cursor == 0);
	free(s);
}

static void
on_key(const struct key *k, void *arg)
{
	struct keylog		*kl = arg;
	enum editor_result	 r;

	switch (k->type) {
	case KEYC_CHAR:
		FUZZ_ASSERT(k->cp >= 0x20 && k->cp != 0x7f);
		FUZZ_ASSERT(k->cp < 0x80 || k->cp >= 0xa0);
		FUZZ_ASSERT(k->cp <= 0x10ffff);
		FUZZ_ASSERT(k->cp < 0xd800 || k->cp > 0xdfff);
		break;
	case KEYC_FKEY:
		FUZZ_ASSERT(k->cp >= 1 && k->cp <= 24);
		break;
	case KEYC_CTRL:
		FUZZ_ASSERT(k->cp >= '@' && k->cp <= 'z');
		break;
	default:
		FUZZ_ASSERT(k->type <= KEYC_FKEY);
		break;
	}
	if (kl->n < FUZZ_MAXKEYS)
		kl->keys[kl->n] = *k;
	kl->n++;

	if (kl->ed != NULL) {
		r = editor_key(kl->ed, k);
		check_editor(kl->ed, r);
		/* As session.c does: Ctrl-U-like resets come from the caller. */
		if (k->type == KEYC_ESC)
			editor_clear(kl->ed);
	}
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
	struct fuzz_in	 in = { data, size };
	struct input	 ia, ib;
	struct editor	 ed;
	struct keylog	 a = { keys_a, 0, NULL }, b = { keys_b, 0, &ed };
	uint8_t		 lim, seed;
	const uint8_t	*p;
	size_t		 len, off, n, i;

	lim = fuzz_byte(&in);
	seed = fuzz_byte(&in);
	p = in.p;
	len = in.len;
	editor_init(&ed, lim < 128 ? LINE_MAX_CHARS : 1 + lim % 16);

	/* All at once. */
	input_init(&ia);
	input_feed(&ia, p, len, on_key, &a);
	input_flush(&ia, on_key, &a);
	FUZZ_ASSERT(!input_pending(&ia));

	/* In pieces of 1 to 8 bytes, some empty, driving the editor. */
	input_init(&ib);
	for (off = 0, i = 0; off < len; i++) {
		n = (seed >> (i % 8) & 7) + (i % 3 == 0 ? 0 : 1);
		if (n > len - off)
			n = len - off;
		input_feed(&ib, p + off, n, on_key, &b);
		FUZZ_ASSERT(ib.seqlen <= INPUT_SEQ_MAX);
		off += n;
	}
	input_flush(&ib, on_key, &b);
	FUZZ_ASSERT(!input_pending(&ib));

	FUZZ_ASSERT(a.n == b.n);
	n = a.n < FUZZ_MAXKEYS ? a.n : FUZZ_MAXKEYS;
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(keys_a[i].type == keys_b[i].type);
		FUZZ_ASSERT(keys_a[i].cp == keys_b[i].cp);
	}

	check_editor(&ed, EDITOR_SUBMIT);
	editor_free(&ed);
	return (0);
}
