/*
 * Workers: one thread per core, each with its own event_base, its own
 * listening sockets (SO_REUSEPORT: the kernel spreads connections) and
 * its own sessions.  A session never leaves the worker that accepted
 * it; other threads reach it by handle through the worker's inbox.
 *
 * Owns: the worker threads, their listeners, the slot tables that map
 * handles to sessions, the list of closed sessions to free, and each
 * worker's reference to the ban list in force (MSG_BANS from the store):
 * the check at accept, before any crypto, and the one a front end
 * makes once it knows a key (worker_banned).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "strangerd.h"

/* Accept at most this many connections per wake-up, to stay fair. */
#define WORKER_ACCEPT_BATCH	64
/*
 * A change of the figures on the status lines is shown in this many
 * slices of the sessions, 100 ms apart.
 */
#define WORKER_WALK_SLICES	10
/* Listen backlog; the kernel caps it at somaxconn. */
#define WORKER_BACKLOG		4096
/* Refusals logged a second per listener; the rest are counted. */
#define WORKER_REFUSE_LOG_PER_SEC 10

struct worker		**workers;
u_int			  nworkers;

/*
 * Connections per address must be counted across workers (the kernel
 * spreads one address's connections over all of them), so this one
 * table is shared, behind a mutex taken only at accept and at close.
 */
static pthread_mutex_t	  limit_lock = PTHREAD_MUTEX_INITIALIZER;
static struct limit_table *limit_table;

struct listener {
	struct worker		*w;
	const struct listen_addr *la;
	int			 fd;
	struct event		*ev;
	struct event		*retry_ev;	/* out of descriptors: pause */
	struct log_limit	 log_accept;	/* accept() failing */
	struct log_limit	 log_refused;	/* visitors turned away */
};

static void	 worker_listen(struct worker *);
static void	 worker_accept(evutil_socket_t, short, void *);
static void	 worker_retry(evutil_socket_t, short, void *);
static void	 worker_message(struct msg *, void *);
static void	 worker_reap(evutil_socket_t, short, void *);
static void	 worker_tick(evutil_socket_t, short, void *);
static void	 worker_walk(evutil_socket_t, short, void *);
static void	*worker_main(void *);
static void	 worker_bans(struct worker *, struct msg *);
static void	 worker_refuse_log(const struct sockaddr_storage *,
		     struct listener *, const char *);

/* Open this worker's listening sockets. */
static void
worker_listen(struct worker *w)
{
	struct listener		*l;
	const struct listen_addr *la;
	u_int			 i;
	int			 one = 1;

	w->listeners = xcalloc(cfg->nlisten ? cfg->nlisten : 1, sizeof *l);
	for (i = 0; i < cfg->nlisten; i++) {
		la = &cfg->listen[i];
		l = &w->listeners[i];
		l->w = w;
		l->la = la;
		l->fd = socket(la->ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (l->fd == -1)
			fatal("socket for %s", la->name);
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof one) == -1)
			fatal("SO_REUSEPORT for %s", la->name);
		if (la->ss.ss_family == AF_INET6)
			setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof one);
		if (bind(l->fd, (const struct sockaddr *)&la->ss,
		    la->sslen) == -1)
			fatal("bind %s", la->name);
		if (listen(l->fd, WORKER_BACKLOG) == -1)
			fatal("listen %s", la->name);
		l->ev = event_new(w->base, l->fd, EV_READ | EV_PERSIST,
		    worker_accept, l);
		l->retry_ev = evtimer_new(w->base, worker_retry, l);
		event_add(l->ev, NULL);
	}
}

/*
 * Is there room for one more connection: fewer than max_sessions on all
 * workers together?  Each holds one descriptor, and max_sessions is
 * never more than the descriptors allow (strangerd.c), so accept never
 * runs out.  Approximate, from any thread.
 */
int
worker_room(void)
{
	u_int	i, conns = 0;

	for (i = 0; i < nworkers; i++)
		conns += atomic_load_explicit(&workers[i]->nconns,
		    memory_order_relaxed);
	return (conns < cfg->max_sessions);
}

