/*
 * The SQLite backend of the store (store.h): one database file,
 * DIR/strangerd.db, the embedded default for a single node.
 *
 * Durability: journal_mode=WAL with synchronous=FULL.  In WAL mode a
 * COMMIT writes the transaction to the -wal file before returning, so
 * with synchronous=NORMAL a SIGKILL already loses nothing committed;
 * FULL also fsyncs the WAL at every commit, so that a ban that
 * strangerctl saw acknowledged survives a power cut or a kernel crash
 * as well.  Moderation writes are a few a minute and happen on the
 * store thread, never on an event loop, so the fsync costs nobody a
 * frame.
 *
 * Owns: the connection.  The only file that includes <sqlite3.h>.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "strangerd.h"
#include "store.h"

#define SQLITE_FILE		"strangerd.db"
#define SQLITE_BUSY_MS		5000

static sqlite3		*sqlite_db;

/*
 * Migrations, in order: the database is at version i once the first i
 * have run.  Never edit one that has shipped; add another.
 */
static const char *const sqlite_migrations[] = {
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

static int		 store_sqlite_open(const char *, char **);
static void		 store_sqlite_close(void);
static int		 store_sqlite_exec(const char *, char **);
static int		 store_sqlite_begin(char **);
static int		 store_sqlite_in_transaction(void);
static int		 store_sqlite_migrate(char **);
static struct store_q	*store_sqlite_prepare(const char *);
static void		 store_sqlite_finalize(struct store_q *);
static void		 store_sqlite_bind_text(struct store_q *, int,
			     const char *);
static void		 store_sqlite_bind_int(struct store_q *, int, int64_t);
static int		 store_sqlite_step(struct store_q *);
static void		 store_sqlite_reset(struct store_q *);
static const char	*store_sqlite_col_text(struct store_q *, int);
static int64_t		 store_sqlite_col_int(struct store_q *, int);
static int64_t		 store_sqlite_changes(struct store_q *);
static const char	*store_sqlite_error(void);

const struct store_backend store_sqlite = {
	.name = "sqlite",
	.open = store_sqlite_open,
	.close = store_sqlite_close,
	.exec = store_sqlite_exec,
	.begin = store_sqlite_begin,
	.in_transaction = store_sqlite_in_transaction,
	.prepare = store_sqlite_prepare,
	.finalize = store_sqlite_finalize,
	.bind_text = store_sqlite_bind_text,
	.bind_int = store_sqlite_bind_int,
	.step = store_sqlite_step,
	.reset = store_sqlite_reset,
	.col_text = store_sqlite_col_text,
	.col_int = store_sqlite_col_int,
	.changes = store_sqlite_changes,
	.error = store_sqlite_error,
};

/* Run SQL with no results. */
static int
store_sqlite_exec(const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(sqlite_db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (cause != NULL)
			xasprintf(cause, "%s", err != NULL ? err :
			    sqlite3_errmsg(sqlite_db));
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

/* Bring the schema up to date, one migration a transaction. */
static int
store_sqlite_migrate(char **cause)
{
	sqlite3_stmt	*st;
	char		*sql;
	int		 version;
	u_int		 n = sizeof sqlite_migrations / sizeof *sqlite_migrations;

	if (sqlite3_prepare_v2(sqlite_db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		xasprintf(cause, "user_version: %s", sqlite3_errmsg(sqlite_db));
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
		    "COMMIT;", sqlite_migrations[version], version + 1);
		if (store_sqlite_exec(sql, cause) != 0) {
			free(sql);
			store_sqlite_exec("ROLLBACK", NULL);
			return (-1);
		}
		free(sql);
		log_info("store: schema now at version %d", version + 1);
	}
	return (0);
}

/* Open DIR/strangerd.db, creating it, and migrate it. */
static int
store_sqlite_open(const char *dir, char **cause)
{
	char	*path, *why = NULL;
	mode_t	 old;
	int	 rc = -1;

	xasprintf(&path, "%s/%s", dir, SQLITE_FILE);
	/* SQLite gives the -wal and -shm files the database's mode. */
	old = umask(077);
	/*
	 * This runs as root, in a directory the daemon's user owns: a
	 * symbolic link planted there must not make root create or write
	 * a file elsewhere.  NOFOLLOW refuses one as the database; SQLite
	 * opens the -wal, -shm and -journal files with O_NOFOLLOW itself.
	 */
	if (sqlite3_open_v2(path, &sqlite_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		umask(old);
		if (sqlite_db != NULL && sqlite3_extended_errcode(sqlite_db) ==
		    SQLITE_CANTOPEN_SYMLINK)
			xasprintf(cause, "%s is a symbolic link: refused",
			    path);
		else
			xasprintf(cause, "%s: %s", path, sqlite_db != NULL ?
			    sqlite3_errmsg(sqlite_db) : "out of memory");
		goto out;
	}
	umask(old);
	sqlite3_busy_timeout(sqlite_db, SQLITE_BUSY_MS);
	/*
	 * secure_delete: purged evidence is overwritten, not left in free
	 * pages of the file.
	 */
	if (store_sqlite_exec("PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; "
	    "PRAGMA foreign_keys = ON;", &why) != 0 ||
	    store_sqlite_migrate(&why) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		goto out;
	}
	log_info("store: %s open", path);
	rc = 0;
out:
	if (rc != 0)
		store_sqlite_close();
	free(why);
	free(path);
	return (rc);
}

static void
store_sqlite_close(void)
{
	if (sqlite_db != NULL && sqlite3_close(sqlite_db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(sqlite_db));
	sqlite_db = NULL;
}

static int
store_sqlite_begin(char **cause)
{
	return (store_sqlite_exec("BEGIN IMMEDIATE", cause));
}

static int
store_sqlite_in_transaction(void)
{
	return (!sqlite3_get_autocommit(sqlite_db));
}

/*
 * Prepare SQL written with $1, $2...: SQLite reads "$1" as a parameter
 * named "$1", numbered by first appearance, so a statement that used
 * $2 before $1 would bind the wrong values.  ?1, ?2... are numbered by
 * what they say, as in PostgreSQL.  The store's SQL holds no $ in a
 * string literal.
 */
static struct store_q *
store_sqlite_prepare(const char *sql)
{
	sqlite3_stmt	*st = NULL;
	char		*copy, *p;

	copy = xstrdup(sql);
	for (p = copy; *p != '\0'; p++)
		if (p[0] == '$' && isdigit((u_char)p[1]))
			*p = '?';
	if (sqlite3_prepare_v3(sqlite_db, copy, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK)
		st = NULL;
	free(copy);
	return ((struct store_q *)st);
}

static void
store_sqlite_finalize(struct store_q *q)
{
	sqlite3_finalize((sqlite3_stmt *)q);
}

static void
store_sqlite_bind_text(struct store_q *q, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null((sqlite3_stmt *)q, i);
	else
		sqlite3_bind_text((sqlite3_stmt *)q, i, s, -1,
		    SQLITE_TRANSIENT);
}

static void
store_sqlite_bind_int(struct store_q *q, int i, int64_t v)
{
	sqlite3_bind_int64((sqlite3_stmt *)q, i, (sqlite3_int64)v);
}

static int
store_sqlite_step(struct store_q *q)
{
	switch (sqlite3_step((sqlite3_stmt *)q)) {
	case SQLITE_ROW:
		return (STORE_ROW);
	case SQLITE_DONE:
		return (STORE_DONE);
	}
	return (-1);
}

static void
store_sqlite_reset(struct store_q *q)
{
	sqlite3_reset((sqlite3_stmt *)q);
	sqlite3_clear_bindings((sqlite3_stmt *)q);
}

static const char *
store_sqlite_col_text(struct store_q *q, int col)
{
	return ((const char *)sqlite3_column_text((sqlite3_stmt *)q, col));
}

static int64_t
store_sqlite_col_int(struct store_q *q, int col)
{
	return (sqlite3_column_int64((sqlite3_stmt *)q, col));
}

/* Rows the last finished statement changed. */
static int64_t
store_sqlite_changes(struct store_q *q)
{
	(void)q;
	return (sqlite3_changes(sqlite_db));
}

static const char *
store_sqlite_error(void)
{
	return (sqlite_db != NULL ? sqlite3_errmsg(sqlite_db) : "not open");
}
