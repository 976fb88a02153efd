/*
 * Sessions: one visitor from welcome to goodbye, whatever the transport.
 * The state machine (welcome -> waiting -> paired -> alone -> ...), the
 * chat commands, the conversation kept for the screen, and the messages
 * exchanged with the matchmaker and the partner's worker.
 *
 * Owns: the session's screen, input decoder, line editor, conversation
 * and timers.  Does not own the transport: the front end does, and is
 * told to let go through ops->close once the session is freed.
 * Runs only on the thread of the worker that created it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "strangerd.h"

/* A number in a string literal. */
#define SESSION_STR(n)		SESSION_STR1(n)
#define SESSION_STR1(n)		#n

/*
 * Scrolled up this far, the view shows the top of the conversation
 * (view.c clamps it): the welcome text starts at its first rule.
 */
#define SESSION_SCROLL_TOP	(UINT_MAX / 2)

/* The tallest window believed when placing the layout at its bottom. */
#define SESSION_BELIEVE_Y	(4 * SCREEN_MAX_Y)

/* Two Esc presses this close together mean /next. */
#define SESSION_ESC_TWICE_MS	1000
/* While typing, tell the partner at most this often. */
#define SESSION_TYPING_EVERY_MS	1000
/* The partner's indicator goes this long after its last word. */
#define SESSION_TYPING_GRACE_MS	1500
/*
 * Defaults for the chat tunables while the configuration leaves them 0
 * (strangerd.conf keywords interest_wait, typing_timeout, block_time).
 */
#define SESSION_TYPING_MS	(cfg->typing_ms != 0 ? cfg->typing_ms : 3000)
#define SESSION_BLOCK_SECS	(cfg->block_secs != 0 ? cfg->block_secs : \
				 24 * 60 * 60)
#define SESSION_INTEREST_WAIT	(cfg->interest_wait != 0 ? \
				 cfg->interest_wait : 5)

/* After the rules (from rules.c): what Enter does. */
static const char session_agree[] =
    "Press Enter to agree and meet a stranger, or Ctrl-C to leave.";

static const char *const session_help[] = {
	"Commands:",
	"  /next             new stranger (also Esc twice)",
	"  /interests a, b   meet someone who likes a or b",
	"  /block            end this chat, never meet them again",
	"  /report [reason]  report this stranger to moderators",
	"  /again            meet the last stranger again, if both ask",
	"  /status           people online and waiting, times",
	"  /color on|off     colours;  /bell on|off  the bell",
	"  /quit             leave (Ctrl-C; Ctrl-D on empty line)",
	"  /help or ?        this help;  //text sends /text",
	"Keys: PgUp/PgDn or Shift-Up/Down scroll back, End returns;",
	"Left/Right, Home/End, Ctrl-A/E/K/U/W, Up/Down history.",
	NULL
};

/* Line mode has no colours, bell, scrolling or keys to list. */
static const char *const session_help_plain[] = {
	"Commands:",
	"  /next             new stranger",
	"  /interests a, b   meet someone who likes a or b",
	"  /block            end this chat, never meet them again",
	"  /report [reason]  report this stranger to moderators",
	"  /again            meet the last stranger again, if both ask",
	"  /status           people online and waiting, times",
	"  /quit             leave",
	"  /help or ?        this help;  //text sends /text",
	NULL
};

/* Shown once a chat to whoever receives what looks like contact details. */
static const char session_nudge[] =
    "Safety tip: that looks like contact details or a move elsewhere. "
    "Strangers may not be who they say; keep personal information to "
    "yourself. /block ends this chat for good.";

static void	 session_key(const struct key *, void *);
static void	 session_submit(struct session *, char *);
static void	 session_command(struct session *, const char *);
static void	 session_report_saved(struct session *, const struct reply *);
static void	 session_cmd_report(struct session *, const char *);
static void	 session_paired(struct session *, struct msg *);
static int	 session_switch(struct session *, const char *, const char *,
		     int *);
static void	 session_search(struct session *);
static int	 session_flooding(struct session *, size_t);
static void	 session_leave(struct session *);
static void	 session_unpair(struct session *);
static void	 session_add_line(struct session *, enum line_kind,
		     const char *);
static void	 session_system(struct session *, const char *);
static void	 session_conv_count(struct session *);
static void	 session_dirty(struct session *);
static void	 session_redraw(evutil_socket_t, short, void *);
static void	 session_small(struct session *);
static void	 session_esc_timer(evutil_socket_t, short, void *);
static void	 session_plain(struct session *, enum line_kind,
		     const char *);
static void	 session_plain_echo(struct session *);
static void	 session_clamp(struct session *, u_int *, u_int *);
static void	 session_rules_line(const char *, void *);
static long	 session_elapsed_ms(const struct timespec *);
static void	 session_typing(struct session *, int);
static void	 session_typing_flush(struct session *);
static void	 session_typing_post(struct session *, int);
static void	 session_typing_idle(evutil_socket_t, short, void *);
static void	 session_typing_gone(evutil_socket_t, short, void *);
static int	 session_scroll_key(struct session *, const struct key *);
static void	 session_interests(struct session *, const char *);
static void	 session_status(struct session *);
static void	 session_want(struct session *);
static uint64_t	 session_ident(const struct session *);
static void	 session_never_again(struct session *);
static void	 session_arm(struct session *);
static void	 session_deadline(evutil_socket_t, short, void *);
static int	 session_idle(struct session *);
static u_int	 session_idle_limit(const struct session *);

/* Milliseconds since a moment. */
static long
session_elapsed_ms(const struct timespec *then)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - then->tv_sec) * 1000 +
	    (now.tv_nsec - then->tv_nsec) / 1000000);
}

/*
 * Keep a window size within what we are willing to draw, and note a
 * window too small for any layout (0 is a size the client did not
 * say): it gets one line asking for more room instead.
 */
static void
session_clamp(struct session *s, u_int *sx, u_int *sy)
{
	s->too_small = (*sx != 0 && *sx < SCREEN_MIN_X) ||
	    (*sy != 0 && *sy < SCREEN_MIN_Y);
	s->small_shown = 0;
	/*
	 * Taller than we draw: the layout goes to the bottom rows, so the
	 * input line stays at the bottom edge, and the rows above stay
	 * empty.  A height past any real window (NAWS allows 65535) is not
	 * believed: the layout then stays at the top.
	 */
	s->oy = *sy > SCREEN_MAX_Y && *sy <= SESSION_BELIEVE_Y ?
	    *sy - SCREEN_MAX_Y : 0;
	if (*sx < SCREEN_MIN_X)
		*sx = SCREEN_MIN_X;
	if (*sx > SCREEN_MAX_X)
		*sx = SCREEN_MAX_X;
	if (*sy < SCREEN_MIN_Y)
		*sy = SCREEN_MIN_Y;
	if (*sy > SCREEN_MAX_Y)
		*sy = SCREEN_MAX_Y;
}

/* One paragraph of the welcome text, from rules_flow(). */
static void
session_rules_line(const char *text, void *arg)
{
	session_add_line(arg, LINE_RULES, text);
}

