/*
 * The store: one thread that owns the database connection (bans,
 * reports, the audit log).  Nothing else touches the database; other
 * threads post MSG_STORE requests to its inbox, and each answer goes
 * straight to the request's reply address (ask.c).  When the bans
 * change the store builds a new ban list snapshot and sends it to every
 * worker (MSG_BANS).
 *
 * The database is SQLite in DIR (store-sqlite.c) unless strangerd.conf
 * names a PostgreSQL server (store postgresql://..., store-pg.c); both
 * sit behind the interface in store.h, and the SQL of every request is
 * written once for both.  Answers are posted only after COMMIT has
 * returned.
 *
 * Owns: the store's event_base, inbox and timers, and the current ban
 * list (one reference).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "strangerd.h"
#include "store.h"

/* How often retention and expiry are looked at. */
#define STORE_SWEEP_SECS	60

struct store_conf store_conf = {
	.report_threshold = 3,
	.report_window = 60 * 60,
	.report_ban = 60 * 60,
	.report_prefix4 = 24,
	.report_prefix6 = 48,
	.retention = 30 * 24 * 60 * 60,
};

/* The backend in use, chosen by store_open. */
static const struct store_backend *store_be;
static struct event_base	*store_base;
static struct inbox		*store_inbox;
static struct event		*store_sweep_ev;
static pthread_t		 store_thread;
static int			 store_running;
/* Built by store_open before any worker runs; kept until store_stop. */
static struct banlist		*store_initial;

static struct store_q		*stmt_audit;

static const struct store_stmt audit_stmts[] = {
	{ &stmt_audit, "INSERT INTO audit (time, who, action, target, "
	    "detail) VALUES ($1, $2, $3, $4, $5)" },
};

static void	 store_message(struct msg *, void *);
static void	 store_sweep(evutil_socket_t, short, void *);
static void	*store_main(void *);
static void	 store_audit_add(struct store_req *);
static void	 store_post(struct msg *);
static void	 store_close(void);

/* Prepare a module's statements; -1 (store_error() says why) if one fails. */
int
store_prepare(const struct store_stmt *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((*list[i].q = store_be->prepare(list[i].sql)) == NULL)
			return (-1);
	return (0);
}

/* Free a module's statements (those prepared; the others are NULL). */
void
store_finalize(const struct store_stmt *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (*list[i].q != NULL)
			store_be->finalize(*list[i].q);
		*list[i].q = NULL;
	}
}

/* Bind a text parameter (numbered from 1); NULL binds SQL NULL. */
void
store_bind_text(struct store_q *q, int i, const char *s)
{
	store_be->bind_text(q, i, s);
}

/* Bind an integer parameter. */
void
store_bind_int(struct store_q *q, int i, int64_t v)
{
	store_be->bind_int(q, i, v);
}

/* Run a statement or move to its next row: STORE_ROW, STORE_DONE or -1. */
int
store_step(struct store_q *q)
{
	return (store_be->step(q));
}

/* Done with a statement: forget its results and parameters. */
void
store_reset(struct store_q *q)
{
	store_be->reset(q);
}

/*
 * Run a statement that returns no rows and reset it: the rows it
 * changed, or -1 (store_error() says why).
 */
int64_t
store_run(struct store_q *q)
{
	int64_t	n = -1;

	if (store_step(q) == STORE_DONE)
		n = store_changes(q);
	store_reset(q);
	return (n);
}

/* A column of the current row as text (columns from 0); NULL is NULL. */
const char *
store_col_text(struct store_q *q, int col)
{
	return (store_be->col_text(q, col));
}

/* A column of the current row as an integer; NULL is 0. */
int64_t
store_col_int(struct store_q *q, int col)
{
	return (store_be->col_int(q, col));
}

/* Whether a column of the current row is NULL. */
int
store_col_null(struct store_q *q, int col)
{
	return (store_be->col_text(q, col) == NULL);
}

/* Rows the statement just finished changed. */
int64_t
store_changes(struct store_q *q)
{
	return (store_be->changes(q));
}

/*
 * Open the database and load the bans, on the main thread before the
 * workers start, so that the first connection is already checked:
 * PostgreSQL at uri if there is one, else SQLite in dir.
 */
