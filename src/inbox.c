/*
 * Inboxes: how threads talk.  Any thread may post a message; only the
 * thread that owns the inbox's event_base takes them out.  The queue is
 * liburcu's wait-free concurrent queue; an eventfd wakes the owner, and
 * is written only when the queue was empty, so a burst of messages
 * costs one wake-up.  A thread posting to its own inbox (a worker to a
 * session of its own) wakes it without the eventfd: two system calls
 * less for each chat line between two sessions of one worker.
 *
 * Owns: the queue, the eventfd and its event.  Does not own the
 * messages once they are handed to the callback.
 */

#include <sys/eventfd.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <urcu/wfcqueue.h>

#include "strangerd.h"

/*
 * ThreadSanitizer cannot see the queue's synchronisation: the wfcqueue
 * functions run inside liburcu-cds.so, which is not instrumented, and
 * the eventfd is written only for the first of a burst.  Tell it what
 * the queue guarantees - everything written to a message before
 * cds_wfcq_enqueue() is visible to whoever dequeues it - so that a
 * message touched after posting is still reported.
 */
#if defined(__SANITIZE_THREAD__)
#define INBOX_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define INBOX_TSAN	1
#endif
#endif
#ifdef INBOX_TSAN
void	__tsan_acquire(void *);
void	__tsan_release(void *);
#define inbox_tsan_release(p)	__tsan_release(p)
#define inbox_tsan_acquire(p)	__tsan_acquire(p)
#else
#define inbox_tsan_release(p)	((void)(p))
#define inbox_tsan_acquire(p)	((void)(p))
#endif

/* How many messages one wake-up handles before letting I/O run. */
#define INBOX_BATCH	1024

struct inbox {
	struct __cds_wfcq_head	 head;
	struct cds_wfcq_tail	 tail;
	int			 fd;
	struct event		*ev;
	inbox_cb		 cb;
	void			*arg;
};

/* A message and the queue link, allocated together. */
struct inbox_node {
	struct cds_wfcq_node	 node;
	struct msg		 msg;
};

/* The inbox the current thread owns, if it said so (inbox_own()). */
static __thread struct inbox	*inbox_mine;

static void	inbox_wake(evutil_socket_t, short, void *);

/* Allocate a message of a type, zeroed. */
struct msg *
msg_new(enum msg_type type)
{
	struct inbox_node	*n;

	n = xcalloc(1, sizeof *n);
	cds_wfcq_node_init(&n->node);
	n->msg.type = type;
	return (&n->msg);
}

/*
 * Free a message with its text and its payload, by type: a receiver that
 * keeps the payload takes it (sets ptr to NULL) first.  So a message
 * dropped anywhere (its session gone, a worker index out of range, an
 * inbox freed at shutdown) leaks nothing.
 */
void
msg_free(struct msg *m)
{
	struct inbox_node	*n;

	if (m == NULL)
		return;
	switch (m->type) {
	case MSG_BANS:
		banlist_unref(m->ptr);
		break;
	case MSG_QUERY:
		admin_query_free(m->ptr);
		break;
	case MSG_REPLY:
		reply_free(m->ptr);
		break;
	case MSG_STORE:
		store_req_free(m->ptr);
		break;
	case MSG_BLOCK:
		free(m->ptr);
		break;
	default:
		break;
	}
	n = (struct inbox_node *)((char *)m - offsetof(struct inbox_node, msg));
	free(m->text);
	free(n);
}

/* Create an inbox whose messages are handed to cb on base's thread. */
struct inbox *
inbox_new(struct event_base *base, inbox_cb cb, void *arg)
{
	struct inbox	*ib;

	ib = xcalloc(1, sizeof *ib);
	__cds_wfcq_init(&ib->head, &ib->tail);
	if ((ib->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	ib->cb = cb;
	ib->arg = arg;
	ib->ev = event_new(base, ib->fd, EV_READ | EV_PERSIST, inbox_wake, ib);
	if (ib->ev == NULL || event_add(ib->ev, NULL) == -1)
		fatalx("inbox: event_add failed");
	return (ib);
}

/* Free an inbox and any messages still in it. */
void
inbox_free(struct inbox *ib)
{
	struct cds_wfcq_node	*node;

	if (ib == NULL)
		return;
	while ((node = __cds_wfcq_dequeue_blocking(&ib->head,
	    &ib->tail)) != NULL) {
		struct inbox_node *n = caa_container_of(node,
		    struct inbox_node, node);
		inbox_tsan_acquire(n);
		msg_free(&n->msg);
	}
	event_free(ib->ev);
	close(ib->fd);
	free(ib);
}

/*
 * The calling thread runs the loop of ib's base: its posts to ib need no
 * eventfd.  Called by that thread before its loop starts.
 */
void
inbox_own(struct inbox *ib)
{
	inbox_mine = ib;
}

/* Hand a message to the inbox's owner; from any thread, never blocks. */
void
inbox_post(struct inbox *ib, struct msg *m)
{
	struct inbox_node	*n;
	uint64_t		 one = 1;

	n = (struct inbox_node *)((char *)m - offsetof(struct inbox_node, msg));
	/*
	 * A message handed on (the cluster thread passes some to the
	 * matchmaker) still links to its old queue's next node: the
	 * enqueue does not clear it, and the new queue would follow it.
	 */
	cds_wfcq_node_init(&n->node);
	/*
	 * Only the post that finds the queue empty needs to wake the
	 * owner: the owner reads the eventfd before it empties the queue,
	 * so anything queued behind this message is seen in that pass.
	 */
	inbox_tsan_release(n);
	if (!cds_wfcq_enqueue(&ib->head, &ib->tail, &n->node)) {
		/* EV_TIMEOUT: woken with nothing to read from the eventfd. */
		if (ib == inbox_mine) {
			event_active(ib->ev, EV_TIMEOUT, 0);
			return;
		}
		while (write(ib->fd, &one, sizeof one) == -1 &&
		    errno == EINTR)
			;
	}
}

/* The owner's side: drain the queue, a batch at a time. */
static void
inbox_wake(evutil_socket_t fd, short events, void *arg)
{
	struct inbox		*ib = arg;
	struct cds_wfcq_node	*node;
	uint64_t		 count;
	u_int			 done = 0;

	if ((events & EV_READ) &&
	    read(fd, &count, sizeof count) == -1 && errno != EAGAIN)
		log_warn("inbox: read");
	while (done++ < INBOX_BATCH) {
		node = __cds_wfcq_dequeue_blocking(&ib->head, &ib->tail);
		if (node == NULL)
			return;
		inbox_tsan_acquire(caa_container_of(node, struct inbox_node,
		    node));
		ib->cb(&caa_container_of(node, struct inbox_node, node)->msg,
		    ib->arg);
	}
	/* More left: come back after the loop has served I/O. */
	event_active(ib->ev, EV_TIMEOUT, 0);
}
