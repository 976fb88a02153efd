/*
 * The telnet front end: a bufferevent for the socket and libtelnet for
 * the protocol.  Negotiates WILL ECHO, WILL SGA, DO NAWS, DO TTYPE and
 * WILL CHARSET (RFC 2066: asks for UTF-8), learns the window size,
 * terminal type and whether it takes UTF-8, and hands the visitor to a
 * session.  A client that never answers (netcat) gets plain line mode
 * once the negotiation deadline passes.
 *
 * Everything queued to the client, libtelnet's own answers included,
 * goes through telnet_queue() and counts against output_queue_max;
 * every byte read counts against the session's raw input rate before
 * libtelnet sees it; and a client that makes us answer about one
 * option more than telnet_option_changes times is let go, so that
 * option ping-pong cannot turn our answers into a flood of its own.
 *
 * Owns: the socket, the bufferevent, the telnet_t and the timers of
 * each telnet connection.  The session is told to let go through
 * session_close(); it calls back through telnet_ops.close.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <libtelnet.h>

#include "strangerd.h"

/* Longest terminal type name we keep. */
#define TELNET_TTYPE_MAX	40
/* Time a closing connection has to take its last bytes. */
#define TELNET_LINGER_SEC	3

/* RFC 2066, which libtelnet passes through as a plain subnegotiation. */
#define TELNET_OPT_CHARSET	42
#define TELNET_CHARSET_REQUEST	1
#define TELNET_CHARSET_ACCEPTED	2
#define TELNET_CHARSET_REJECTED	3
/* REQUEST, then the separator and the one set we ask for. */
#define TELNET_CHARSET_ASK	"\001;UTF-8"

struct telnet_conn {
	struct worker		*w;
	struct bufferevent	*bev;
	telnet_t		*tn;
	struct session		*s;		/* NULL once the session let go */
	struct sockaddr_storage	 ss;		/* the client's address */
	struct event		*negotiate_ev;
	char			 ttype[TELNET_TTYPE_MAX + 1];
	u_int			 sx;
	u_int			 sy;
	const char		*drop;		/* end the visit, after this read */
	uint8_t			 changes[256];	/* answers about each option */
	u_int			 warnings;	/* libtelnet warnings seen */
	int			 ours;		/* sending by choice, not answering */
	int			 over;		/* output_queue_max reached */
	int			 answered;	/* the client negotiated at all */
	int			 naws_done;
	int			 ttype_done;
	int			 charset_asked;	/* REQUEST sent */
	int			 charset_done;	/* answered, refused or too late */
	int			 started;
	int			 dead;		/* socket error or EOF */
	int			 scan;		/* telnet_scan()'s state */
	int			 iac_last;	/* the last byte fed was IAC */
	u_char			 scan_verb;	/* WILL, WONT, DO or DONT */
};

/* Where telnet_scan() is in the client's bytes. */
enum {
	TELNET_SCAN_DATA,
	TELNET_SCAN_IAC,	/* after IAC */
	TELNET_SCAN_OPT,	/* after IAC and a verb: the option is next */
	TELNET_SCAN_SB,		/* inside a subnegotiation */
	TELNET_SCAN_SB_IAC,	/* after IAC inside it */
};

static const telnet_telopt_t telnet_opts[] = {
	{ TELNET_TELOPT_ECHO,	TELNET_WILL,	TELNET_DONT },
	{ TELNET_TELOPT_SGA,	TELNET_WILL,	TELNET_DO },
	{ TELNET_TELOPT_NAWS,	TELNET_WONT,	TELNET_DO },
	{ TELNET_TELOPT_TTYPE,	TELNET_WONT,	TELNET_DO },
	{ TELNET_OPT_CHARSET,	TELNET_WILL,	TELNET_DONT },
	{ -1, 0, 0 }
};

static int	telnet_write(void *, const void *, size_t);
static void	telnet_close(void *);
static void	telnet_free_conn(struct telnet_conn *);
static void	telnet_read(struct bufferevent *, void *);
static void	telnet_event(struct bufferevent *, short, void *);
static void	telnet_drained(struct bufferevent *, void *);
static void	telnet_handler(telnet_t *, telnet_event_t *, void *);
static void	telnet_negotiated(evutil_socket_t, short, void *);
static void	telnet_feed(struct telnet_conn *, const char *, size_t);
static size_t	telnet_piece(struct telnet_conn *, const u_char *, size_t);
static void	telnet_scan(struct telnet_conn *, const u_char *, size_t);
static void	telnet_refused(struct telnet_conn *, u_char, u_char);
static void	telnet_maybe_start(struct telnet_conn *);
static void	telnet_got_ttype(struct telnet_conn *, const char *);
static void	telnet_got_charset(struct telnet_conn *, const u_char *,
		    size_t);
