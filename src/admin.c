/*
 * The control socket, DIR/strangerd.sock, for strangerctl: its own
 * thread with its own event_base and inbox.  A connection is let in
 * only if its peer (SO_PEERCRED) is root or the daemon's own user.
 * Requests are lines (include/control.h); each is parsed here, then
 * handed to the store (MSG_STORE) or to the workers (MSG_QUERY), whose
 * MSG_REPLY answers are gathered into one answer per request.
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
	char		 kicked[24];	/* then audit this kick: the id */

	/* The answer being gathered. */
	u_int		 pending;	/* replies still to come */
	int		 error;
	char		*message;	/* owned */
	char		*cols;		/* owned: encoded cols line */
	char		*rows;		/* owned: encoded rows */
	size_t		 rowslen;
	u_int		 counts[5];	/* stats: sessions and states */

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
static int			 admin_fd = -1;
static char			*admin_path;
static pthread_t		 admin_thread;
static _Atomic int		 admin_running;
static struct admin_conn	*admin_conns;
static u_int			 admin_nconns;
static uint64_t			 admin_next_req = 1;
static time_t			 admin_started;

static void	 admin_accept(evutil_socket_t, short, void *);
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
static void	 admin_to_store(struct admin_conn *, struct store_req *);
static void	 admin_to_workers(struct admin_conn *, enum admin_op);

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

/* Free a query, from any thread. */
void
admin_query_free(struct admin_query *q)
{
	if (q == NULL)
		return;
	free(q->text);
	report_free(q->report);
	free(q);
}

/* Free a reply, from any thread. */
void
admin_reply_free(struct admin_reply *ar)
{
	if (ar == NULL)
		return;
	free(ar->text);
	free(ar->rows);
	free(ar);
}

/*
 * Answer request conn, from any thread: text and rows (both owned,
 * either may be NULL) are taken over.  Nothing is sent for conn 0.
 */
void
admin_reply_post(uint64_t conn, int error, char *text, char *rows)
{
	struct admin_reply	*ar;
	struct msg		*m;

	if (conn == 0 || !admin_running) {
		free(text);
		free(rows);
		return;
	}
	ar = xcalloc(1, sizeof *ar);
	ar->conn = conn;
	ar->error = error;
	ar->text = text;
	ar->rows = rows;
	m = msg_new(MSG_REPLY);
	m->ptr = ar;
	admin_post(m);
}

/* Post to the admin thread's inbox. */
void
admin_post(struct msg *m)
{
	/* Answers for a moderator console go to its worker: console.c. */
	if (console_divert(m))
		return;
	if (admin_inbox == NULL) {
		msg_free(m);
		return;
	}
	inbox_post(admin_inbox, m);
}

/* A new connection on the control socket: is it allowed in? */
static void
admin_accept(evutil_socket_t fd, short events, void *arg)
{
	struct admin_conn	*ac;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	struct timeval		 tv = { CONTROL_TIMEOUT, 0 };
	static const char	 denied[] =
	    "error\tpermission denied\n.\n";
	static const char	 busy[] = "error\ttoo many connections\n.\n";
	int			 c;

	(void)events;
	(void)arg;
	if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
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
	event_add(ac->read_ev, NULL);
	evtimer_add(ac->timer_ev, &tv);
	ac->next = admin_conns;
	admin_conns = ac;
	admin_nconns++;
	log_debug("control: connection from uid %u pid %d", (u_int)cred.uid,
	    (int)cred.pid);
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
	free(ac->message);
	free(ac->cols);
	free(ac->rows);
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
	free(ac->message);
	ac->message = msg;
	ac->error = 1;
	ac->pending = 0;
	return (admin_finish(ac));
}

/*
 * Send the gathered answer and get ready for the next request.
 * Returns -1 if the connection is gone (freed).
 */
