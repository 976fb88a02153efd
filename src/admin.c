/*
 * The control socket, DIR/strangerd.sock, for strangerctl: its own
 * thread with its own event_base and inbox.  A connection is let in
 * only if its peer (SO_PEERCRED) is root or the daemon's own user.
 * Requests are lines (include/control.h); each is parsed here, then
 * handed to the store (MSG_STORE) or to the workers (MSG_QUERY) with
 * this thread's inbox as the reply address, and their MSG_REPLY answers
 * are gathered (ask.c) into one answer per request.
 *
 * Owns: the listening socket, the connections, their buffers and
 * timers.  Never touches a session or the database.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "strangerd.h"
#include "control.h"

/* strangerctl is one request a connection; a few at once is plenty. */
#define ADMIN_CONNS_MAX		16

struct admin_conn {
	int		 fd;
	uint64_t	 req;		/* request being answered; 0: none */
	char		 who[64];	/* for the audit log */
	struct evbuffer	*in;
	struct evbuffer	*out;
	struct event	*read_ev;
	struct event	*write_ev;
	struct event	*timer_ev;	/* CONTROL_TIMEOUT per request */
	int		 closing;	/* close once out is written */
	int		 eof;		/* the peer has sent all */
	int		 sync;		/* then wait for the workers */
	char		 kicked[CLUSTER_NAME_MAX + 32]; /* then audit this kick: the id */
	int		 table;		/* the table answered, or -1 */
	struct ask	 ask;		/* the answer being gathered */

	struct admin_conn *next;
};

struct admin_cmd {
	const char	*name;
	u_int		 minargs;
	u_int		 maxargs;
	void		 (*fn)(struct admin_conn *, char **, u_int);
};

static struct event_base	*admin_base;
static struct inbox		*admin_inbox;
static struct event		*admin_listen_ev;
static struct event		*admin_retry_ev;	/* accept failed: pause */
static struct log_limit		 admin_log_accept;
static int			 admin_fd = -1;
static char			*admin_path;
static pthread_t		 admin_thread;
static struct admin_conn	*admin_conns;
static u_int			 admin_nconns;
static uint64_t			 admin_next_req = 1;
static time_t			 admin_started;

static void	 admin_accept(evutil_socket_t, short, void *);
static void	 admin_retry(evutil_socket_t, short, void *);
static void	 admin_read(evutil_socket_t, short, void *);
static void	 admin_write_cb(evutil_socket_t, short, void *);
static int	 admin_write(struct admin_conn *);
static void	 admin_timeout(evutil_socket_t, short, void *);
static void	 admin_close(struct admin_conn *);
static void	 admin_next(struct admin_conn *);
static void	 admin_request(struct admin_conn *, char *);
static int	 admin_finish(struct admin_conn *);
static int	 admin_fail(struct admin_conn *, const char *, ...)
		     printflike(2, 3);
static void	 admin_message(struct msg *, void *);
static void	*admin_main(void *);
static void	 admin_ask(struct admin_conn *);

static void	 admin_cmd_ban(struct admin_conn *, char **, u_int);
static void	 admin_cmd_unban(struct admin_conn *, char **, u_int);
static void	 admin_cmd_bans(struct admin_conn *, char **, u_int);
static void	 admin_cmd_reports(struct admin_conn *, char **, u_int);
static void	 admin_cmd_report(struct admin_conn *, char **, u_int);
static void	 admin_cmd_sessions(struct admin_conn *, char **, u_int);
static void	 admin_cmd_kick(struct admin_conn *, char **, u_int);
static void	 admin_cmd_stats(struct admin_conn *, char **, u_int);

/* The commands: name, arguments (fewest, most), handler. */
static const struct admin_cmd admin_cmds[] = {
	{ "ban",	1, 3, admin_cmd_ban },
	{ "unban",	1, 1, admin_cmd_unban },
	{ "bans",	0, 0, admin_cmd_bans },
	{ "reports",	0, 0, admin_cmd_reports },
	{ "report",	2, 2, admin_cmd_report },
	{ "sessions",	0, 0, admin_cmd_sessions },
	{ "kick",	1, 1, admin_cmd_kick },
	{ "stats",	0, 0, admin_cmd_stats },
};