/* Create a session for a new connection on worker w. */
struct session *
session_new(struct worker *w, const struct session_ops *ops, void *fe,
    const struct sockaddr *sa, socklen_t salen)
{
	struct session	*s;
	char		 host[INET6_ADDRSTRLEN];

	s = xcalloc(1, sizeof *s);
	s->w = w;
	s->ops = ops;
	s->fe = fe;
	s->transport = ops->name;
	if (salen > sizeof s->ss)
		salen = sizeof s->ss;
	memcpy(&s->ss, sa, salen);
	host[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof host);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
		    sizeof host);
	snprintf(s->addr, sizeof s->addr, "%s", host[0] ? host : "?");
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	s->last_active = now_ms();
	s->state = SESSION_WELCOME;
	s->charset = -1;
	metrics_inc(strcmp(s->transport, "ssh") == 0 ? METRIC_SESSIONS_SSH :
	    METRIC_SESSIONS_TELNET);
	metrics_session_state(s->transport, -1, SESSION_WELCOME);
	s->handle = worker_attach(w, s);
	/* Worker, slot and generation: unique over the daemon's life. */
	snprintf(s->id, sizeof s->id, "%u.%u.%u", HANDLE_WORKER(s->handle),
	    HANDLE_SLOT(s->handle), HANDLE_GEN(s->handle));
	input_init(&s->input);
	editor_init(&s->editor, LINE_MAX_CHARS);
	s->redraw_ev = event_new(w->base, -1, 0, session_redraw, s);
	s->esc_ev = evtimer_new(w->base, session_esc_timer, s);
	s->typing_ev = evtimer_new(w->base, session_typing_idle, s);
	s->partner_typing_ev = evtimer_new(w->base, session_typing_gone, s);
	s->deadline_ev = evtimer_new(w->base, session_deadline, s);
	session_arm(s);
	log_info("%s: start %s from %s", s->id, s->transport, s->addr);
	return (s);
}

/* The front end knows the terminal: draw the first screen. */
void
session_start(struct session *s, const char *term, u_int sx, u_int sy)
{
	const char *const	*l;

	if (s->ready || s->state == SESSION_CLOSING)
		return;
	s->ready = 1;
	session_clamp(s, &sx, &sy);
	s->sx = sx;
	s->sy = sy;
	s->term = term_get(term);
	if (s->charset != -1)
		s->term = term_charset(s->term, s->charset);
	/* A verified key in DIR/moderators: the console (console.c). */
	if (s->key != NULL && moderators_is_listed(s->key)) {
		console_new(s);
		session_arm(s);
	}
	if (s->term->plain) {
		/*
		 * Line mode: print the rules once, then lines as they come.
		 * A client that named its terminal does not echo: we do.
		 */
		s->echo = term != NULL && s->console == NULL;
		/* What the terminal takes outlives it, for session-plain.c. */
		if (s->charset == -1)
			s->charset = s->term->ascii;
		s->term = NULL;
		if (s->console != NULL) {
			console_start(s);
			return;
		}
		for (l = rules_get(); *l != NULL; l++)
			session_plain(s, LINE_RULES, *l);
		session_plain(s, LINE_RULES, "");
		session_plain(s, LINE_RULES, session_agree);
		return;
	}
	screen_pack_init(&s->packed, sx, sy);
	/* Paragraphs, wrapped at this screen's width; the top shows first. */
	rules_flow(rules_get(), session_rules_line, s);
	s->scroll = SESSION_SCROLL_TOP;
	s->need_full = 1;
	evbuffer_drain(s->w->out, evbuffer_get_length(s->w->out));
	render_enter(s->term, s->w->out);
	session_write(s, NULL, 0);
	session_dirty(s);
	if (s->console != NULL)
		console_start(s);
}

/*
 * Before session_start: the client said which character set it takes
 * (telnet CHARSET), TERM_UTF8 or TERM_ASCII_ALL, overriding terminfo.
 */
void
session_charset(struct session *s, int charset)
{
	if (!s->ready)
		s->charset = charset;
}

/* The client's window changed size. */
void
session_resize(struct session *s, u_int sx, u_int sy)
{
	int	was_small = s->too_small;
	u_int	was_oy = s->oy;

	session_clamp(s, &sx, &sy);
	if (sx == s->sx && sy == s->sy && s->too_small == was_small &&
	    !s->too_small && s->oy == was_oy)
		return;
	s->sx = sx;
	s->sy = sy;
	if (s->term == NULL)
		return;
	/* Still reading the rules from the top: stay there. */
	if (s->state == SESSION_WELCOME && s->scroll > 0)
		s->scroll = SESSION_SCROLL_TOP;
	s->need_full = 1;
	session_dirty(s);
}

/*
 * Bytes read from the client, whatever they turn out to be (typing or
 * protocol), against the raw input rate: -1 once over it, and the
 * session is closing.
 */
int
session_received(struct session *s, size_t len)
{
	if (s->state == SESSION_CLOSING)
		return (-1);
	if (bucket_take(&s->flood_input, cfg->flood.input_rate,
	    cfg->flood.input_burst, (double)len, now_ms()) == -1) {
		session_notice(s, "You are sending too much data.");
		metrics_inc(METRIC_FLOOD_KICKS);
		session_close(s, "input flood");
		return (-1);
	}
	return (0);
}

/*
 * Bytes typed by the visitor, for a front end that sees nothing else
 * of what the client sends: metered here.
 */
void
session_input(struct session *s, const void *buf, size_t len)
{
	if (session_received(s, len) == 0)
		session_feed(s, buf, len);
}

/* Bytes typed by the visitor, already metered by session_received(). */
void
session_feed(struct session *s, const void *buf, size_t len)
{
	struct timeval	tv;

	if (s->state == SESSION_CLOSING)
		return;
	input_feed(&s->input, buf, len, session_key, s);
	if (s->state == SESSION_CLOSING)
		return;
	session_typing_flush(s);
	if (input_pending(&s->input)) {
		/* A lone ESC, or half a sequence: a timer decides. */
		tv.tv_sec = cfg->esc_ms / 1000;
		tv.tv_usec = (cfg->esc_ms % 1000) * 1000;
		evtimer_add(s->esc_ev, &tv);
	} else
		evtimer_del(s->esc_ev);
}

/* No more bytes came after ESC: it was the Esc key. */
static void
session_esc_timer(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)events;
	input_flush(&s->input, session_key, s);
	if (s->state != SESSION_CLOSING)
		session_typing_flush(s);
}

/* The key ban and reports name an SSH visitor by key fingerprint. */
void
session_set_key(struct session *s, const char *fingerprint)
{
	free(s->key);
	s->key = fingerprint != NULL ? xstrdup(fingerprint) : NULL;
}

