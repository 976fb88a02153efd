/*
 * Unit tests for input.c: every byte and sequence mapping, sequences
 * split across feeds at every byte, the lone ESC that only a flush
 * resolves, Enter across CR LF / CR NUL / LF, and a million bytes of
 * garbage.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

/* Keys collected from the callback. */
struct keys {
	struct key	*k;
	size_t		 n;
	size_t		 size;
};

#define K(t)		{ KEYC_ ## t, 0 }
#define C(c)		{ KEYC_CHAR, (c) }
#define CTRL(c)		{ KEYC_CTRL, (c) }
#define FK(n)		{ KEYC_FKEY, (n) }

/* Check that the bytes of a string literal decode to the keys listed. */
#define EXPECT(s, ...) do {						\
	const struct key want_[] = { __VA_ARGS__ };			\
	expect_keys_at(__LINE__, s, sizeof (s) - 1, want_,		\
	    sizeof want_ / sizeof want_[0]);				\
} while (0)
/* Check that the bytes of a string literal decode to nothing. */
#define EXPECT_NONE(s)	\
	expect_keys_at(__LINE__, s, sizeof (s) - 1, NULL, 0)
#define expect_keys(b, l, w, n) expect_keys_at(__LINE__, b, l, w, n)

/* Append a key to the struct keys in arg. */
static void
record(const struct key *key, void *arg)
{
	struct keys	*ks = arg;

	if (ks->n == ks->size) {
		ks->size = ks->size == 0 ? 64 : ks->size * 2;
		ks->k = xreallocarray(ks->k, ks->size, sizeof *ks->k);
	}
	ks->k[ks->n++] = *key;
}

/* Forget the collected keys. */
static void
keys_reset(struct keys *ks)
{
	free(ks->k);
	memset(ks, 0, sizeof *ks);
}

/* Return a readable name for a key, for failure messages. */
static const char *
key_name(const struct key *k)
{
	static char	 buf[64];

	snprintf(buf, sizeof buf, "type %d cp %#x", (int)k->type,
	    (u_int)k->cp);
	return (buf);
}

/* Fail unless two key streams are the same. */
static void
assert_keys_at(int line, const struct key *got, size_t ngot,
    const struct key *want, size_t nwant, const char *what)
{
	size_t	 i;

	for (i = 0; i < ngot && i < nwant; i++) {
		if (got[i].type != want[i].type || got[i].cp != want[i].cp) {
			print_error("line %d: %s: key %zu is %s", line, what, i,
			    key_name(&got[i]));
			print_error(", want %s\n", key_name(&want[i]));
			fail();
		}
	}
	if (ngot != nwant) {
		print_error("line %d: %s: %zu keys, want %zu\n", line, what,
		    ngot, nwant);
		fail();
	}
}

#define assert_keys(g, ng, w, nw, what) \
	assert_keys_at(__LINE__, g, ng, w, nw, what)

/* Decode len bytes in feeds split at the offsets in cuts, then flush. */
static void
decode_split(const void *buf, size_t len, const size_t *cuts, size_t ncuts,
    struct keys *ks)
{
	struct input	 in;
	const u_char	*p = buf;
	size_t		 off = 0, i;

	input_init(&in);
	for (i = 0; i <= ncuts; i++) {
		size_t	 end = i < ncuts ? cuts[i] : len;

		input_feed(&in, p + off, end - off, record, ks);
		assert_true(in.seqlen <= INPUT_SEQ_MAX);
		off = end;
	}
	input_flush(&in, record, ks);
	assert_false(input_pending(&in));
}

/*
 * Check that buf decodes to want when fed at once, one byte at a time,
 * and split in two at every position.
 */
static void
expect_keys_at(int line, const void *buf, size_t len,
    const struct key *want, size_t nwant)
{
	struct keys	 ks = { 0 };
	struct input	 in;
	const u_char	*p = buf;
	size_t		 cut, i;

	decode_split(buf, len, NULL, 0, &ks);
	assert_keys_at(line, ks.k, ks.n, want, nwant, "whole");
	keys_reset(&ks);

	for (cut = 0; cut <= len; cut++) {
		decode_split(buf, len, &cut, 1, &ks);
		assert_keys_at(line, ks.k, ks.n, want, nwant, "split");
		keys_reset(&ks);
	}

	input_init(&in);
	for (i = 0; i < len; i++) {
		input_feed(&in, p + i, 1, record, &ks);
		assert_true(in.seqlen <= INPUT_SEQ_MAX);
	}
	input_flush(&in, record, &ks);
	assert_keys_at(line, ks.k, ks.n, want, nwant, "bytewise");
	keys_reset(&ks);
}