/* A new connection on the control socket: is it allowed in? */
static void
admin_accept(evutil_socket_t fd, short events, void *arg)
{
	struct admin_conn	*ac;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	struct timeval		 tv = { CONTROL_TIMEOUT, 0 };
	struct timeval		 pause = { 0, 250000 };
	static const char	 denied[] =
	    "error\tpermission denied\n.\n";
	static const char	 busy[] = "error\ttoo many connections\n.\n";
	int			 c;

	(void)events;
	(void)arg;
	if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EINTR ||
		    errno == ECONNABORTED)
			return;
		/*
		 * Out of descriptors or memory: the connection stays
		 * queued and the socket readable, so stop listening for a
		 * moment rather than spin.
		 */
		log_limited(&admin_log_accept, 1, 1, "control: accept");
		event_del(admin_listen_ev);
		evtimer_add(admin_retry_ev, &pause);
		return;
	}
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(c);
		return;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_warnx("control: refused uid %u pid %d", (u_int)cred.uid,
		    (int)cred.pid);
		(void)write(c, denied, sizeof denied - 1);
		close(c);
		return;
	}
	if (admin_nconns >= ADMIN_CONNS_MAX) {
		(void)write(c, busy, sizeof busy - 1);
		close(c);
		return;
	}
	ac = xcalloc(1, sizeof *ac);
	ac->fd = c;
	snprintf(ac->who, sizeof ac->who, "strangerctl uid %u",
	    (u_int)cred.uid);
	ac->in = evbuffer_new();
	ac->out = evbuffer_new();
	ac->read_ev = event_new(admin_base, c, EV_READ | EV_PERSIST,
	    admin_read, ac);
	ac->write_ev = event_new(admin_base, c, EV_WRITE, admin_write_cb, ac);
	ac->timer_ev = evtimer_new(admin_base, admin_timeout, ac);
	ac->table = -1;
	event_add(ac->read_ev, NULL);
	evtimer_add(ac->timer_ev, &tv);
	ac->next = admin_conns;
	admin_conns = ac;
	admin_nconns++;
	log_debug("control: connection from uid %u pid %d", (u_int)cred.uid,
	    (int)cred.pid);
}

/* The pause after a failed accept is over. */
static void
admin_retry(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	event_add(admin_listen_ev, NULL);
}

/* Free a connection. */
static void
admin_close(struct admin_conn *ac)
{
	struct admin_conn	**pp;

	for (pp = &admin_conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ac) {
			*pp = ac->next;
			break;
		}
	}
	admin_nconns--;
	event_free(ac->read_ev);
	event_free(ac->write_ev);
	event_free(ac->timer_ev);
	evbuffer_free(ac->in);
	evbuffer_free(ac->out);
	close(ac->fd);
	ask_clear(&ac->ask);
	free(ac);
}

/* Bytes from strangerctl. */
static void
admin_read(evutil_socket_t fd, short events, void *arg)
{
	struct admin_conn	*ac = arg;
	int			 n;

	(void)events;
	n = evbuffer_read(ac->in, fd, 4096);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		/* Gone: if an answer is pending, it will be dropped. */
		admin_close(ac);
		return;
	}
	if (n == 0) {
		/* Half-closed: answer what came, then close. */
		ac->eof = 1;
		event_del(ac->read_ev);
	}
	admin_next(ac);
}

/* Handle the next whole request, unless one is being answered. */
static void
admin_next(struct admin_conn *ac)
{
	struct timeval	 tv = { CONTROL_TIMEOUT, 0 };
	char		*line;
	size_t		 len;

	while (ac->req == 0 && !ac->closing) {
		line = evbuffer_readln(ac->in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(ac->in) > CONTROL_LINE_MAX) {
				ac->closing = 1;
				admin_fail(ac, "request longer than %d bytes",
				    CONTROL_LINE_MAX);
			} else if (ac->eof) {
				ac->closing = 1;
				if (evbuffer_get_length(ac->in) > 0)
					admin_fail(ac, "request without a "
					    "newline");
				else
					admin_write(ac);
			}
			return;
		}
		if (len > CONTROL_LINE_MAX) {
			free(line);
			ac->closing = 1;
			admin_fail(ac, "request longer than %d bytes",
			    CONTROL_LINE_MAX);
			return;
		}
		evtimer_add(ac->timer_ev, &tv);
		admin_request(ac, line);
		free(line);
	}
}

/* The request took too long to arrive or to answer. */
static void
admin_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct admin_conn	*ac = arg;

	(void)fd;
	(void)events;
	ac->closing = 1;
	admin_fail(ac, "timed out");
}

