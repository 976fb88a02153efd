/*
 * Fuzzes the telnet input path: the real front end, src/telnet.c, is
 * compiled into this harness (its handlers are static, so it is
 * included rather than linked), with libtelnet beneath it and, above
 * it, a stand-in for session.c that feeds what telnet.c hands over
 * through input.c and editor.c as the session does, and writes lines
 * back through telnet_ops.write so that output escaping runs too.
 *
 * telnet.c cannot run alone: it needs a worker, cfg and a session.  The
 * worker here has a real event_base that never runs; the bufferevent
 * has no socket (fd -1), so bytes are put into its input buffer and
 * telnet_read() is called as libevent would.  The negotiation timer is
 * fired by hand when the input says so.  libtelnet itself comes from
 * the system and is not instrumented: coverage guides on our side only.
 *
 * Properties: the session is started at most once, with a terminal
 * name of at most TELNET_TTYPE_MAX characters from [a-z0-9-_.+] (or
 * NULL for plain mode) and a non-zero size; resizes come only after
 * start and are never 0; the connection is let go exactly once.  Every
 * byte delivered is metered (session_received) before anything of it
 * reaches the session, and nothing does once the meter said no.  The
 * output queue never holds more than output_queue_max, whoever filled
 * it, and the client gets at most telnet_option_changes answers about
 * one option beyond our own opening requests (issue 14, finding 1).
 *
 * Input: one flags byte (bit 0-2: piece size seed, bit 3: the
 * negotiation timer fires half way, bit 4: EOF at the end, bit 5: output
 * is pending at the close, bit 6: nobody reads, so the output queue is
 * never drained and is capped at FUZZ_OUTQ with no limit on option
 * changes, bit 7: the rest is a negotiation script, see
 * fuzz_script()), then the bytes from the client.
 */

#include "../../src/telnet.c"

#include "fuzz.h"

/* Raw input the stand-in session takes before it calls it a flood. */
#define FUZZ_INPUT_MAX	3000
/* The output cap when nobody reads. */
#define FUZZ_OUTQ	512
/* Answers about one option, unless nobody reads. */
#define FUZZ_CHANGES	10

struct fake_session {
	const struct session_ops *ops;
	struct telnet_conn	*c;
	struct input		 in;
	struct editor		 ed;
	int			 started;
	int			 closed;
	int			 flooded;	/* session_received said no */
	size_t			 received;	/* bytes metered */
	u_int			 sx;
	u_int			 sy;
};

static struct config	 fuzz_cfg;
struct config *_Atomic	 cfg = &fuzz_cfg;
static struct fake_session fs;
static struct worker	 fuzz_w;
static int		 conns_done;
static int		 nobody_reads;
static size_t		 delivered;	/* bytes put in the input buffer */

/* What the client has been sent, parsed: answers about each option. */
static struct {
	int		 state;
	u_int		 answers[256];
} sent;

/* The options a negotiation script asks about: ours, and others. */
static const uint8_t fuzz_opts[8] = {
	TELNET_TELOPT_ECHO, TELNET_TELOPT_SGA, TELNET_TELOPT_TTYPE,
	TELNET_TELOPT_NAWS, TELNET_TELOPT_LINEMODE, TELNET_TELOPT_BINARY,
	42, 200
};

struct session *
session_new(struct worker *w, const struct session_ops *ops, void *fe,
    const struct sockaddr *sa, socklen_t salen)
{
	(void)w;
	(void)sa;
	(void)salen;
	FUZZ_ASSERT(fs.c == NULL);
	fs.ops = ops;
	fs.c = fe;
	return ((struct session *)&fs);
}

void
session_start(struct session *s, const char *term, u_int sx, u_int sy)
{
	const char	*p;
	static const char hello[] = "\xff\xff welcome \xff\r\n";

	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(!fs.started && !fs.closed);
	if (term != NULL) {
		FUZZ_ASSERT(strlen(term) <= TELNET_TTYPE_MAX);
		for (p = term; *p != '\0'; p++) {
			FUZZ_ASSERT((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || strchr("-_.+", *p));
		}
	}
	FUZZ_ASSERT(sx > 0 && sy > 0);
	fs.started = 1;
	fs.sx = sx;
	fs.sy = sy;
	fs.ops->write(fs.c, hello, sizeof hello - 1);
}

/* What telnet CHARSET said: only before the start, only one of two. */
void
session_charset(struct session *s, int charset)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(!fs.started && !fs.closed);
	FUZZ_ASSERT(charset == TERM_UTF8 || charset == TERM_ASCII_ALL);
}