/* Feed bytes without flushing, into ks. */
static void
feed(struct input *in, const char *s, size_t len, struct keys *ks)
{
	input_feed(in, s, len, record, ks);
}

/* Printable ASCII and UTF-8 become KEYC_CHAR. */
static void
test_printable(void **state)
{
	(void)state;

	EXPECT("a", C('a'));
	EXPECT(" ~Az09", C(' '), C('~'), C('A'), C('z'), C('0'), C('9'));
	EXPECT("\xc3\xa9", C(0xe9));
	EXPECT("\xe2\x82\xac", C(0x20ac));
	EXPECT("\xe4\xb8\xad", C(0x4e2d));
	EXPECT("\xf0\x9f\x98\x80", C(0x1f600));
	EXPECT("\xf4\x8f\xbf\xbf", C(0x10ffff));
	EXPECT("\xc2\xa0", C(0xa0));
	EXPECT("e\xcc\x81", C('e'), C(0x301));
	/* U+FFFD typed for real is a character like any other. */
	EXPECT("\xef\xbf\xbd", C(0xfffd));
	EXPECT("x\xc3\xa9y\xf0\x9f\x98\x80z", C('x'), C(0xe9), C('y'),
	    C(0x1f600), C('z'));
}

/* Invalid UTF-8 is dropped without losing what follows. */
static void
test_invalid_utf8(void **state)
{
	(void)state;

	EXPECT_NONE("\x80");
	EXPECT_NONE("\xbf\xbf");
	EXPECT_NONE("\xff");
	EXPECT_NONE("\xfe\xfe");
	EXPECT_NONE("\xc0\xaf");		/* overlong '/' */
	EXPECT_NONE("\xc1\xbf");
	EXPECT_NONE("\xe0\x80\xaf");		/* overlong */
	EXPECT_NONE("\xf0\x80\x80\xaf");	/* overlong */
	EXPECT_NONE("\xed\xa0\x80");		/* surrogate */
	EXPECT_NONE("\xf4\x90\x80\x80");	/* above U+10FFFF */
	EXPECT_NONE("\xf5\x80\x80\x80");
	EXPECT_NONE("\xc2\x80");		/* C1 control */
	EXPECT_NONE("\xc2\x9b");		/* C1 CSI */
	EXPECT_NONE("\x9b");			/* raw 8-bit CSI */
	EXPECT("\xe2\x82" "A", C('A'));		/* cut short */
	EXPECT("\xc3" "\xc3\xa9", C(0xe9));	/* a new lead restarts */
	EXPECT("\xf0\x9f\x98" "\r", K(ENTER));
	EXPECT("\xe2\x1b[A", K(UP));
	EXPECT("a\xffz", C('a'), C('z'));
}

/* CR LF, CR NUL and LF are each one Enter, whatever the feeds. */
static void
test_enter(void **state)
{
	struct input	 in;
	struct keys	 ks = { 0 };
	const struct key one[] = { K(ENTER) };

	(void)state;

	EXPECT("\r", K(ENTER));
	EXPECT("\n", K(ENTER));
	EXPECT("\r\n", K(ENTER));
	EXPECT("\r\0", K(ENTER));
	EXPECT("\r\r", K(ENTER), K(ENTER));
	EXPECT("\n\n", K(ENTER), K(ENTER));
	EXPECT("\n\r", K(ENTER), K(ENTER));
	EXPECT("\r\n\n", K(ENTER), K(ENTER));
	EXPECT("\r\n\r\n", K(ENTER), K(ENTER));
	EXPECT("\r\0\r\0", K(ENTER), K(ENTER));
	EXPECT("\r\0\n", K(ENTER), K(ENTER));
	EXPECT("\r\n\0", K(ENTER));
	EXPECT("a\r\nb", C('a'), K(ENTER), C('b'));
	EXPECT("\rb", K(ENTER), C('b'));
	EXPECT("\r\x1b[A", K(ENTER), K(UP));

	/* The LF of a CR LF arriving in a later feed. */
	input_init(&in);
	feed(&in, "\r", 1, &ks);
	assert_false(input_pending(&in));
	feed(&in, "\n", 1, &ks);
	assert_keys(ks.k, ks.n, one, 1, "CR, LF");
	feed(&in, "\n", 1, &ks);
	assert_int_equal(ks.n, 2);
	keys_reset(&ks);

	input_init(&in);
	feed(&in, "\r", 1, &ks);
	feed(&in, "\0", 1, &ks);
	assert_keys(ks.k, ks.n, one, 1, "CR, NUL");
	keys_reset(&ks);
}