/* The socket can take more. */
static void
admin_write_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	admin_write(arg);
}

/*
 * Write what is queued; close when done if asked to.  Returns -1 if
 * the connection is gone (freed).
 */
static int
admin_write(struct admin_conn *ac)
{
	if (evbuffer_write(ac->out, ac->fd) == -1 && errno != EAGAIN &&
	    errno != EINTR) {
		admin_close(ac);
		return (-1);
	}
	if (evbuffer_get_length(ac->out) > 0) {
		event_add(ac->write_ev, NULL);
		return (0);
	}
	if (ac->closing) {
		admin_close(ac);
		return (-1);
	}
	return (0);
}

/* Answer the current request with an error; -1 if the conn is gone. */
static int
admin_fail(struct admin_conn *ac, const char *fmt, ...)
{
	va_list	ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	free(ac->ask.text);
	ac->ask.text = msg;
	ac->ask.error = 1;
	ac->ask.pending = 0;
	return (admin_finish(ac));
}

/*
 * Send the gathered answer and get ready for the next request.
 * Returns -1 if the connection is gone (freed).
 */
static int
admin_finish(struct admin_conn *ac)
{
	struct ask	*a = &ac->ask;
	const char	*f[2];
	char		*line;
	u_int		 n = 1;

	f[0] = a->error ? "error" : "ok";
	if (a->text != NULL) {
		f[1] = a->text;
		n = 2;
	}
	line = control_line(f, n);
	evbuffer_add(ac->out, line, strlen(line));
	free(line);
	if (!a->error && ac->table != -1) {
		line = table_cols_line((enum table)ac->table);
		evbuffer_add(ac->out, line, strlen(line));
		free(line);
		if (a->rows != NULL)
			evbuffer_add(ac->out, a->rows, a->rowslen);
	}
	evbuffer_add(ac->out, ".\n", 2);
	ask_clear(a);
	ac->table = -1;
	ac->sync = 0;
	ac->kicked[0] = '\0';
	ac->req = 0;
	evtimer_del(ac->timer_ev);
	return (admin_write(ac));
}

/* Parse one request line and start answering it. */
static void
admin_request(struct admin_conn *ac, char *line)
{
	const struct admin_cmd	*cmd = NULL;
	char			*fields[CONTROL_FIELDS_MAX];
	int			 n;
	u_int			 i;

	admin_ask(ac);
	if ((n = control_split(line, fields, CONTROL_FIELDS_MAX)) < 1) {
		admin_fail(ac, "malformed request");
		return;
	}
	for (i = 0; i < sizeof admin_cmds / sizeof *admin_cmds; i++) {
		if (strcmp(fields[0], admin_cmds[i].name) == 0) {
			cmd = &admin_cmds[i];
			break;
		}
	}
	if (cmd == NULL) {
		/* Echo the name only if it is harmless on a terminal. */
		for (i = 0; fields[0][i] != '\0'; i++)
			if ((u_char)fields[0][i] < 0x20 ||
			    (u_char)fields[0][i] >= 0x7f)
				break;
		admin_fail(ac, "unknown command: %.64s", fields[0][i] == '\0' ?
		    fields[0] : "(unprintable)");
		return;
	}
	if ((u_int)n - 1 < cmd->minargs || (u_int)n - 1 > cmd->maxargs) {
		admin_fail(ac, "%s: wrong number of arguments", cmd->name);
		return;
	}
	log_debug("control: %s: %s", ac->who, cmd->name);
	cmd->fn(ac, fields + 1, (u_int)n - 1);
}

/* A new request: its answers come back to this thread's inbox. */
static void
admin_ask(struct admin_conn *ac)
{
	struct reply_to	ret;

	ac->req = admin_next_req++;
	ret.inbox = admin_inbox;
	ret.to = HANDLE_NONE;
	ret.id = ac->req;
	ask_init(&ac->ask, &ret);
}

