/*
 * The store: one thread that owns the SQLite database DIR/strangerd.db
 * (bans, reports, the audit log).  Nothing else touches the database;
 * other threads post MSG_STORE requests to its inbox, and each answer
 * goes straight to the request's reply address (ask.c).  When the bans
 * change the store builds a new ban list snapshot and sends it to every
 * worker (MSG_BANS).
 *
 * Durability: journal_mode=WAL with synchronous=FULL.  In WAL mode a
 * COMMIT writes the transaction to the -wal file before returning, so
 * with synchronous=NORMAL a SIGKILL already loses nothing committed;
 * FULL also fsyncs the WAL at every commit, so that a ban that
 * strangerctl saw acknowledged survives a power cut or a kernel crash
 * as well.  Moderation writes are a few a minute and happen on this
 * thread, never on an event loop, so the fsync costs nobody a frame.
 * Answers are posted only after COMMIT has returned.
 *
 * Owns: the connection, the store's event_base, inbox and timers, and
 * the current ban list (one reference).
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
#include <sqlite3.h>

#include "strangerd.h"
#include "store.h"

#define STORE_FILE		"strangerd.db"
#define STORE_BUSY_MS		5000
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

static sqlite3			*store_db;
static struct event_base	*store_base;
static struct inbox		*store_inbox;
static struct event		*store_sweep_ev;
static pthread_t		 store_thread;
static int			 store_running;
/* Built by store_open before any worker runs; kept until store_stop. */
static struct banlist		*store_initial;

static sqlite3_stmt		*stmt_audit;

/*
 * Migrations, in order: the database is at version i once the first i
 * have run.  Never edit one that has shipped; add another.
 */
static const char *const store_migrations[] = {
	/* 1: bans, reports, audit log. */
	"CREATE TABLE bans ("
	"  id       INTEGER PRIMARY KEY,"
	"  target   TEXT NOT NULL UNIQUE,"
	"  kind     TEXT NOT NULL CHECK (kind IN ('address', 'cidr', 'key')),"
	"  reason   TEXT NOT NULL DEFAULT '',"
	"  created  INTEGER NOT NULL,"
	"  expires  INTEGER,"			/* NULL: never */
	"  who      TEXT NOT NULL"
	");"
	"CREATE TABLE reports ("
	"  id                 INTEGER PRIMARY KEY,"
	"  created            INTEGER NOT NULL,"
	"  reporter_addr      TEXT NOT NULL,"
	"  reporter_key       TEXT,"
	"  reporter_transport TEXT NOT NULL,"
	"  reported_addr      TEXT,"
	"  reported_key       TEXT,"
	"  reported_transport TEXT,"
	"  reason             TEXT NOT NULL DEFAULT '',"
	"  evidence           TEXT,"		/* NULL once purged */
	"  status             TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (status IN ('open', 'dismissed', 'actioned')),"
	"  closed             INTEGER,"
	"  closed_by          TEXT"
	");"
	"CREATE INDEX reports_status ON reports (status, created);"
	"CREATE INDEX reports_reported_key ON reports (reported_key, created);"
	"CREATE INDEX reports_reported_addr ON reports (reported_addr, created);"
	"CREATE TABLE audit ("
	"  id      INTEGER PRIMARY KEY,"
	"  time    INTEGER NOT NULL,"
	"  who     TEXT NOT NULL,"
	"  action  TEXT NOT NULL,"
	"  target  TEXT NOT NULL DEFAULT '',"
	"  detail  TEXT NOT NULL DEFAULT ''"
	");",
	/*
	 * 2: what the automatic ban counts (store-report.c): the
	 * reporter's network, and how many lines of the evidence the
	 * reported visitor said.  Older reports count for nothing.
	 */
	"ALTER TABLE reports ADD COLUMN reporter_net TEXT;"
	"ALTER TABLE reports ADD COLUMN reported_said INTEGER NOT NULL "
	"  DEFAULT 0;",
	/*
	 * 3: an IPv4-mapped target is stored as the IPv4 one, as
	 * ban_parse() now makes it (::ffff:192.0.2.7 is 192.0.2.7,
	 * ::ffff:10.0.0.0/104 is 10.0.0.0/8), so that unban finds it.
	 * A block shorter than /96 stays IPv6.
	 */
	"UPDATE OR REPLACE bans SET target = substr(target, 8) "
	"  WHERE kind = 'address' AND target LIKE '::ffff:%.%';"
	"UPDATE OR REPLACE bans SET"
	"  target = CASE WHEN p = 32 THEN a ELSE a || '/' || p END,"
	"  kind = CASE WHEN p = 32 THEN 'address' ELSE 'cidr' END"
	"  FROM (SELECT id AS i,"
	"    substr(target, 8, instr(target, '/') - 8) AS a,"
	"    CAST(substr(target, instr(target, '/') + 1) AS INTEGER) - 96"
	"      AS p"
	"    FROM bans WHERE kind = 'cidr' AND target LIKE '::ffff:%.%/%')"
	"  WHERE id = i AND p >= 0;",
};

static int	 store_exec(const char *, char **);
static int	 store_migrate(char **);
static void	 store_message(struct msg *, void *);
static void	 store_sweep(evutil_socket_t, short, void *);
static void	*store_main(void *);
static void	 store_audit_add(struct store_req *);
static void	 store_post(struct msg *);