/* Backspace, Tab and Ctrl keys from C0 bytes. */
static void
test_controls(void **state)
{
	struct keys	 ks = { 0 };
	struct key	 want;
	u_char		 c;

	(void)state;

	EXPECT("\x7f", K(BACKSPACE));
	EXPECT("\x08", K(BACKSPACE));
	EXPECT("\t", K(TAB));
	EXPECT("\x03", CTRL('c'));
	EXPECT("\x04", CTRL('d'));
	EXPECT("\x01", CTRL('a'));
	EXPECT("\x1a", CTRL('z'));
	EXPECT_NONE("\0");
	EXPECT_NONE("\0\0\0");
	EXPECT_NONE("\x1c\x1d\x1e\x1f");
	EXPECT("a\0b", C('a'), C('b'));

	for (c = 0x01; c <= 0x1a; c++) {
		if (c == '\b' || c == '\t' || c == '\n' || c == '\r')
			continue;
		decode_split(&c, 1, NULL, 0, &ks);
		want.type = KEYC_CTRL;
		want.cp = 'a' + c - 1;
		assert_keys(ks.k, ks.n, &want, 1, "ctrl");
		keys_reset(&ks);
	}
}

/* Every escape sequence that means a key. */
static void
test_sequences(void **state)
{
	static const struct {
		const char	*s;
		struct key	 k;
	} table[] = {
		{ "\x1b[A", K(UP) },		{ "\x1b[B", K(DOWN) },
		{ "\x1b[C", K(RIGHT) },		{ "\x1b[D", K(LEFT) },
		{ "\x1b[H", K(HOME) },		{ "\x1b[F", K(END) },
		{ "\x1bOA", K(UP) },		{ "\x1bOB", K(DOWN) },
		{ "\x1bOC", K(RIGHT) },		{ "\x1bOD", K(LEFT) },
		{ "\x1bOH", K(HOME) },		{ "\x1bOF", K(END) },
		{ "\x1b[1~", K(HOME) },		{ "\x1b[7~", K(HOME) },
		{ "\x1b[4~", K(END) },		{ "\x1b[8~", K(END) },
		{ "\x1b[2~", K(INSERT) },	{ "\x1b[3~", K(DELETE) },
		{ "\x1b[5~", K(PGUP) },		{ "\x1b[6~", K(PGDN) },
		{ "\x1b[1;2A", K(SHIFT_UP) },
		{ "\x1b[1;2B", K(SHIFT_DOWN) },
		{ "\x1b[a", K(SHIFT_UP) },	{ "\x1b[b", K(SHIFT_DOWN) },
		{ "\x1b[c", K(RIGHT) },		{ "\x1b[d", K(LEFT) },
		{ "\x1bO2A", K(SHIFT_UP) },	{ "\x1bO2B", K(SHIFT_DOWN) },
		{ "\x1b[1;5C", K(RIGHT) },	{ "\x1b[1;5D", K(LEFT) },
		{ "\x1b[1;3A", K(UP) },		{ "\x1b[1;5B", K(DOWN) },
		{ "\x1b[1;2C", K(RIGHT) },	{ "\x1b[1;6A", K(UP) },
		{ "\x1b[1;5H", K(HOME) },	{ "\x1b[1;5F", K(END) },
		{ "\x1bO5C", K(RIGHT) },	{ "\x1bO1;5D", K(LEFT) },
		{ "\x1b[3;5~", K(DELETE) },	{ "\x1b[5;2~", K(PGUP) },
		{ "\x1b[3^", K(DELETE) },	{ "\x1b[7$", K(HOME) },
		{ "\x1b[8$", K(END) },		{ "\x1b[2@", K(INSERT) },
		{ "\x1bOP", FK(1) },		{ "\x1bOQ", FK(2) },
		{ "\x1bOR", FK(3) },		{ "\x1bOS", FK(4) },
		{ "\x1b[1;2P", FK(1) },		{ "\x1b[1;5S", FK(4) },
		{ "\x1b[11~", FK(1) },		{ "\x1b[12~", FK(2) },
		{ "\x1b[13~", FK(3) },		{ "\x1b[14~", FK(4) },
		{ "\x1b[15~", FK(5) },		{ "\x1b[17~", FK(6) },
		{ "\x1b[18~", FK(7) },		{ "\x1b[19~", FK(8) },
		{ "\x1b[20~", FK(9) },		{ "\x1b[21~", FK(10) },
		{ "\x1b[23~", FK(11) },		{ "\x1b[24~", FK(12) },
		{ "\x1b[25~", FK(13) },		{ "\x1b[34~", FK(20) },
		{ "\x1b[15;5~", FK(5) },	{ "\x1b[24;2~", FK(12) },
		{ "\x1b[[A", FK(1) },		{ "\x1b[[B", FK(2) },
		{ "\x1b[[C", FK(3) },		{ "\x1b[[D", FK(4) },
		{ "\x1b[[E", FK(5) },
		{ "\x1bOM", K(ENTER) },		{ "\x1bOp", C('0') },
		{ "\x1bOy", C('9') },		{ "\x1bOj", C('*') },
		{ "\x1bOo", C('/') },		{ "\x1bOX", C('=') },
	};
	char		 buf[64];
	struct key	 want[3];
	size_t		 i, len;

	(void)state;

	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		/* Alone, and between characters to show where it ends. */
		len = strlen(table[i].s);
		expect_keys(table[i].s, len, &table[i].k, 1);

		snprintf(buf, sizeof buf, "x%sy", table[i].s);
		want[0] = (struct key)C('x');
		want[1] = table[i].k;
		want[2] = (struct key)C('y');
		expect_keys(buf, len + 2, want, 3);
	}
}