/* One decoded key. */
static void
session_key(const struct key *k, void *arg)
{
	struct session		*s = arg;
	enum editor_result	 r;
	char			*line;

	if (s->state == SESSION_CLOSING)
		return;
	s->last_active = now_ms();
	/*
	 * Nobody agrees to rules they have not been shown: keys typed while
	 * the terminal is still being negotiated are dropped, but Ctrl-C.
	 */
	if (!s->ready && !(k->type == KEYC_CTRL && k->cp == 'c'))
		return;
	if (s->console != NULL) {
		console_key(s, k);
		return;
	}
	if (k->type == KEYC_CTRL && k->cp == 'c') {
		session_close(s, "quit");
		return;
	}
	if (k->type == KEYC_CTRL && k->cp == 'd' && editor_empty(&s->editor)) {
		session_close(s, "quit");
		return;
	}
	if (k->type == KEYC_CTRL && k->cp == 'l') {
		s->need_full = 1;
		session_dirty(s);
		return;
	}
	if (k->type == KEYC_ESC) {
		if (s->esc_at.tv_sec != 0 &&
		    session_elapsed_ms(&s->esc_at) < SESSION_ESC_TWICE_MS) {
			s->esc_at.tv_sec = 0;
			session_command(s, "/next");
		} else
			clock_gettime(CLOCK_MONOTONIC, &s->esc_at);
		return;
	}
	/* Esc, x, Esc is not Esc twice. */
	s->esc_at.tv_sec = 0;
	if (session_scroll_key(s, k))
		return;
	r = editor_key(&s->editor, k);
	switch (r) {
	case EDITOR_SUBMIT:
		line = editor_take(&s->editor);
		s->line_cut = 0;
		session_plain_echo(s);
		session_submit(s, line);
		break;
	case EDITOR_CHANGED:
		session_typing(s, !editor_empty(&s->editor));
		session_plain_echo(s);
		session_dirty(s);
		break;
	case EDITOR_UNCHANGED:
		/* A full line refuses keys: say so, once a line. */
		if (k->type == KEYC_CHAR && s->editor.len >= s->editor.max &&
		    !s->line_cut) {
			s->line_cut = 1;
			session_system(s, "Lines are limited to "
			    SESSION_STR(LINE_MAX_CHARS) " characters: the rest "
			    "of this one was not taken.");
		}
		break;
	case EDITOR_IGNORED:
		break;
	}
}

/* The visitor pressed Enter on a line. */
static void
session_submit(struct session *s, char *line)
{
	struct msg	*m;
	char		*clean;
	size_t		 len;

	clean = sanitize_text(line, strlen(line), &len);
	free(line);
	/* Whatever was typed, the view follows it to the end. */
	s->scroll = s->unseen = 0;
	if (s->state == SESSION_WELCOME) {
		/* Enter agrees; a line typed first is interests. */
		if (len > 0 && (clean[0] == '/' ||
		    (clean[0] == '?' && clean[1] == '\0')))
			session_command(s, clean);
		else {
			if (len > 0)
				session_interests(s, clean);
			session_search(s);
		}
		session_dirty(s);
		free(clean);
		return;
	}
	if (len == 0) {
		/* Enter on an empty line when alone: look again. */
		if (s->state == SESSION_ALONE)
			session_search(s);
		session_dirty(s);
		free(clean);
		return;
	}
	if (clean[0] == '/' && clean[1] == '/') {
		/* //text says "/text": a line, not a command. */
		memmove(clean, clean + 1, len--);
	} else if (clean[0] == '/' || (clean[0] == '?' && clean[1] == '\0')) {
		session_typing(s, 0);
		session_command(s, clean);
		free(clean);
		return;
	}
	if (s->state != SESSION_PAIRED) {
		session_system(s, s->state == SESSION_WAITING ?
		    "Still looking for a stranger\xe2\x80\xa6" :
		    "Nobody is listening. Press Enter to meet a stranger.");
		free(clean);
		return;
	}
	if (session_flooding(s, len)) {
		free(clean);
		return;
	}
	/* The line itself clears the partner's typing indicator. */
	s->typing_sent = 0;
	s->typing_due = 0;
	evtimer_del(s->typing_ev);
	session_add_line(s, LINE_YOU, clean);
	m = msg_new(MSG_LINE);
	m->from = s->handle;
	m->text = clean;
	m->len = len;
	worker_post(s->partner, m);
}

/*
 * Flood control: may a line of len bytes go to the partner?  Lines over
 * the rate are dropped with a word to the sender; enough of them mute
 * the sender for a while, and enough mutes end the session.
 */
static int
session_flooding(struct session *s, size_t len)
{
	const struct flood_conf	*fc = &cfg->flood;
	uint64_t		 now = now_ms();
	char			 line[128];

	if (now < s->muted_until) {
		snprintf(line, sizeof line, "You are muted for %llu more "
		    "seconds for sending too fast.",
		    (unsigned long long)(s->muted_until - now + 999) / 1000);
		session_system(s, line);
		return (1);
	}
	if (bucket_take(&s->flood_lines, fc->line_rate, fc->line_burst, 1,
	    now) == 0 && bucket_take(&s->flood_bytes, fc->byte_rate,
	    fc->byte_burst, (double)len, now) == 0)
		return (0);
	if (++s->strikes < fc->strikes) {
		session_system(s, "Slow down: that line was not sent.");
		return (1);
	}
	s->strikes = 0;
	if (++s->mutes > fc->mutes) {
		session_notice(s, "Disconnected for flooding.");
		metrics_inc(METRIC_FLOOD_KICKS);
		session_close(s, "flooding");
		return (1);
	}
	s->muted_until = now + (uint64_t)fc->mute_secs * 1000;
	snprintf(line, sizeof line, "You are sending too fast and are muted "
	    "for %u seconds.", fc->mute_secs);
	session_system(s, line);
	log_info("%s: muted for flooding", s->id);
	metrics_inc(METRIC_FLOOD_MUTES);
	return (1);
}

/* /next, also Esc twice: leave this stranger, look for another. */
static void
session_cmd_next(struct session *s, const char *arg)
{
	(void)arg;
	if (s->state == SESSION_WAITING) {
		session_system(s, "Still looking for a stranger\xe2\x80\xa6");
		return;
	}
	if (s->state == SESSION_PAIRED) {
		session_leave(s);
		session_system(s, "You left the stranger.");
	}
	session_search(s);
}

/* /quit, /exit */
static void
session_cmd_quit(struct session *s, const char *arg)
{
	(void)arg;
	session_close(s, "quit");
}

/* /help, ? */
static void
session_cmd_help(struct session *s, const char *arg)
{
	const char *const	*l;

	(void)arg;
	for (l = s->term != NULL ? session_help : session_help_plain;
	    *l != NULL; l++)
		session_add_line(s, LINE_SYSTEM, *l);
	session_dirty(s);
}

/*
 * The store's answer to this visitor's /report: thanks only once it is
 * committed; a report the store could not save is not one to thank for.
 */
static void
session_report_saved(struct session *s, const struct reply *rp)
{
	if (rp->error) {
		/* Not saved, so not reported: /report may try again. */
		s->chat.reported = 0;
		session_system(s, "Sorry, your report could not be saved. "
		    "Please try again later. Press Enter to meet someone new.");
		return;
	}
	session_system(s, "Thank you for the report. A moderator will read "
	    "the last lines of this chat. Press Enter to meet someone new.");
}