static void	telnet_got_naws(struct telnet_conn *, const u_char *);
static void	telnet_option(struct telnet_conn *, telnet_event_t *);
static void	telnet_queue(struct telnet_conn *, const char *, size_t);
static void	telnet_warning(struct telnet_conn *, const char *);

static const struct session_ops telnet_ops = {
	"telnet",
	telnet_write,
	telnet_close,
};

/* A new telnet connection on worker w. */
void
telnet_accept(struct worker *w, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct telnet_conn	*c;
	struct timeval		 tv;

	c = xcalloc(1, sizeof *c);
	c->w = w;
	memcpy(&c->ss, sa, salen < sizeof c->ss ? salen : sizeof c->ss);
	c->sx = 80;
	c->sy = 24;
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("telnet: bufferevent_socket_new failed");
		close(fd);
		free(c);
		worker_conn_done(w, sa);
		return;
	}
	if ((c->tn = telnet_init(telnet_opts, telnet_handler, 0, c)) == NULL)
		fatalx("telnet_init failed");
	c->s = session_new(w, &telnet_ops, c, sa, salen);
	bufferevent_setcb(c->bev, telnet_read, NULL, telnet_event, c);
	bufferevent_enable(c->bev, EV_READ);

	c->ours = 1;
	telnet_negotiate(c->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(c->tn, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(c->tn, TELNET_DO, TELNET_TELOPT_NAWS);
	telnet_negotiate(c->tn, TELNET_DO, TELNET_TELOPT_TTYPE);
	telnet_negotiate(c->tn, TELNET_WILL, TELNET_OPT_CHARSET);
	c->ours = 0;

	c->negotiate_ev = evtimer_new(w->base, telnet_negotiated, c);
	tv.tv_sec = cfg->negotiate_ms / 1000;
	tv.tv_usec = (cfg->negotiate_ms % 1000) * 1000;
	evtimer_add(c->negotiate_ev, &tv);
}

/* Start the session once we know the terminal, or know we never will. */
static void
telnet_maybe_start(struct telnet_conn *c)
{
	if (c->started || c->s == NULL || c->dead || c->drop != NULL)
		return;
	if (!c->naws_done || !c->ttype_done || !c->charset_done)
		return;
	c->started = 1;
	evtimer_del(c->negotiate_ev);
	/* Negotiated but named no type: assume an ANSI terminal. */
	session_start(c->s, c->ttype[0] != '\0' ? c->ttype : "ansi", c->sx,
	    c->sy);
}

/* The negotiation deadline: start with what we have. */
static void
telnet_negotiated(evutil_socket_t fd, short events, void *arg)
{
	struct telnet_conn	*c = arg;

	(void)fd;
	(void)events;
	/* A visit that ended while negotiating is not started. */
	if (c->started || c->s == NULL || c->dead || c->drop != NULL)
		return;
	if (!c->answered) {
		/* Never negotiated: a raw socket such as netcat. */
		c->started = 1;
		session_start(c->s, NULL, c->sx, c->sy);
		return;
	}
	c->naws_done = c->ttype_done = c->charset_done = 1;
	telnet_maybe_start(c);
}

/* Keep a terminal type name: lower case, bounded, no odd characters. */
static void
telnet_got_ttype(struct telnet_conn *c, const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0' && i < TELNET_TTYPE_MAX; i++) {
		if (!isalnum((u_char)name[i]) && strchr("-_.+", name[i]) == NULL)
			break;
		c->ttype[i] = (char)tolower((u_char)name[i]);
	}
	c->ttype[i] = '\0';
	c->ttype_done = 1;
	telnet_maybe_start(c);
}

/*
 * The answer to our CHARSET REQUEST, from the client and so untrusted:
 * p (len bytes, after the option byte) is ACCEPTED and a set's name, or
 * REJECTED.  Only ACCEPTED "UTF-8", the one set asked for, means UTF-8;
 * REJECTED, or any other name (which it was not offered), means it
 * takes none: then the UI is drawn in ASCII and what strangers write
 * shows non-ASCII characters as '?'.  Anything else, or an answer not
 * asked for or too late, is ignored.
 */