/* Paste markers, focus reports, mouse reports and unknown CSI vanish. */
static void
test_swallowed(void **state)
{
	(void)state;

	EXPECT_NONE("\x1b[200~");
	EXPECT_NONE("\x1b[201~");
	EXPECT("\x1b[200~hi\r\x1b[201~", C('h'), C('i'), K(ENTER));
	EXPECT_NONE("\x1b[I");
	EXPECT_NONE("\x1b[O");
	EXPECT("\x1b[Ix\x1b[Oy", C('x'), C('y'));
	EXPECT_NONE("\x1b[M !!");
	EXPECT("\x1b[M#5%z", C('z'));
	/* X10 report bytes may be anything, even ESC or CR. */
	EXPECT("\x1b[M\x1b\r\xffz", C('z'));
	EXPECT("\x1b[M\xc3\xa9\x80\xc3\xa9", C(0xe9));
	EXPECT_NONE("\x1b[<0;10;20M");
	EXPECT_NONE("\x1b[<0;10;20m");
	EXPECT("\x1b[<64;1;1Ma\x1b[<0;300;100mb", C('a'), C('b'));
	EXPECT_NONE("\x1b[?1;2c");
	EXPECT_NONE("\x1b[5n");
	EXPECT_NONE("\x1b[24;80R");
	EXPECT_NONE("\x1b[2 q");
	EXPECT_NONE("\x1b[>0;95;0c");
	EXPECT_NONE("\x1b[99~");
	EXPECT_NONE("\x1b[0~");
	EXPECT_NONE("\x1b[Z");
	EXPECT_NONE("\x1b[1;2Z");
	EXPECT_NONE("\x1b[E");
	EXPECT_NONE("\x1bOE");
	EXPECT_NONE("\x1bO~");
	EXPECT_NONE("\x1b[[Z");
	/* Without digits '$' is an intermediate, and x the final byte. */
	EXPECT_NONE("\x1b[$x");
	EXPECT("\x1b[$xy", C('y'));
}

