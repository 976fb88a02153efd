/*
 * Moderation on a worker's own thread: the ban list each worker holds,
 * the ban checks (at accept, before any crypto; after SSH key
 * authentication), ending live sessions that a new ban covers, /report,
 * and the answers to admin.c's queries (sessions, kick, stats).
 *
 * Owns: one ban list reference per worker, touched only by that
 * worker's thread (and freed by the main thread once every worker has
 * stopped).  Every function here except admin_worker_free runs on the
 * thread of the worker it is given.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strangerd.h"
#include "control.h"

/* Worker indexes fit in a handle's top byte. */
#define ADMIN_WORKERS_MAX	256

static struct banlist	*admin_worker_lists[ADMIN_WORKERS_MAX];

static struct banlist	*admin_worker_list(struct worker *);
static void		 admin_worker_sessions(struct worker *, uint64_t);
static void		 admin_worker_kick(struct worker *,
			     struct admin_query *);
static void		 admin_worker_stats(struct worker *, uint64_t);
static void		 admin_worker_fill(struct worker *, uint64_t,
			     struct report *);
static void		 admin_worker_identity(const struct session *,
			     struct identity *);
static const char	*admin_worker_state(const struct session *);
static void		 admin_worker_eject(struct session *, const char *,
			     const char *);

/*
 * End a banned session with one line.  A session that has not started
 * (telnet still negotiating, SSH before the shell) has no screen yet,
 * so the line goes out as it is.
 */
static void
admin_worker_eject(struct session *s, const char *why, const char *reason)
{
	char	*line;
	int	 n;

	if (!s->ready) {
		n = xasprintf(&line, "strangerd: %s\r\n", why);
		(void)s->ops->write(s->fe, line, (size_t)n);
		free(line);
	} else
		session_notice(s, why);
	session_close(s, reason);
}

/*
 * This worker's ban list.  Until the store's first MSG_BANS arrives it
 * is the list loaded at start-up, which lives until the store stops.
 */
static struct banlist *
admin_worker_list(struct worker *w)
{
	if (w->idx >= ADMIN_WORKERS_MAX)
		return (store_bans_initial());
	if (admin_worker_lists[w->idx] == NULL)
		admin_worker_lists[w->idx] = banlist_ref(store_bans_initial());
	return (admin_worker_lists[w->idx]);
}

/*
 * At accept, before any crypto: the line to send a banned address, or
 * NULL.  The caller frees the line.
 */
char *
admin_worker_refuse(struct worker *w, const struct sockaddr *sa)
{
	char	*why = NULL, *line;

	if (!ban_check(admin_worker_list(w), sa, NULL, time(NULL), &why))
		return (NULL);
	xasprintf(&line, "strangerd: %s\r\n", why);
	free(why);
	return (line);
}

/*
 * After SSH key authentication: a banned key gets one line and the
 * session ends.  Returns 1 if it was banned.
 */
int
admin_worker_key(struct session *s)
{
	char	*why = NULL;

	if (s->key == NULL || s->state == SESSION_CLOSING ||
	    !ban_check(admin_worker_list(s->w), NULL, s->key, time(NULL),
	    &why))
		return (0);
	log_info("%s: key %s is banned", s->id, s->key);
	admin_worker_eject(s, why, "banned key");
	free(why);
	return (1);
}

/*
 * MSG_BANS: take the new list, let go of the old, and end the sessions
 * the new one covers; their partners see the stranger leave.
 */
void
admin_worker_bans(struct worker *w, struct msg *m)
{
	struct banlist	*bl = m->ptr, *old;
	struct session	*s;
	char		*why;
	time_t		 now = time(NULL);
	uint32_t	 i;

	m->ptr = NULL;
	if (w->idx >= ADMIN_WORKERS_MAX) {
		banlist_unref(bl);
		return;
	}
	old = admin_worker_lists[w->idx];
	admin_worker_lists[w->idx] = bl;
	banlist_unref(old);
	for (i = 0; i < w->nslots; i++) {
		if ((s = w->slots[i]) == NULL || s->state == SESSION_CLOSING)
			continue;
		why = NULL;
		if (!ban_check(bl, (struct sockaddr *)&s->ss, s->key, now,
		    &why))
			continue;
		log_info("%s: ended by a new ban", s->id);
		admin_worker_eject(s, why, "banned");
		free(why);
	}
}

