/*
 * Unit tests for conv.c: a conversation keeps its lines in order, drops
 * the oldest past CHAT_MAX_LINES and CHAT_MAX_BYTES of text, rewrites
 * its newest line in place, caches rows per width, reclaims the bytes
 * of dropped lines in batches rather than moving everything per line,
 * and costs about its text and a few bytes a line.
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

/* Line i's text: "line i", padded with letters to len bytes if longer. */
static char *
text_of(u_int i, size_t len)
{
	char	*t;
	int	 n;

	n = xasprintf(&t, "line %u", i);
	if ((size_t)n < len) {
		t = xreallocarray(t, 1, len + 1);
		memset(t + n, 'a' + i % 26, len - n);
		t[len] = '\0';
	}
	return (t);
}

/* Add line i, len bytes (at least "line i"), of a kind that varies. */
static void
add(struct conv *c, u_int i, size_t len)
{
	char	*t = text_of(i, len);

	conv_add(c, i % 3 == 0 ? LINE_SYSTEM : i % 3 == 1 ? LINE_YOU :
	    LINE_STRANGER, t);
	free(t);
}

/* An empty conversation holds nothing; one of a 0-length line little. */
static void
test_empty(void **state)
{
	struct conv	c;
	u_int		i;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(c.nlines, 0);
	assert_int_equal(conv_size(&c), 0);
	conv_free(&c);
	conv_add(&c, LINE_YOU, "");
	assert_int_equal(c.nlines, 1);
	assert_int_equal(c.seq, 1);
	assert_int_equal(c.text_bytes, 0);
	assert_string_equal(conv_text(&c, 0), "");
	assert_int_equal(conv_len(&c, 0), 0);
	assert_int_equal(conv_kind(&c, 0), LINE_YOU);
	assert_true(conv_size(&c) > 0 && conv_size(&c) <= 512);
	/* All the lines may be empty: they count, their text does not. */
	for (i = 0; i < CHAT_MAX_LINES + 10; i++)
		conv_add(&c, LINE_STRANGER, "");
	assert_int_equal(c.nlines, CHAT_MAX_LINES);
	assert_int_equal(c.text_bytes, 0);
	for (i = 0; i < c.nlines; i++) {
		assert_string_equal(conv_text(&c, i), "");
		assert_int_equal(conv_kind(&c, i), LINE_STRANGER);
	}
	assert_true(conv_size(&c) <= 2048);
	conv_free(&c);
	assert_int_equal(c.nlines, 0);
	assert_int_equal(conv_size(&c), 0);
}

/* Lines read back in order with their kind, text and length. */
static void
test_add(void **state)
{
	struct conv	c;

	(void)state;
	memset(&c, 0, sizeof c);
	conv_add(&c, LINE_RULES, "Be kind.");
	conv_add(&c, LINE_STRANGER, "hello there");
	conv_add(&c, LINE_YOU, "hi");
	conv_add(&c, LINE_SYSTEM, "The stranger left.");
	assert_int_equal(c.nlines, 4);
	assert_int_equal(c.seq, 4);
	assert_int_equal(c.text_bytes, 8 + 11 + 2 + 18);
	assert_int_equal(conv_kind(&c, 0), LINE_RULES);
	assert_int_equal(conv_kind(&c, 1), LINE_STRANGER);
	assert_int_equal(conv_kind(&c, 2), LINE_YOU);
	assert_int_equal(conv_kind(&c, 3), LINE_SYSTEM);
	assert_string_equal(conv_text(&c, 0), "Be kind.");
	assert_string_equal(conv_text(&c, 1), "hello there");
	assert_string_equal(conv_text(&c, 2), "hi");
	assert_string_equal(conv_text(&c, 3), "The stranger left.");
	assert_int_equal(conv_len(&c, 1), 11);
	assert_int_equal(conv_len(&c, 3), 18);
	conv_free(&c);
}

/* Past CHAT_MAX_LINES the oldest lines go, one for each new one. */
static void
test_cap_lines(void **state)
{
	struct conv	c;
	char		buf[32];
	u_int		i;

	(void)state;
	memset(&c, 0, sizeof c);
	for (i = 0; i < CHAT_MAX_LINES + 50; i++)
		add(&c, i, 0);
	assert_int_equal(c.nlines, CHAT_MAX_LINES);
	assert_int_equal(c.seq, CHAT_MAX_LINES + 50);
	for (i = 0; i < c.nlines; i++) {
		snprintf(buf, sizeof buf, "line %u", 50 + i);
		assert_string_equal(conv_text(&c, i), buf);
	}
	conv_free(&c);
}