/* /interests [list|off], /interest */
static void
session_cmd_interests(struct session *s, const char *arg)
{
	session_interests(s, arg);
	if (s->state == SESSION_WAITING)
		session_want(s);
}

/*
 * /block: the stranger of this chat, or of the one that just ended
 * (until the next starts), is never met again.
 */
static void
session_cmd_block(struct session *s, const char *arg)
{
	(void)arg;
	if (s->state != SESSION_PAIRED && s->last_partner == HANDLE_NONE) {
		session_system(s, "Nobody to block: /block works during a "
		    "chat or after it, until the next one starts.");
		return;
	}
	session_never_again(s);
	log_info("%s: blocked its %spartner", s->id,
	    s->state == SESSION_PAIRED ? "" : "last ");
	if (s->state == SESSION_PAIRED) {
		session_leave(s);
		session_system(s, "Blocked: you will not meet this stranger "
		    "again. Press Enter to meet someone new.");
	} else
		session_system(s, "Blocked: you will not meet that stranger "
		    "again.");
}

/*
 * /again: the stranger of the last chat may be met again, which happens
 * only if they ask too (the matchmaker keeps two who just parted apart
 * while either still counts the other as the one just left).
 */
static void
session_cmd_again(struct session *s, const char *arg)
{
	(void)arg;
	if (s->state == SESSION_PAIRED) {
		session_system(s, "You are in a chat: /again is for after it.");
		return;
	}
	if (s->last_partner == HANDLE_NONE) {
		session_system(s, "Nobody to meet again.");
		return;
	}
	s->again = 1;
	session_system(s, "You will meet the stranger you just left again "
	    "if they type /again too, or anyone else who comes.");
	if (s->state == SESSION_WAITING)
		session_want(s);
	else
		session_search(s);
}

/* /status */
static void
session_cmd_status(struct session *s, const char *arg)
{
	(void)arg;
	session_status(s);
}

/*
 * /color and /bell: on, off, or nothing to switch.  Returns -1 (and
 * says how) for anything else.
 */
static int
session_switch(struct session *s, const char *cmd, const char *arg,
    int *off)
{
	char	line[64];

	if (strcasecmp(arg, "off") == 0)
		*off = 1;
	else if (strcasecmp(arg, "on") == 0)
		*off = 0;
	else if (*arg == '\0')
		*off = !*off;
	else {
		snprintf(line, sizeof line, "Usage: %s on|off", cmd);
		session_system(s, line);
		return (-1);
	}
	return (0);
}

/* /color on|off, /colour */
static void
session_cmd_colour(struct session *s, const char *arg)
{
	if (session_switch(s, "/color", arg, &s->no_colour) == -1)
		return;
	if (s->term == NULL || s->term->colours < 8)
		session_system(s, "Your terminal shows no colours.");
	else
		session_system(s, s->no_colour ? "Colours off." :
		    "Colours on.");
	s->need_full = 1;
}

/* /bell on|off */
static void
session_cmd_bell(struct session *s, const char *arg)
{
	if (session_switch(s, "/bell", arg, &s->no_bell) == -1)
		return;
	session_system(s, s->no_bell ? "Bell off: no beep when a stranger "
	    "connects." : "Bell on: a beep when a stranger connects.");
}

/* The chat commands: the word typed, and what it does with the rest. */
static const struct session_cmd {
	const char	*name;
	void		 (*fn)(struct session *, const char *);
} session_cmds[] = {
	{ "/next",	session_cmd_next },
	{ "/quit",	session_cmd_quit },
	{ "/exit",	session_cmd_quit },
	{ "/help",	session_cmd_help },
	{ "?",		session_cmd_help },
	{ "/report",	session_cmd_report },
	{ "/interests",	session_cmd_interests },
	{ "/interest",	session_cmd_interests },
	{ "/block",	session_cmd_block },
	{ "/again",	session_cmd_again },
	{ "/status",	session_cmd_status },
	{ "/color",	session_cmd_colour },
	{ "/colour",	session_cmd_colour },
	{ "/bell",	session_cmd_bell },
};

/*
 * A line that starts with / (or a lone ?): its first word names the
 * command, the rest (spaces skipped) is its argument.
 */
static void
session_command(struct session *s, const char *line)
{
	const char	*arg;
	size_t		 n;
	u_int		 i;

	n = strcspn(line, " ");
	arg = line + n + strspn(line + n, " ");
	for (i = 0; i < sizeof session_cmds / sizeof *session_cmds; i++) {
		/* In any case: /NEXT is /next. */
		if (strlen(session_cmds[i].name) == n &&
		    strncasecmp(line, session_cmds[i].name, n) == 0) {
			session_cmds[i].fn(s, arg);
			return;
		}
	}
	session_system(s, "Unknown command; type /help for the list.");
}

/*
 * /report [reason]: the chat going on, or the one that just ended, goes
 * to the moderators (session-report.c) and the two never meet again.
 */
static void
session_cmd_report(struct session *s, const char *reason)
{
	switch (session_report(s, reason)) {
	case SESSION_REPORT_NOBODY:
		session_system(s, "Nobody to report: /report works during a "
		    "chat or after it, until the next one starts.");
		return;
	case SESSION_REPORT_ALREADY:
		session_system(s, "You already reported this stranger; a "
		    "moderator will look at it.");
		return;
	}
	metrics_inc(METRIC_REPORTS);
	session_never_again(s);
	session_leave(s);
	/* The thanks wait for the store's commit: session_report_saved. */
	session_system(s, "Saving your report\xe2\x80\xa6 You will not meet "
	    "that stranger again.");
}

/*
 * /interests [list|off]: show, set or clear what this visitor would
 * like to talk about.  Takes effect at the next search (or at once,
 * when waiting: the caller asks again).
 */