/* Run SQL with no results. */
static int
store_exec(const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(store_db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (cause != NULL)
			xasprintf(cause, "%s", err != NULL ? err :
			    sqlite3_errmsg(store_db));
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

/* Bring the schema up to date, one migration a transaction. */
static int
store_migrate(char **cause)
{
	sqlite3_stmt	*st;
	char		*sql;
	int		 version;
	u_int		 n = sizeof store_migrations / sizeof *store_migrations;

	if (sqlite3_prepare_v2(store_db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		xasprintf(cause, "user_version: %s", sqlite3_errmsg(store_db));
		sqlite3_finalize(st);
		return (-1);
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > (int)n) {
		xasprintf(cause, "database schema %d is newer than this "
		    "strangerd knows (%u)", version, n);
		return (-1);
	}
	for (; version < (int)n; version++) {
		xasprintf(&sql, "BEGIN IMMEDIATE; %s PRAGMA user_version = %d; "
		    "COMMIT;", store_migrations[version], version + 1);
		if (store_exec(sql, cause) != 0) {
			free(sql);
			store_exec("ROLLBACK", NULL);
			return (-1);
		}
		free(sql);
		log_info("store: schema now at version %d", version + 1);
	}
	return (0);
}

/* Prepare a module's statements; -1 (store_error() says why) if one fails. */
int
store_prepare(struct sqlite3 *db, const struct store_stmt *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, list[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, list[i].st, NULL) != SQLITE_OK)
			return (-1);
	return (0);
}

/* Free a module's statements (those prepared; the others are NULL). */
void
store_finalize(const struct store_stmt *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		sqlite3_finalize(*list[i].st);
		*list[i].st = NULL;
	}
}

/*
 * Open the database and load the bans, on the main thread before the
 * workers start, so that the first connection is already checked.
 */
int
store_open(const char *dir)
{
	char	*path, *cause = NULL;
	mode_t	 old;

	xasprintf(&path, "%s/%s", dir, STORE_FILE);
	/* SQLite gives the -wal and -shm files the database's mode. */
	old = umask(077);
	/*
	 * This runs as root, in a directory the daemon's user owns: a
	 * symbolic link planted there must not make root create or write
	 * a file elsewhere.  NOFOLLOW refuses one as the database; SQLite
	 * opens the -wal, -shm and -journal files with O_NOFOLLOW itself.
	 */
	if (sqlite3_open_v2(path, &store_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		umask(old);
		if (store_db != NULL && sqlite3_extended_errcode(store_db) ==
		    SQLITE_CANTOPEN_SYMLINK)
			log_warnx("store: %s is a symbolic link: refused", path);
		else
			log_warnx("store: %s: %s", path, store_db != NULL ?
			    sqlite3_errmsg(store_db) : "out of memory");
		goto fail;
	}
	umask(old);
	sqlite3_busy_timeout(store_db, STORE_BUSY_MS);
	/*
	 * secure_delete: purged evidence is overwritten, not left in free
	 * pages of the file.
	 */
	if (store_exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;",
	    &cause) != 0 || store_migrate(&cause) != 0) {
		log_warnx("store: %s: %s", path, cause);
		goto fail;
	}
	if (sqlite3_prepare_v3(store_db, "INSERT INTO audit (time, who, "
	    "action, target, detail) VALUES (?, ?, ?, ?, ?)", -1,
	    SQLITE_PREPARE_PERSISTENT, &stmt_audit, NULL) != SQLITE_OK ||
	    store_ban_prepare(store_db) != 0 ||
	    store_report_prepare(store_db) != 0) {
		log_warnx("store: prepare: %s", sqlite3_errmsg(store_db));
		goto fail;
	}
	store_ban_expire(time(NULL));
	if ((store_initial = store_ban_load(time(NULL))) == NULL)
		goto fail;
	log_info("store: %s open, %u bans", path, store_initial->n);
	free(path);
	free(cause);
	return (0);
fail:
	free(path);
	free(cause);
	sqlite3_close(store_db);
	store_db = NULL;
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
	int	rc;

	sqlite3_bind_int64(stmt_audit, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(stmt_audit, 2, who, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt_audit, 3, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt_audit, 4, target != NULL ? target : "", -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt_audit, 5, detail != NULL ? detail : "", -1,
	    SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt_audit);
	sqlite3_reset(stmt_audit);
	sqlite3_clear_bindings(stmt_audit);
	if (rc != SQLITE_DONE) {
		log_warnx("store: audit: %s", sqlite3_errmsg(store_db));
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
	return (store_exec("BEGIN IMMEDIATE", cause));
}

/*
 * Commit; only once this returns 0 may anyone be told the change was
 * made.  On failure the transaction is rolled back.
 */
int
store_commit(char **cause)
{
	if (store_exec("COMMIT", cause) == 0)
		return (0);
	store_exec("ROLLBACK", NULL);
	return (-1);
}

/* Undo the current transaction. */
void
store_rollback(void)
{
	if (!sqlite3_get_autocommit(store_db))
		store_exec("ROLLBACK", NULL);
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
	return (sqlite3_errmsg(store_db));
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
	store_report_purge(now);
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

/* Stop the store thread, wait for it, close the database. */
void
store_stop(void)
{
	if (store_running) {
		store_post(msg_new(MSG_STOP));
		pthread_join(store_thread, NULL);
		store_running = 0;
		event_free(store_sweep_ev);
		inbox_free(store_inbox);
		event_base_free(store_base);
	}
	store_ban_finalize();
	store_report_finalize();
	sqlite3_finalize(stmt_audit);
	stmt_audit = NULL;
	if (store_db != NULL && sqlite3_close(store_db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(store_db));
	store_db = NULL;
	banlist_unref(store_initial);
	store_initial = NULL;
}