/* ban TARGET [REASON [DURATION]] */
static void
admin_cmd_ban(struct admin_conn *ac, char **argv, u_int argc)
{
	struct store_req	*r;
	struct ban_target	 t;
	time_t			 duration = 0;
	char			*cause = NULL;
	const char		*reason = argc > 1 ? argv[1] : "";

	if (ban_parse(argv[0], &t, &cause) != 0)
		goto fail;
	if (strlen(reason) > REPORT_REASON_MAX) {
		xasprintf(&cause, "reason longer than %d bytes",
		    REPORT_REASON_MAX);
		goto fail;
	}
	if (argc > 2 && *argv[2] != '\0' &&
	    ban_parse_duration(argv[2], &duration, &cause) != 0)
		goto fail;
	r = store_req_new(STORE_BAN_ADD, ac->who);
	r->target = t;
	/* The reason is shown to the banned visitor: make it safe. */
	r->reason = sanitize_text(reason, strlen(reason), NULL);
	r->duration = duration;
	ac->sync = 1;
	ask_store(&ac->ask, r);
	return;
fail:
	admin_fail(ac, "%s", cause);
	free(cause);
}

/* unban TARGET|ID */
static void
admin_cmd_unban(struct admin_conn *ac, char **argv, u_int argc)
{
	struct store_req	*r;
	char			*cause = NULL;

	(void)argc;
	if ((r = store_req_unban(argv[0], ac->who, &cause)) == NULL) {
		admin_fail(ac, "%s", cause);
		free(cause);
		return;
	}
	ac->sync = 1;
	ask_store(&ac->ask, r);
}

/* bans */
static void
admin_cmd_bans(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argv;
	(void)argc;
	ac->table = TABLE_BANS;
	ask_store(&ac->ask, store_req_new(STORE_BAN_LIST, ac->who));
}

/* reports */
static void
admin_cmd_reports(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argv;
	(void)argc;
	ac->table = TABLE_REPORTS;
	ask_store(&ac->ask, store_req_new(STORE_REPORT_LIST, ac->who));
}

/* report dismiss|action ID */
static void
admin_cmd_report(struct admin_conn *ac, char **argv, u_int argc)
{
	struct store_req	*r;
	enum report_status	 status;
	char			*end;
	long long		 id;

	(void)argc;
	if (strcmp(argv[0], "dismiss") == 0)
		status = REPORT_DISMISSED;
	else if (strcmp(argv[0], "action") == 0)
		status = REPORT_ACTIONED;
	else {
		admin_fail(ac, "report: %.32s: expected dismiss or action",
		    argv[0]);
		return;
	}
	errno = 0;
	id = strtoll(argv[1], &end, 10);
	if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' ||
	    errno != 0 || id <= 0) {
		admin_fail(ac, "report: %.32s: not a report number", argv[1]);
		return;
	}
	r = store_req_new(STORE_REPORT_SET, ac->who);
	r->status = status;
	r->id = id;
	ask_store(&ac->ask, r);
}

/* sessions */
static void
admin_cmd_sessions(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argv;
	(void)argc;
	ac->table = TABLE_SESSIONS;
	ask_everywhere(&ac->ask, ADMIN_SESSIONS);
	if (ac->ask.pending == 0)
		admin_finish(ac);
}

/*
 * kick SESSION, where SESSION is the id from sessions: w.slot.gen, or
 * NODE:w.slot.gen in a cluster
 */
static void
admin_cmd_kick(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argc;
	if (ask_kick(&ac->ask, argv[0], NULL) != 0) {
		admin_fail(ac, "%.40s: no such session", argv[0]);
		return;
	}
	snprintf(ac->kicked, sizeof ac->kicked, "%s", argv[0]);
}

/* stats: the workers' counts (every node's in a cluster) and the store's. */
static void
admin_cmd_stats(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argv;
	(void)argc;
	ac->table = TABLE_STATS;
	ask_everywhere(&ac->ask, ADMIN_STATS);
	ask_store(&ac->ask, store_req_new(STORE_STATS, ac->who));
}

/*
 * Every answer to the current request is in: a ban waits for the
 * workers, a kick for its audit entry, stats get the counts as rows.
 * Returns 1 if the request goes on (more answers to come).
 */