/*
 * Past CHAT_MAX_BYTES of text the oldest lines go until the new one
 * fits, as many as it takes.
 */
static void
test_cap_bytes(void **state)
{
	struct conv	c;
	char		buf[32];
	u_int		i;

	(void)state;
	memset(&c, 0, sizeof c);
	for (i = 0; i < 40; i++)
		add(&c, i, 1000);
	assert_int_equal(c.nlines, CHAT_MAX_BYTES / 1000);
	assert_int_equal(c.text_bytes, 1000 * (CHAT_MAX_BYTES / 1000));
	snprintf(buf, sizeof buf, "line %u", 40 - CHAT_MAX_BYTES / 1000);
	assert_int_equal(strncmp(conv_text(&c, 0), buf, strlen(buf)), 0);
	assert_int_equal(conv_text(&c, 0)[strlen(buf)], 'a' + (40 -
	    CHAT_MAX_BYTES / 1000) % 26);
	/* 32 of 1000 and one of 5000: five go (27000 + 5000 fits). */
	add(&c, 40, 5000);
	assert_int_equal(c.nlines, 28);
	assert_int_equal(c.text_bytes, 27000 + 5000);
	assert_int_equal(strncmp(conv_text(&c, 0), "line 13", 7), 0);
	assert_int_equal(conv_len(&c, 27), 5000);
	conv_free(&c);
	/* Exactly at the cap it all stays, and an empty line still fits. */
	for (i = 0; i < CHAT_MAX_BYTES / 1024; i++)
		add(&c, i, 1024);
	conv_add(&c, LINE_YOU, "");
	assert_int_equal(c.nlines, CHAT_MAX_BYTES / 1024 + 1);
	assert_int_equal(c.text_bytes, CHAT_MAX_BYTES);
	/* Ten bytes more: the oldest goes, the empty line stays. */
	add(&c, 99, 10);
	assert_int_equal(c.nlines, CHAT_MAX_BYTES / 1024 + 1);
	assert_int_equal(c.text_bytes, CHAT_MAX_BYTES - 1024 + 10);
	assert_int_equal(strncmp(conv_text(&c, 0), "line 1b", 7), 0);
	conv_free(&c);
}

/*
 * A line longer than CHAT_MAX_BYTES is cut to it on a character
 * boundary, and is then all the conversation holds; one exactly that
 * long is kept whole.
 */
static void
test_long_line(void **state)
{
	struct conv	 c;
	char		*t;
	size_t		 len = 40000, i;

	(void)state;
	memset(&c, 0, sizeof c);
	add(&c, 0, 100);
	add(&c, 1, 100);
	t = xmalloc(len + 1);
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(t + i, "\xe4\xb8\xad", 3);	/* U+4E2D, 3 bytes */
	t[i] = '\0';
	conv_add(&c, LINE_STRANGER, t);
	assert_int_equal(c.nlines, 1);
	assert_int_equal(conv_len(&c, 0), CHAT_MAX_BYTES / 3 * 3);
	assert_int_equal(c.text_bytes, CHAT_MAX_BYTES / 3 * 3);
	assert_int_equal(memcmp(conv_text(&c, 0), t, conv_len(&c, 0)), 0);
	assert_int_equal(strlen(conv_text(&c, 0)), conv_len(&c, 0));
	/* The next line does not fit beside it. */
	conv_add(&c, LINE_YOU, "okay");
	assert_int_equal(c.nlines, 1);
	assert_string_equal(conv_text(&c, 0), "okay");
	memset(t, 'x', CHAT_MAX_BYTES);
	t[CHAT_MAX_BYTES] = '\0';
	conv_add(&c, LINE_YOU, t);
	assert_int_equal(c.nlines, 1);
	assert_string_equal(conv_text(&c, 0), t);
	assert_true(conv_size(&c) < 2 * CHAT_MAX_BYTES);
	free(t);
	conv_free(&c);
}

/*
 * The newest line rewritten ("... (3 times)") stays where it is, the
 * same kind and seq; the lines before it do not move; its rows are
 * laid out again.
 */