int
store_open(const char *dir, const char *uri)
{
	char	*cause = NULL;

	store_be = uri != NULL ? &store_pg : &store_sqlite;
	if (store_be->open(uri != NULL ? uri : dir, &cause) != 0) {
		log_warnx("store: %s", cause);
		free(cause);
		return (-1);
	}
	if (store_prepare(audit_stmts, 1) != 0 ||
	    store_ban_prepare() != 0 || store_report_prepare() != 0) {
		log_warnx("store: prepare: %s", store_be->error());
		goto fail;
	}
	store_ban_expire(time(NULL));
	if ((store_initial = store_ban_load(time(NULL))) == NULL)
		goto fail;
	log_info("store: %s, %u bans", store_be->name, store_initial->n);
	return (0);
fail:
	store_close();
	return (-1);
}

/* The ban list loaded at start-up; take a reference to keep it. */
struct banlist *
store_bans_initial(void)
{
	return (store_initial);
}

/* Write one audit log entry, inside the caller's transaction. */
int
store_audit(const char *who, const char *action, const char *target,
    const char *detail)
{
	store_bind_int(stmt_audit, 1, (int64_t)time(NULL));
	store_bind_text(stmt_audit, 2, who);
	store_bind_text(stmt_audit, 3, action);
	store_bind_text(stmt_audit, 4, target != NULL ? target : "");
	store_bind_text(stmt_audit, 5, detail != NULL ? detail : "");
	if (store_run(stmt_audit) < 0) {
		log_warnx("store: audit: %s", store_error());
		return (-1);
	}
	return (0);
}

/*
 * STORE_AUDIT: the entry for a moderator action the store had no part
 * in (a kick, a notice from the console), committed before the answer.
 */