void
session_resize(struct session *s, u_int sx, u_int sy)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(fs.started && !fs.closed);
	FUZZ_ASSERT(sx > 0 && sy > 0 && sx <= 65535 && sy <= 65535);
	fs.sx = sx;
	fs.sy = sy;
}

static void
fake_key(const struct key *k, void *arg)
{
	char	*line;

	(void)arg;
	if (editor_key(&fs.ed, k) != EDITOR_SUBMIT)
		return;
	line = editor_take(&fs.ed);
	fs.ops->write(fs.c, line, strlen(line));
	free(line);
}

int
session_received(struct session *s, size_t len)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(!fs.flooded);
	if (fs.closed)
		return (-1);
	fs.received += len;
	if (fs.received > FUZZ_INPUT_MAX) {
		fs.flooded = fs.closed = 1;
		return (-1);
	}
	return (0);
}

void
session_feed(struct session *s, const void *buf, size_t len)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(!fs.flooded);
	if (fs.closed)
		return;
	input_feed(&fs.in, buf, len, fake_key, NULL);
}

const char *
session_id(const struct session *s)
{
	FUZZ_ASSERT(s == (const struct session *)&fs);
	return ("0.0.1");
}

void
metrics_inc(enum metric m)
{
	FUZZ_ASSERT(m == METRIC_OUTQ_DROPS);
}

void
session_close(struct session *s, const char *reason)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(reason != NULL);
	fs.closed = 1;
}

void
worker_conn_done(struct worker *w, const struct sockaddr *sa)
{
	FUZZ_ASSERT(w == &fuzz_w);
	FUZZ_ASSERT(sa != NULL);
	conns_done++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	fuzz_cfg.negotiate_ms = 500;
	if ((fuzz_w.base = event_base_new()) == NULL)
		abort();
	return (0);
}

/*
 * Follow the telnet stream sent to the client and count the
 * negotiations in it: our opening request about an option and at most
 * telnet_option_changes answers.
 */
static FUZZ_CHECKER void
check_sent(const u_char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		switch (sent.state) {
		case 0:		/* data */
			if (p[i] == TELNET_IAC)
				sent.state = 1;
			break;
		case 1:		/* after IAC */
			if (p[i] >= TELNET_WILL && p[i] <= TELNET_DONT)
				sent.state = 2;
			else if (p[i] == TELNET_SB)
				sent.state = 3;
			else
				sent.state = 0;
			break;
		case 2:		/* the option negotiated */
			sent.answers[p[i]]++;
			FUZZ_ASSERT(sent.answers[p[i]] <=
			    cfg->telnet_changes + 1);
			sent.state = 0;
			break;
		case 3:		/* subnegotiation */
			if (p[i] == TELNET_IAC)
				sent.state = 4;
			break;
		case 4:		/* after IAC in a subnegotiation */
			sent.state = p[i] == TELNET_SE ? 0 : 3;
			break;
		}
	}
}

/* What the event loop would do with bytes from the socket. */
static void
deliver(struct telnet_conn *c, const uint8_t *p, size_t n)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 len;

	FUZZ_ASSERT(evbuffer_add(bufferevent_get_input(c->bev), p, n) == 0);
	delivered += n;
	telnet_read(c->bev, c);
	FUZZ_ASSERT(evbuffer_get_length(bufferevent_get_input(c->bev)) == 0);
	if (!fs.closed && !c->dead && c->drop == NULL)
		FUZZ_ASSERT(fs.received == delivered);
	len = evbuffer_get_length(out);
	FUZZ_ASSERT(len <= cfg->outq_max);
	if (nobody_reads)
		return;
	/* The client reads it all: keep memory flat. */
	check_sent(evbuffer_pullup(out, -1), len);
	FUZZ_ASSERT(evbuffer_drain(out, len) == 0);
}

/*
 * A negotiation script: each byte b is one thing a client says.  Bits
 * 5-7: 0-4, IAC WILL/WONT/DO/DONT (bits 0-1) about fuzz_opts[bits 2-4];
 * 5, a window size; 6, a terminal type (bit 0 clear) or an answer to
 * CHARSET (bit 1: ACCEPTED "UTF-8", else REJECTED); 7, a key (bit 4:
 * Enter).
 */