/* Take new connections from a listening socket. */
static void
worker_accept(evutil_socket_t fd, short events, void *arg)
{
	struct listener		*l = arg;
	struct worker		*w = l->w;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { 0, 250000 };
	socklen_t		 sslen;
	u_int			 n;
	int			 c, one = 1;

	(void)events;
	for (n = 0; n < WORKER_ACCEPT_BATCH; n++) {
		sslen = sizeof ss;
		c = accept4(fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/*
				 * Out of descriptors: stop listening for a
				 * moment rather than spin on a socket that
				 * stays readable.
				 */
				log_limited(&l->log_accept, 1, 1,
				    "accept on %s", l->la->name);
				event_del(l->ev);
				evtimer_add(l->retry_ev, &tv);
				return;
			}
			log_limited(&l->log_accept, 1, 1, "accept on %s",
			    l->la->name);
			return;
		}
		if (w->stopping) {
			close(c);
			continue;
		}
		/* Without it each SSH login stalls ~40 ms on delayed ACKs. */
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		/* Behind a balancer, the header says whose it is. */
		if (l->la->proxy)
			worker_proxy_start(w, l, c, &ss, sslen);
		else
			worker_admit(w, l, c, &ss, sslen);
	}
}

/*
 * Let a visitor's connection in, or turn it away: ss is its address,
 * the peer's or the one a balancer's PROXY header gave.
 */
void
worker_admit(struct worker *w, struct listener *l, int c,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	static const char	 full[] =
	    "strangerd: the server is full, please try again later.\r\n";
	const char		*why;
	char			 line[128], *banned, *ban;

	/* Bans first, before any crypto. */
	if (worker_banned(w, (const struct sockaddr *)ss, NULL, &ban)) {
		xasprintf(&banned, "strangerd: %s\r\n", ban);
		metrics_inc(METRIC_REFUSED_BANNED);
		/*
		 * OpenSSH shows no line before the version string, so a
		 * banned SSH visitor is told in a disconnect message sent
		 * before key exchange (ssh-refuse.c): a person must learn
		 * why.  Load refusals below stay as cheap as can be.
		 */
		if (l->la->proto == PROTO_SSH) {
			worker_refuse_log(ss, l, "banned");
			ssh_refuse(w, c, banned);
		} else
			worker_refuse(c, ss, l, "banned", banned);
		free(banned);
		free(ban);
		return;
	}
	if (!worker_room()) {
		metrics_inc(METRIC_REFUSED_FULL);
		worker_refuse(c, ss, l, "server full", full);
		return;
	}
	pthread_mutex_lock(&limit_lock);
	why = limit_admit(limit_table, (const struct sockaddr *)ss,
	    &cfg->limits, now_ms());
	pthread_mutex_unlock(&limit_lock);
	if (why != NULL) {
		snprintf(line, sizeof line, "strangerd: %s, please try again "
		    "later.\r\n", why);
		metrics_inc(METRIC_REFUSED_LIMIT);
		worker_refuse(c, ss, l, why, line);
		return;
	}
	atomic_fetch_add_explicit(&w->nconns, 1, memory_order_relaxed);
	switch (l->la->proto) {
	case PROTO_TELNET:
		telnet_accept(w, c, (const struct sockaddr *)ss, sslen);
		break;
	case PROTO_SSH:
		ssh_worker_accept(w, c, (const struct sockaddr *)ss, sslen);
		break;
	}
}

/* Log a refusal, at most WORKER_REFUSE_LOG_PER_SEC a second. */
static void
worker_refuse_log(const struct sockaddr_storage *ss, struct listener *l,
    const char *why)
{
	char	host[INET6_ADDRSTRLEN];

	host[0] = '\0';
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    host, sizeof host);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, host,
		    sizeof host);
	log_limited(&l->log_refused, WORKER_REFUSE_LOG_PER_SEC, 0,
	    "refused %s on %s: %s", host, l->la->name, why);
}

/*
 * Turn a connection away with one line.  On SSH the line goes before
 * the version string, where RFC 4253 allows other lines of text.
 */
void
worker_refuse(int c, const struct sockaddr_storage *ss, struct listener *l,
    const char *why, const char *line)
{
	worker_refuse_log(ss, l, why);
	(void)write(c, line, strlen(line));
	close(c);
}

/* A connection accepted by this worker has gone; front ends call this. */
void
worker_conn_done(struct worker *w, const struct sockaddr *sa)
{
	atomic_fetch_sub_explicit(&w->nconns, 1, memory_order_relaxed);
	pthread_mutex_lock(&limit_lock);
	limit_release(limit_table, sa);
	pthread_mutex_unlock(&limit_lock);
}

/* Milliseconds on the monotonic clock. */
uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Listen again after running out of descriptors. */
static void
worker_retry(evutil_socket_t fd, short events, void *arg)
{
	struct listener	*l = arg;

	(void)fd;
	(void)events;
	event_add(l->ev, NULL);
}

