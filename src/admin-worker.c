/*
 * Moderators' queries answered on a worker's own thread (MSG_QUERY,
 * struct admin_query, from admin.c and console.c through ask.c): this
 * worker's sessions, a kick, its counts, a barrier.  (/report is built
 * by the reporter's session, session-report.c.)  Each answer goes
 * straight to the query's reply address.
 *
 * Owns: nothing between messages.  Every function here runs on the
 * thread of the worker it is given, except admin_query_free.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strangerd.h"

static void		 admin_worker_sessions(struct worker *,
			     const struct reply_to *);
static void		 admin_worker_kick(struct worker *,
			     struct admin_query *);
static void		 admin_worker_stats(struct worker *,
			     const struct reply_to *);
static const char	*admin_worker_state(const struct session *);

/* Free a query, from any thread. */
void
admin_query_free(struct admin_query *q)
{
	if (q == NULL)
		return;
	free(q->text);
	free(q->node);
	free(q);
}

/* What a session is doing, for strangerctl sessions. */
static const char *
admin_worker_state(const struct session *s)
{
	if (s->console != NULL)
		return ("console");
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
admin_worker_sessions(struct worker *w, const struct reply_to *ret)
{
	struct session	*s;
	struct timespec	 now;
	const char	*f[SCOL_N];
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
		f[SCOL_ID] = s->id;
		f[SCOL_TRANSPORT] = s->transport;
		f[SCOL_ADDRESS] = s->addr;
		f[SCOL_KEY] = s->key != NULL ? s->key : "-";
		f[SCOL_STATE] = admin_worker_state(s);
		f[SCOL_TIME] = age;
		f[SCOL_PARTNER] = partner;
		f[SCOL_NODE] = "";	/* the cluster thread names it */
		table_append(&rows, &len, TABLE_SESSIONS, f);
	}
	reply_post(ret, 0, NULL, rows);
}

/* Close the session a handle names, if it is still here. */
static void
admin_worker_kick(struct worker *w, struct admin_query *q)
{
	struct session	*s;
	char		*text;

	if ((s = worker_lookup(w, q->target)) == NULL ||
	    s->state == SESSION_CLOSING) {
		reply_post(&q->ret, 1, xstrdup("no such session"), NULL);
		return;
	}
	log_info("%s: kicked by a moderator", s->id);
	session_notice(s, q->text != NULL ? q->text :
	    "A moderator ended your session.");
	xasprintf(&text, "kicked %s (%s %s)", s->id, s->transport, s->addr);
	session_close(s, "kicked");
	reply_post(&q->ret, 0, text, NULL);
}

/* Visitors by state on this worker; consoles are not visitors. */
static void
admin_worker_stats(struct worker *w, const struct reply_to *ret)
{
	struct reply	*r;
	struct session	*s;
	uint32_t	 i;

	r = reply_new(0, NULL, NULL);
	for (i = 0; i < w->nslots; i++) {
		if ((s = w->slots[i]) == NULL || s->state == SESSION_CLOSING)
			continue;
		if (s->console != NULL)
			continue;	/* a moderator, not a visitor */
		r->counts[STAT_SESSIONS]++;
		switch (s->state) {
		case SESSION_WELCOME:
			r->counts[STAT_WELCOME]++;
			break;
		case SESSION_WAITING:
			r->counts[STAT_WAITING]++;
			break;
		case SESSION_PAIRED:
			r->counts[STAT_CHATTING]++;
			break;
		default:
			r->counts[STAT_ALONE]++;
			break;
		}
	}
	reply_send(ret, r);
}

/* MSG_QUERY from admin.c or a console. */
void
admin_worker_query(struct worker *w, struct msg *m)
{
	struct admin_query	*q = m->ptr;

	if (q == NULL)
		return;
	switch (q->op) {
	case ADMIN_SESSIONS:
		admin_worker_sessions(w, &q->ret);
		break;
	case ADMIN_KICK:
		admin_worker_kick(w, q);
		break;
	case ADMIN_STATS:
		admin_worker_stats(w, &q->ret);
		break;
	case ADMIN_SYNC:
		/* Everything posted before this (a new ban list) is done. */
		reply_post(&q->ret, 0, NULL, NULL);
		break;
	}
}
