/*
 * The matchmaker: one thread that keeps the waiting pool and pairs
 * visitors at random.  Workers post MSG_WANT and MSG_CANCEL to its
 * inbox; it answers both partners with MSG_PAIRED.  It never touches a
 * session, only handles.
 *
 * Owns: the pool, its event_base and inbox.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

static struct event_base	*match_base;
static struct inbox		*match_inbox;
static struct match_pool	*match_pool;
static pthread_t		 match_thread;
static _Atomic u_int		 match_nwaiting;

static void	 match_message(struct msg *, void *);
static void	*match_main(void *);
static void	 match_pair(uint64_t, uint64_t);

/* Tell both sessions who their partner is. */
static void
match_pair(uint64_t a, uint64_t b)
{
	struct msg	*m;

	m = msg_new(MSG_PAIRED);
	m->from = b;
	worker_post(a, m);
	m = msg_new(MSG_PAIRED);
	m->from = a;
	worker_post(b, m);
}

/* Handle one message from a worker. */
static void
match_message(struct msg *m, void *arg)
{
	uint64_t	partner;

	(void)arg;
	switch (m->type) {
	case MSG_WANT:
		if (match_pool_pick(match_pool, m->from, m->arg,
		    &partner) == 0)
			match_pair(m->from, partner);
		else
			match_pool_add(match_pool, m->from, m->arg);
		break;
	case MSG_CANCEL:
		match_pool_remove(match_pool, m->from);
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
	match_pool_free(match_pool);
	event_base_free(match_base);
}

/* Post a message to the matchmaker, from any thread. */
void
match_post(struct msg *m)
{
	inbox_post(match_inbox, m);
}

/* How many visitors wait for a partner; approximate, from any thread. */
u_int
match_waiting(void)
{
	return (atomic_load_explicit(&match_nwaiting, memory_order_relaxed));
}
