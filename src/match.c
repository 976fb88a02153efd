/*
 * The matchmaker: one thread that keeps the waiting pool and pairs
 * visitors at random.  Workers post MSG_WANT and MSG_CANCEL to its
 * inbox; it answers both partners with MSG_PAIRED.  It never touches a
 * session, only handles.
 *
 * A visitor with interests waits for someone who shares one for
 * cfg->interest_wait seconds, then for anyone: a timer set to the next
 * such deadline takes them out of the pool and tries again.  MSG_BLOCK
 * records a pair that must never meet again (/block, reports).
 *
 * Owns: the pool, its event_base, inbox and timer.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

static struct event_base	*match_base;
static struct inbox		*match_inbox;
static struct match_pool	*match_pool;
/* While the configuration leaves interest_wait 0. */
#define MATCH_INTEREST_WAIT	(cfg->interest_wait != 0 ? \
				 cfg->interest_wait : 5)

static pthread_t		 match_thread;
static _Atomic u_int		 match_nwaiting;
static struct event		*match_due_ev;

static void	 match_message(struct msg *, void *);
static void	*match_main(void *);
static void	 match_pair(const struct match_want *,
		     const struct match_want *, const char *);
static void	 match_try(struct match_want *, uint64_t);
static void	 match_due(evutil_socket_t, short, void *);
static void	 match_arm(uint64_t);

/*
 * Tell both sessions who their partner is, the partner's identity (for
 * a later /block) and the interest they share, if any.
 */
static void
match_pair(const struct match_want *a, const struct match_want *b,
    const char *shared)
{
	struct msg	*m;

	m = msg_new(MSG_PAIRED);
	m->from = b->handle;
	m->ident = b->ident;
	m->text = shared != NULL ? xstrdup(shared) : NULL;
	worker_post(a->handle, m);
	m = msg_new(MSG_PAIRED);
	m->from = a->handle;
	m->ident = a->ident;
	m->text = shared != NULL ? xstrdup(shared) : NULL;
	worker_post(b->handle, m);
	metrics_inc(METRIC_PAIRINGS);
}

/*
 * Pair w with someone if anyone fits, else let it wait.  If the only
 * other visitor waiting is the one w just left, tell both: otherwise
 * each sees "2 waiting" and nothing happens (they may ask to meet
 * again with /again).
 */
static void
match_try(struct match_want *w, uint64_t now)
{
	struct match_want	 partner;
	struct msg		*m;
	uint64_t		 other;
	char			*shared;

	if (match_pool_match(match_pool, w, now, &partner, &shared) == 0) {
		match_pair(w, &partner, shared);
		free(partner.interests);
		free(shared);
		return;
	}
	match_pool_want(match_pool, w);
	if (match_pool_only_last(match_pool, w, now, &other) == 0) {
		m = msg_new(MSG_ONLY_LAST);
		m->from = other;
		worker_post(w->handle, m);
		m = msg_new(MSG_ONLY_LAST);
		m->from = w->handle;
		worker_post(other, m);
	}
}

/* Set the timer for the next end of a strict wait (0: none). */
static void
match_arm(uint64_t now)
{
	uint64_t	at = match_pool_next_due(match_pool), ms;
	struct timeval	tv;

	if (at == 0) {
		evtimer_del(match_due_ev);
		return;
	}
	ms = at > now ? at - now : 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(match_due_ev, &tv);
}

/* Those who waited long enough for an interest: now anyone will do. */
static void
match_due(evutil_socket_t fd, short events, void *arg)
{
	struct match_want	w;
	uint64_t		now = now_ms();

	(void)fd;
	(void)events;
	(void)arg;
	while (match_pool_due(match_pool, now, &w) == 0) {
		w.strict_until = 0;
		match_try(&w, now);
		free(w.interests);
	}
	match_pool_expire(match_pool, now);
	match_arm(now);
	atomic_store_explicit(&match_nwaiting, match_pool_count(match_pool),
	    memory_order_relaxed);
}

/*
 * The cluster's Redis is back: let go of everyone waiting here, each
 * told so that a session still waiting asks again (to the shared
 * pool).  Whoever this thread paired before is not in the pool, so
 * nobody is both paired here and sent there.
 */