static uint8_t *
fuzz_script(const uint8_t *p, size_t len, size_t *outlen)
{
	static const uint8_t	 ttype[] = { TELNET_IAC, TELNET_SB,
	    TELNET_TELOPT_TTYPE, TELNET_TTYPE_IS, 'x', 't', 'e', 'r', 'm',
	    TELNET_IAC, TELNET_SE };
	static const uint8_t	 accepted[] = { TELNET_IAC, TELNET_SB, 42, 2,
	    'U', 'T', 'F', '-', '8', TELNET_IAC, TELNET_SE };
	static const uint8_t	 rejected[] = { TELNET_IAC, TELNET_SB, 42, 3,
	    TELNET_IAC, TELNET_SE };
	uint8_t			*out, *o, b;
	size_t			 i;

	o = out = xmalloc(len * sizeof ttype + 1);
	for (i = 0; i < len; i++) {
		b = p[i];
		switch (b >> 5) {
		case 5:
			*o++ = TELNET_IAC;
			*o++ = TELNET_SB;
			*o++ = TELNET_TELOPT_NAWS;
			*o++ = 0;
			*o++ = 20 + (b & 31);
			*o++ = 0;
			*o++ = 5 + (b & 31);
			*o++ = TELNET_IAC;
			*o++ = TELNET_SE;
			break;
		case 6:
			if (b & 1) {
				memcpy(o, (b & 2) ? accepted : rejected,
				    (b & 2) ? sizeof accepted :
				    sizeof rejected);
				o += (b & 2) ? sizeof accepted :
				    sizeof rejected;
				break;
			}
			memcpy(o, ttype, sizeof ttype);
			o += sizeof ttype;
			break;
		case 7:
			*o++ = (b & 16) ? '\r' : 'a' + (b & 15);
			break;
		default:
			*o++ = TELNET_IAC;
			*o++ = TELNET_WILL + (b & 3);
			*o++ = fuzz_opts[(b >> 2) & 7];
			break;
		}
	}
	*outlen = (size_t)(o - out);
	return (out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct sockaddr_in	 sin;
	struct telnet_conn	*c;
	const uint8_t		*p;
	uint8_t			 flags, *script;
	size_t			 len, off, n, i, half;

	flags = fuzz_byte(&in);
	script = NULL;
	if (flags & 128)
		p = script = fuzz_script(in.p, in.len, &len);
	else {
		p = in.p;
		len = in.len;
	}
	nobody_reads = (flags & 64) != 0;
	fuzz_cfg.outq_max = nobody_reads ? FUZZ_OUTQ : 256 * 1024;
	fuzz_cfg.telnet_changes = nobody_reads ? 1000000 : FUZZ_CHANGES;
	delivered = 0;
	memset(&sent, 0, sizeof sent);

	memset(&fs, 0, sizeof fs);
	input_init(&fs.in);
	editor_init(&fs.ed, LINE_MAX_CHARS);
	conns_done = 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(4242);
	sin.sin_addr.s_addr = htonl(0x7f000001);

	telnet_accept(&fuzz_w, -1, (struct sockaddr *)&sin, sizeof sin);
	FUZZ_ASSERT((c = fs.c) != NULL);
	/*
	 * libevent freezes the end of a socket bufferevent's input buffer
	 * and the front of its output buffer for anyone but itself: without
	 * this, nothing was ever added (the harness fuzzed nothing past
	 * telnet_accept()) and nothing drained.
	 */
	evbuffer_unfreeze(bufferevent_get_input(c->bev), 0);
	evbuffer_unfreeze(bufferevent_get_output(c->bev), 1);

	half = len / 2;
	for (off = 0, i = 0; off < len; i++) {
		n = 1 + ((flags & 7) * (i + 1) * 37) % 257;
		if (n > len - off)
			n = len - off;
		if ((flags & 8) && off <= half && off + n > half) {
			deliver(c, p + off, half - off);
			telnet_negotiated(-1, 0, c);
			n = off + n - half;
			off = half;
		}
		deliver(c, p + off, n);
		off += n;
	}
	if (!(flags & 8))
		telnet_negotiated(-1, 0, c);
	if (flags & 16)
		telnet_event(c->bev, BEV_EVENT_EOF, c);

	/*
	 * What session_free() does last: tell the front end to let go.
	 * With output pending the connection lingers until it drains,
	 * which is then what happens.
	 */
	if (flags & 32)
		fs.ops->write(c, "bye\r\n", 5);
	telnet_close(c);
	if (conns_done == 0) {
		FUZZ_ASSERT(!c->dead && !c->over &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0);
		telnet_drained(c->bev, c);
	}
	FUZZ_ASSERT(conns_done == 1);
	/* libevent frees a bufferevent from the loop: let it. */
	event_base_loop(fuzz_w.base, EVLOOP_NONBLOCK);

	editor_free(&fs.ed);
	free(script);
	return (0);
}