/* Give a session a slot and return its handle. */
uint64_t
worker_attach(struct worker *w, struct session *s)
{
	uint32_t	slot, grow, i;

	if (w->nfree == 0) {
		grow = w->nslots ? w->nslots : 64;
		w->slots = xreallocarray(w->slots, w->nslots + grow,
		    sizeof *w->slots);
		w->gens = xreallocarray(w->gens, w->nslots + grow,
		    sizeof *w->gens);
		w->free_slots = xreallocarray(w->free_slots, w->nslots + grow,
		    sizeof *w->free_slots);
		for (i = 0; i < grow; i++) {
			w->slots[w->nslots + i] = NULL;
			w->gens[w->nslots + i] = 1;
			/* Push in reverse so low slots are used first. */
			w->free_slots[w->nfree++] = w->nslots + grow - 1 - i;
		}
		w->nslots += grow;
	}
	slot = w->free_slots[--w->nfree];
	w->slots[slot] = s;
	atomic_fetch_add_explicit(&w->nsessions, 1, memory_order_relaxed);
	return (HANDLE_MAKE(w->idx, slot, w->gens[slot]));
}

/* Free a session's slot; its handle no longer names anyone. */
void
worker_detach(struct worker *w, uint64_t h)
{
	uint32_t	slot = HANDLE_SLOT(h);

	if (worker_lookup(w, h) == NULL)
		return;
	w->slots[slot] = NULL;
	/* Generation 0 is never used, so HANDLE_NONE never matches. */
	if (++w->gens[slot] > 0xffffff)
		w->gens[slot] = 1;
	w->free_slots[w->nfree++] = slot;
	atomic_fetch_sub_explicit(&w->nsessions, 1, memory_order_relaxed);
}

/* The live session a handle names on this worker, or NULL. */
struct session *
worker_lookup(struct worker *w, uint64_t h)
{
	uint32_t	slot = HANDLE_SLOT(h);

	if (h == HANDLE_NONE || HANDLE_WORKER(h) != w->idx ||
	    slot >= w->nslots || w->gens[slot] != HANDLE_GEN(h))
		return (NULL);
	return (w->slots[slot]);
}

/*
 * Is an address or a key (either may be NULL) banned by the list this
 * worker holds?  Then *why (owned by the caller) is the line to show.
 * Front ends ask at accept and, for SSH, once the key is verified.
 */
int
worker_banned(struct worker *w, const struct sockaddr *sa, const char *key,
    char **why)
{
	return (ban_check(w->bans, sa, key, time(NULL), why));
}

/*
 * MSG_BANS: take the new list, let go of the old, and end the sessions
 * the new one covers; their partners see the stranger leave.
 */
static void
worker_bans(struct worker *w, struct msg *m)
{
	struct session	*s;
	char		*why;
	time_t		 now = time(NULL);
	uint32_t	 i;

	banlist_unref(w->bans);
	w->bans = m->ptr;
	m->ptr = NULL;
	for (i = 0; i < w->nslots; i++) {
		if ((s = w->slots[i]) == NULL || s->state == SESSION_CLOSING)
			continue;
		why = NULL;
		if (!ban_check(w->bans, (struct sockaddr *)&s->ss, s->key, now,
		    &why))
			continue;
		log_info("%s: ended by a new ban", s->id);
		session_notice(s, why);
		session_close(s, "banned");
		free(why);
	}
}

/* Send a message to the session a handle names, from any thread. */
void
worker_post(uint64_t h, struct msg *m)
{
	u_int	idx = HANDLE_WORKER(h);

	if (idx == HANDLE_CLUSTER) {
		/* A visitor on another node. */
		m->to = h;
		if (!cluster_take(m))
			msg_free(m);
		return;
	}
	if (h == HANDLE_NONE || idx >= nworkers) {
		msg_free(m);
		return;
	}
	m->to = h;
	inbox_post(workers[idx]->inbox, m);
}

/* Send a copy of a message (type and text) to every worker. */
void
worker_broadcast(struct msg *m)
{
	struct msg	*copy;
	u_int		 i;

	for (i = 0; i < nworkers; i++) {
		copy = msg_new(m->type);
		copy->arg = m->arg;
		if (m->text != NULL) {
			copy->text = xstrdup(m->text);
			copy->len = m->len;
		}
		inbox_post(workers[i]->inbox, copy);
	}
	/* A notice of this node's goes to the other nodes too. */
	if (m->type == MSG_NOTICE && m->arg == 0 && cluster_take(m))
		return;
	msg_free(m);
}

