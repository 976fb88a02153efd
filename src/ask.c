/*
 * Requests between threads and their answers, in one shape for every
 * asker: a request carries its reply address (struct reply_to: the
 * asker's inbox, the session a console answer is for, a request id),
 * and whoever answers posts a struct reply straight back there.  An
 * asker gathers the answers to one request in a struct ask: asking
 * every worker (the fan-out) and merging what comes back are written
 * here once, for admin.c (strangerctl) and console.c alike.
 *
 * Owns: nothing between calls; a struct ask belongs to its asker and is
 * used only on the asker's thread.  reply_post() may be called from any
 * thread.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* An answer; text and rows (either may be NULL) are taken over. */
struct reply *
reply_new(int error, char *text, char *rows)
{
	struct reply	*r;

	r = xcalloc(1, sizeof *r);
	r->error = error;
	r->text = text;
	r->rows = rows;
	return (r);
}

/* Free an answer, from any thread. */
void
reply_free(struct reply *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->rows);
	free(r);
}

/*
 * Send an answer to whoever asked, from any thread; r is taken over.
 * A request nobody waits for (no inbox) is answered into the void.
 */
void
reply_send(const struct reply_to *ret, struct reply *r)
{
	struct msg	*m;

	if (ret->inbox == NULL) {
		reply_free(r);
		return;
	}
	r->id = ret->id;
	m = msg_new(MSG_REPLY);
	m->to = ret->to;
	m->ptr = r;
	inbox_post(ret->inbox, m);
}

/* Answer with a message, rows, or an error (text and rows taken over). */
void
reply_post(const struct reply_to *ret, int error, char *text, char *rows)
{
	reply_send(ret, reply_new(error, text, rows));
}

/* Start gathering the answers to a new request, addressed by ret. */
void
ask_init(struct ask *a, const struct reply_to *ret)
{
	memset(a, 0, sizeof *a);
	a->ret = *ret;
}

/* Forget what was gathered. */
void
ask_clear(struct ask *a)
{
	free(a->text);
	free(a->rows);
	ask_init(a, &a->ret);
}

/*
 * A query (MSG_QUERY) answered to a, for a worker or the cluster
 * thread to take; one more answer for a to wait for.
 */
struct msg *
ask_query(struct ask *a, enum admin_op op)
{
	struct admin_query	*q;
	struct msg		*m;

	q = xcalloc(1, sizeof *q);
	q->op = op;
	q->ret = a->ret;
	m = msg_new(MSG_QUERY);
	m->ptr = q;
	a->pending++;
	return (m);
}

/* Ask every worker; one answer will come from each. */
void
ask_workers(struct ask *a, enum admin_op op)
{
	u_int	i;

	for (i = 0; i < nworkers; i++)
		inbox_post(workers[i]->inbox, ask_query(a, op));
}

/*
 * Ask everyone: with cluster set, every node (cluster-ask.c answers
 * once, with every node's rows and counts), else every worker.
 */
void
ask_everywhere(struct ask *a, enum admin_op op)
{
	if (!cluster_ask(a, op))
		ask_workers(a, op);
}

/*
 * A session id as the sessions table shows it, "w.slot.gen", into a
 * handle; -1 unless it is exactly that, for a worker a node may have.
 */
int
ask_session_id(const char *id, uint64_t *h)
{
	u_int	w, slot, gen;
	int	used = 0;

	if (sscanf(id, "%u.%u.%u%n", &w, &slot, &gen, &used) != 3 ||
	    id[used] != '\0' || id[0] < '0' || id[0] > '9' ||
	    w >= HANDLE_CLUSTER || gen == 0 || gen > 0xffffff)
		return (-1);
	*h = HANDLE_MAKE(w, slot, gen);
	return (0);
}

/*
 * Ask the worker of the session h (of this node) to end it; text is
 * what the visitor is told (NULL: the usual line).
 */
void
ask_kick_handle(struct ask *a, uint64_t h, const char *text)
{
	struct admin_query	*q;
	struct msg		*m;

	m = ask_query(a, ADMIN_KICK);
	q = m->ptr;
	q->target = h;
	q->text = text != NULL ? xstrdup(text) : NULL;
	if (HANDLE_WORKER(h) >= nworkers) {
		/* No such worker: answered as a session gone would be. */
		reply_post(&q->ret, 1, xstrdup("no such session"), NULL);
		msg_free(m);
		return;
	}
	worker_post(h, m);
}

/*
 * End the session named by id, as the sessions table shows it:
 * "w.slot.gen", or "NODE:w.slot.gen" in a cluster (on any node).
 * -1 if id cannot name a session.
 */
int
ask_kick(struct ask *a, const char *id, const char *text)
{
	uint64_t	h;

	if (strchr(id, ':') != NULL)
		return (cluster_ask_kick(a, id, text));
	if (ask_session_id(id, &h) != 0 || HANDLE_WORKER(h) >= nworkers)
		return (-1);
	ask_kick_handle(a, h, text);
	return (0);
}

/* Hand a request to the store; one answer will come. */
void
ask_store(struct ask *a, struct store_req *r)
{
	r->ret = a->ret;
	a->pending++;
	store_request(r);
}

/*
 * Add an answer to what was gathered: the first error wins over any
 * message, rows are appended in the order they come, counts are summed.
 * Returns 1 once the last answer is in.
 */
int
ask_merge(struct ask *a, struct reply *r)
{
	size_t	len;
	u_int	i;

	if (r->error && !a->error) {
		a->error = 1;
		free(a->text);
		a->text = r->text;
		r->text = NULL;
	} else if (r->text != NULL && a->text == NULL) {
		a->text = r->text;
		r->text = NULL;
	}
	if (r->rows != NULL) {
		len = strlen(r->rows);
		a->rows = xreallocarray(a->rows, 1, a->rowslen + len + 1);
		memcpy(a->rows + a->rowslen, r->rows, len + 1);
		a->rowslen += len;
	}
	for (i = 0; i < STAT_N; i++)
		a->counts[i] += r->counts[i];
	if (a->pending > 0)
		a->pending--;
	return (a->pending == 0);
}
