/*
 * A worker's watch on its SSH sockets: one epoll set of its own, itself
 * watched by one libevent event.
 *
 * Why not a libevent event per socket: libssh owns each connection's
 * only descriptor and closes it by itself, from inside any call (the
 * client went away, a write failed, SSH_MSG_DISCONNECT).  From then on
 * the number may belong to a socket that another worker has just
 * accepted, so nothing may name it in a system call again, not even a
 * delete; but libevent deletes an event with epoll_ctl on its number,
 * and would retry a failed change with an add (registering the other
 * worker's socket in our loop).  In an epoll set of our own, the
 * kernel drops the socket by itself when libssh closes it (the last
 * descriptor of the file, epoll(7)), and ssh.c changes or deletes a
 * watch only while libssh still holds the number, which it checks on
 * its own thread just before: libssh runs only inside our calls.
 *
 * Owns: the epoll set and its event.  Does not own the sockets, nor
 * what each watch's pointer names.
 */

#include <sys/types.h>
#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

#define SSH_WATCH_BATCH	64	/* sockets handled for one wake-up */

struct ssh_watch {
	int		 epfd;		/* owned */
	struct event	*ev;		/* owned: epfd is readable */
	ssh_watch_cb	 cb;
};

static void	 ssh_watch_ready(evutil_socket_t, short, void *);

/* A new, empty set whose ready sockets base hands to cb. */
struct ssh_watch *
ssh_watch_new(struct event_base *base, ssh_watch_cb cb)
{
	struct ssh_watch	*sw;

	sw = xcalloc(1, sizeof *sw);
	if ((sw->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	sw->cb = cb;
	if ((sw->ev = event_new(base, sw->epfd, EV_READ | EV_PERSIST,
	    ssh_watch_ready, sw)) == NULL || event_add(sw->ev, NULL) != 0)
		fatalx("ssh_watch: event_new failed");
	return (sw);
}

/* Free the set; the sockets in it are not closed. */
void
ssh_watch_free(struct ssh_watch *sw)
{
	if (sw == NULL)
		return;
	event_free(sw->ev);
	close(sw->epfd);
	free(sw);
}

/*
 * Watch fd for reading, and for writing too if write, with arg for the
 * callback; add it the first time (was is 0), else change it.  fd must
 * still be open.  Returns -1 with errno set.
 */
int
ssh_watch_set(struct ssh_watch *sw, int fd, void *arg, int was, int write)
{
	struct epoll_event	ee;

	ee.events = EPOLLIN | (write ? EPOLLOUT : 0);
	ee.data.ptr = arg;
	return (epoll_ctl(sw->epfd, was ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
	    &ee));
}

/* Stop watching fd, which must still be open. */
void
ssh_watch_del(struct ssh_watch *sw, int fd)
{
	struct epoll_event	ee = { 0, { 0 } };

	if (epoll_ctl(sw->epfd, EPOLL_CTL_DEL, fd, &ee) == -1 &&
	    errno != ENOENT)
		log_warn("ssh_watch: epoll_ctl del %d", fd);
}

/*
 * Some sockets are ready: hand each to the callback as EV_READ and/or
 * EV_WRITE (a hang-up or error reads, so that libssh sees it).  The set
 * stays readable while more are ready, so a crowd is served over
 * several turns of the loop, fairly with everything else.
 */
static void
ssh_watch_ready(evutil_socket_t fd, short events, void *arg)
{
	struct ssh_watch	*sw = arg;
	struct epoll_event	 ee[SSH_WATCH_BATCH];
	short			 what;
	int			 i, n;

	(void)fd;
	(void)events;
	if ((n = epoll_wait(sw->epfd, ee, SSH_WATCH_BATCH, 0)) == -1) {
		if (errno != EINTR)
			log_warn("ssh_watch: epoll_wait");
		return;
	}
	for (i = 0; i < n; i++) {
		what = 0;
		if (ee[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			what |= EV_READ;
		if (ee[i].events & EPOLLOUT)
			what |= EV_WRITE;
		sw->cb(ee[i].data.ptr, what);
	}
}
