/*
 * Key decoding: turns the raw bytes a client sends into keys, as tmux's
 * tty-keys.c does.  This file owns the state kept between feeds - an
 * incomplete UTF-8 character or escape sequence, and a CR whose LF or NUL
 * is still to come - and nothing else.  It does no I/O and knows no
 * timers: while input_pending() the caller arms one and calls
 * input_flush() when it fires, which is how a lone ESC becomes a key.
 * What a key means is for editor.c and session.c to decide.
 *
 * Bytes held in in->seq are one of:
 *   a UTF-8 lead byte and its continuation bytes so far;
 *   ESC alone;
 *   ESC [ or ESC O and the parameter and intermediate bytes so far;
 *   ESC [ M and up to three bytes of an X10 mouse report;
 *   ESC [ [ (the Linux console's F1-F5);
 *   ESC [ or ESC O and INPUT_DISCARD: an overlong sequence whose remaining
 *   bytes are being dropped up to its final byte.
 * Besides, in->string is non-zero inside a control string (OSC ESC ], DCS
 * ESC P, SOS ESC X, PM ESC ^, APC ESC _, or their C1 forms): its bytes
 * are dropped up to BEL or ST (ESC \), so that a stripped sequence
 * leaves no residue such as "]0;title" behind.  Enter always ends one.
 */

#include <stdint.h>
#include <string.h>

#include "strangerd.h"

#define INPUT_ESC	0x1b
/* Cannot occur after ESC [ or ESC O, so it marks an abandoned sequence. */
#define INPUT_DISCARD	0xff
/* Parameters above this are clamped: no key needs a larger one. */
#define INPUT_PARAM_MAX	9999

static void	input_key(key_cb, void *, enum key_type, uint32_t);
static void	input_ground(struct input *, u_char, key_cb, void *);
static int	input_utf8(struct input *, u_char, key_cb, void *);
static int	input_escape(struct input *, u_char, key_cb, void *);
static int	input_sequence(struct input *, u_char, key_cb, void *);
static int	input_string(struct input *, u_char, key_cb, void *);
static int	input_params(const u_char *, size_t, u_int *, u_int);
static int	input_digits(const u_char *, size_t);
static int	input_tilde(u_int, struct key *);
static int	input_decode(const u_char *, size_t, u_char, struct key *);

/* Reset the decoder to hold nothing. */
void
input_init(struct input *in)
{
	memset(in, 0, sizeof *in);
}

/* Hand one key to the callback. */
static void
input_key(key_cb cb, void *arg, enum key_type type, uint32_t cp)
{
	struct key	 key;

	key.type = type;
	key.cp = cp;
	cb(&key, arg);
}

/* Decode a byte that arrives with nothing pending. */
static void
input_ground(struct input *in, u_char c, key_cb cb, void *arg)
{
	if (c == INPUT_ESC || (c >= 0xc2 && c <= 0xf4)) {
		in->seq[0] = c;
		in->seqlen = 1;
		return;
	}
	/* A stray continuation byte or one that never starts a character. */
	if (c >= 0x80)
		return;
	if (c >= 0x20 && c != 0x7f) {
		input_key(cb, arg, KEYC_CHAR, c);
		return;
	}

	switch (c) {
	case '\r':
		input_key(cb, arg, KEYC_ENTER, 0);
		in->after_cr = 1;
		break;
	case '\n':
		input_key(cb, arg, KEYC_ENTER, 0);
		break;
	case '\t':
		input_key(cb, arg, KEYC_TAB, 0);
		break;
	case '\b':
	case 0x7f:
		input_key(cb, arg, KEYC_BACKSPACE, 0);
		break;
	default:
		/* NUL and 0x1c-0x1f (Ctrl-\ ] ^ _) mean nothing here. */
		if (c >= 0x01 && c <= 0x1a)
			input_key(cb, arg, KEYC_CTRL, 'a' + c - 1);
		break;
	}
}

/*
 * Add a byte to a partial UTF-8 character.  Returns 0 if the byte was not
 * a continuation: the partial character is dropped and the caller
 * decodes the byte afresh.
 */