/* Handle a message on the worker's own thread. */
static void
worker_message(struct msg *m, void *arg)
{
	struct worker	*w = arg;
	struct session	*s;
	struct timeval	 tv = { 0, 300000 };
	uint32_t	 i;

	switch (m->type) {
	case MSG_STOP:
		/*
		 * Tell everyone, then give the front ends a moment to
		 * flush before the loop ends.
		 */
		w->stopping = 1;
		tv.tv_sec = cfg->drain_ms / 1000;
		tv.tv_usec = (cfg->drain_ms % 1000) * 1000;
		for (i = 0; i < w->nslots; i++) {
			if ((s = w->slots[i]) == NULL)
				continue;
			session_notice(s, "The server is going down. Goodbye!");
			session_close(s, "server shutdown");
		}
		event_base_loopexit(w->base, &tv);
		break;
	case MSG_BANS:
		worker_bans(w, m);
		break;
	case MSG_QUERY:
		admin_worker_query(w, m);
		break;
	case MSG_NOTICE:
		for (i = 0; i < w->nslots; i++)
			if ((s = w->slots[i]) != NULL && m->text != NULL)
				session_notice(s, m->text);
		break;
	default:
		if ((s = worker_lookup(w, m->to)) != NULL) {
			session_message(s, m);
			return;
		}
		/*
		 * The session has gone.  If a partner was just assigned to
		 * it, tell that partner, or it would wait forever.
		 */
		if (m->type == MSG_PAIRED) {
			struct msg *left = msg_new(MSG_LEFT);

			left->from = m->to;
			worker_post(m->from, left);
		}
		break;
	}
	msg_free(m);
}

/* Free the sessions closed since the last pass, outside any callback. */
static void
worker_reap(evutil_socket_t fd, short events, void *arg)
{
	struct worker	*w = arg;
	struct session	*s;

	(void)fd;
	(void)events;
	while ((s = w->closed) != NULL) {
		w->closed = s->next_closed;
		session_free(s);
	}
}

/*
 * Once a second: if the number online or waiting, or the configuration,
 * has changed, or a session was drawn with figures the last look did not
 * see, walk the sessions to show it.  Each session's own timer
 * sees to its idle limit and its clock (session.c), so with nothing
 * changed this costs the same for ten sessions as for ten thousand.
 */
static void
worker_tick(evutil_socket_t fd, short events, void *arg)
{
	struct worker		*w = arg;
	const struct config	*c = cfg;
	struct timeval		 tv = { 0, 1000000 / WORKER_WALK_SLICES };
	u_int			 online = workers_online();
	u_int			 waiting = match_waiting();

	(void)fd;
	(void)events;
	w->ticks++;
	if (w->walk_left == 0 && (w->seen_stale || online != w->seen_online ||
	    waiting != w->seen_waiting || c != w->seen_cfg)) {
		w->walk_reload = c != w->seen_cfg;
		w->seen_stale = 0;
		w->seen_online = online;
		w->seen_waiting = waiting;
		w->seen_cfg = c;
		w->walk_left = WORKER_WALK_SLICES;
		event_add(w->walk_ev, &tv);
		worker_walk(-1, 0, w);
	}
	session_pack_idle(w);
	/* One worker forgets idle addresses, once a minute. */
	if (w->idx == 0 && w->ticks % 60 == 0) {
		pthread_mutex_lock(&limit_lock);
		limit_sweep(limit_table, &cfg->limits, now_ms());
		pthread_mutex_unlock(&limit_lock);
	}
}

/*
 * One slice of a walk over the sessions, a tenth of them: every status
 * line is redrawn when the number online changes, and doing them all at
 * once would stall the chat lines queued behind them.
 */
static void
worker_walk(evutil_socket_t fd, short events, void *arg)
{
	struct worker	*w = arg;
	struct session	*s;
	uint32_t	 i;

	(void)fd;
	(void)events;
	if (w->walk_left == 0)
		return;
	w->walk_left--;
	for (i = w->walk_left; i < w->nslots; i += WORKER_WALK_SLICES)
		if ((s = w->slots[i]) != NULL)
			session_recount(s, w->walk_reload);
	if (w->walk_left == 0)
		event_del(w->walk_ev);
}

/* A worker thread: run the loop until told to stop. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	inbox_own(w->inbox);
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* The sessions are gone; so goes the buffer that packed them. */
	screen_pack_done();
	return (NULL);
}