static void
match_requeue(void)
{
	struct match_want	 w;
	struct msg		*m;

	while (match_pool_pop(match_pool, &w) == 0) {
		free(w.interests);
		m = msg_new(MSG_REQUEUE);
		m->from = w.handle;
		worker_post(w.handle, m);
	}
}

/* Handle one message from a worker. */
static void
match_message(struct msg *m, void *arg)
{
	struct match_want	 w, b;
	struct match_block	*mb;
	uint64_t		 now = now_ms();

	(void)arg;
	switch (m->type) {
	case MSG_WANT:
		/* Asking again (new interests) replaces the old request. */
		match_pool_remove(match_pool, m->from);
		memset(&w, 0, sizeof w);
		w.handle = m->from;
		w.last = m->arg;
		w.ident = m->ident;
		if (m->text != NULL && *m->text != '\0') {
			w.interests = m->text;
			w.strict_until = now +
			    (uint64_t)MATCH_INTEREST_WAIT * 1000;
		}
		match_try(&w, now);
		match_arm(now);
		break;
	case MSG_CANCEL:
		match_pool_remove(match_pool, m->from);
		break;
	case MSG_BLOCK:
		if ((mb = m->ptr) == NULL)
			break;
		memset(&w, 0, sizeof w);
		memset(&b, 0, sizeof b);
		w.handle = mb->handle[0];
		w.ident = mb->ident[0];
		b.handle = mb->handle[1];
		b.ident = mb->ident[1];
		match_pool_expire(match_pool, now);
		match_pool_block(match_pool, &w, &b,
		    now + (uint64_t)mb->secs * 1000);
		break;
	case MSG_REQUEUE:
		match_requeue();
		break;
	case MSG_STOP:
		event_base_loopbreak(match_base);
		break;
	default:
		log_warnx("match: unexpected message %d", m->type);
		break;
	}
	atomic_store_explicit(&match_nwaiting, match_pool_count(match_pool),
	    memory_order_relaxed);
	msg_free(m);
}

/* The matchmaker thread. */
static void *
match_main(void *arg)
{
	(void)arg;
	event_base_loop(match_base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

/* Start the matchmaker thread. */
void
match_start(void)
{
	struct timespec	ts;
	uint32_t	seed;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed = (uint32_t)(ts.tv_nsec ^ ts.tv_sec ^ getpid());
	if ((match_base = event_base_new()) == NULL)
		fatalx("match: event_base_new failed");
	match_pool = match_pool_new(seed);
	match_inbox = inbox_new(match_base, match_message, NULL);
	match_due_ev = evtimer_new(match_base, match_due, NULL);
	if (pthread_create(&match_thread, NULL, match_main, NULL) != 0)
		fatalx("match: pthread_create failed");
}

/* Stop the matchmaker and wait for it. */
void
match_stop(void)
{
	match_post(msg_new(MSG_STOP));
	pthread_join(match_thread, NULL);
	inbox_free(match_inbox);
	event_free(match_due_ev);
	match_pool_free(match_pool);
	event_base_free(match_base);
}

/*
 * Post a message to the matchmaker, from any thread; with cluster set,
 * the cluster thread takes wants and cancels (and hands some back).
 */
void
match_post(struct msg *m)
{
	if (m->type != MSG_STOP && cluster_take(m))
		return;
	inbox_post(match_inbox, m);
}

/* Post a message to this node's matchmaker, whatever the cluster. */
void
match_post_local(struct msg *m)
{
	inbox_post(match_inbox, m);
}

/*
 * From any thread: sessions a and b (with hashed identities ia and ib,
 * 0 if none) must not be paired again for secs seconds.  Keyed on the
 * identities, so a new connection from the same address or key is
 * still kept apart; /block and reports both use it.
 */
void
match_block(uint64_t a, uint64_t ia, uint64_t b, uint64_t ib, u_int secs)
{
	struct msg		*m;
	struct match_block	*mb;

	mb = xcalloc(1, sizeof *mb);
	mb->handle[0] = a;
	mb->ident[0] = ia;
	mb->handle[1] = b;
	mb->ident[1] = ib;
	mb->secs = secs;
	m = msg_new(MSG_BLOCK);
	m->ptr = mb;
	match_post(m);
}

/* How many visitors wait for a partner; approximate, from any thread. */
u_int
match_waiting(void)
{
	return (atomic_load_explicit(&match_nwaiting, memory_order_relaxed));
}