static void
telnet_got_charset(struct telnet_conn *c, const u_char *p, size_t len)
{
	int	utf8;

	if (!c->charset_asked || c->charset_done || c->started ||
	    c->s == NULL || len == 0)
		return;
	if (p[0] == TELNET_CHARSET_ACCEPTED)
		utf8 = len - 1 == 5 && strncasecmp((const char *)p + 1,
		    "UTF-8", 5) == 0;
	else if (p[0] == TELNET_CHARSET_REJECTED)
		utf8 = 0;
	else
		return;
	session_charset(c->s, utf8 ? TERM_UTF8 : TERM_ASCII_ALL);
	c->charset_done = 1;
	telnet_maybe_start(c);
}

/*
 * libtelnet says nothing when the client refuses an option we asked
 * for (RFC 1143: WANTYES goes to NO without an event), so the refusals
 * the negotiation waits for would only be known at its deadline, and
 * every client that takes no CHARSET (inetutils telnet, PuTTY) would
 * wait for it.  So the verbs are spotted in the bytes read, in each
 * piece just before libtelnet has it (telnet_feed): as much of its
 * parser as finds IAC, a verb and an option outside subnegotiations,
 * no more.
 */
static void
telnet_scan(struct telnet_conn *c, const u_char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		switch (c->scan) {
		case TELNET_SCAN_DATA:
			if (p[i] == TELNET_IAC)
				c->scan = TELNET_SCAN_IAC;
			break;
		case TELNET_SCAN_IAC:
			c->scan = TELNET_SCAN_DATA;
			if (p[i] >= TELNET_WILL && p[i] <= TELNET_DONT) {
				c->scan_verb = p[i];
				c->scan = TELNET_SCAN_OPT;
			} else if (p[i] == TELNET_SB)
				c->scan = TELNET_SCAN_SB;
			break;
		case TELNET_SCAN_OPT:
			telnet_refused(c, c->scan_verb, p[i]);
			c->scan = TELNET_SCAN_DATA;
			break;
		case TELNET_SCAN_SB:
			if (p[i] == TELNET_IAC)
				c->scan = TELNET_SCAN_SB_IAC;
			break;
		case TELNET_SCAN_SB_IAC:
			c->scan = p[i] == TELNET_SE ? TELNET_SCAN_DATA :
			    TELNET_SCAN_SB;
			break;
		}
	}
}

/* The client said verb about opt: note the refusals waited for. */
static void
telnet_refused(struct telnet_conn *c, u_char verb, u_char opt)
{
	c->answered = 1;
	if (verb == TELNET_WONT && opt == TELNET_TELOPT_NAWS)
		c->naws_done = 1;
	if (verb == TELNET_WONT && opt == TELNET_TELOPT_TTYPE)
		c->ttype_done = 1;
	if (verb == TELNET_DONT && opt == TELNET_OPT_CHARSET)
		c->charset_done = 1;
}

/*
 * The client agreed to an option or refused it (WILL, WONT, DO, DONT;
 * the refusals waited for are telnet_scan()'s).  DO CHARSET, the answer
 * to our WILL, lets us send the REQUEST, once.
 */
static void
telnet_option(struct telnet_conn *c, telnet_event_t *ev)
{
	u_char	opt = ev->neg.telopt;

	c->answered = 1;
	switch (ev->type) {
	case TELNET_EV_WILL:
		if (opt == TELNET_TELOPT_TTYPE)
			telnet_ttype_send(c->tn);
		break;
	case TELNET_EV_DO:
		if (opt != TELNET_OPT_CHARSET || c->charset_asked)
			break;
		c->charset_asked = 1;
		c->ours = 1;
		telnet_subnegotiation(c->tn, TELNET_OPT_CHARSET,
		    TELNET_CHARSET_ASK, sizeof TELNET_CHARSET_ASK - 1);
		c->ours = 0;
		break;
	default:
		break;
	}
	telnet_maybe_start(c);
}

/*
 * A window size (NAWS): the answer to our DO NAWS whatever it says.  A
 * zero width or height is a client that knows no size (a pipe, a pty
 * nobody sized): it keeps the size we have, 80x24 at first.
 */
static void
telnet_got_naws(struct telnet_conn *c, const u_char *p)
{
	u_int	sx = (u_int)p[0] << 8 | p[1];
	u_int	sy = (u_int)p[2] << 8 | p[3];

	c->answered = 1;
	c->naws_done = 1;
	if (sx != 0 && sy != 0) {
		c->sx = sx;
		c->sy = sy;
		if (c->started && c->s != NULL)
			session_resize(c->s, sx, sy);
	}
	telnet_maybe_start(c);
}

