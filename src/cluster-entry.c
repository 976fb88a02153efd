/*
 * The cluster's entries: one struct cluster_entry per local session the
 * cluster thread knows, found by the session's handle in a hash table.
 * An entry says whether its visitor waits in the Redis pool (or is held
 * while Redis is away) and who its partner on another node is, behind
 * a proxy handle.  Owns the table; what fills the entries is in
 * cluster-pair.c (pairing) and cluster-relay.c (the chat).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "strangerd.h"
#include "cluster.h"

/* The table's hash buckets. */
#define CLUSTER_BUCKETS		4096

static struct cluster_entry	*cluster_table[CLUSTER_BUCKETS];

/* The bucket of a local session's handle. */
static struct cluster_entry **
cluster_entry_bucket(uint64_t local)
{
	return (&cluster_table[(local ^ (local >> 32)) % CLUSTER_BUCKETS]);
}

/* The entry of a local session, or NULL; create it if asked. */
struct cluster_entry *
cluster_entry(uint64_t local, int create)
{
	struct cluster_entry	**head, *e;

	head = cluster_entry_bucket(local);
	for (e = *head; e != NULL; e = e->next)
		if (e->local == local)
			return (e);
	if (!create)
		return (NULL);
	e = xcalloc(1, sizeof *e);
	e->local = local;
	e->next = *head;
	*head = e;
	return (e);
}

/* Forget a local session. */
void
cluster_entry_free(struct cluster_entry *e)
{
	struct cluster_entry	**pp;

	pp = cluster_entry_bucket(e->local);
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	free(e->interests);
	free(e);
}

/* The first entry in a bucket from head on, or NULL. */
static struct cluster_entry *
cluster_entry_from(struct cluster_entry **head)
{
	for (; head < cluster_table + CLUSTER_BUCKETS; head++)
		if (*head != NULL)
			return (*head);
	return (NULL);
}

/*
 * A walk over every entry: cluster_entry_first(), then
 * cluster_entry_next() until NULL.  The walker may free the entry it
 * holds once it has the next one, and nothing else.
 */
struct cluster_entry *
cluster_entry_first(void)
{
	return (cluster_entry_from(cluster_table));
}

/* The entry after e in a walk, or NULL. */
struct cluster_entry *
cluster_entry_next(const struct cluster_entry *e)
{
	if (e->next != NULL)
		return (e->next);
	return (cluster_entry_from(cluster_entry_bucket(e->local) + 1));
}

/* Forget every local session (the cluster thread has stopped). */
void
cluster_entry_clear(void)
{
	struct cluster_entry	*e, *next;

	for (e = cluster_entry_first(); e != NULL; e = next) {
		next = cluster_entry_next(e);
		cluster_entry_free(e);
	}
}

/* A handle that may name a session of a worker of this node. */
int
cluster_entry_handle_ok(uint64_t h)
{
	return (h != HANDLE_NONE && HANDLE_WORKER(h) < nworkers);
}

/*
 * Tell a local session its partner on another node has gone (lost 1:
 * with this node's Redis, so it is told why).
 */
void
cluster_entry_end(struct cluster_entry *e, int lost)
{
	struct msg	*m;

	if (!e->active)
		return;
	m = msg_new(MSG_LEFT);
	m->from = e->proxy;
	m->arg = lost;
	worker_post(e->local, m);
	e->active = 0;
	e->ended = now_ms();
}

/*
 * A local session's partner on another node, named as the sessions
 * table names it ("NODE:w.slot.gen"); -1 if it has none.
 */
int
cluster_partner_name(uint64_t local, char *buf, size_t size)
{
	struct cluster_entry	*e;

	if ((e = cluster_entry(local, 0)) == NULL || !e->active)
		return (-1);
	snprintf(buf, size, "%s:%u.%u.%u", e->node, HANDLE_WORKER(e->remote),
	    HANDLE_SLOT(e->remote), HANDLE_GEN(e->remote));
	return (0);
}