/* ESC and a byte that starts no sequence: Esc, then that byte. */
static void
test_alt(void **state)
{
	(void)state;

	EXPECT("\x1bx", K(ESC), C('x'));
	EXPECT("\x1b" "a", K(ESC), C('a'));
	EXPECT("\x1b\r", K(ESC), K(ENTER));
	EXPECT("\x1b\r\n", K(ESC), K(ENTER));
	EXPECT("\x1b\x7f", K(ESC), K(BACKSPACE));
	EXPECT("\x1b\x03", K(ESC), CTRL('c'));
	EXPECT("\x1b\xc3\xa9", K(ESC), C(0xe9));
	EXPECT("\x1b\xff" "a", K(ESC), C('a'));
	EXPECT("\x1b\0", K(ESC));
}

/* Control strings go whole: no "]0;title" residue after the ESC. */
static void
test_control_strings(void **state)
{
	(void)state;

	EXPECT("a\x1b]0;pwned\x07" "b", C('a'), C('b'));
	EXPECT("a\x1b]8;;http://x\x1b\\" "b", C('a'), C('b'));
	EXPECT("\x1bPqdata\x1b\\z", C('z'));
	EXPECT("\x1b_apc\x07\x1b^pm\x07\x1bXsos\x07!", C('!'));
	EXPECT("\xc2\x9d" "0;t\x07" "c", C('c'));	/* C1 OSC */
	EXPECT("\xc2\x9d" "0;\xc3\xa9\xc2\x9c" "c", C('c'));	/* C1 ST */
	/* Left open: Enter ends it and is not lost. */
	EXPECT("\x1b]0;open\rok", K(ENTER), C('o'), C('k'));
	/* An ESC that is not ST ends it and starts its own sequence. */
	EXPECT("\x1b]0;t\x1b[A", K(UP));
}

/* A lone ESC is held until input_flush() says no more is coming. */
static void
test_lone_esc(void **state)
{
	struct input	 in;
	struct keys	 ks = { 0 };
	const struct key esc[] = { K(ESC) }, up[] = { K(UP) };
	const struct key later[] = { K(ESC), C('['), C('A') };

	(void)state;

	input_init(&in);
	assert_false(input_pending(&in));
	feed(&in, "\x1b", 1, &ks);
	assert_int_equal(ks.n, 0);
	assert_true(input_pending(&in));
	feed(&in, "", 0, &ks);
	assert_int_equal(ks.n, 0);
	assert_true(input_pending(&in));
	input_flush(&in, record, &ks);
	assert_keys(ks.k, ks.n, esc, 1, "lone ESC");
	assert_false(input_pending(&in));
	input_flush(&in, record, &ks);
	assert_int_equal(ks.n, 1);
	keys_reset(&ks);

	/* Before the flush, the rest of a sequence may still come. */
	input_init(&in);
	feed(&in, "\x1b", 1, &ks);
	feed(&in, "[", 1, &ks);
	assert_true(input_pending(&in));
	feed(&in, "A", 1, &ks);
	assert_false(input_pending(&in));
	assert_keys(ks.k, ks.n, up, 1, "ESC, [, A");
	keys_reset(&ks);

	/* After it, they are typed characters. */
	input_init(&in);
	feed(&in, "\x1b", 1, &ks);
	input_flush(&in, record, &ks);
	feed(&in, "[A", 2, &ks);
	assert_keys(ks.k, ks.n, later, 3, "ESC, flush, [A");
	keys_reset(&ks);

	/* Nothing pending after a complete key. */
	input_init(&in);
	feed(&in, "\x1b[A", 3, &ks);
	assert_false(input_pending(&in));
	keys_reset(&ks);
}