static void
session_interests(struct session *s, const char *arg)
{
	char		*norm, *show, *p, *line;
	const char	*cut;
	u_int		 n;
	int		 cuts = 0;

	arg += strspn(arg, " ");
	if (*arg == '\0' && s->interests == NULL) {
		session_system(s, "No interests: you meet anyone. Try "
		    "/interests chess, music");
		return;
	}
	if (*arg != '\0') {
		free(s->interests);
		s->interests = NULL;
		if (strcasecmp(arg, "off") != 0 &&
		    strcasecmp(arg, "none") != 0 &&
		    strcasecmp(arg, "clear") != 0) {
			norm = interests_normalise(arg, &n, &cuts);
			if (n > 0)
				s->interests = norm;
			else
				free(norm);
		}
		if (s->interests == NULL) {
			session_system(s, "Interests cleared: you meet "
			    "anyone.");
			return;
		}
	}
	/* "chess,music" reads better as "chess, music". */
	show = xmalloc(2 * strlen(s->interests) + 1);
	for (p = show, arg = s->interests; *arg != '\0'; arg++) {
		*p++ = *arg;
		if (*arg == ',')
			*p++ = ' ';
	}
	*p = '\0';
	/* Nothing is cut without a word about it. */
	if ((cuts & INTERESTS_CUT_MANY) && (cuts & INTERESTS_CUT_LONG))
		cut = " (only the first " SESSION_STR(INTERESTS_MAX) " are "
		    "kept, each cut to " SESSION_STR(INTEREST_MAX_CHARS)
		    " characters)";
	else if (cuts & INTERESTS_CUT_MANY)
		cut = " (only the first " SESSION_STR(INTERESTS_MAX) " are "
		    "kept)";
	else if (cuts & INTERESTS_CUT_LONG)
		cut = " (each is cut to " SESSION_STR(INTEREST_MAX_CHARS)
		    " characters)";
	else
		cut = "";
	xasprintf(&line, "Your interests: %s%s. You meet someone who shares "
	    "one, or anyone after %u seconds.", show, cut,
	    SESSION_INTEREST_WAIT);
	session_system(s, line);
	free(line);
	free(show);
}

/* /status: who is here and for how long, as a line (for line mode too). */
static void
session_status(struct session *s)
{
	char		line[160], when[64], clock[32];
	uint64_t	ms = now_ms() - s->state_since;

	/* The status line's clock, in its words, so the two agree. */
	view_clock(clock, sizeof clock, ms, s->state == SESSION_PAIRED);
	when[0] = '\0';
	if (s->state == SESSION_WAITING)
		snprintf(when, sizeof when, " You have waited %s.", clock);
	else if (s->state == SESSION_PAIRED)
		snprintf(when, sizeof when, " In this chat for %s.", clock);
	snprintf(line, sizeof line, "%u online, %u waiting.%s",
	    workers_online(), match_waiting(), when);
	session_system(s, line);
}

/*
 * PgUp/PgDn and Shift-Up/Down scroll the conversation; End returns to
 * the end when scrolled (otherwise it moves the cursor).  Returns 1 if
 * the key was used.
 */
static int
session_scroll_key(struct session *s, const struct key *k)
{
	u_int	page;

	if (s->term == NULL)
		return (0);
	page = s->sy > 5 ? s->sy - 4 : 1;
	switch (k->type) {
	case KEYC_PGUP:
		s->scroll += page;
		break;
	case KEYC_SHIFT_UP:
		s->scroll++;
		break;
	case KEYC_PGDN:
		s->scroll = s->scroll > page ? s->scroll - page : 0;
		break;
	case KEYC_SHIFT_DOWN:
		if (s->scroll > 0)
			s->scroll--;
		break;
	case KEYC_END:
		if (s->scroll == 0)
			return (0);
		s->scroll = 0;
		break;
	default:
		return (0);
	}
	if (s->scroll == 0)
		s->unseen = 0;
	session_dirty(s);
	return (1);
}

/*
 * Tell the partner we are typing (at most once a second while the keys
 * keep coming) or that we stopped (erased the line, or were idle for
 * SESSION_TYPING_MS).  Line mode sends whole lines: nothing to show.
 *
 * "Typing" is only noted here and sent by session_typing_flush() once
 * the bytes read are all handled: a line pasted or sent whole with its
 * Enter has nobody typing by then, and the partner would draw the
 * notice for one frame only to take it down with the line.  The idle
 * timer is armed there too, once for the bytes, not once a key.
 */
static void
session_typing(struct session *s, int typing)
{
	if (s->state != SESSION_PAIRED || s->term == NULL)
		return;
	if (typing) {
		s->typing_due = 1;
		return;
	}
	s->typing_due = 0;
	evtimer_del(s->typing_ev);
	if (s->typing_sent == 0)
		return;
	s->typing_sent = 0;
	session_typing_post(s, 0);
}

/* Send the "typing" session_typing() noted, if still typing. */
static void
session_typing_flush(struct session *s)
{
	struct timeval	tv;
	uint64_t	now;

	if (!s->typing_due)
		return;
	s->typing_due = 0;
	if (s->state != SESSION_PAIRED || editor_empty(&s->editor))
		return;
	/* Idle from the last key of these bytes: the timer, once. */
	tv.tv_sec = SESSION_TYPING_MS / 1000;
	tv.tv_usec = (SESSION_TYPING_MS % 1000) * 1000;
	evtimer_add(s->typing_ev, &tv);
	now = now_ms();
	if (s->typing_sent != 0 &&
	    now - s->typing_sent < SESSION_TYPING_EVERY_MS)
		return;
	s->typing_sent = now;
	session_typing_post(s, 1);
}

/* Tell the partner we are typing, or not. */
static void
session_typing_post(struct session *s, int typing)
{
	struct msg	*m;

	m = msg_new(MSG_TYPING);
	m->from = s->handle;
	m->arg = typing;
	worker_post(s->partner, m);
}

/* No key for a while: we stopped typing. */
static void
session_typing_idle(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	session_typing(arg, 0);
}

/* The partner's "typing" was not renewed: take the indicator down. */
static void
session_typing_gone(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)events;
	s->partner_typing = 0;
	session_dirty(s);
}

/*
 * Who this visitor is, for blocks: the SSH key when there is one, else
 * the address (an IPv6 address by its /64, which one person holds).
 * Hashed: the matchmaker needs equality, not the address.
 */
static uint64_t
session_ident(const struct session *s)
{
	const struct sockaddr_in6	*sin6;
	char				 buf[128];
	int				 n;

	if (s->key != NULL)
		n = snprintf(buf, sizeof buf, "key %s", s->key);
	else if (s->ss.ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)&s->ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			n = snprintf(buf, sizeof buf, "addr %s", s->addr);
		else {
			memcpy(buf, "net6 ", 5);
			memcpy(buf + 5, &sin6->sin6_addr, 8);
			n = 13;
		}
	} else
		n = snprintf(buf, sizeof buf, "addr %s", s->addr);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	return (interests_hash_one(buf, (size_t)n));
}

/*
 * Never pair this visitor with its current (or just-left) stranger
 * again, for cfg->block_secs: /block, and /report after it.
 */
static void
session_never_again(struct session *s)
{
	uint64_t	partner;

	partner = s->state == SESSION_PAIRED ? s->partner : s->last_partner;
	if (partner == HANDLE_NONE)
		return;
	match_block(s->handle, session_ident(s), partner, s->partner_ident,
	    SESSION_BLOCK_SECS);
}

/* Ask the matchmaker for a stranger. */
static void
session_search(struct session *s)
{
	if (s->state == SESSION_WAITING || s->state == SESSION_CLOSING)
		return;
	metrics_session_state(s->transport, s->state, SESSION_WAITING);
	s->state = SESSION_WAITING;
	s->last_active = now_ms();
	s->state_since = s->last_active;
	session_arm(s);
	s->told_only_last = 0;
	s->network_away = 0;
	session_system(s, "Looking for a stranger\xe2\x80\xa6");
	session_want(s);
}