/* Everything libtelnet tells us. */
static void
telnet_handler(telnet_t *tn, telnet_event_t *ev, void *arg)
{
	struct telnet_conn	*c = arg;

	(void)tn;		/* c->tn */
	/* The visit is ending: what was read after the reason is ignored. */
	if (c->drop != NULL && ev->type != TELNET_EV_SEND)
		return;
	switch (ev->type) {
	case TELNET_EV_DATA:
		if (c->s != NULL)
			session_feed(c->s, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		telnet_queue(c, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_WILL:
	case TELNET_EV_WONT:
	case TELNET_EV_DO:
	case TELNET_EV_DONT:
		telnet_option(c, ev);
		break;
	case TELNET_EV_SUBNEGOTIATION:
		if (ev->sub.telopt == TELNET_OPT_CHARSET) {
			telnet_got_charset(c, (const u_char *)ev->sub.buffer,
			    ev->sub.size);
			break;
		}
		if (ev->sub.telopt == TELNET_TELOPT_NAWS && ev->sub.size == 4)
			telnet_got_naws(c, (const u_char *)ev->sub.buffer);
		break;
	case TELNET_EV_TTYPE:
		if (ev->ttype.cmd == TELNET_TTYPE_IS && !c->started)
			telnet_got_ttype(c, ev->ttype.name);
		break;
	case TELNET_EV_IAC:
		/*
		 * Interrupt Process and Abort are how a telnet client in
		 * line mode says Ctrl-C: treat them as the key.
		 */
		if (c->s != NULL && (ev->iac.cmd == TELNET_IP ||
		    ev->iac.cmd == TELNET_ABORT))
			session_feed(c->s, "\003", 1);
		break;
	case TELNET_EV_COMPRESS:
		/*
		 * IAC SB COMPRESS2 IAC SE, unasked, makes libtelnet inflate
		 * all that follows: a thousand bytes of input for each one
		 * sent.  Nobody needs it to type, so it ends the visit:
		 * nothing more is read, nor handed to libtelnet
		 * (telnet_feed).
		 */
		if (ev->compress.state == 0 || c->s == NULL)
			break;
		c->dead = 1;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		session_close(c->s, "telnet compression refused");
		break;
	case TELNET_EV_WARNING:
		telnet_warning(c, ev->error.msg);
		break;
	case TELNET_EV_ERROR:
		c->drop = "telnet protocol error";
		break;
	default:
		break;
	}
}

/* Bytes from the client. */
static void
telnet_read(struct bufferevent *bev, void *arg)
{
	struct telnet_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			 buf[4096];
	int			 n;

	while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
		if (c->s == NULL || c->dead || c->drop != NULL)
			continue;
		/* Whatever it turns out to be, it was read. */
		if (session_received(c->s, (size_t)n) == -1) {
			c->drop = "input flood";
			continue;
		}
		telnet_feed(c, buf, (size_t)n);
		telnet_maybe_start(c);
	}
	if (c->drop != NULL && c->s != NULL) {
		bufferevent_disable(c->bev, EV_READ);
		session_close(c->s, c->drop);
	}
}

/*
 * Hand libtelnet the bytes read, in pieces, until the visit ends.
 * libtelnet inflates all it was given after IAC SB COMPRESS2 ... IAC SE
 * in the same call, about a thousand bytes for each one, and parses
 * them before we can refuse it: 3 KB cost 50 ms of CPU.  After each
 * NEW-ENVIRON subnegotiation it calls itself on the rest, 1 KiB of
 * stack a level: a 4 KB read of them went 900 KiB deep.  So each piece
 * ends where a subnegotiation can end (telnet_piece), and once the
 * visit ends nothing more is handed over.
 *
 * Within a piece libtelnet acts on its first byte (an option after a
 * verb) and its last (the byte after IAC) only, and an option named
 * after IAC and a verb is always a first byte: so telnet_scan(), run
 * on each piece just before libtelnet, sees a refusal where libtelnet
 * does, not before the answers ahead of it in the same read.
 */
static void
telnet_feed(struct telnet_conn *c, const char *buf, size_t n)
{
	size_t	len;

	while (n > 0 && !c->dead && c->drop == NULL) {
		len = telnet_piece(c, (const u_char *)buf, n);
		if (!c->started)
			telnet_scan(c, (const u_char *)buf, len);
		telnet_recv(c->tn, buf, len);
		buf += len;
		n -= len;
	}
}

/*
 * How much of p to hand libtelnet at once: up to the first byte after
 * an IAC that is not itself an IAC, or all of it.  libtelnet ends a
 * subnegotiation only on such a byte (IAC SE, or IAC and anything but
 * IAC), whatever its own state, so no piece goes on past one.
 */
static size_t
telnet_piece(struct telnet_conn *c, const u_char *p, size_t n)
{
	const u_char	*iac;
	size_t		 i = 0;

	if (!c->iac_last) {
		if ((iac = memchr(p, TELNET_IAC, n)) == NULL)
			return (n);
		i = (size_t)(iac - p);
	}
	while (i < n && p[i] == TELNET_IAC)
		i++;
	c->iac_last = i == n;
	return (i < n ? i + 1 : n);
}

/*
 * Queue bytes for the client, whoever sends them, within
 * output_queue_max: past it nothing more is queued and the visit ends.
 * An answer libtelnet makes on its own (IAC WILL/WONT/DO/DONT option
 * while we are not sending by choice) counts against that option's
 * changes.
 */
static void
telnet_queue(struct telnet_conn *c, const char *buf, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	const u_char	*p = (const u_char *)buf;
	ssize_t		 n;

	if (c->dead || c->over)
		return;
	/* Once the visit is ending, nothing more is answered. */
	if (!c->ours && c->drop != NULL)
		return;
	if (!c->ours && len == 3 && p[0] == TELNET_IAC &&
	    p[1] >= TELNET_WILL && p[1] <= TELNET_DONT &&
	    cfg->telnet_changes != 0) {
		/* A byte each: telnet_option_changes is at most 255. */
		if (c->changes[p[2]] >= cfg->telnet_changes) {
			c->drop = "telnet option negotiation loop";
			return;
		}
		c->changes[p[2]]++;
	}
	/*
	 * Nothing waiting: try the socket now.  Queued, the bytes would
	 * cost watching the socket for writing and a loop turn before
	 * they go, then unwatching it: three system calls more a frame.
	 */
	if (evbuffer_get_length(out) == 0 && len > 0) {
		n = send(bufferevent_getfd(c->bev), buf, len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			if (len == 0)
				return;
		}
		/* An error is the bufferevent's to find, on its write. */
	}
	if (evbuffer_get_length(out) + len > cfg->outq_max) {
		c->over = 1;
		if (!c->ours) {
			/* telnet_write() reports its own overflow. */
			metrics_inc(METRIC_OUTQ_DROPS);
			c->drop = "output queue full";
		}
		return;
	}
	evbuffer_add(out, buf, len);
}

/*
 * A protocol warning: the first goes to the debug log, the rest are
 * counted and summed up once when the connection is let go.  One packet
 * can hold thousands.
 */
static void
telnet_warning(struct telnet_conn *c, const char *msg)
{
	if (c->warnings++ == 0 && c->s != NULL)
		log_debug("%s: telnet: %s", session_id(c->s), msg);
}

/* The socket closed or failed. */
static void
telnet_event(struct bufferevent *bev, short what, void *arg)
{
	struct telnet_conn	*c = arg;

	(void)bev;
	if (c->s == NULL) {
		/* Closing already: the last bytes could not go. */
		telnet_free_conn(c);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		c->dead = 1;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		session_close(c->s, (what & BEV_EVENT_EOF) ?
		    "client closed" : "connection error");
	}
}

/* Queue bytes for the client, escaping IAC; -1 when over the cap. */
static int
telnet_write(void *arg, const void *buf, size_t len)
{
	struct telnet_conn	*c = arg;

	if (c->dead)
		return (0);
	c->ours = 1;
	telnet_send(c->tn, buf, len);
	c->ours = 0;
	return (c->over ? -1 : 0);
}

/* The session is done: flush what is queued, briefly, then free. */
static void
telnet_close(void *arg)
{
	struct telnet_conn	*c = arg;
	struct timeval		 tv = { TELNET_LINGER_SEC, 0 };
	size_t			 pending;

	if (c->warnings > 1)
		log_debug("%s: telnet: %u more warnings", session_id(c->s),
		    c->warnings - 1);
	c->s = NULL;
	evtimer_del(c->negotiate_ev);
	pending = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (c->dead || pending == 0 || c->over ||
	    c->w->stopping > 1) {
		telnet_free_conn(c);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, telnet_drained, telnet_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
}

/* The last bytes have gone. */
static void
telnet_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	telnet_free_conn(arg);
}

/* Free a connection and everything it holds. */
static void
telnet_free_conn(struct telnet_conn *c)
{
	struct worker	*w = c->w;

	event_free(c->negotiate_ev);
	telnet_free(c->tn);
	bufferevent_free(c->bev);
	worker_conn_done(w, (struct sockaddr *)&c->ss);
	free(c);
}
