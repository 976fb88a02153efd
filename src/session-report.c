/*
 * A visitor's /report: which chat it names, who the stranger of that
 * chat was, and the evidence, which is the last lines of that chat and
 * of no other.
 *
 * Owns: the session's record of its current or last chat (struct
 * session_chat): the partner's identity, which the partner's worker
 * sends when the two are paired, so that a stranger who says something
 * nasty and leaves can still be reported by address or key; and where
 * that chat's lines begin and end in the conversation.  Does not own
 * the conversation (session.c) or the database (store-report.c).
 * Runs only on the thread of the session's worker.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

static void	 session_report_who(const char *, struct identity *);
static char	*session_report_evidence(struct session *);

/*
 * A chat began: remember with whom, from which line on, and tell the
 * partner's worker who we are.  Our identity stays on the server: the
 * partner's session keeps it only for a report.
 */
void
session_report_paired(struct session *s)
{
	struct session_chat	*c = &s->chat;
	struct msg		*m;

	c->partner = s->partner;
	c->first = s->conv.seq;
	c->ended = 0;
	c->reported = 0;
	free(c->who);
	c->who = NULL;
	/* The partner may have been quicker than the matchmaker's word. */
	if (c->early != NULL && c->early_from == c->partner) {
		c->who = c->early;
		c->early = NULL;
	}
	free(c->early);
	c->early = NULL;

	m = msg_new(MSG_IDENTITY);
	m->from = s->handle;
	xasprintf(&m->text, "%s %s %s", s->transport, s->addr,
	    s->key != NULL ? s->key : "-");
	worker_post(s->partner, m);
}

/* The chat is over: its lines end here. */
void
session_report_ended(struct session *s)
{
	s->chat.end = s->conv.seq;
	s->chat.ended = 1;
}

/*
 * MSG_IDENTITY: who the partner is.  It can arrive before our own
 * MSG_PAIRED (the two workers hear from the matchmaker in either
 * order), so one from someone else is kept aside until then.
 */
void
session_report_identity(struct session *s, struct msg *m)
{
	struct session_chat	*c = &s->chat;

	if (m->text == NULL)
		return;
	if (m->from == c->partner && c->partner != HANDLE_NONE) {
		free(c->who);
		c->who = m->text;
	} else {
		free(c->early);
		c->early = m->text;
		c->early_from = m->from;
	}
	m->text = NULL;
}

/*
 * Is text (len bytes, not terminated) a partner's identity as
 * session_report_paired() writes it: "transport addr key", a known
 * transport, an IPv4 or IPv6 address, a fingerprint or "-"?  Another
 * node's word is checked this strictly before a report stores it.
 */
int
session_report_who_ok(const char *text, size_t len)
{
	char		 buf[16 + 64 + 128 + 4], t[16], a[64], k[128];
	u_char		 addr[16];
	size_t		 tl, al;
	int		 used = 0;

	if (len >= sizeof buf || memchr(text, '\0', len) != NULL)
		return (0);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (sscanf(buf, "%15[a-z] %63[0-9a-fA-F.:] %127[A-Za-z0-9+/=:-]%n",
	    t, a, k, &used) != 3 || (size_t)used != len)
		return (0);
	if (strcmp(t, "ssh") != 0 && strcmp(t, "telnet") != 0)
		return (0);
	if (inet_pton(AF_INET, a, addr) != 1 &&
	    inet_pton(AF_INET6, a, addr) != 1)
		return (0);
	/*
	 * Exactly one space between fields, as written: sscanf's " " takes
	 * any run of white space, none too ("ssh1.2.3.4  KEY").
	 */
	tl = strlen(t);
	al = strlen(a);
	return (buf[tl] == ' ' && buf[tl + 1 + al] == ' ' &&
	    tl + al + strlen(k) + 2 == len);
}