/* Create the workers and bind their listening sockets; no thread yet. */
void
workers_init(void)
{
	struct worker		*w;
	struct timeval		 tick = { 1, 0 };
	u_int			 i, j;
	int			 need_ssh = 0;

	for (j = 0; j < cfg->nlisten; j++)
		if (cfg->listen[j].proto == PROTO_SSH)
			need_ssh = 1;
	nworkers = cfg->workers;
	workers = xcalloc(nworkers, sizeof *workers);
	/* Room for every session plus as many recently seen addresses. */
	limit_table = limit_table_new(cfg->max_sessions * 2);
	for (i = 0; i < nworkers; i++) {
		w = workers[i] = xcalloc(1, sizeof *w);
		w->idx = i;
		if ((w->base = event_base_new()) == NULL)
			fatalx("event_base_new failed");
		w->inbox = inbox_new(w->base, worker_message, w);
		w->reap_ev = event_new(w->base, -1, 0, worker_reap, w);
		w->tick_ev = event_new(w->base, -1, EV_PERSIST, worker_tick, w);
		event_add(w->tick_ev, &tick);
		w->walk_ev = event_new(w->base, -1, EV_PERSIST, worker_walk, w);
		w->seen_cfg = cfg;
		w->out = evbuffer_new();
		screen_init(&w->scratch, 80, 24);
		TAILQ_INIT(&w->drawn);
		LIST_INIT(&w->refusing);
		/* store_open() loaded the bans before any worker exists. */
		w->bans = banlist_ref(store_bans_initial());
		if (need_ssh && ssh_worker_init(w) != 0)
			fatalx("worker %u: SSH set-up failed", i);
		worker_listen(w);
	}
}

/*
 * Start the worker threads.  Separate from workers_init() so that root
 * can be given up in between: no thread ever runs as root.
 */
void
workers_run(void)
{
	char	name[16];
	u_int	i;

	for (i = 0; i < nworkers; i++) {
		if (pthread_create(&workers[i]->thread, NULL, worker_main,
		    workers[i]) != 0)
			fatalx("pthread_create failed");
		/* For ps -L and top -H, and tests that watch the workers. */
		snprintf(name, sizeof name, "worker%u", i % 1000000);
		pthread_setname_np(workers[i]->thread, name);
	}
}

/*
 * Tell every worker to stop and wait for them, then close what is left.
 * Their inboxes stay, unread, until workers_free(): the matchmaker and
 * the store may still post to them until main has stopped those too.
 */
void
workers_stop(void)
{
	struct worker		*w;
	struct session		*s;
	u_int			 i, j;

	for (i = 0; i < nworkers; i++)
		inbox_post(workers[i]->inbox, msg_new(MSG_STOP));
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i]->thread, NULL);
	/*
	 * Every thread has ended: what is left is ours.  Close first, then
	 * free, since closing a session may post to another worker's inbox.
	 */
	for (i = 0; i < nworkers; i++) {
		w = workers[i];
		w->stopping = 2;	/* no loop left to flush on */
		for (j = 0; j < w->nslots; j++)
			if ((s = w->slots[j]) != NULL)
				session_close(s, "server shutdown");
		worker_reap(-1, 0, w);
	}
}

/* Free the workers, once nothing can post to them any more. */
void
workers_free(void)
{
	struct worker		*w;
	u_int			 i, j;

	for (i = 0; i < nworkers; i++) {
		w = workers[i];
		for (j = 0; j < cfg->nlisten; j++) {
			event_free(w->listeners[j].ev);
			event_free(w->listeners[j].retry_ev);
			close(w->listeners[j].fd);
		}
		free(w->listeners);
		worker_proxy_free(w);
		if (w->ssh != NULL)
			ssh_worker_free(w);
		ssh_refuse_free(w);
		event_free(w->reap_ev);
		event_free(w->tick_ev);
		event_free(w->walk_ev);
		inbox_free(w->inbox);
		banlist_unref(w->bans);
		evbuffer_free(w->out);
		screen_free(&w->scratch);
		event_base_free(w->base);
		free(w->slots);
		free(w->gens);
		free(w->free_slots);
		free(w);
	}
	free(workers);
	workers = NULL;
	limit_table_free(limit_table);
	limit_table = NULL;
	nworkers = 0;
}

/*
 * Visitors on every worker, moderators' consoles left out; approximate,
 * from any thread.  A console is counted until it is freed, a little
 * after its session has left nsessions: hence the clamp.
 */
u_int
workers_online_here(void)
{
	u_int	i, n = 0, s, c;

	for (i = 0; i < nworkers; i++) {
		s = atomic_load_explicit(&workers[i]->nsessions,
		    memory_order_relaxed);
		c = atomic_load_explicit(&workers[i]->nconsoles,
		    memory_order_relaxed);
		n += s > c ? s - c : 0;
	}
	return (n);
}

/* Visitors online on every node of the cluster (or this one alone). */
u_int
workers_online(void)
{
	return (workers_online_here() + cluster_online_elsewhere());
}