/* Post a request to the matchmaker: handle, identity and interests. */
static void
session_want(struct session *s)
{
	struct msg	*m;

	m = msg_new(MSG_WANT);
	m->from = s->handle;
	m->arg = s->again ? HANDLE_NONE : s->last_partner;
	m->ident = session_ident(s);
	if (s->interests != NULL)
		m->text = xstrdup(s->interests);
	match_post(m);
}

/* Leave the current stranger, who is told. */
static void
session_leave(struct session *s)
{
	struct msg	*m;

	if (s->state != SESSION_PAIRED)
		return;
	m = msg_new(MSG_LEFT);
	m->from = s->handle;
	worker_post(s->partner, m);
	session_unpair(s);
}

/* The chat is over, whoever ended it: alone, remembering who it was. */
static void
session_unpair(struct session *s)
{
	s->last_partner = s->partner;
	s->partner = HANDLE_NONE;
	session_report_ended(s);
	metrics_session_state(s->transport, s->state, SESSION_ALONE);
	s->state = SESSION_ALONE;
	session_arm(s);
	s->typing_sent = 0;
	s->typing_due = 0;
	s->partner_typing = 0;
	evtimer_del(s->typing_ev);
	evtimer_del(s->partner_typing_ev);
}

/* MSG_PAIRED: the matchmaker found us a stranger. */
static void
session_paired(struct session *s, struct msg *m)
{
	struct msg	*reply;
	const char	*bel;
	char		*text;

	if (s->state != SESSION_WAITING) {
		/* We left before the match arrived: undo it. */
		reply = msg_new(MSG_LEFT);
		reply->from = s->handle;
		worker_post(m->from, reply);
		return;
	}
	metrics_session_state(s->transport, s->state, SESSION_PAIRED);
	s->state = SESSION_PAIRED;
	/* state_since is when the search began. */
	metrics_pair_time(now_ms() - s->state_since);
	s->partner = m->from;
	s->partner_ident = m->ident;
	s->state_since = now_ms();
	session_arm(s);
	s->nudged = 0;
	s->again = 0;
	s->partner_typing = 0;
	s->typing_sent = 0;
	s->typing_due = 0;
	free(s->shared);
	s->shared = m->text != NULL ? xstrdup(m->text) : NULL;
	session_report_paired(s);
	if (s->shared != NULL) {
		xasprintf(&text, "Connected to a stranger. You both "
		    "like %s. Say hi!", s->shared);
		session_system(s, text);
		free(text);
	} else
		session_system(s, "Connected to a stranger. Say hi!");
	/* Line mode stays plain text: no bell there. */
	if (!s->no_bell && s->term != NULL &&
	    (bel = s->term->bel) != NULL && *bel != '\0')
		session_write(s, bel, strlen(bel));
}

/* A message from another thread for this session. */
void
session_message(struct session *s, struct msg *m)
{
	struct timeval	 tv;

	switch (m->type) {
	case MSG_PAIRED:
		session_paired(s, m);
		break;
	case MSG_LINE:
		if (s->state != SESSION_PAIRED || m->from != s->partner)
			break;
		if (s->partner_typing) {
			s->partner_typing = 0;
			evtimer_del(s->partner_typing_ev);
		}
		session_add_line(s, LINE_STRANGER, m->text);
		metrics_inc(METRIC_LINES);
		if (!s->nudged && nudge_check(m->text) != NUDGE_NONE) {
			s->nudged = 1;
			session_system(s, session_nudge);
		}
		break;
	case MSG_TYPING:
		if (s->state != SESSION_PAIRED || m->from != s->partner ||
		    s->term == NULL)
			break;
		if (m->arg) {
			tv.tv_sec = (SESSION_TYPING_MS +
			    SESSION_TYPING_GRACE_MS) / 1000;
			tv.tv_usec = ((SESSION_TYPING_MS +
			    SESSION_TYPING_GRACE_MS) % 1000) * 1000;
			evtimer_add(s->partner_typing_ev, &tv);
		} else
			evtimer_del(s->partner_typing_ev);
		if (s->partner_typing != (m->arg != 0)) {
			s->partner_typing = m->arg != 0;
			session_dirty(s);
		}
		break;
	case MSG_REPLY:
		if (m->ptr != NULL &&
		    ((struct reply *)m->ptr)->id == REPORT_REPLY_ID) {
			session_report_saved(s, m->ptr);
			break;
		}
		/* An answer to what this session's console asked. */
		console_reply(s, m);
		break;
	case MSG_LEFT:
		if (s->state != SESSION_PAIRED || m->from != s->partner)
			break;
		session_unpair(s);
		if (m->arg == 1)
			session_system(s, "The chat network failed and the "
			    "stranger was lost with it. Press Enter or type "
			    "/next to meet someone new.");
		else
			session_system(s, "The stranger left. Press Enter or "
			    "type /next to meet someone new.");
		break;
	case MSG_REQUEUE:
		/* The matchmaker let go of it: the cluster's pool is back. */
		if (s->state == SESSION_WAITING)
			session_want(s);
		break;
	case MSG_NETWORK:
		if (s->state != SESSION_WAITING)
			break;
		/* The status line says it too, until Redis is back. */
		s->network_away = m->arg == 0;
		session_system(s, m->arg == 0 ? "The chat network is "
		    "unavailable; waiting for it to return\xe2\x80\xa6" :
		    "The chat network is back; looking for a "
		    "stranger\xe2\x80\xa6");
		break;
	case MSG_IDENTITY:
		session_report_identity(s, m);
		break;
	case MSG_ONLY_LAST:
		/* Once a search: nobody is coming but the one just left. */
		if (s->state != SESSION_WAITING || s->told_only_last ||
		    m->from != s->last_partner || s->again)
			break;
		s->told_only_last = 1;
		session_system(s, "The only other person waiting is the "
		    "stranger you just left, so nobody is coming yet. Type "
		    "/again to meet them again if they want to as well.");
		break;
	default:
		break;
	}
	msg_free(m);
}

/* Show a line from the server (shutdown, moderators) and draw now. */
void
session_notice(struct session *s, const char *text)
{
	free(s->farewell);
	s->farewell = xstrdup(text);
	session_add_line(s, LINE_SYSTEM, text);
	if (s->term != NULL && s->ready && s->state != SESSION_CLOSING)
		session_redraw(-1, 0, s);
}

/*
 * The number online or waiting has changed (the worker looks once a
 * second): redraw if the status line shows other figures.  After a
 * reload (reloaded), the idle limits may have changed: re-arm.
 */
void
session_recount(struct session *s, int reloaded)
{
	if (s->state == SESSION_CLOSING)
		return;
	if (reloaded)
		session_arm(s);
	if (s->term != NULL && (workers_online() != s->shown_online ||
	    match_waiting() != s->shown_waiting))
		session_dirty(s);
}