/* ESC ESC is two Escs: one at once, the second after the flush. */
static void
test_esc_esc(void **state)
{
	struct input	 in;
	struct keys	 ks = { 0 };
	const struct key two[] = { K(ESC), K(ESC) };

	(void)state;

	input_init(&in);
	feed(&in, "\x1b\x1b", 2, &ks);
	assert_int_equal(ks.n, 1);
	assert_int_equal(ks.k[0].type, KEYC_ESC);
	assert_true(input_pending(&in));
	input_flush(&in, record, &ks);
	assert_keys(ks.k, ks.n, two, 2, "ESC ESC");
	keys_reset(&ks);

	/* Two presses in two feeds. */
	input_init(&in);
	feed(&in, "\x1b", 1, &ks);
	feed(&in, "\x1b", 1, &ks);
	input_flush(&in, record, &ks);
	assert_keys(ks.k, ks.n, two, 2, "ESC, ESC");
	keys_reset(&ks);

	EXPECT("\x1b\x1b", K(ESC), K(ESC));
	EXPECT("\x1b\x1b\x1b", K(ESC), K(ESC), K(ESC));
	EXPECT("\x1b\x1b[A", K(ESC), K(UP));
	EXPECT("\x1b\x1bx", K(ESC), K(ESC), C('x'));
}

/* Incomplete things are dropped by the flush, not delivered. */
static void
test_flush_drops(void **state)
{
	(void)state;

	EXPECT_NONE("\x1b[");
	EXPECT_NONE("\x1bO");
	EXPECT_NONE("\x1b[1;");
	EXPECT_NONE("\x1b[M");
	EXPECT_NONE("\x1b[M!!");
	EXPECT_NONE("\x1b[[");
	EXPECT_NONE("\x1b[<0;1");
	EXPECT_NONE("\xe2\x82");
	EXPECT_NONE("\xf0\x9f\x98");
	EXPECT("a\x1b[1", C('a'));
}

/* A sequence broken by a byte that cannot belong to it. */
static void
test_broken(void **state)
{
	(void)state;

	EXPECT("\x1b[1\r", K(ENTER));
	EXPECT("\x1b[\x1b[A", K(UP));
	EXPECT("\x1bO\x1bOA", K(UP));
	EXPECT("\x1b[1;\x7f", K(BACKSPACE));
	EXPECT("\x1b[\xc3\xa9", C(0xe9));
	EXPECT("\x1b[\x03", CTRL('c'));
	EXPECT("\x1b[2\x1b", K(ESC));
}

/* Overlong sequences are abandoned without overflowing in->seq. */
static void
test_overlong(void **state)
{
	char		 buf[4096];
	struct key	 want[2];
	size_t		 n;

	(void)state;

	/* ESC [, 30 parameter bytes and ~: 32 bytes held, still a key. */
	memset(buf, 0, sizeof buf);
	memcpy(buf, "\x1b[", 2);
	memset(buf + 2, '0', 29);
	buf[31] = '1';
	buf[32] = '~';
	want[0] = (struct key)K(HOME);
	expect_keys(buf, 33, want, 1);

	/* One more parameter byte than fits: the sequence is dropped. */
	memset(buf + 2, '0', 30);
	buf[32] = '1';
	buf[33] = '~';
	buf[34] = 'x';
	want[0] = (struct key)C('x');
	expect_keys(buf, 35, want, 1);

	/* Thousands of parameters: none of them turns into text. */
	memcpy(buf, "\x1b[", 2);
	for (n = 2; n < 4000; n++)
		buf[n] = "0123456789;"[n % 11];
	buf[n++] = 'A';
	buf[n++] = 'y';
	want[0] = (struct key)C('y');
	expect_keys(buf, n, want, 1);

	/* Ended by Enter rather than a final byte. */
	buf[n - 2] = '\r';
	want[0] = (struct key)K(ENTER);
	want[1] = (struct key)C('y');
	expect_keys(buf, n, want, 2);

	/* The same for SS3 and for intermediates. */
	memcpy(buf, "\x1bO", 2);
	memset(buf + 2, ' ', 100);
	buf[102] = 'P';
	buf[103] = 'z';
	want[0] = (struct key)C('z');
	expect_keys(buf, 104, want, 1);
}

