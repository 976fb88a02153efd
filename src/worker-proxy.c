/*
 * A listener marked "proxy" (strangerd.conf(5)) sits behind a TCP
 * balancer that starts each connection with a PROXY header saying whose
 * it is.  Here a worker checks that the connection comes from a source
 * in proxy_from, reads the header without blocking, within
 * WORKER_PROXY_DEADLINE_MS and PROXY_MAX bytes, and before a single
 * byte of SSH or telnet is sent; then the address it gives goes through
 * the same admission as any other (worker_admit(): bans before any
 * crypto, the per-address limits), and is the session's address from
 * then on: logs, reports, strangerctl sessions.
 *
 * The header is read with MSG_PEEK, and only the bytes proxy_parse()
 * counts as the header's are taken from the socket: what follows in
 * the same segment (haproxy sends the client's first bytes at once)
 * stays in the kernel for the front end.
 *
 * Owns: the connections waiting for their header (w->proxies), each
 * with its socket, buffer and event, on its worker's thread only.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

struct worker_proxy {
	struct worker		*w;
	struct listener		*l;
	int			 fd;		/* owned until admitted */
	struct sockaddr_storage	 ss;		/* the balancer's */
	socklen_t		 sslen;
	u_char			 buf[PROXY_MAX];
	size_t			 len;		/* taken from the socket */
	uint64_t		 deadline;	/* now_ms() */
	struct event		*ev;
	struct worker_proxy	*prev, *next;	/* w->proxies */
};

static int	 worker_proxy_allowed(const struct sockaddr_storage *);
static void	 worker_proxy_read(evutil_socket_t, short, void *);
static int	 worker_proxy_wait(struct worker_proxy *);
static void	 worker_proxy_end(struct worker_proxy *, const char *);

/* Is a source one of the balancers in proxy_from? */
static int
worker_proxy_allowed(const struct sockaddr_storage *ss)
{
	const struct config	*c = cfg;
	u_int			 i;

	for (i = 0; i < c->nproxy_from; i++)
		if (ban_target_match(&c->proxy_from[i],
		    (const struct sockaddr *)ss))
			return (1);
	return (0);
}

/* A connection accepted on a proxy listener: wait for its header. */
void
worker_proxy_start(struct worker *w, struct listener *l, int fd,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	static const char	 stranger[] =
	    "strangerd: this port takes connections from a balancer only.\r\n";
	static const char	 full[] =
	    "strangerd: the server is full, please try again later.\r\n";
	struct worker_proxy	*wp;

	if (!worker_proxy_allowed(ss)) {
		metrics_inc(METRIC_REFUSED_PROXY);
		worker_refuse(fd, ss, l, "not in proxy_from", stranger);
		return;
	}
	/*
	 * It holds a descriptor while it waits, so it counts as a
	 * connection (max_sessions is what the descriptors allow).
	 */
	if (!worker_room()) {
		metrics_inc(METRIC_REFUSED_FULL);
		worker_refuse(fd, ss, l, "server full", full);
		return;
	}
	atomic_fetch_add_explicit(&w->nconns, 1, memory_order_relaxed);
	wp = xcalloc(1, sizeof *wp);
	wp->w = w;
	wp->l = l;
	wp->fd = fd;
	memcpy(&wp->ss, ss, sizeof wp->ss);
	wp->sslen = sslen;
	wp->deadline = now_ms() + WORKER_PROXY_DEADLINE_MS;
	if ((wp->ev = event_new(w->base, fd, EV_READ, worker_proxy_read,
	    wp)) == NULL)
		fatalx("proxy: out of memory");
	wp->next = w->proxies;
	if (wp->next != NULL)
		wp->next->prev = wp;
	w->proxies = wp;
	if (worker_proxy_wait(wp) != 0)
		worker_proxy_end(wp, "no PROXY header in time");
}

/* Wait for more of the header until the deadline; -1 if it has passed. */
static int
worker_proxy_wait(struct worker_proxy *wp)
{
	struct timeval	tv;
	uint64_t	now = now_ms(), left;

	if (now >= wp->deadline)
		return (-1);
	left = wp->deadline - now;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	event_add(wp->ev, &tv);
	return (0);
}

/* Bytes have come (or the deadline): take the header's share of them. */
static void
worker_proxy_read(evutil_socket_t fd, short events, void *arg)
{
	struct worker_proxy	*wp = arg;
	struct sockaddr_storage	 ss;
	struct proxy_hdr	 h;
	socklen_t		 sslen;
	const char		*why;
	ssize_t			 n;
	size_t			 take;
	int			 r;

	if (events & EV_TIMEOUT) {
		worker_proxy_end(wp, "no PROXY header in time");
		return;
	}
	n = recv(fd, wp->buf + wp->len, sizeof wp->buf - wp->len, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		if (worker_proxy_wait(wp) != 0)
			worker_proxy_end(wp, "no PROXY header in time");
		return;
	}
	if (n <= 0) {
		worker_proxy_end(wp, "closed before its PROXY header");
		return;
	}
	r = proxy_parse(wp->buf, wp->len + (size_t)n, &h, &why);
	if (r == -1) {
		worker_proxy_end(wp, why);
		return;
	}
	/* While incomplete, all of it is the header's; else up to its end. */
	take = r == 0 ? (size_t)n : (size_t)r - wp->len;
	if (recv(fd, wp->buf + wp->len, take, 0) != (ssize_t)take) {
		worker_proxy_end(wp, "closed before its PROXY header");
		return;
	}
	wp->len += take;
	if (r == 0) {
		if (worker_proxy_wait(wp) != 0)
			worker_proxy_end(wp, "no PROXY header in time");
		return;
	}
	/* LOCAL or UNKNOWN: the balancer speaks for itself. */
	if (h.local) {
		memcpy(&ss, &wp->ss, sizeof ss);
		sslen = wp->sslen;
	} else {
		memcpy(&ss, &h.ss, sizeof ss);
		sslen = h.sslen;
	}
	worker_proxy_end(wp, NULL);
	/* From here on, the balancer's connection is the visitor's. */
	if (wp->w->stopping)
		close(fd);
	else
		worker_admit(wp->w, wp->l, fd, &ss, sslen);
	free(wp);
}

/*
 * Stop waiting: with why, the connection is refused, closed and wp
 * freed; without, the caller takes the socket and frees wp.
 */
static void
worker_proxy_end(struct worker_proxy *wp, const char *why)
{
	struct worker	*w = wp->w;

	if (wp->prev != NULL)
		wp->prev->next = wp->next;
	else
		w->proxies = wp->next;
	if (wp->next != NULL)
		wp->next->prev = wp->prev;
	event_free(wp->ev);
	atomic_fetch_sub_explicit(&w->nconns, 1, memory_order_relaxed);
	if (why == NULL)
		return;
	metrics_inc(METRIC_REFUSED_PROXY);
	worker_refuse(wp->fd, &wp->ss, wp->l, why, "");
	free(wp);
}

/* At shutdown: close the connections still waiting. */
void
worker_proxy_free(struct worker *w)
{
	struct worker_proxy	*wp;

	while ((wp = w->proxies) != NULL) {
		w->proxies = wp->next;
		event_free(wp->ev);
		close(wp->fd);
		free(wp);
	}
}