/* The idle limit of the session's state in seconds; 0 for none. */
static u_int
session_idle_limit(const struct session *s)
{
	switch (s->state) {
	case SESSION_WELCOME:
		return (cfg->idle_welcome);
	case SESSION_WAITING:
		return (cfg->idle_waiting);
	case SESSION_PAIRED:
	case SESSION_ALONE:
		return (cfg->idle_chat);
	case SESSION_CLOSING:
		break;
	}
	return (0);
}

/*
 * Arm the session's timer for the next thing due: its idle limit, or
 * the status line's clock moving on; a console's, once a second.  Keys
 * do not re-arm it (last_active only moves the limit later): at the
 * old deadline it looks again.  An idle session costs nothing between.
 */
static void
session_arm(struct session *s)
{
	struct timeval	 tv;
	uint64_t	 now = now_ms(), due = UINT64_MAX, next;
	u_int		 limit = session_idle_limit(s);

	if (s->state == SESSION_CLOSING)
		return;
	if (s->console != NULL)
		due = now + 1000;
	else {
		/* The limit is passed 1 ms after, as session_idle() sees it. */
		if (limit != 0)
			due = s->last_active + (uint64_t)limit * 1000 + 1;
		if (s->term != NULL &&
		    (next = view_status_next(s, now)) < due)
			due = next;
	}
	if (due == UINT64_MAX) {
		evtimer_del(s->deadline_ev);
		return;
	}
	due = due > now ? due - now : 0;
	tv.tv_sec = due / 1000;
	tv.tv_usec = (due % 1000) * 1000;
	evtimer_add(s->deadline_ev, &tv);
}

/* The session's timer: idle too long, the clock moved, or a console tick. */
static void
session_deadline(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)events;
	if (s->console != NULL)
		console_tick(s);
	else if (session_idle(s))
		return;
	else if (s->term != NULL &&
	    view_status_clock(s, now_ms()) != s->shown_secs)
		session_dirty(s);
	session_arm(s);
}

/* Past the idle limit: say goodbye and close (returns 1). */
static int
session_idle(struct session *s)
{
	u_int	limit = session_idle_limit(s);

	if (limit == 0 || now_ms() - s->last_active <= (uint64_t)limit * 1000)
		return (0);
	session_notice(s, "You were idle for too long. Goodbye.");
	metrics_inc(METRIC_IDLE_KICKS);
	session_close(s, s->state == SESSION_WELCOME ?
	    "idle on the welcome screen" : s->state ==
	    SESSION_WAITING ? "idle while waiting" : "idle in the chat");
	return (1);
}

/*
 * A system line: the server speaking.  The same line again right after
 * it (a flood warning per dropped line, say) updates that line with a
 * count instead of filling the screen with copies.
 */
static void
session_system(struct session *s, const char *text)
{
	struct conv	*c = &s->conv;
	const char	*last;
	char		*counted;
	size_t		 len = strlen(text);
	int		 again;

	if (s->term == NULL || c->nlines == 0) {
		session_add_line(s, LINE_SYSTEM, text);
		return;
	}
	last = conv_text(c, c->nlines - 1);
	again = conv_kind(c, c->nlines - 1) == LINE_SYSTEM &&
	    strncmp(last, text, len) == 0;
	if (again && last[len] == '\0')
		s->repeats = 2;
	else if (again && s->repeat_seq == c->seq &&
	    strncmp(last + len, " (", 2) == 0)
		s->repeats++;
	else {
		session_add_line(s, LINE_SYSTEM, text);
		return;
	}
	xasprintf(&counted, "%s (%u times)", text, s->repeats);
	conv_rewrite(c, counted);
	free(counted);
	session_conv_count(s);
	/* A line changed in place: the view lays everything out again. */
	s->view_seq = 0;
	s->repeat_seq = c->seq;
	session_dirty(s);
}

/*
 * Keep the worker's figure of what conversations hold (the bytes they
 * have allocated, for the metrics) in step with this session's.
 */
static void
session_conv_count(struct session *s)
{
	size_t	now;

	now = conv_size(&s->conv);
	if (now >= s->conv_counted)
		atomic_fetch_add_explicit(&s->w->conv_bytes,
		    now - s->conv_counted, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&s->w->conv_bytes,
		    s->conv_counted - now, memory_order_relaxed);
	s->conv_counted = now;
}

/* Append a line to the conversation, dropping the oldest past the caps. */
static void
session_add_line(struct session *s, enum line_kind kind, const char *text)
{
	if (s->term == NULL) {
		if (s->ready)
			session_plain(s, kind, text);
		if (kind != LINE_STRANGER && kind != LINE_YOU)
			return;
	}
	conv_add(&s->conv, kind, text);
	session_conv_count(s);
	/* Scrolled back: keep the view where it is and count what came. */
	if (s->scroll > 0) {
		s->scroll += view_line_rows(kind, text, s->sx);
		s->unseen++;
	}
	session_dirty(s);
}

/* Line mode: print one line (session-plain.c says how). */
static void
session_plain(struct session *s, enum line_kind kind, const char *text)
{
	evbuffer_drain(s->w->out, evbuffer_get_length(s->w->out));
	session_plain_line(s, s->w->out, kind, text);
	session_write(s, NULL, 0);
}

/* Line mode: show the input line again, if the client does not. */
static void
session_plain_echo(struct session *s)
{
	if (!s->echo || s->state == SESSION_CLOSING)
		return;
	evbuffer_drain(s->w->out, evbuffer_get_length(s->w->out));
	session_plain_input(s, s->w->out);
	session_write(s, NULL, 0);
}

/* Ask for a redraw once the current callback is done. */
static void
session_dirty(struct session *s)
{
	if (s->term == NULL || !s->ready || s->dirty ||
	    s->state == SESSION_CLOSING)
		return;
	s->dirty = 1;
	event_active(s->redraw_ev, EV_TIMEOUT, 0);
}

/*
 * A window below SCREEN_MIN_X x SCREEN_MIN_Y: one honest line, once per
 * size, instead of a layout cut to pieces.  Everything is drawn again
 * when it grows.
 */
static void
session_small(struct session *s)
{
	static const char	msg[] = "Make the window at least "
	    SESSION_STR(SCREEN_MIN_X) "x" SESSION_STR(SCREEN_MIN_Y) ".";

	s->need_full = 1;
	if (s->small_shown)
		return;
	s->small_shown = 1;
	evbuffer_drain(s->w->out, evbuffer_get_length(s->w->out));
	evbuffer_add_printf(s->w->out, "%s%s%s", s->term->sgr0,
	    s->term->clear, msg);
	session_write(s, NULL, 0);
}

