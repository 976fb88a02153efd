/*
 * strangerd -M: copy the SQLite store in the state directory (bans,
 * reports with their evidence, the audit log) into the PostgreSQL
 * store that strangerd.conf names, in one transaction, then exit.
 *
 * Safe to run again: a ban already there (by target) or a report or
 * audit entry already there (by id) is left as it is, so a second run
 * copies only what the first did not.  Reports and audit entries keep
 * their ids, which moderators may have noted; so the move belongs
 * before the nodes start using the PostgreSQL database, and the ids
 * PostgreSQL hands out next are moved past the copied ones.
 *
 * Both backends are open at once: their states are separate, and the
 * source is read through store_sqlite's table directly while the
 * store_*() calls go to PostgreSQL.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strangerd.h"
#include "store.h"

/* A table to copy: its columns, and what makes a row "already there". */
struct store_move_table {
	const char	*name;
	const char	*columns;
	u_int		 ncolumns;
	const char	*conflict;
	int		 serial;	/* ids kept: move PostgreSQL's on */
};

static const struct store_move_table store_move_tables[] = {
	/* A ban's id is only what bans shows: PostgreSQL gives its own. */
	{ "bans", "target, kind, reason, created, expires, who", 6,
	  "(target)", 0 },
	{ "reports", "id, created, reporter_addr, reporter_key, "
	  "reporter_transport, reported_addr, reported_key, "
	  "reported_transport, reason, evidence, status, closed, closed_by, "
	  "reporter_net, reported_said", 15, "(id)", 1 },
	{ "audit", "id, time, who, action, target, detail", 6, "(id)", 1 },
};
#define STORE_MOVE_NTABLES \
	(sizeof store_move_tables / sizeof *store_move_tables)

static int	store_move_table(const struct store_move_table *, u_int *,
		    u_int *, char **);
static int	store_move_sql(const char *, char **);

/* Run one statement without parameters on PostgreSQL. */
static int
store_move_sql(const char *sql, char **cause)
{
	struct store_q	*q;
	int		 rc;

	if ((q = store_pg.prepare(sql)) == NULL) {
		xasprintf(cause, "%s", store_error());
		return (-1);
	}
	while ((rc = store_step(q)) == STORE_ROW)
		;
	if (rc != STORE_DONE)
		xasprintf(cause, "%s", store_error());
	store_reset(q);
	store_pg.finalize(q);
	return (rc == STORE_DONE ? 0 : -1);
}

/* Copy one table's rows that PostgreSQL does not have. */
static int
store_move_table(const struct store_move_table *t, u_int *copied,
    u_int *kept, char **cause)
{
	struct store_q	*from = NULL, *to = NULL;
	char		*sql = NULL, *params = NULL, *tmp;
	u_int		 i;
	int		 rc = -1, step;

	*copied = *kept = 0;
	xasprintf(&sql, "SELECT %s FROM %s ORDER BY rowid", t->columns,
	    t->name);
	if ((from = store_sqlite.prepare(sql)) == NULL) {
		xasprintf(cause, "SQLite: %s", store_sqlite.error());
		goto out;
	}
	for (i = 1; i <= t->ncolumns; i++) {
		xasprintf(&tmp, "%s%s$%u", params != NULL ? params : "",
		    i > 1 ? ", " : "", i);
		free(params);
		params = tmp;
	}
	free(sql);
	xasprintf(&sql, "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT %s "
	    "DO NOTHING", t->name, t->columns, params, t->conflict);
	if ((to = store_pg.prepare(sql)) == NULL) {
		xasprintf(cause, "%s", store_error());
		goto out;
	}
	while ((step = store_sqlite.step(from)) == STORE_ROW) {
		for (i = 0; i < t->ncolumns; i++)
			store_bind_text(to, (int)i + 1,
			    store_sqlite.col_text(from, (int)i));
		if (store_step(to) != STORE_DONE) {
			xasprintf(cause, "%s: %s", t->name, store_error());
			goto out;
		}
		if (store_changes(to) > 0)
			(*copied)++;
		else
			(*kept)++;
		store_reset(to);
	}
	if (step != STORE_DONE) {
		xasprintf(cause, "SQLite: %s", store_sqlite.error());
		goto out;
	}
	free(sql);
	sql = NULL;
	if (t->serial) {
		xasprintf(&sql, "SELECT setval(pg_get_serial_sequence('%s', "
		    "'id'), coalesce(max(id), 0) + 1, false) FROM %s",
		    t->name, t->name);
		if (store_move_sql(sql, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	if (from != NULL)
		store_sqlite.finalize(from);
	if (to != NULL) {
		store_reset(to);
		store_pg.finalize(to);
	}
	free(params);
	free(sql);
	return (rc);
}

/*
 * Move DIR/strangerd.db into the PostgreSQL store at uri; 0 on success.
 * Says what it did on stderr.
 */
int
store_move(const char *dir, const char *uri)
{
	char	*path, *cause = NULL;
	u_int	 i, copied, kept;
	int	 rc = -1, sqlite_open = 0;

	xasprintf(&path, "%s/strangerd.db", dir);
	if (uri == NULL) {
		log_warnx("store: -M needs store postgresql://... in "
		    "strangerd.conf(5)");
		goto out;
	}
	/* Opening would create an empty one: there is nothing to move. */
	if (access(path, F_OK) != 0) {
		log_warn("store: %s", path);
		goto out;
	}
	if (store_sqlite.open(dir, &cause) != 0) {
		log_warnx("store: %s", cause);
		goto out;
	}
	sqlite_open = 1;
	if (store_open(dir, uri) != 0)
		goto out;
	if (store_begin(&cause) != 0)
		goto fail;
	for (i = 0; i < STORE_MOVE_NTABLES; i++) {
		if (store_move_table(&store_move_tables[i], &copied, &kept,
		    &cause) != 0) {
			store_rollback();
			goto fail;
		}
		log_info("store: %s: %u copied, %u already there",
		    store_move_tables[i].name, copied, kept);
	}
	if (store_commit(&cause) != 0)
		goto fail;
	log_info("store: %s moved into PostgreSQL", path);
	rc = 0;
	goto out;
fail:
	log_warnx("store: move: %s", cause);
out:
	store_stop();
	if (sqlite_open)
		store_sqlite.close();
	free(cause);
	free(path);
	return (rc);
}