static void
test_rewrite(void **state)
{
	struct conv	 c;
	const char	*before;

	(void)state;
	memset(&c, 0, sizeof c);
	conv_add(&c, LINE_STRANGER, "hello there");
	conv_add(&c, LINE_SYSTEM, "Slow down.");
	conv_set_rows(&c, 1, 80, 1);
	before = conv_text(&c, 0);
	conv_rewrite(&c, "Slow down. (2 times)");
	assert_int_equal(c.nlines, 2);
	assert_int_equal(c.seq, 2);
	assert_int_equal(conv_kind(&c, 1), LINE_SYSTEM);
	assert_string_equal(conv_text(&c, 1), "Slow down. (2 times)");
	assert_int_equal(conv_len(&c, 1), 20);
	assert_int_equal(c.text_bytes, 11 + 20);
	assert_ptr_equal(conv_text(&c, 0), before);
	assert_string_equal(conv_text(&c, 0), "hello there");
	assert_int_equal(conv_rows(&c, 1, 80), CONV_ROWS_NONE);
	/* Shorter again, and to nothing. */
	conv_rewrite(&c, "Slow");
	assert_string_equal(conv_text(&c, 1), "Slow");
	assert_int_equal(c.text_bytes, 11 + 4);
	conv_rewrite(&c, "");
	assert_string_equal(conv_text(&c, 1), "");
	assert_int_equal(c.text_bytes, 11);
	conv_add(&c, LINE_YOU, "after");
	assert_string_equal(conv_text(&c, 1), "");
	assert_string_equal(conv_text(&c, 2), "after");
	conv_free(&c);
}

/*
 * A rewrite that no longer fits beside the older lines drops the
 * oldest, as an added line would; a long one at the end of a full
 * buffer makes room.
 */
static void
test_rewrite_full(void **state)
{
	struct conv	 c;
	char		*t;
	u_int		 i;

	(void)state;
	memset(&c, 0, sizeof c);
	for (i = 0; i < 32; i++)
		add(&c, i, 1000);
	assert_int_equal(c.text_bytes, 32000);
	t = text_of(99, 3000);
	conv_rewrite(&c, t);
	/* 31 and then 30 x 1000, + 3000, are over 32768: two go. */
	assert_int_equal(c.nlines, 30);
	assert_int_equal(c.text_bytes, 29000 + 3000);
	assert_string_equal(conv_text(&c, 29), t);
	assert_int_equal(strncmp(conv_text(&c, 0), "line 2c", 7), 0);
	assert_int_equal(strncmp(conv_text(&c, 28), "line 30", 7), 0);
	free(t);
	conv_free(&c);
}

/*
 * The rows cached for a line hold for the width they were laid out
 * at; another width forgets them all; a new line has none.
 */
static void
test_rows(void **state)
{
	struct conv	c;

	(void)state;
	memset(&c, 0, sizeof c);
	conv_add(&c, LINE_STRANGER, "one");
	conv_add(&c, LINE_YOU, "two");
	assert_int_equal(conv_rows(&c, 0, 80), CONV_ROWS_NONE);
	conv_set_rows(&c, 0, 80, 1);
	conv_set_rows(&c, 1, 80, 3);
	assert_int_equal(conv_rows(&c, 0, 80), 1);
	assert_int_equal(conv_rows(&c, 1, 80), 3);
	assert_int_equal(conv_rows(&c, 1, 40), CONV_ROWS_NONE);
	conv_set_rows(&c, 1, 40, 5);
	assert_int_equal(conv_rows(&c, 1, 40), 5);
	assert_int_equal(conv_rows(&c, 0, 40), CONV_ROWS_NONE);
	assert_int_equal(conv_rows(&c, 0, 80), CONV_ROWS_NONE);
	conv_add(&c, LINE_YOU, "three");
	assert_int_equal(conv_rows(&c, 2, 40), CONV_ROWS_NONE);
	assert_int_equal(conv_rows(&c, 1, 40), 5);
	/* Too many to cache: not cached, never wrong. */
	conv_set_rows(&c, 2, 40, 100000);
	assert_int_equal(conv_rows(&c, 2, 40), CONV_ROWS_NONE);
	conv_free(&c);
}

/*
 * Full of short lines, a new line costs no move of the buffer most of
 * the time: the bytes of dropped lines are reclaimed in batches.  The
 * conversation stays about its text and a few bytes a line.
 */