/* Draw the next frame and send the difference to the client. */
static void
session_redraw(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;
	struct worker	*w = s->w;
	struct view_now	 vn;

	(void)fd;
	(void)events;
	s->dirty = 0;
	if (s->term == NULL || s->state == SESSION_CLOSING)
		return;
	if (s->too_small) {
		session_small(s);
		return;
	}
	/* What the views show besides the session, and when it changes. */
	vn.now = now_ms();
	vn.online = s->shown_online = workers_online();
	vn.waiting = s->shown_waiting = match_waiting();
	/*
	 * Figures the worker's tick has not seen (they changed since it
	 * looked): it must walk again, or this session would keep them if
	 * they changed back before its next tick.
	 */
	if (vn.online != w->seen_online || vn.waiting != w->seen_waiting)
		w->seen_stale = 1;
	s->shown_secs = view_status_clock(s, vn.now);
	/* The views clear the screen themselves; resizing clears it too. */
	if (w->scratch.cells == NULL || w->scratch.sx != s->sx ||
	    w->scratch.sy != s->sy)
		screen_resize(&w->scratch, s->sx, s->sy);
	w->scratch.oy = s->oy;
	if (s->shown.cells == NULL)
		screen_unpack(&s->shown, &s->packed);
	else
		TAILQ_REMOVE(&w->drawn, s, drawn_entry);
	if (s->console != NULL) {
		console_view_draw(s, &w->scratch);
		/* The chat view's next frame cannot start from this one. */
		s->view_seq = 0;
	} else
		view_draw(s, &w->scratch, s->need_full ? NULL : &s->shown,
		    &vn);
	evbuffer_drain(w->out, evbuffer_get_length(w->out));
	if (s->need_full) {
		render_full(s->term, &s->shown, &w->scratch, w->out);
		s->need_full = 0;
	} else
		render_diff(s->term, &s->shown, &w->scratch, w->out);
	s->drawn_ms = vn.now;
	TAILQ_INSERT_TAIL(&w->drawn, s, drawn_entry);
	session_write(s, NULL, 0);
}

/*
 * Pack the shown screens of the worker's sessions not drawn for
 * SESSION_PACK_MS: 7.7 KB unpacked at 80x24, a few hundred bytes packed.
 * Packing after every frame would cost as much again as drawing one, so
 * only the screens of sessions left alone are packed, by the worker's
 * once-a-second tick, which looks at no other session.
 */
void
session_pack_idle(struct worker *w)
{
	struct session	*s;
	uint64_t	 now = now_ms();
	u_int		 n = 0;

	while ((s = TAILQ_FIRST(&w->drawn)) != NULL &&
	    now - s->drawn_ms >= SESSION_PACK_MS) {
		TAILQ_REMOVE(&w->drawn, s, drawn_entry);
		screen_pack(&s->packed, &s->shown);
		screen_free(&s->shown);
		n++;
	}
	/*
	 * The freed screens lie between live allocations, where malloc
	 * keeps their pages: when many went at once (sessions settling
	 * after a rush), give whole free pages back to the system.  A few
	 * are left for the next screens unpacked to reuse.
	 */
	if (n >= SESSION_PACK_TRIM)
		malloc_trim(0);
}

/*
 * Send bytes to the client: buf if given, else whatever the worker's
 * frame buffer holds.  The one way out to a client, the console's line
 * mode included: a client whose queue is over the cap is closed, and
 * counted.
 */
void
session_write(struct session *s, const void *buf, size_t len)
{
	struct evbuffer	*out = s->w->out;
	int		 r;

	if (s->state == SESSION_CLOSING)
		return;
	if (buf == NULL) {
		len = evbuffer_get_length(out);
		if (len == 0)
			return;
		buf = evbuffer_pullup(out, -1);
		r = s->ops->write(s->fe, buf, len);
		evbuffer_drain(out, len);
	} else
		r = s->ops->write(s->fe, buf, len);
	/* A farewell that does not fit is dropped, not counted again. */
	if (r == -1 && !s->closing) {
		metrics_inc(METRIC_OUTQ_DROPS);
		session_close(s, "output queue full");
	}
}

/*
 * End a session: tell the partner or the matchmaker, log it, and put it
 * on the worker's list to be freed from the loop, never from inside the
 * callback that noticed the end.
 */
void
session_close(struct session *s, const char *reason)
{
	struct msg	*m;
	long		 ms;

	/*
	 * The farewell below goes through session_write(), which closes
	 * the session when the output queue is full: that must not come
	 * back here (it recursed until the stack overflowed).
	 */
	if (s->state == SESSION_CLOSING || s->closing)
		return;
	s->closing = 1;
	if (s->state == SESSION_PAIRED)
		session_leave(s);
	else if (s->state == SESSION_WAITING) {
		m = msg_new(MSG_CANCEL);
		m->from = s->handle;
		match_post(m);
	}
	if (s->term != NULL && s->ready) {
		/* Leave the terminal as we found it. */
		evbuffer_drain(s->w->out, evbuffer_get_length(s->w->out));
		render_leave(s->term, s->w->out);
		/*
		 * The chat screen is gone with the alternate screen: say
		 * the last word again where it stays visible.
		 */
		evbuffer_add_printf(s->w->out, "strangerd: %s\r\n",
		    s->farewell != NULL ? s->farewell : "Goodbye.");
		session_write(s, NULL, 0);
	} else if (!s->ready && s->farewell != NULL) {
		/*
		 * Still negotiating, so nothing was shown yet: the last word
		 * as a plain line, which any client can read.
		 */
		evbuffer_drain(s->w->out, evbuffer_get_length(s->w->out));
		evbuffer_add_printf(s->w->out, "strangerd: %s\r\n",
		    s->farewell);
		session_write(s, NULL, 0);
	}
	metrics_session_state(s->transport, s->state, SESSION_CLOSING);
	s->state = SESSION_CLOSING;
	s->close_reason = reason;
	ms = session_elapsed_ms(&s->started);
	log_info("%s: end %s from %s after %ld.%03lds: %s", s->id,
	    s->transport, s->addr, ms / 1000, ms % 1000, reason);
	worker_detach(s->w, s->handle);
	event_del(s->redraw_ev);
	evtimer_del(s->esc_ev);
	evtimer_del(s->typing_ev);
	evtimer_del(s->partner_typing_ev);
	evtimer_del(s->deadline_ev);
	s->next_closed = s->w->closed;
	s->w->closed = s;
	event_active(s->w->reap_ev, EV_TIMEOUT, 0);
}

/* Free a closed session and let the front end free its transport. */
void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->fe);
	event_free(s->redraw_ev);
	event_free(s->esc_ev);
	event_free(s->typing_ev);
	event_free(s->partner_typing_ev);
	event_free(s->deadline_ev);
	if (s->shown.cells != NULL)
		TAILQ_REMOVE(&s->w->drawn, s, drawn_entry);
	screen_free(&s->shown);
	screen_pack_free(&s->packed);
	editor_free(&s->editor);
	console_free(s->console);
	conv_free(&s->conv);
	atomic_fetch_sub_explicit(&s->w->conv_bytes, s->conv_counted,
	    memory_order_relaxed);
	free(s->key);
	free(s->farewell);
	free(s->interests);
	free(s->shared);
	session_report_free(s);
	free(s);
}

/* Draw again soon (full: every cell); for console.c, which lays it out. */
void
session_refresh(struct session *s, int full)
{
	if (full)
		s->need_full = 1;
	session_dirty(s);
}

/* The short id that starts the session's log lines. */
const char *
session_id(const struct session *s)
{
	return (s->id);
}