/* A stream of every kind of key decodes the same however it is cut. */
static void
test_split_everywhere(void **state)
{
	static const char s[] =
	    "hi\xc3\xa9\x1b[A\r\n\x1bOP\x1b[1;2B\x1b[3~\xe2\x82\xac"
	    "\x1b\x1b[200~p\x1b[201~\x1b[M !!\x1b[<0;1;2m\r\0"
	    "\x1bx\x1b[15;5~\n\x1b[[C\x1b[a\x7f\x08\t\x03"
	    "\xf0\x9f\x98\x80\x1b[I\x1b[O\x1b[?1c\x1bOM\x1b";
	const struct key want[] = {
		C('h'), C('i'), C(0xe9), K(UP), K(ENTER), FK(1),
		K(SHIFT_DOWN), K(DELETE), C(0x20ac), K(ESC), C('p'),
		K(ENTER), K(ESC), C('x'), FK(5), K(ENTER), FK(3),
		K(SHIFT_UP), K(BACKSPACE), K(BACKSPACE), K(TAB), CTRL('c'),
		C(0x1f600), K(ENTER), K(ESC),
	};
	struct keys	 ks = { 0 };
	size_t		 len = sizeof s - 1, cuts[2];

	(void)state;

	/* expect_keys() covers whole, bytewise and every single cut. */
	expect_keys(s, len, want, sizeof want / sizeof want[0]);

	/* Every pair of cuts. */
	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++) {
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++) {
			decode_split(s, len, cuts, 2, &ks);
			assert_keys(ks.k, ks.n, want,
			    sizeof want / sizeof want[0], "two cuts");
			keys_reset(&ks);
		}
	}
}

/* Return the next pseudo-random number (xorshift64). */
static uint64_t
next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

/* Fail unless a key is one input.c may deliver. */
static void
assert_sane(const struct key *k)
{
	switch (k->type) {
	case KEYC_CHAR:
		assert_true(k->cp >= 0x20);
		assert_true(k->cp != 0x7f);
		assert_true(k->cp < 0x80 || k->cp >= 0xa0);
		assert_true(k->cp < 0xd800 || k->cp > 0xdfff);
		assert_true(k->cp <= 0x10ffff);
		break;
	case KEYC_CTRL:
		assert_true(k->cp >= 'a' && k->cp <= 'z');
		break;
	case KEYC_FKEY:
		assert_true(k->cp >= 1 && k->cp <= 20);
		break;
	case KEYC_NONE:
		fail();
		break;
	default:
		assert_true(k->type <= KEYC_FKEY);
		assert_int_equal(k->cp, 0);
		break;
	}
}

/*
 * A million bytes of garbage, heavy in ESC, [, digits and UTF-8 leads,
 * fed in random pieces, decode to sane keys and the same keys as when fed
 * one byte at a time.
 */
static void
test_garbage(void **state)
{
	static const u_char	 common[] = "\x1b[O;0123456789~ABMP<\r\n\0"
				    "\xc3\xe2\xf0\x80\xbf\x7f";
	const size_t		 len = 1000 * 1000;
	struct input		 in;
	struct keys		 whole = { 0 }, bytes = { 0 };
	u_char			*buf;
	uint64_t		 x = 0x9e3779b97f4a7c15ULL, r;
	size_t			 i, off, n;

	(void)state;

	buf = xmalloc(len);
	for (i = 0; i < len; i++) {
		r = next_random(&x);
		if (r % 3 == 0)
			buf[i] = r >> 8;
		else
			buf[i] = common[(r >> 8) % (sizeof common - 1)];
	}

	input_init(&in);
	for (off = 0; off < len; off += n) {
		n = 1 + next_random(&x) % 64;
		if (n > len - off)
			n = len - off;
		input_feed(&in, buf + off, n, record, &whole);
		assert_true(in.seqlen <= INPUT_SEQ_MAX);
	}
	input_flush(&in, record, &whole);

	input_init(&in);
	for (off = 0; off < len; off++) {
		input_feed(&in, buf + off, 1, record, &bytes);
		assert_true(in.seqlen <= INPUT_SEQ_MAX);
	}
	input_flush(&in, record, &bytes);

	assert_true(whole.n > len / 20);
	for (i = 0; i < whole.n; i++)
		assert_sane(&whole.k[i]);
	assert_keys(whole.k, whole.n, bytes.k, bytes.n, "garbage");

	keys_reset(&whole);
	keys_reset(&bytes);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_enter),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_swallowed),
		cmocka_unit_test(test_alt),
		cmocka_unit_test(test_control_strings),
		cmocka_unit_test(test_lone_esc),
		cmocka_unit_test(test_esc_esc),
		cmocka_unit_test(test_flush_drops),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_garbage),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