static void
test_batches(void **state)
{
	struct conv	 c;
	const char	*newest;
	u_int		 i, moves = 0, adds = 5000;
	size_t		 most = 0;

	(void)state;
	memset(&c, 0, sizeof c);
	for (i = 0; i < CHAT_MAX_LINES; i++)
		conv_add(&c, LINE_YOU, "hello there");
	for (i = 0; i < adds; i++) {
		newest = conv_text(&c, c.nlines - 1);
		conv_add(&c, i % 2 ? LINE_YOU : LINE_STRANGER, "hello there");
		if (conv_text(&c, c.nlines - 2) != newest)
			moves++;
		if (conv_size(&c) > most)
			most = conv_size(&c);
		assert_int_equal(c.nlines, CHAT_MAX_LINES);
	}
	assert_true(moves > 0);
	assert_true(moves <= adds / 10);
	/* 200 x 11 bytes of text, and no more than 9 bytes a line else. */
	assert_true(most <= CHAT_MAX_LINES * (11 + 9));
	assert_string_equal(conv_text(&c, 0), "hello there");
	conv_free(&c);
}

/*
 * Long lines and then short ones: as the last long one goes, the buffer
 * is sized down at once (the chat may go quiet then), and once the
 * short ones have wrapped, sized for them alone.
 */
static void
test_gives_back(void **state)
{
	struct conv	c;
	u_int		i;

	(void)state;
	memset(&c, 0, sizeof c);
	for (i = 0; i < 40; i++)
		add(&c, i, 1000);
	assert_true(conv_size(&c) > CHAT_MAX_BYTES);
	for (i = 0; c.text_bytes != c.nlines * 11; i++)
		conv_add(&c, LINE_YOU, "hello there");
	assert_true(conv_size(&c) <= 4 * CHAT_MAX_LINES * (11 + 6));
	for (; i < 2 * CHAT_MAX_LINES; i++)
		conv_add(&c, LINE_YOU, "hello there");
	assert_int_equal(c.nlines, CHAT_MAX_LINES);
	assert_true(conv_size(&c) <= CHAT_MAX_LINES * (11 + 12));
	conv_free(&c);
}

/*
 * A model of the conversation: an array of copies under the same caps,
 * rewrites included, and the rows cached for each at one width.
 */
struct model {
	enum line_kind	 kind[CHAT_MAX_LINES];
	char		*text[CHAT_MAX_LINES];
	u_int		 rows[CHAT_MAX_LINES];
	u_int		 n;
	size_t		 bytes;
	u_int		 width;
};

/* Drop the model's oldest line. */
static void
model_drop(struct model *m)
{
	m->bytes -= strlen(m->text[0]);
	free(m->text[0]);
	memmove(m->text, m->text + 1, --m->n * sizeof *m->text);
	memmove(m->kind, m->kind + 1, m->n * sizeof *m->kind);
	memmove(m->rows, m->rows + 1, m->n * sizeof *m->rows);
}

/*
 * How much of text the model keeps: all of it up to CHAT_MAX_BYTES,
 * else the most whole characters that fit, none if no byte there
 * starts one.
 */
static size_t
model_cut(const char *text)
{
	size_t	len = strlen(text);

	if (len <= CHAT_MAX_BYTES)
		return (len);
	for (len = CHAT_MAX_BYTES; len > 0; len--) {
		if (((uint8_t)text[len] & 0xc0) != 0x80)
			break;
	}
	return (len);
}

/* Add to the model as the caps say. */
static void
model_add(struct model *m, enum line_kind kind, const char *text)
{
	size_t	len = model_cut(text);

	while (m->n > 0 && (m->n == CHAT_MAX_LINES ||
	    m->bytes + len > CHAT_MAX_BYTES))
		model_drop(m);
	m->kind[m->n] = kind;
	m->rows[m->n] = CONV_ROWS_NONE;
	m->text[m->n++] = xstrndup(text, len);
	m->bytes += len;
}

/* Cache rows for the model's line i at width; another width forgets. */
static void
model_set_rows(struct model *m, u_int i, u_int width, u_int rows)
{
	u_int	j;

	if (width != m->width) {
		for (j = 0; j < m->n; j++)
			m->rows[j] = CONV_ROWS_NONE;
		m->width = width;
	}
	m->rows[i] = rows < CONV_ROWS_NONE ? rows : CONV_ROWS_NONE;
}

/* Does the conversation hold what the model does? */
static void
model_check(struct model *m, struct conv *c)
{
	u_int	i;

	assert_int_equal(c->nlines, m->n);
	assert_int_equal(c->text_bytes, m->bytes);
	for (i = 0; i < m->n; i++) {
		assert_int_equal(conv_kind(c, i), m->kind[i]);
		assert_int_equal(conv_len(c, i), strlen(m->text[i]));
		assert_string_equal(conv_text(c, i), m->text[i]);
		assert_int_equal(conv_rows(c, i, m->width), m->rows[i]);
	}
}

/*
 * Random lines, long and short and empty, and rewrites, against the
 * model: the buffer wraps, grows, shrinks and drops in batches, and
 * holds the same lines throughout.
 */