static void
store_audit_add(struct store_req *r)
{
	char	*cause = NULL;

	if (store_begin(&cause) != 0)
		goto fail;
	if (store_audit(r->who, r->action != NULL ? r->action : "?",
	    r->target.text, r->reason) != 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (store_commit(&cause) != 0)
		goto fail;
	reply_post(&r->ret, 0, NULL, NULL);
	return;
fail:
	reply_post(&r->ret, 1, cause, NULL);
}

/* Begin a write transaction; -1 with cause on failure. */
int
store_begin(char **cause)
{
	return (store_be->begin(cause));
}

/*
 * Commit; only once this returns 0 may anyone be told the change was
 * made.  On failure the transaction is rolled back.
 */
int
store_commit(char **cause)
{
	if (store_be->exec("COMMIT", cause) == 0)
		return (0);
	store_rollback();
	return (-1);
}

/* Undo the current transaction. */
void
store_rollback(void)
{
	if (store_be->in_transaction())
		store_be->exec("ROLLBACK", NULL);
}

/* A time for people and scripts: "2024-05-01 12:00:00Z", UTC. */
void
store_fmt_time(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* The last error on the connection, for a cause. */
const char *
store_error(void)
{
	return (store_be->error());
}

/*
 * A request for the store, from any thread; ask_store() gives it its
 * reply address (none: nobody waits for the answer).
 */
struct store_req *
store_req_new(enum store_op op, const char *who)
{
	struct store_req	*r;

	r = xcalloc(1, sizeof *r);
	r->op = op;
	r->who = xstrdup(who != NULL ? who : "?");
	return (r);
}

/*
 * An unban request for what a moderator typed: a target, or the id
 * that bans shows.  NULL with *cause if it is neither.
 */
struct store_req *
store_req_unban(const char *arg, const char *who, char **cause)
{
	struct store_req	*r;
	struct ban_target	 t;
	long long		 id;
	char			*end;

	memset(&t, 0, sizeof t);
	if (*arg >= '1' && *arg <= '9') {
		errno = 0;
		id = strtoll(arg, &end, 10);
		if (*end == '\0' && errno == 0 && id > 0)
			goto out;
	}
	id = 0;
	if (ban_parse(arg, &t, cause) != 0)
		return (NULL);
out:
	r = store_req_new(STORE_BAN_DEL, who);
	r->target = t;
	r->id = id;
	return (r);
}

/* Free a request and what it owns. */
void
store_req_free(struct store_req *r)
{
	if (r == NULL)
		return;
	free(r->who);
	free(r->reason);
	report_free(r->report);
	free(r);
}

/* Post a request to the store, from any thread; it takes r over. */
void
store_request(struct store_req *r)
{
	struct msg	*m;

	m = msg_new(MSG_STORE);
	m->ptr = r;
	store_post(m);
}

/* Post a message to the store's inbox, from any thread. */
static void
store_post(struct msg *m)
{
	inbox_post(store_inbox, m);
}

/* A message on the store thread. */
static void
store_message(struct msg *m, void *arg)
{
	struct store_req	*r = m->ptr;

	(void)arg;
	switch (m->type) {
	case MSG_STOP:
		event_base_loopbreak(store_base);
		break;
	case MSG_STORE:
		if (r == NULL)
			break;
		switch (r->op) {
		case STORE_BAN_ADD:
			store_ban_add(r);
			break;
		case STORE_BAN_DEL:
			store_ban_del(r);
			break;
		case STORE_BAN_LIST:
			store_ban_list(r);
			break;
		case STORE_REPORT_ADD:
			store_report_add(r);
			break;
		case STORE_REPORT_LIST:
			store_report_list(r);
			break;
		case STORE_REPORT_SET:
			store_report_set(r);
			break;
		case STORE_STATS:
			store_report_stats(r);
			break;
		case STORE_AUDIT:
			store_audit_add(r);
			break;
		}
		break;
	default:
		log_warnx("store: unexpected message %d", m->type);
		break;
	}
	msg_free(m);
}

/*
 * Now and then: drop expired bans (and tell the workers), purge
 * evidence and closed reports past the retention period.
 */
static void
store_sweep(evutil_socket_t fd, short events, void *arg)
{
	time_t	now = time(NULL);

	(void)fd;
	(void)events;
	(void)arg;
	if (store_ban_expire(now) > 0)
		store_ban_publish();
	if (store_report_purge(now) > 0 && store_be->purged != NULL)
		store_be->purged();
}

/* The store thread. */
static void *
store_main(void *arg)
{
	(void)arg;
	store_sweep(-1, 0, NULL);
	event_base_loop(store_base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

/* Start the store thread; the workers must exist, they get its lists. */
void
store_start(void)
{
	struct timeval	tv = { STORE_SWEEP_SECS, 0 };

	if ((store_base = event_base_new()) == NULL)
		fatalx("store: event_base_new failed");
	store_inbox = inbox_new(store_base, store_message, NULL);
	store_sweep_ev = event_new(store_base, -1, EV_PERSIST, store_sweep,
	    NULL);
	event_add(store_sweep_ev, &tv);
	if (store_be->attach != NULL)
		store_be->attach(store_base);
	if (pthread_create(&store_thread, NULL, store_main, NULL) != 0)
		fatalx("store: pthread_create failed");
	store_running = 1;
}

/*
 * Give every worker a reference to a new ban list (MSG_BANS).  The
 * workers' inboxes outlive the store thread (main frees them last), so
 * this needs no lock even while the workers stop.
 */
void
store_send_bans(struct banlist *bl)
{
	struct msg	*m;
	u_int		 i;

	for (i = 0; i < nworkers; i++) {
		m = msg_new(MSG_BANS);
		m->ptr = banlist_ref(bl);
		inbox_post(workers[i]->inbox, m);
	}
}

/* Free the statements and close the connection. */
static void
store_close(void)
{
	store_ban_finalize();
	store_report_finalize();
	store_finalize(audit_stmts, 1);
	if (store_be != NULL)
		store_be->close();
}

/* Stop the store thread, wait for it, close the database. */
void
store_stop(void)
{
	if (store_running) {
		store_post(msg_new(MSG_STOP));
		pthread_join(store_thread, NULL);
		store_running = 0;
		if (store_be->detach != NULL)
			store_be->detach();
		event_free(store_sweep_ev);
		inbox_free(store_inbox);
		event_base_free(store_base);
	}
	store_close();
	banlist_unref(store_initial);
	store_initial = NULL;
}