static int
admin_done(struct admin_conn *ac)
{
	struct ask		*a = &ac->ask;
	struct store_req	*r;
	char			*rows;

	if (ac->sync && !a->error) {
		/*
		 * A ban changed: answer only once every worker has taken
		 * the new list, so that strangerctl's "banned" means in
		 * force.  The store posted the list before its reply, so a
		 * round trip through each inbox comes after it.
		 */
		ac->sync = 0;
		ask_workers(a, ADMIN_SYNC);
		if (a->pending > 0)
			return (1);
	}
	ac->sync = 0;
	if (ac->kicked[0] != '\0' && !a->error) {
		/*
		 * The store had no part in a kick: write it to the audit
		 * log, and answer once that is committed.
		 */
		r = store_req_new(STORE_AUDIT, ac->who);
		r->action = "kick";
		/* A long node name is cut: the log keeps what fits. */
		snprintf(r->target.text, sizeof r->target.text, "%.*s",
		    (int)sizeof r->target.text - 1, ac->kicked);
		r->reason = xstrdup(a->text != NULL ? a->text : "");
		ac->kicked[0] = '\0';
		ask_store(a, r);
		return (1);
	}
	if (ac->table == TABLE_SESSIONS)
		table_sort_by_id(a->rows);
	if (ac->table == TABLE_STATS) {
		a->counts[STAT_IN_POOL] = match_waiting();
		a->counts[STAT_UPTIME] = (uint64_t)(time(NULL) -
		    admin_started);
		/* The totals, then a cluster's figures by node. */
		rows = table_stats_rows(a->counts, a->rows);
		free(a->rows);
		a->rows = rows;
		a->rowslen = strlen(a->rows);
	}
	return (0);
}

/* An answer from a worker or the store. */
static void
admin_message(struct msg *m, void *arg)
{
	struct reply		*r = m->ptr;
	struct admin_conn	*ac;

	(void)arg;
	switch (m->type) {
	case MSG_STOP:
		event_base_loopbreak(admin_base);
		break;
	case MSG_REPLY:
		if (r == NULL)
			break;
		for (ac = admin_conns; ac != NULL; ac = ac->next)
			if (ac->req != 0 && ac->req == r->id)
				break;
		if (ac == NULL || ac->ask.pending == 0)
			break;	/* the connection went, or timed out */
		if (!ask_merge(&ac->ask, r) || admin_done(ac))
			break;
		/* Then the requests that arrived meanwhile. */
		if (admin_finish(ac) == 0)
			admin_next(ac);
		break;
	default:
		break;
	}
	msg_free(m);
}

/* The admin thread. */
static void *
admin_main(void *arg)
{
	(void)arg;
	event_base_loop(admin_base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

/*
 * Open the control socket in dir and start the thread.  The socket is
 * made with umask 077, so it is 0600 from the first moment.
 */
void
admin_start(const char *dir)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	admin_started = time(NULL);
	xasprintf(&admin_path, "%s/%s", dir, CONTROL_SOCKET);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
	    admin_path) >= sizeof sun.sun_path)
		fatalx("control socket path too long: %s", admin_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("control: socket");
	/* A socket left by a daemon that was killed: nobody listens. */
	if (unlink(admin_path) == -1 && errno != ENOENT)
		fatal("control: unlink %s", admin_path);
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		fatal("control: bind %s", admin_path);
	umask(old);
	if (chmod(admin_path, 0600) == -1)
		fatal("control: chmod %s", admin_path);
	if (listen(fd, 16) == -1)
		fatal("control: listen");
	admin_fd = fd;
	if ((admin_base = event_base_new()) == NULL)
		fatalx("control: event_base_new failed");
	admin_inbox = inbox_new(admin_base, admin_message, NULL);
	admin_listen_ev = event_new(admin_base, fd, EV_READ | EV_PERSIST,
	    admin_accept, NULL);
	admin_retry_ev = evtimer_new(admin_base, admin_retry, NULL);
	event_add(admin_listen_ev, NULL);
	if (pthread_create(&admin_thread, NULL, admin_main, NULL) != 0)
		fatalx("control: pthread_create failed");
	log_info("control socket %s", admin_path);
}

/* Stop the admin thread and remove the socket. */
void
admin_stop(void)
{
	if (admin_base == NULL)
		return;
	inbox_post(admin_inbox, msg_new(MSG_STOP));
	pthread_join(admin_thread, NULL);
	while (admin_conns != NULL)
		admin_close(admin_conns);
	event_free(admin_listen_ev);
	event_free(admin_retry_ev);
	close(admin_fd);
	unlink(admin_path);
	free(admin_path);
	admin_path = NULL;
	/*
	 * Workers and the store may still answer until they stop: the
	 * inbox stays, unread, until admin_free.
	 */
}

/* Free the inbox, once nothing can answer to it any more. */
void
admin_free(void)
{
	if (admin_base == NULL)
		return;
	inbox_free(admin_inbox);
	admin_inbox = NULL;
	event_base_free(admin_base);
	admin_base = NULL;
}