static int
admin_finish(struct admin_conn *ac)
{
	const char	*f[2];
	char		*line;
	u_int		 n = 1;

	f[0] = ac->error ? "error" : "ok";
	if (ac->message != NULL) {
		f[1] = ac->message;
		n = 2;
	}
	line = control_line(f, n);
	evbuffer_add(ac->out, line, strlen(line));
	free(line);
	if (!ac->error) {
		if (ac->cols != NULL)
			evbuffer_add(ac->out, ac->cols, strlen(ac->cols));
		if (ac->rows != NULL)
			evbuffer_add(ac->out, ac->rows, ac->rowslen);
	}
	evbuffer_add(ac->out, ".\n", 2);
	free(ac->message);
	free(ac->cols);
	free(ac->rows);
	ac->message = ac->cols = ac->rows = NULL;
	ac->rowslen = 0;
	ac->error = 0;
	ac->sync = 0;
	ac->kicked[0] = '\0';
	ac->req = 0;
	memset(ac->counts, 0, sizeof ac->counts);
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

	ac->req = admin_next_req++;
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

/* Hand a request to the store; one reply will come. */
static void
admin_to_store(struct admin_conn *ac, struct store_req *r)
{
	ac->pending++;
	store_request(r);
}

/* Ask every worker; one reply will come from each. */
static void
admin_to_workers(struct admin_conn *ac, enum admin_op op)
{
	struct admin_query	*q;
	struct msg		*m;
	u_int			 i;

	ac->pending += nworkers;
	for (i = 0; i < nworkers; i++) {
		q = xcalloc(1, sizeof *q);
		q->op = op;
		q->conn = ac->req;
		m = msg_new(MSG_QUERY);
		m->ptr = q;
		inbox_post(workers[i]->inbox, m);
	}
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
	r = store_req_new(STORE_BAN_ADD, ac->req, ac->who);
	r->target = t;
	/* The reason is shown to the banned visitor: make it safe. */
	r->reason = sanitize_text(reason, strlen(reason), NULL);
	r->duration = duration;
	ac->sync = 1;
	admin_to_store(ac, r);
	return;
fail:
	admin_fail(ac, "%s", cause);
	free(cause);
}

/* unban TARGET */
static void
admin_cmd_unban(struct admin_conn *ac, char **argv, u_int argc)
{
	struct store_req	*r;
	struct ban_target	 t;
	char			*cause = NULL;

	(void)argc;
	if (ban_parse(argv[0], &t, &cause) != 0) {
		admin_fail(ac, "%s", cause);
		free(cause);
		return;
	}
	r = store_req_new(STORE_BAN_DEL, ac->req, ac->who);
	r->target = t;
	ac->sync = 1;
	admin_to_store(ac, r);
}

/* bans */
static void
admin_cmd_bans(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argv;
	(void)argc;
	admin_to_store(ac, store_req_new(STORE_BAN_LIST, ac->req, ac->who));
}

/* reports */
static void
admin_cmd_reports(struct admin_conn *ac, char **argv, u_int argc)
{
	(void)argv;
	(void)argc;
	admin_to_store(ac, store_req_new(STORE_REPORT_LIST, ac->req,
	    ac->who));
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
	r = store_req_new(STORE_REPORT_SET, ac->req, ac->who);
	r->status = status;
	r->id = id;
	admin_to_store(ac, r);
}

/* sessions */
static void
admin_cmd_sessions(struct admin_conn *ac, char **argv, u_int argc)
{
	static const char *const cols[] = {
		"cols", "id", "transport", "address", "key", "state", "time",
		"partner"
	};

	(void)argv;
	(void)argc;
	ac->cols = control_line(cols, 8);
	admin_to_workers(ac, ADMIN_SESSIONS);
	if (ac->pending == 0)
		admin_finish(ac);
}

/* kick SESSION, where SESSION is the id from sessions: w.slot.gen */
static void
admin_cmd_kick(struct admin_conn *ac, char **argv, u_int argc)
{
	struct admin_query	*q;
	struct msg		*m;
	u_int			 w, slot, gen;
	int			 used = 0;

	(void)argc;
	if (sscanf(argv[0], "%u.%u.%u%n", &w, &slot, &gen, &used) != 3 ||
	    argv[0][used] != '\0' || argv[0][0] < '0' || argv[0][0] > '9' ||
	    w >= nworkers || gen == 0 || gen > 0xffffff) {
		admin_fail(ac, "%.40s: no such session", argv[0]);
		return;
	}
	q = xcalloc(1, sizeof *q);
	q->op = ADMIN_KICK;
	q->conn = ac->req;
	q->target = HANDLE_MAKE(w, slot, gen);
	m = msg_new(MSG_QUERY);
	m->ptr = q;
	m->to = q->target;
	ac->pending++;
	inbox_post(workers[w]->inbox, m);
	snprintf(ac->kicked, sizeof ac->kicked, "%u.%u.%u", w, slot, gen);
}

/* stats: the workers' counts, then the store's. */
static void
admin_cmd_stats(struct admin_conn *ac, char **argv, u_int argc)
{
	static const char *const cols[] = { "cols", "name", "value" };

	(void)argv;
	(void)argc;
	ac->cols = control_line(cols, 3);
	admin_to_workers(ac, ADMIN_STATS);
	admin_to_store(ac, store_req_new(STORE_STATS, ac->req, ac->who));
}

/* A reply from a worker or the store. */
static void
admin_message(struct msg *m, void *arg)
{
	struct admin_reply	*ar = m->ptr;
	struct admin_conn	*ac;
	const char		*f[3];
	const char		*names[] = {
		"sessions", "welcome", "waiting", "chatting", "alone"
	};
	char			 v[32];
	u_int			 i;

	(void)arg;
	switch (m->type) {
	case MSG_STOP:
		event_base_loopbreak(admin_base);
		break;
	case MSG_REPLY:
		if (ar == NULL)
			break;
		for (ac = admin_conns; ac != NULL; ac = ac->next)
			if (ac->req != 0 && ac->req == ar->conn)
				break;
		if (ac == NULL || ac->pending == 0)
			break;	/* the connection went, or timed out */
		if (ar->error && !ac->error) {
			ac->error = 1;
			free(ac->message);
			ac->message = ar->text;
			ar->text = NULL;
		} else if (ar->text != NULL && ac->message == NULL) {
			ac->message = ar->text;
			ar->text = NULL;
		}
		if (ar->rows != NULL) {
			/* A table's cols line comes first, once. */
			if (strncmp(ar->rows, "cols\t", 5) == 0 &&
			    ac->cols == NULL) {
				size_t cl = strcspn(ar->rows, "\n") + 1;

				ac->cols = xstrndup(ar->rows, cl);
				memmove(ar->rows, ar->rows + cl,
				    strlen(ar->rows + cl) + 1);
			}
			i = (u_int)strlen(ar->rows);
			ac->rows = xreallocarray(ac->rows, 1, ac->rowslen +
			    i + 1);
			memcpy(ac->rows + ac->rowslen, ar->rows, i + 1);
			ac->rowslen += i;
		}
		ac->counts[0] += ar->count;
		for (i = 0; i < 4; i++)
			ac->counts[i + 1] += ar->counts[i];
		if (--ac->pending > 0)
			break;
		if (ac->sync && !ac->error) {
			/*
			 * A ban changed: answer only once every worker has
			 * taken the new list, so that strangerctl's "banned"
			 * means in force.  The store posted the list before
			 * its reply, so a round trip through each inbox
			 * comes after it.
			 */
			ac->sync = 0;
			admin_to_workers(ac, ADMIN_SYNC);
			if (ac->pending > 0)
				break;
		}
		ac->sync = 0;
		if (ac->kicked[0] != '\0' && !ac->error) {
			/*
			 * The store had no part in a kick: write it to the
			 * audit log, and answer once that is committed.
			 */
			struct store_req *r;

			r = store_req_new(STORE_AUDIT, ac->req, ac->who);
			r->action = "kick";
			snprintf(r->target.text, sizeof r->target.text, "%s",
			    ac->kicked);
			r->reason = xstrdup(ac->message != NULL ?
			    ac->message : "");
			ac->kicked[0] = '\0';
			admin_to_store(ac, r);
			break;
		}
		if (ac->cols != NULL && strcmp(ac->cols,
		    "cols\tname\tvalue\n") == 0) {
			/* stats: the workers' counts go first. */
			char	*rows = NULL;
			size_t	 len = 0;

			f[0] = "row";
			for (i = 0; i < 5; i++) {
				snprintf(v, sizeof v, "%u", ac->counts[i]);
				f[1] = names[i];
				f[2] = v;
				control_append(&rows, &len, f, 3);
			}
			snprintf(v, sizeof v, "%u", match_waiting());
			f[1] = "in_pool";
			control_append(&rows, &len, f, 3);
			snprintf(v, sizeof v, "%lld",
			    (long long)(time(NULL) - admin_started));
			f[1] = "uptime";
			control_append(&rows, &len, f, 3);
			rows = xreallocarray(rows, 1, len + ac->rowslen + 1);
			memcpy(rows + len, ac->rows != NULL ? ac->rows : "",
			    ac->rowslen + 1);
			free(ac->rows);
			ac->rows = rows;
			ac->rowslen += len;
		}
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
	event_add(admin_listen_ev, NULL);
	admin_running = 1;
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
	admin_running = 0;
	while (admin_conns != NULL)
		admin_close(admin_conns);
	event_free(admin_listen_ev);
	close(admin_fd);
	unlink(admin_path);
	free(admin_path);
	admin_path = NULL;
	/*
	 * Workers and the store may still post replies until they stop:
	 * the inbox stays, unread, until admin_free.
	 */
}

/* Free the inbox, once workers and store have stopped. */
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