/* "transport addr key" (key "-" when none) into an identity. */
static void
session_report_who(const char *text, struct identity *id)
{
	char	 t[16], a[64], k[128];

	if (text == NULL || sscanf(text, "%15s %63s %127s", t, a, k) != 3)
		return;
	id->transport = xstrdup(t);
	id->addr = xstrdup(a);
	id->key = strcmp(k, "-") != 0 ? xstrdup(k) : NULL;
}

/*
 * The last REPORT_EVIDENCE_LINES lines either side typed in the chat
 * being reported, oldest first, each labelled with who said it.  Line
 * seq numbers count every line the conversation ever kept, so it holds
 * seq conv.seq - nlines .. conv.seq - 1.
 */
static char *
session_report_evidence(struct session *s)
{
	const struct session_chat	*c = &s->chat;
	const struct conv		*cv = &s->conv;
	enum line_kind			 kind;
	uint64_t			 seq, end;
	char				*ev = NULL, *line;
	size_t				 len = 0;
	u_int				 i, n, first;
	int				 ll;

	end = c->ended ? c->end : cv->seq;
	first = cv->nlines;
	for (i = cv->nlines, n = 0; i > 0 && n < REPORT_EVIDENCE_LINES; i--) {
		seq = cv->seq - cv->nlines + (i - 1);
		if (seq < c->first)
			break;
		if (seq >= end)
			continue;
		kind = conv_kind(cv, i - 1);
		if (kind == LINE_YOU || kind == LINE_STRANGER) {
			n++;
			first = i - 1;
		}
	}
	for (i = first; n > 0 && i < cv->nlines; i++) {
		seq = cv->seq - cv->nlines + i;
		if (seq >= end)
			break;
		kind = conv_kind(cv, i);
		if (kind != LINE_YOU && kind != LINE_STRANGER)
			continue;
		ll = xasprintf(&line, "%s: %s\n", kind == LINE_YOU ?
		    "reporter" : "reported", conv_text(cv, i));
		ev = xreallocarray(ev, 1, len + (size_t)ll + 1);
		memcpy(ev + len, line, (size_t)ll + 1);
		len += (size_t)ll;
		free(line);
	}
	return (ev != NULL ? ev : xstrdup(""));
}

/*
 * /report: the current chat, or the last one until the next begins,
 * goes to the store with both identities and its evidence.  Returns
 * 0, or SESSION_REPORT_NOBODY / SESSION_REPORT_ALREADY.
 */
int
session_report(struct session *s, const char *reason)
{
	struct session_chat	*c = &s->chat;
	struct report		*rp;

	if (c->partner == HANDLE_NONE)
		return (SESSION_REPORT_NOBODY);
	if (c->reported)
		return (SESSION_REPORT_ALREADY);
	rp = xcalloc(1, sizeof *rp);
	/* The store answers once it is saved: session_report_saved. */
	rp->ret.inbox = s->w->inbox;
	rp->ret.to = s->handle;
	rp->ret.id = REPORT_REPLY_ID;
	rp->reporter.addr = xstrdup(s->addr);
	rp->reporter.key = s->key != NULL ? xstrdup(s->key) : NULL;
	rp->reporter.transport = xstrdup(s->transport);
	session_report_who(c->who, &rp->reported);
	rp->reported_handle = c->partner;
	rp->reason = sanitize_text(reason, strnlen(reason, REPORT_REASON_MAX),
	    NULL);
	rp->evidence = session_report_evidence(s);
	log_info("%s: reports %u.%u.%u%s", s->id, HANDLE_WORKER(c->partner),
	    HANDLE_SLOT(c->partner), HANDLE_GEN(c->partner),
	    c->who == NULL ? " (not yet known who)" : "");
	c->reported = 1;
	store_report_submit(rp);
	return (0);
}

/* Let go of what the record holds, with the session. */
void
session_report_free(struct session *s)
{
	free(s->chat.who);
	free(s->chat.early);
	s->chat.who = s->chat.early = NULL;
}
