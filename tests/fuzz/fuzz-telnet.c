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
 * start and are never 0; the connection is let go exactly once.
 *
 * Input: one flags byte (bit 0-2: piece size seed, bit 3: the
 * negotiation timer fires half way, bit 4: EOF at the end, bit 5: output
 * is pending at the close), then the bytes from the client.
 */

#include "../../src/telnet.c"

#include "fuzz.h"

struct fake_session {
	const struct session_ops *ops;
	struct telnet_conn	*c;
	struct input		 in;
	struct editor		 ed;
	int			 started;
	int			 closed;
	u_int			 sx;
	u_int			 sy;
};

static struct config	 fuzz_cfg;
struct config *_Atomic	 cfg = &fuzz_cfg;
static struct fake_session fs;
static struct worker	 fuzz_w;
static int		 conns_done;

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

void
session_input(struct session *s, const void *buf, size_t len)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	if (fs.closed)
		return;
	input_feed(&fs.in, buf, len, fake_key, NULL);
}

void
session_close(struct session *s, const char *reason)
{
	FUZZ_ASSERT(s == (struct session *)&fs);
	FUZZ_ASSERT(reason != NULL);
	fs.closed = 1;
}

void
worker_conn_done(struct worker *w, const struct sockaddr *sa,
    enum proto proto)
{
	FUZZ_ASSERT(w == &fuzz_w);
	FUZZ_ASSERT(sa != NULL);
	FUZZ_ASSERT(proto == PROTO_TELNET);
	conns_done++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	fuzz_cfg.negotiate_ms = 500;
	fuzz_cfg.outq_max = 256 * 1024;
	if ((fuzz_w.base = event_base_new()) == NULL)
		abort();
	return (0);
}

/* What the event loop would do with bytes from the socket. */
static void
deliver(struct telnet_conn *c, const uint8_t *p, size_t n)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	evbuffer_add(bufferevent_get_input(c->bev), p, n);
	telnet_read(c->bev, c);
	FUZZ_ASSERT(evbuffer_get_length(bufferevent_get_input(c->bev)) == 0);
	/* Nobody reads the other end: keep memory flat. */
	evbuffer_drain(out, evbuffer_get_length(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct sockaddr_in	 sin;
	struct telnet_conn	*c;
	const uint8_t		*p;
	uint8_t			 flags;
	size_t			 len, off, n, i, half;

	flags = fuzz_byte(&in);
	p = in.p;
	len = in.len;

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
	if (!c->dead && evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    0) {
		telnet_close(c);
		telnet_drained(c->bev, c);
	} else
		telnet_close(c);
	FUZZ_ASSERT(conns_done == 1);
	/* libevent frees a bufferevent from the loop: let it. */
	event_base_loop(fuzz_w.base, EVLOOP_NONBLOCK);

	editor_free(&fs.ed);
	return (0);
}