static int
input_utf8(struct input *in, u_char c, key_cb cb, void *arg)
{
	size_t	 need, n;
	uint32_t cp;

	if ((c & 0xc0) != 0x80) {
		in->seqlen = 0;
		return (0);
	}
	in->seq[in->seqlen++] = c;

	if (in->seq[0] >= 0xf0)
		need = 4;
	else if (in->seq[0] >= 0xe0)
		need = 3;
	else
		need = 2;
	if (in->seqlen < need)
		return (1);
	in->seqlen = 0;

	/*
	 * utf8_decode() judges overlong forms and surrogates.  It may report
	 * an invalid character as U+FFFD, so that is believed only when the
	 * client really sent U+FFFD.
	 */
	n = utf8_decode(in->seq, need, &cp);
	if (n != need)
		return (1);
	if (cp == UTF8_REPLACEMENT && memcmp(in->seq, "\357\277\275", 3) != 0)
		return (1);
	/* C1 DCS, SOS, OSC, PM and APC start a control string. */
	if (cp == 0x90 || cp == 0x98 || cp == 0x9d || cp == 0x9e ||
	    cp == 0x9f)
		in->string = 1;
	if (cp < 0xa0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (1);	/* C1 controls are not printable */
	input_key(cb, arg, KEYC_CHAR, cp);
	return (1);
}

/*
 * Decide what follows a lone ESC.  Returns 0 if the ESC was a key of its
 * own (Esc, or Alt with the next key): the caller decodes the byte
 * afresh, so a second ESC starts a new sequence.
 */
static int
input_escape(struct input *in, u_char c, key_cb cb, void *arg)
{
	if (c == '[' || c == 'O') {
		in->seq[in->seqlen++] = c;
		return (1);
	}
	in->seqlen = 0;
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
		in->string = 1;
		return (1);
	}
	input_key(cb, arg, KEYC_ESC, 0);
	return (0);
}

/*
 * A byte inside a control string: dropped, up to BEL or ST (in->string
 * is 2 after an ESC, 3 after the C2 that may start C1 ST).  An ESC not
 * followed by \ ends the string and starts a sequence of its own; CR or
 * LF end it too and are decoded afresh (return 0), so a string left open
 * cannot swallow what is typed after it.
 */
static int
input_string(struct input *in, u_char c, key_cb cb, void *arg)
{
	if (in->string == 2) {
		in->string = 0;
		if (c == '\\')
			return (1);
		in->seq[0] = INPUT_ESC;
		in->seqlen = 1;
		return (input_escape(in, c, cb, arg));
	}
	if (c == '\r' || c == '\n') {
		in->string = 0;
		return (0);
	}
	/* ST is also C1 U+009C: 0x9c alone, or C2 9C in UTF-8. */
	if (c == 0x07 || c == 0x9c)
		in->string = 0;
	else if (c == INPUT_ESC)
		in->string = 2;
	else
		in->string = c == 0xc2 ? 3 : 1;
	return (1);
}

/*
 * Add a byte to a CSI (ESC [) or SS3 (ESC O) sequence and deliver the key
 * once it is complete.  Returns 0 if the byte cannot be part of the
 * sequence: what was held is dropped and the caller decodes the byte
 * afresh, so that an Enter or an ESC typed after garbage is not lost.
 */
static int
input_sequence(struct input *in, u_char c, key_cb cb, void *arg)
{
	struct key	 key;
	u_char		 intro = in->seq[1];

	/* An X10 mouse report: ESC [ M and three bytes of any value. */
	if (intro == '[' && in->seqlen >= 3 && in->seq[2] == 'M') {
		in->seq[in->seqlen++] = c;
		if (in->seqlen == 6)
			in->seqlen = 0;
		return (1);
	}

	/* The Linux console's F1-F5: ESC [ [ A to ESC [ [ E. */
	if (intro == '[' && in->seqlen == 3 && in->seq[2] == '[') {
		in->seqlen = 0;
		if (c >= 'A' && c <= 'E') {
			input_key(cb, arg, KEYC_FKEY, c - 'A' + 1);
			return (1);
		}
		return (c >= 0x40 && c <= 0x7e);
	}

	/* The rest of an overlong sequence, dropped up to its final byte. */
	if (in->seqlen == 3 && in->seq[2] == INPUT_DISCARD) {
		if (c >= 0x20 && c <= 0x3f)
			return (1);
		in->seqlen = 0;
		return (c >= 0x40 && c <= 0x7e);
	}

	if (intro == '[' && in->seqlen == 2 && (c == 'M' || c == '[')) {
		in->seq[in->seqlen++] = c;
		return (1);
	}

	/* rxvt ends shifted editing keys with $, otherwise an intermediate. */
	if (c == '$' && intro == '[' && in->seqlen > 2 &&
	    input_digits(in->seq + 2, in->seqlen - 2)) {
		if (input_decode(in->seq + 1, in->seqlen - 1, c, &key))
			cb(&key, arg);
		in->seqlen = 0;
		return (1);
	}

	if (c >= 0x20 && c <= 0x3f) {
		if (in->seqlen == INPUT_SEQ_MAX) {
			/*
			 * Too long for any key: abandon it, but keep
			 * swallowing its parameters so that they do not turn
			 * into typed text.
			 */
			in->seq[2] = INPUT_DISCARD;
			in->seqlen = 3;
			return (1);
		}
		in->seq[in->seqlen++] = c;
		return (1);
	}

	if (c >= 0x40 && c <= 0x7e) {
		if (input_decode(in->seq + 1, in->seqlen - 1, c, &key))
			cb(&key, arg);
		in->seqlen = 0;
		return (1);
	}

	in->seqlen = 0;
	return (0);
}