/* What a session is doing, for strangerctl sessions. */
static const char *
admin_worker_state(const struct session *s)
{
	switch (s->state) {
	case SESSION_WELCOME:
		return ("welcome");
	case SESSION_WAITING:
		return ("waiting");
	case SESSION_PAIRED:
		return ("chatting");
	case SESSION_ALONE:
		return ("alone");
	case SESSION_CLOSING:
		return ("closing");
	}
	return ("?");
}

/* One row per live session on this worker. */
static void
admin_worker_sessions(struct worker *w, uint64_t conn)
{
	struct session	*s;
	struct timespec	 now;
	const char	*f[8];
	char		*rows = NULL, age[32], partner[32];
	size_t		 len = 0;
	uint32_t	 i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < w->nslots; i++) {
		if ((s = w->slots[i]) == NULL || s->state == SESSION_CLOSING)
			continue;
		ban_format_duration(now.tv_sec - s->started.tv_sec, age,
		    sizeof age);
		if (s->state == SESSION_PAIRED && s->partner != HANDLE_NONE)
			snprintf(partner, sizeof partner, "%u.%u.%u",
			    HANDLE_WORKER(s->partner), HANDLE_SLOT(s->partner),
			    HANDLE_GEN(s->partner));
		else
			snprintf(partner, sizeof partner, "-");
		f[0] = "row";
		f[1] = s->id;
		f[2] = s->transport;
		f[3] = s->addr;
		f[4] = s->key != NULL ? s->key : "-";
		f[5] = admin_worker_state(s);
		f[6] = age;
		f[7] = partner;
		control_append(&rows, &len, f, 8);
	}
	admin_reply_post(conn, 0, NULL, rows);
}

/* Close the session a handle names, if it is still here. */
static void
admin_worker_kick(struct worker *w, struct admin_query *q)
{
	struct session	*s;
	char		*text;

	if ((s = worker_lookup(w, q->target)) == NULL ||
	    s->state == SESSION_CLOSING) {
		admin_reply_post(q->conn, 1, xstrdup("no such session"), NULL);
		return;
	}
	log_info("%s: kicked by a moderator", s->id);
	session_notice(s, q->text != NULL ? q->text :
	    "A moderator ended your session.");
	xasprintf(&text, "kicked %s (%s %s)", s->id, s->transport, s->addr);
	session_close(s, "kicked");
	admin_reply_post(q->conn, 0, text, NULL);
}

/* Counts by state on this worker. */
static void
admin_worker_stats(struct worker *w, uint64_t conn)
{
	struct admin_reply	*ar;
	struct session		*s;
	struct msg		*m;
	uint32_t		 i;

	ar = xcalloc(1, sizeof *ar);
	ar->conn = conn;
	for (i = 0; i < w->nslots; i++) {
		if ((s = w->slots[i]) == NULL || s->state == SESSION_CLOSING)
			continue;
		ar->count++;
		switch (s->state) {
		case SESSION_WELCOME:
			ar->counts[0]++;
			break;
		case SESSION_WAITING:
			ar->counts[1]++;
			break;
		case SESSION_PAIRED:
			ar->counts[2]++;
			break;
		default:
			ar->counts[3]++;
			break;
		}
	}
	m = msg_new(MSG_REPLY);
	m->ptr = ar;
	admin_post(m);
}

/* A session's identity, copied. */
static void
admin_worker_identity(const struct session *s, struct identity *id)
{
	id->addr = xstrdup(s->addr);
	id->key = s->key != NULL ? xstrdup(s->key) : NULL;
	id->transport = xstrdup(s->transport);
}

/*
 * On the reported visitor's worker: fill in who they are (if they are
 * still here) and hand the report to the store.
 */
