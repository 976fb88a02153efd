/*
 * The ban table, on the store thread: add, remove, list, expire, and
 * the snapshot (ban.c's struct banlist) built after every change and
 * sent to each worker.
 *
 * Owns: the ban statements.  Runs only on the store thread (and in
 * store_open, on the main thread before the store thread exists).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strangerd.h"
#include "store.h"

static struct store_q	*stmt_upsert;
static struct store_q	*stmt_delete;
static struct store_q	*stmt_active;
static struct store_q	*stmt_expire;
static struct store_q	*stmt_count;
static struct store_q	*stmt_target;

static const char	*store_ban_kind(enum ban_kind);
static int		 store_ban_row(struct store_q *, struct ban *);
static int		 store_ban_target(struct store_req *, char **);

/*
 * The statements, prepared once: they live as long as the connection.
 * One SQL text serves SQLite and PostgreSQL (store.h).
 */
static const struct store_stmt ban_stmts[] = {
	{ &stmt_upsert, "INSERT INTO bans (target, kind, reason, created, "
	    "expires, who) VALUES ($1, $2, $3, $4, $5, $6) "
	    "ON CONFLICT (target) DO UPDATE SET kind = excluded.kind, "
	    "reason = excluded.reason, created = excluded.created, "
	    "expires = excluded.expires, who = excluded.who" },
	{ &stmt_delete, "DELETE FROM bans WHERE target = $1" },
	{ &stmt_active, "SELECT id, target, reason, created, expires, who "
	    "FROM bans WHERE expires IS NULL OR expires > $1 "
	    "ORDER BY created, id" },
	{ &stmt_expire, "DELETE FROM bans WHERE expires IS NOT NULL "
	    "AND expires <= $1" },
	{ &stmt_count, "SELECT count(*) FROM bans WHERE expires IS NULL OR "
	    "expires > $1" },
	{ &stmt_target, "SELECT target FROM bans WHERE id = $1" },
};

int
store_ban_prepare(void)
{
	return (store_prepare(ban_stmts, sizeof ban_stmts / sizeof *ban_stmts));
}

void
store_ban_finalize(void)
{
	store_finalize(ban_stmts, sizeof ban_stmts / sizeof *ban_stmts);
}

/* The kind as the table spells it. */
static const char *
store_ban_kind(enum ban_kind kind)
{
	switch (kind) {
	case BAN_ADDR:
		return ("address");
	case BAN_CIDR:
		return ("cidr");
	case BAN_KEY:
		return ("key");
	}
	return ("?");
}

/*
 * Add or replace a ban, inside the caller's transaction, with its audit
 * entry.  Returns 0 or -1.
 */
int
store_ban_insert(const struct ban_target *t, const char *reason,
    time_t duration, const char *who, const char *action)
{
	time_t	 now = time(NULL);
	char	 detail[REPORT_REASON_MAX + 128], left[32];

	store_bind_text(stmt_upsert, 1, t->text);
	store_bind_text(stmt_upsert, 2, store_ban_kind(t->kind));
	store_bind_text(stmt_upsert, 3, reason);
	store_bind_int(stmt_upsert, 4, (int64_t)now);
	if (duration > 0)
		store_bind_int(stmt_upsert, 5, (int64_t)(now + duration));
	else
		store_bind_text(stmt_upsert, 5, NULL);
	store_bind_text(stmt_upsert, 6, who);
	if (store_run(stmt_upsert) < 0)
		return (-1);
	if (duration > 0)
		ban_format_duration(duration, left, sizeof left);
	else
		snprintf(left, sizeof left, "permanent");
	snprintf(detail, sizeof detail, "%s; %s", left, reason);
	return (store_audit(who, action, t->text, detail));
}