/* Return non-zero if every byte is a decimal digit. */
static int
input_digits(const u_char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (0);
	}
	return (1);
}

/*
 * Parse numeric parameters separated by ; into out (0 where omitted).
 * Returns how many there were, or -1 if other bytes (private markers,
 * intermediates) make the sequence one no key uses.
 */
static int
input_params(const u_char *p, size_t n, u_int *out, u_int max)
{
	size_t	 i;
	u_int	 np = 0;

	memset(out, 0, max * sizeof *out);
	if (n == 0)
		return (0);
	np = 1;
	for (i = 0; i < n; i++) {
		if (p[i] == ';') {
			np++;
			continue;
		}
		if (p[i] < '0' || p[i] > '9')
			return (-1);
		if (np > max)
			continue;
		out[np - 1] = out[np - 1] * 10 + (p[i] - '0');
		if (out[np - 1] > INPUT_PARAM_MAX)
			out[np - 1] = INPUT_PARAM_MAX;
	}
	return (np);
}

/* Map the number of a vt220-style ESC [ n ~ sequence to a key. */
static int
input_tilde(u_int n, struct key *key)
{
	static const struct {
		u_int		 n;
		enum key_type	 type;
		uint32_t	 cp;
	} table[] = {
		{ 1, KEYC_HOME, 0 },	{ 7, KEYC_HOME, 0 },
		{ 4, KEYC_END, 0 },	{ 8, KEYC_END, 0 },
		{ 2, KEYC_INSERT, 0 },	{ 3, KEYC_DELETE, 0 },
		{ 5, KEYC_PGUP, 0 },	{ 6, KEYC_PGDN, 0 },
		{ 11, KEYC_FKEY, 1 },	{ 12, KEYC_FKEY, 2 },
		{ 13, KEYC_FKEY, 3 },	{ 14, KEYC_FKEY, 4 },
		{ 15, KEYC_FKEY, 5 },	{ 17, KEYC_FKEY, 6 },
		{ 18, KEYC_FKEY, 7 },	{ 19, KEYC_FKEY, 8 },
		{ 20, KEYC_FKEY, 9 },	{ 21, KEYC_FKEY, 10 },
		{ 23, KEYC_FKEY, 11 },	{ 24, KEYC_FKEY, 12 },
		{ 25, KEYC_FKEY, 13 },	{ 26, KEYC_FKEY, 14 },
		{ 28, KEYC_FKEY, 15 },	{ 29, KEYC_FKEY, 16 },
		{ 31, KEYC_FKEY, 17 },	{ 32, KEYC_FKEY, 18 },
		{ 33, KEYC_FKEY, 19 },	{ 34, KEYC_FKEY, 20 },
	};
	size_t	 i;

	/* 200 and 201 (bracketed paste) and anything else: no key. */
	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].n == n) {
			key->type = table[i].type;
			key->cp = table[i].cp;
			return (1);
		}
	}
	return (0);
}

/*
 * Map a complete sequence - the introducer ([ or O), its parameter bytes
 * and the final byte - to a key.  Returns 0 for sequences that are no key
 * (focus, mouse, paste markers, unknown ones): they are swallowed.
 */