static void
admin_worker_fill(struct worker *w, uint64_t h, struct report *rp)
{
	struct session	*s;

	if ((s = worker_lookup(w, h)) != NULL)
		admin_worker_identity(s, &rp->reported);
	else
		log_info("report on %u.%u.%u, who has gone",
		    HANDLE_WORKER(h), HANDLE_SLOT(h), HANDLE_GEN(h));
	store_report_submit(rp);
}

/* MSG_QUERY from admin.c, or a report passing through. */
void
admin_worker_query(struct worker *w, struct msg *m)
{
	struct admin_query	*q = m->ptr;

	if (q == NULL)
		return;
	switch (q->op) {
	case ADMIN_SESSIONS:
		admin_worker_sessions(w, q->conn);
		break;
	case ADMIN_KICK:
		admin_worker_kick(w, q);
		break;
	case ADMIN_STATS:
		admin_worker_stats(w, q->conn);
		break;
	case ADMIN_REPORT:
		admin_worker_fill(w, m->to, q->report);
		q->report = NULL;
		break;
	case ADMIN_SYNC:
		/* Everything posted before this (a new ban list) is done. */
		admin_reply_post(q->conn, 0, NULL, NULL);
		break;
	}
}

/*
 * /report on the reporter's worker: the evidence (the last lines of
 * both sides, already sanitised) and the reporter's identity go to the
 * reported visitor's worker, which adds theirs and passes it on to the
 * store.  Returns -1 if there is nobody to report.
 */
int
admin_worker_report(struct session *s, const char *reason)
{
	struct report		*rp;
	struct admin_query	*q;
	struct msg		*m;
	const struct chat_line	*cl;
	uint64_t		 target;
	char			*ev = NULL, *line;
	size_t			 len = 0;
	u_int			 i, n, first;
	int			 ll;

	if (s->state == SESSION_PAIRED)
		target = s->partner;
	else if (s->state == SESSION_ALONE)
		target = s->last_partner;
	else
		target = HANDLE_NONE;
	if (target == HANDLE_NONE)
		return (-1);

	rp = xcalloc(1, sizeof *rp);
	admin_worker_identity(s, &rp->reporter);
	rp->reported_handle = target;
	rp->reason = sanitize_text(reason, strnlen(reason, REPORT_REASON_MAX),
	    NULL);
	/* The last lines either side typed, oldest first. */
	for (i = n = 0; i < s->nlines && n < REPORT_EVIDENCE_LINES; i++) {
		cl = &s->lines[(s->line_first + s->nlines - 1 - i) %
		    CHAT_MAX_LINES];
		if (cl->kind == LINE_YOU || cl->kind == LINE_STRANGER)
			n++;
	}
	first = s->nlines - i;
	for (i = first; i < s->nlines; i++) {
		cl = &s->lines[(s->line_first + i) % CHAT_MAX_LINES];
		if (cl->kind != LINE_YOU && cl->kind != LINE_STRANGER)
			continue;
		ll = xasprintf(&line, "%s: %s\n", cl->kind == LINE_YOU ?
		    "reporter" : "reported", cl->text);
		ev = xreallocarray(ev, 1, len + (size_t)ll + 1);
		memcpy(ev + len, line, (size_t)ll + 1);
		len += (size_t)ll;
		free(line);
	}
	rp->evidence = ev != NULL ? ev : xstrdup("");
	log_info("%s: reports %u.%u.%u", s->id, HANDLE_WORKER(target),
	    HANDLE_SLOT(target), HANDLE_GEN(target));

	q = xcalloc(1, sizeof *q);
	q->op = ADMIN_REPORT;
	q->report = rp;
	m = msg_new(MSG_QUERY);
	m->ptr = q;
	worker_post(target, m);
	return (0);
}

/* Let go of every worker's list, once the workers have stopped. */
void
admin_worker_free(void)
{
	u_int	i;

	for (i = 0; i < ADMIN_WORKERS_MAX; i++) {
		banlist_unref(admin_worker_lists[i]);
		admin_worker_lists[i] = NULL;
	}
}