/* strangerctl ban: write it, commit, answer, then tell the workers. */
void
store_ban_add(struct store_req *r)
{
	char	*cause = NULL, *text, until[32];

	if (store_begin(&cause) != 0)
		goto fail;
	if (store_ban_insert(&r->target, r->reason != NULL ? r->reason : "",
	    r->duration, r->who, "ban") != 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (store_commit(&cause) != 0)
		goto fail;
	if (r->duration > 0) {
		store_fmt_time(time(NULL) + r->duration, until, sizeof until);
		xasprintf(&text, "banned %s until %s", r->target.text, until);
	} else
		xasprintf(&text, "banned %s", r->target.text);
	log_info("store: %s: %s", r->who, text);
	metrics_inc(METRIC_BANS);
	/* The list first: admin.c's ADMIN_SYNC barrier relies on it. */
	store_ban_publish();
	reply_post(&r->ret, 0, text, NULL);
	return;
fail:
	log_warnx("store: ban %s: %s", r->target.text, cause);
	reply_post(&r->ret, 1, cause, NULL);
}

/* An unban by the id bans shows: the target it names; -1 if none. */
static int
store_ban_target(struct store_req *r, char **cause)
{
	const char	*target;
	int		 rc = -1;

	store_bind_int(stmt_target, 1, r->id);
	if (store_step(stmt_target) == STORE_ROW &&
	    (target = store_col_text(stmt_target, 0)) !=
	    NULL) {
		snprintf(r->target.text, sizeof r->target.text, "%s", target);
		rc = 0;
	} else
		xasprintf(cause, "no ban %lld", (long long)r->id);
	store_reset(stmt_target);
	return (rc);
}

/* strangerctl unban, by target or by id. */
void
store_ban_del(struct store_req *r)
{
	char	*cause = NULL, *text;
	int	 changed;

	if (r->id > 0 && store_ban_target(r, &cause) != 0) {
		reply_post(&r->ret, 1, cause, NULL);
		return;
	}
	if (store_begin(&cause) != 0)
		goto fail;
	store_bind_text(stmt_delete, 1, r->target.text);
	if ((changed = store_run(stmt_delete)) < 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (changed == 0) {
		store_rollback();
		xasprintf(&cause, "%s is not banned", r->target.text);
		reply_post(&r->ret, 1, cause, NULL);
		return;
	}
	if (store_audit(r->who, "unban", r->target.text, "") != 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (store_commit(&cause) != 0)
		goto fail;
	xasprintf(&text, "unbanned %s", r->target.text);
	log_info("store: %s: %s", r->who, text);
	/* The list first: admin.c's ADMIN_SYNC barrier relies on it. */
	store_ban_publish();
	reply_post(&r->ret, 0, text, NULL);
	return;
fail:
	log_warnx("store: unban %s: %s", r->target.text, cause);
	reply_post(&r->ret, 1, cause, NULL);
}

/* Read one row of stmt_active into a ban. */
static int
store_ban_row(struct store_q *st, struct ban *b)
{
	const char	*target, *reason, *who;
	char		*cause = NULL;

	memset(b, 0, sizeof *b);
	b->id = store_col_int(st, 0);
	target = store_col_text(st, 1);
	if (target == NULL || ban_parse(target, &b->target, &cause) != 0) {
		log_warnx("store: ban %lld: %s", (long long)b->id,
		    cause != NULL ? cause : "no target");
		free(cause);
		return (-1);
	}
	reason = store_col_text(st, 2);
	who = store_col_text(st, 5);
	b->reason = xstrdup(reason != NULL ? reason : "");
	b->who = xstrdup(who != NULL ? who : "");
	b->created = (time_t)store_col_int(st, 3);
	if (!store_col_null(st, 4))
		b->expires = (time_t)store_col_int(st, 4);
	return (0);
}

/* Build a ban list of the bans in force at now; NULL on error. */
struct banlist *
store_ban_load(time_t now)
{
	struct ban	*bans = NULL;
	u_int		 n = 0, size = 0;
	int		 rc;

	store_bind_int(stmt_active, 1, (int64_t)now);
	while ((rc = store_step(stmt_active)) == STORE_ROW) {
		if (n == size) {
			size = size ? size * 2 : 16;
			bans = xreallocarray(bans, size, sizeof *bans);
		}
		if (store_ban_row(stmt_active, &bans[n]) == 0)
			n++;
	}
	store_reset(stmt_active);
	if (rc != STORE_DONE) {
		log_warnx("store: loading bans: %s", store_error());
		while (n > 0)
			ban_free_fields(&bans[--n]);
		free(bans);
		return (NULL);
	}
	return (banlist_new(bans, n));
}

/* Delete the bans that have run out; returns how many. */
int
store_ban_expire(time_t now)
{
	int	n;

	store_bind_int(stmt_expire, 1, (int64_t)now);
	if ((n = (int)store_run(stmt_expire)) < 0) {
		log_warnx("store: expiring bans: %s", store_error());
		return (0);
	}
	if (n > 0)
		log_info("store: %d bans expired", n);
	return (n);
}

/* Bans in force. */
int
store_ban_count(time_t now)
{
	int	n = 0;

	store_bind_int(stmt_count, 1, (int64_t)now);
	if (store_step(stmt_count) == STORE_ROW)
		n = (int)store_col_int(stmt_count, 0);
	store_reset(stmt_count);
	return (n);
}

/*
 * Send every worker the new ban list, one reference each; a worker
 * drops its old list and ends the sessions the new one covers.
 */
void
store_ban_publish(void)
{
	struct banlist	*bl;

	if ((bl = store_ban_load(time(NULL))) == NULL)
		return;
	store_send_bans(bl);
	banlist_unref(bl);
}

/* strangerctl bans: the bans in force, oldest first. */
void
store_ban_list(struct store_req *r)
{
	const char	*f[BCOL_N];
	struct ban	 b;
	char		*rows = NULL, id[32], created[32], expires[32];
	size_t		 len = 0;
	int		 rc;

	store_bind_int(stmt_active, 1, (int64_t)time(NULL));
	while ((rc = store_step(stmt_active)) == STORE_ROW) {
		if (store_ban_row(stmt_active, &b) != 0)
			continue;
		snprintf(id, sizeof id, "%lld", (long long)b.id);
		store_fmt_time(b.created, created, sizeof created);
		if (b.expires != 0)
			store_fmt_time(b.expires, expires, sizeof expires);
		else
			snprintf(expires, sizeof expires, "never");
		f[BCOL_ID] = id;
		f[BCOL_TARGET] = b.target.text;
		f[BCOL_KIND] = store_ban_kind(b.target.kind);
		f[BCOL_EXPIRES] = expires;
		f[BCOL_CREATED] = created;
		f[BCOL_BY] = b.who;
		f[BCOL_REASON] = b.reason;
		table_append(&rows, &len, TABLE_BANS, f);
		ban_free_fields(&b);
	}
	store_reset(stmt_active);
	if (rc != STORE_DONE) {
		free(rows);
		reply_post(&r->ret, 1, xstrdup(store_error()), NULL);
		return;
	}
	reply_post(&r->ret, 0, NULL, rows);
}