static int
input_decode(const u_char *seq, size_t len, u_char final, struct key *key)
{
	u_int	 p[2], mod;
	int	 np;

	key->cp = 0;
	if ((np = input_params(seq + 1, len - 1, p, 2)) == -1)
		return (0);

	/*
	 * xterm puts modifiers in the second parameter (ESC [ 1 ; 5 C); some
	 * terminals send SS3 with a single one (ESC O 5 C).  Only Shift with
	 * Up and Down means anything to us; otherwise the plain key.
	 */
	if (seq[0] == 'O')
		mod = np > 0 ? p[np > 1 ? 1 : 0] : 0;
	else
		mod = p[1];

	switch (final) {
	case 'A':
		key->type = mod == 2 ? KEYC_SHIFT_UP : KEYC_UP;
		return (1);
	case 'B':
		key->type = mod == 2 ? KEYC_SHIFT_DOWN : KEYC_DOWN;
		return (1);
	case 'C':
		key->type = KEYC_RIGHT;
		return (1);
	case 'D':
		key->type = KEYC_LEFT;
		return (1);
	case 'H':
		key->type = KEYC_HOME;
		return (1);
	case 'F':
		key->type = KEYC_END;
		return (1);
	case 'P':
	case 'Q':
	case 'R':
	case 'S':
		/*
		 * ESC [ row ; col R is also a cursor position report: only
		 * a first parameter of 1 (xterm's modified F1-F4) is a key.
		 */
		if (seq[0] == '[' && p[0] > 1)
			return (0);
		key->type = KEYC_FKEY;
		key->cp = final - 'P' + 1;
		return (1);
	}

	if (seq[0] == '[') {
		switch (final) {
		case '~':
		case '^':	/* rxvt: with Ctrl */
		case '$':	/* rxvt: with Shift */
		case '@':	/* rxvt: with Ctrl and Shift */
			return (np > 0 && input_tilde(p[0], key));
		}
		if (np != 0)
			return (0);
		switch (final) {
		case 'a':	/* rxvt Shift-Up */
			key->type = KEYC_SHIFT_UP;
			return (1);
		case 'b':	/* rxvt Shift-Down */
			key->type = KEYC_SHIFT_DOWN;
			return (1);
		case 'c':	/* rxvt Shift-Right */
			key->type = KEYC_RIGHT;
			return (1);
		case 'd':	/* rxvt Shift-Left */
			key->type = KEYC_LEFT;
			return (1);
		}
		return (0);
	}

	/* The keypad in application mode. */
	if (final == 'M') {
		key->type = KEYC_ENTER;
		return (1);
	}
	if (final >= 'j' && final <= 'y') {
		key->type = KEYC_CHAR;
		key->cp = "*+,-./0123456789"[final - 'j'];
		return (1);
	}
	if (final == 'X') {
		key->type = KEYC_CHAR;
		key->cp = '=';
		return (1);
	}
	return (0);
}

/* Decode bytes from the client, calling cb once for each key. */
void
input_feed(struct input *in, const void *buf, size_t len, key_cb cb,
    void *arg)
{
	const u_char	*p = buf;
	size_t		 i;
	u_char		 c;
	int		 used;

	for (i = 0; i < len; i++) {
		c = p[i];

		/* CR LF and CR NUL are one Enter, as telnet sends them. */
		if (in->after_cr) {
			in->after_cr = 0;
			if (c == '\n' || c == '\0')
				continue;
		}

		if (in->string)
			used = input_string(in, c, cb, arg);
		else if (in->seqlen == 0)
			used = 0;
		else if (in->seq[0] != INPUT_ESC)
			used = input_utf8(in, c, cb, arg);
		else if (in->seqlen == 1)
			used = input_escape(in, c, cb, arg);
		else
			used = input_sequence(in, c, cb, arg);
		if (!used)
			input_ground(in, c, cb, arg);
	}
}

/* Return non-zero while a partial character, ESC or sequence is held. */
int
input_pending(const struct input *in)
{
	return (in->seqlen != 0);
}

/*
 * Give up waiting for the rest of what is held: a lone ESC was the Esc
 * key; anything else incomplete is dropped.
 */
void
input_flush(struct input *in, key_cb cb, void *arg)
{
	int	 esc;

	esc = (in->seqlen == 1 && in->seq[0] == INPUT_ESC);
	in->seqlen = 0;
	if (esc)
		input_key(cb, arg, KEYC_ESC, 0);
}