static void
test_model(void **state)
{
	struct conv	 c;
	struct model	 m;
	enum line_kind	 kind;
	char		*t;
	u_int		 i, r, seed = 16, adds = 0;
	size_t		 len;

	(void)state;
	memset(&c, 0, sizeof c);
	memset(&m, 0, sizeof m);
	for (i = 0; i < 30000; i++) {
		seed = seed * 1103515245 + 12345;
		r = (seed >> 8) % 1000;
		/* Phases of short lines and of long ones. */
		if ((i / 3000) % 2 == 0)
			len = r % 40;
		else
			len = r < 5 ? 0 : r * 3;
		t = text_of(i, len);
		if (r % 9 == 0 && m.n > 0) {
			kind = m.kind[--m.n];
			m.bytes -= strlen(m.text[m.n]);
			free(m.text[m.n]);
			model_add(&m, kind, t);
			conv_rewrite(&c, t);
		} else {
			kind = r % 4;
			model_add(&m, kind, t);
			conv_add(&c, kind, t);
			adds++;
		}
		free(t);
		assert_int_equal(c.seq, adds);
		if (i % 97 == 0 || i % 3000 < 3)
			model_check(&m, &c);
		assert_true(conv_size(&c) <= 2 * CHAT_MAX_BYTES);
	}
	model_check(&m, &c);
	while (m.n > 0)
		model_drop(&m);
	conv_free(&c);
}

/* len bytes of letters, of 4-byte characters, or of continuations. */
static void
fill(char *t, size_t len, u_int how)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (how == 0)
			t[i] = 'a' + i % 26;
		else if (how == 1)
			t[i] = "\xf0\x9f\x98\x80"[i % 4];	/* U+1F600 */
		else
			t[i] = (char)(0x80 + i % 64);
	}
	t[len] = '\0';
}

/*
 * Lines at the edges, against the model: empty, exactly CHAT_MAX_BYTES
 * and a byte either side, half of it, far past it with a character
 * across the cut or no character at all, among short lines and
 * rewrites, in phases with short lines only; rows cached at one width
 * or another stay with their line as the ring grows and wraps and the
 * buffer moves; the buffer stays bounded throughout.
 */
static void
test_model_edges(void **state)
{
	static const size_t	 sizes[] = { 0, 1, CHAT_MAX_BYTES - 1,
	    CHAT_MAX_BYTES, CHAT_MAX_BYTES + 1, CHAT_MAX_BYTES + 3,
	    CHAT_MAX_BYTES / 2, CHAT_MAX_BYTES / 2 + 1, 3 * CHAT_MAX_BYTES };
	struct conv		 c;
	struct model		 m;
	enum line_kind		 kind;
	char			*t;
	u_int			 i, r, seed = 7, width;
	size_t			 len;

	(void)state;
	memset(&c, 0, sizeof c);
	memset(&m, 0, sizeof m);
	t = xmalloc(3 * CHAT_MAX_BYTES + 1);
	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		r = seed >> 8;
		/* Phases of short lines only, so that the ring fills. */
		if ((i / 2000) % 2 == 0 || r % 4 != 0)
			len = r % 50;
		else
			len = sizes[(r >> 4) % (sizeof sizes / sizeof sizes[0])];
		fill(t, len, (r >> 10) % 3);
		if ((r >> 12) % 7 == 0 && m.n > 0) {
			kind = m.kind[--m.n];
			m.bytes -= strlen(m.text[m.n]);
			free(m.text[m.n]);
			model_add(&m, kind, t);
			conv_rewrite(&c, t);
		} else {
			kind = (r >> 14) % 4;
			model_add(&m, kind, t);
			conv_add(&c, kind, t);
		}
		if ((r >> 16) % 3 == 0) {
			/* A resize now and then forgets every line's rows. */
			width = (i / 3000) % 2 == 0 ? 80 : 40;
			model_set_rows(&m, (r >> 2) % m.n, width, r % 70000);
			conv_set_rows(&c, (r >> 2) % c.nlines, width, r % 70000);
		}
		if (len > 50 || i % 101 == 0)
			model_check(&m, &c);
		assert_true(conv_size(&c) <= 2 * CHAT_MAX_BYTES);
	}
	model_check(&m, &c);
	free(t);
	while (m.n > 0)
		model_drop(&m);
	conv_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_cap_lines),
		cmocka_unit_test(test_cap_bytes),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_rewrite_full),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_gives_back),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_model_edges),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
