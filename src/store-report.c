/*
 * Reports, on the store thread: a visitor's /report with its evidence,
 * the automatic ban after enough reports from distinct networks, the
 * moderators' queue (list, dismiss, action) and the retention purge.
 * Every moderator action and automatic ban goes to the audit log.
 *
 * The automatic ban must not be a weapon: anyone can report anyone,
 * and one person can come back with a fresh SSH key or a neighbouring
 * address as often as they like.  So a report counts only if the
 * evidence holds a line the reported visitor said (so the reporter
 * really talked with them) and it has not been dismissed; reporters
 * count by network (store_conf.report_prefix4/6: an IPv4 /24, an IPv6
 * /48), never by key or address; a report from the reported visitor's
 * own network counts for nothing (their flatmate, or an attacker
 * behind the same NAT); and the ban itself is narrow and short: the
 * key if the visitor had one, else that one address, for
 * store_conf.report_ban.  strangerd.conf(5) says what is left.
 *
 * Evidence is the only chat content strangerd ever writes down; it is
 * purged store_conf.retention seconds after the report, with closed
 * reports as a whole.
 *
 * Owns: the report statements.  store_report_submit() and the free
 * functions may be called from any thread; the rest runs on the store
 * thread.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strangerd.h"
#include "store.h"

static struct store_q	*stmt_insert;
static struct store_q	*stmt_by_key;
static struct store_q	*stmt_by_addr;
static struct store_q	*stmt_banned;
static struct store_q	*stmt_list;
static struct store_q	*stmt_set;
static struct store_q	*stmt_status;
static struct store_q	*stmt_purge_evidence;
static struct store_q	*stmt_purge_closed;
static struct store_q	*stmt_counts;

static const char *const report_status_names[] = {
	"open", "dismissed", "actioned"
};

static int	 store_report_autoban(const struct report *, time_t, int *);
static int	 store_report_count(struct store_q *, const char *, time_t,
		     const char *);
static int	 store_report_net(const char *, char *, size_t);
static int	 store_report_said(const char *);
static void	 store_report_who(struct store_q *, int, char *, size_t);
static void	 store_report_clip(char **, size_t, int);
static void	 identity_free(struct identity *);

/* Free what an identity owns. */
static void
identity_free(struct identity *id)
{
	free(id->addr);
	free(id->key);
	free(id->transport);
	id->addr = id->key = id->transport = NULL;
}

/* Free a report. */
void
report_free(struct report *rp)
{
	if (rp == NULL)
		return;
	identity_free(&rp->reporter);
	identity_free(&rp->reported);
	free(rp->reason);
	free(rp->evidence);
	free(rp);
}

/* Hand a filled report to the store, from any thread; takes rp over. */
void
store_report_submit(struct report *rp)
{
	struct store_req	*r;

	r = store_req_new(STORE_REPORT_ADD, "visitor");
	r->ret = rp->ret;
	r->report = rp;
	store_request(r);
}

/*
 * The statements, prepared once; one SQL text serves SQLite and
 * PostgreSQL (store.h), hence IS DISTINCT FROM and the CASE in a sum.
 */
static const struct store_stmt report_stmts[] = {
	{ &stmt_insert, "INSERT INTO reports (created, reporter_addr, "
	    "reporter_key, reporter_transport, reported_addr, "
	    "reported_key, reported_transport, reason, evidence, "
	    "reporter_net, reported_said) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "RETURNING id" },
#define REPORT_COUNTS \
	"AND created > $2 AND reported_said > 0 AND status != 'dismissed' " \
	"AND reporter_net IS NOT NULL AND reporter_net IS DISTINCT FROM $3"
	{ &stmt_by_key, "SELECT count(DISTINCT reporter_net) FROM reports "
	    "WHERE reported_key = $1 " REPORT_COUNTS },
	{ &stmt_by_addr, "SELECT count(DISTINCT reporter_net) FROM reports "
	    "WHERE reported_key IS NULL AND reported_addr = $1 "
	    REPORT_COUNTS },
	{ &stmt_banned, "SELECT 1 FROM bans WHERE target = $1 AND "
	    "(expires IS NULL OR expires > $2)" },
	{ &stmt_list, "SELECT id, created, status, reporter_transport, "
	    "reporter_addr, reporter_key, reported_transport, "
	    "reported_addr, reported_key, reason, evidence, closed_by "
	    "FROM reports ORDER BY status = 'open' DESC, "
	    "created DESC, id DESC LIMIT 500" },
	{ &stmt_set, "UPDATE reports SET status = $1, closed = $2, "
	    "closed_by = $3 WHERE id = $4 AND status = 'open'" },
	{ &stmt_status, "SELECT status FROM reports WHERE id = $1" },
	{ &stmt_purge_evidence, "UPDATE reports SET evidence = NULL "
	    "WHERE evidence IS NOT NULL AND created < $1" },
	{ &stmt_purge_closed, "DELETE FROM reports WHERE status != "
	    "'open' AND created < $1" },
	{ &stmt_counts, "SELECT count(*), coalesce(sum(CASE WHEN status = "
	    "'open' THEN 1 ELSE 0 END), 0) FROM reports" },
};

int
store_report_prepare(void)
{
	return (store_prepare(report_stmts,
	    sizeof report_stmts / sizeof *report_stmts));
}

void
store_report_finalize(void)
{
	store_finalize(report_stmts,
	    sizeof report_stmts / sizeof *report_stmts);
}

/*
 * Keep a string within max bytes, on a UTF-8 boundary: the start of a
 * reason, the end of the evidence (the latest lines matter most).
 */
static void
store_report_clip(char **sp, size_t max, int keep_end)
{
	char	*s = *sp, *p;
	size_t	 len;

	if (s == NULL || (len = strlen(s)) <= max)
		return;
	if (keep_end) {
		p = s + (len - max);
		while (*p != '\0' && ((u_char)*p & 0xc0) == 0x80)
			p++;
		*sp = xstrdup(p);
		free(s);
		return;
	}
	while (max > 0 && ((u_char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/*
 * The network an address belongs to for the automatic ban, "a.b.c.0/24"
 * or "2001:db8:1::/48"; an IPv4-mapped IPv6 address is its IPv4 one.
 * -1 if addr is not an address.
 */
static int
store_report_net(const char *addr, char *buf, size_t size)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	uint32_t	 mask;
	u_int		 bits, i;
	int		 af = AF_INET6;
	void		*a = &a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, addr, &a6) != 1)
		return (-1);
	else if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], sizeof a4);
		af = AF_INET;
	}
	if (af == AF_INET) {
		bits = store_conf.report_prefix4;
		mask = bits == 0 ? 0 : htonl(~0U << (32 - bits));
		a4.s_addr &= mask;
		a = &a4;
	} else {
		bits = store_conf.report_prefix6;
		for (i = 0; i < 16; i++) {
			if (i * 8 >= bits)
				a6.s6_addr[i] = 0;
			else if (i * 8 + 8 > bits)
				a6.s6_addr[i] &= 0xff << (8 - (bits - i * 8));
		}
	}
	if (inet_ntop(af, a, buf, (socklen_t)size) == NULL)
		return (-1);
	i = strlen(buf);
	snprintf(buf + i, size - i, "/%u", bits);
	return (0);
}

/*
 * Lines of the evidence that the reported visitor said: session-report.c
 * starts each of theirs with "reported: ", and a sanitised line holds
 * no newline, so a reporter cannot forge one.  Counted before the
 * evidence is clipped, when every line is whole.
 */
static int
store_report_said(const char *ev)
{
	static const char	 tag[] = "reported: ";
	int			 n = 0;

	while (ev != NULL && *ev != '\0') {
		if (strncmp(ev, tag, sizeof tag - 1) == 0)
			n++;
		if ((ev = strchr(ev, '\n')) != NULL)
			ev++;
	}
	return (n);
}

/*
 * Reporting networks that count against an identity since a time:
 * those other than its own (net, may be NULL) whose reports hold a
 * line it said and were not dismissed.
 */
static int
store_report_count(struct store_q *st, const char *who, time_t since,
    const char *net)
{
	int	n = -1;

	store_bind_text(st, 1, who);
	store_bind_int(st, 2, (int64_t)since);
	store_bind_text(st, 3, net);
	if (store_step(st) == STORE_ROW)
		n = (int)store_col_int(st, 0);
	store_reset(st);
	return (n);
}

/*
 * After a report: has the reported identity (its key if it had one,
 * else its address) been reported from enough networks within the
 * window (store_report_count says which reports count)?  Then ban that
 * identity alone for a while, unless a ban already holds.  Inside the
 * caller's transaction; *banned says whether it banned.
 */
static int
store_report_autoban(const struct report *rp, time_t now, int *banned)
{
	struct ban_target	 t;
	const char		*who, *netp = NULL;
	char			*cause = NULL, reason[128], net[64];
	int			 n, exists;

	*banned = 0;
	if (store_conf.report_threshold == 0 || rp->reported.addr == NULL)
		return (0);
	if (store_report_net(rp->reported.addr, net, sizeof net) == 0)
		netp = net;
	if (rp->reported.key != NULL) {
		who = rp->reported.key;
		n = store_report_count(stmt_by_key, who,
		    now - store_conf.report_window, netp);
	} else {
		who = rp->reported.addr;
		n = store_report_count(stmt_by_addr, who,
		    now - store_conf.report_window, netp);
	}
	if (n < 0)
		return (-1);
	if ((u_int)n < store_conf.report_threshold)
		return (0);
	if (ban_parse(who, &t, &cause) != 0) {
		log_warnx("store: cannot ban reported %s: %s", who, cause);
		free(cause);
		return (0);
	}
	store_bind_text(stmt_banned, 1, t.text);
	store_bind_int(stmt_banned, 2, (int64_t)now);
	exists = store_step(stmt_banned) == STORE_ROW;
	store_reset(stmt_banned);
	if (exists)
		return (0);
	snprintf(reason, sizeof reason, "automatic: reported from %d "
	    "networks within %u minutes", n, store_conf.report_window / 60);
	if (store_ban_insert(&t, reason, store_conf.report_ban, "auto",
	    "autoban") != 0)
		return (-1);
	log_info("store: automatic ban on %s: %s", t.text, reason);
	metrics_inc(METRIC_BANS);
	*banned = 1;
	return (0);
}

/*
 * A visitor's /report: store it, maybe ban, commit, and only then tell
 * the reporter (their session thanks them, or says it was not saved).
 */
void
store_report_add(struct store_req *r)
{
	struct report	*rp = r->report;
	time_t		 now = time(NULL);
	char		*cause = NULL, net[64];
	int64_t		 id = 0;
	int		 rc, banned = 0, said;

	if (rp == NULL || rp->reporter.addr == NULL)
		return;
	said = store_report_said(rp->evidence);
	store_report_clip(&rp->reason, REPORT_REASON_MAX, 0);
	store_report_clip(&rp->evidence, REPORT_EVIDENCE_MAX, 1);
	if (store_begin(&cause) != 0)
		goto fail;
	store_bind_int(stmt_insert, 1, (int64_t)now);
	store_bind_text(stmt_insert, 2, rp->reporter.addr);
	store_bind_text(stmt_insert, 3, rp->reporter.key);
	store_bind_text(stmt_insert, 4, rp->reporter.transport != NULL ?
	    rp->reporter.transport : "?");
	store_bind_text(stmt_insert, 5, rp->reported.addr);
	store_bind_text(stmt_insert, 6, rp->reported.key);
	store_bind_text(stmt_insert, 7, rp->reported.transport);
	store_bind_text(stmt_insert, 8, rp->reason != NULL ? rp->reason : "");
	store_bind_text(stmt_insert, 9, rp->evidence != NULL ?
	    rp->evidence : "");
	if (store_report_net(rp->reporter.addr, net, sizeof net) == 0)
		store_bind_text(stmt_insert, 10, net);
	store_bind_int(stmt_insert, 11, said);
	/* RETURNING: the id first, then the end of the statement. */
	if ((rc = store_step(stmt_insert)) == STORE_ROW) {
		id = store_col_int(stmt_insert, 0);
		rc = store_step(stmt_insert);
	}
	store_reset(stmt_insert);
	if (rc != STORE_DONE ||
	    store_report_autoban(rp, now, &banned) != 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (store_commit(&cause) != 0)
		goto fail;
	log_info("store: report %lld on %s%s%s", (long long)id,
	    rp->reported.addr != NULL ?
	    rp->reported.addr : "(gone)", rp->reported.key != NULL ? " " : "",
	    rp->reported.key != NULL ? rp->reported.key : "");
	reply_post(&r->ret, 0, NULL, NULL);
	if (banned)
		store_ban_publish();
	return;
fail:
	log_warnx("store: report not saved: %s", cause);
	reply_post(&r->ret, 1, cause, NULL);
}

/* "ssh 192.0.2.1 SHA256:..." from three columns. */
static void
store_report_who(struct store_q *st, int col, char *buf, size_t size)
{
	const char	*transport, *addr, *key;

	transport = store_col_text(st, col);
	addr = store_col_text(st, col + 1);
	key = store_col_text(st, col + 2);
	if (addr == NULL) {
		snprintf(buf, size, "(unknown)");
		return;
	}
	snprintf(buf, size, "%s %s%s%s", transport != NULL ? transport : "?",
	    addr, key != NULL ? " " : "", key != NULL ? key : "");
}

/* strangerctl reports: open ones first, newest first, with evidence. */
void
store_report_list(struct store_req *r)
{
	const char	*f[RCOL_N], *s;
	char		*rows = NULL, id[32], when[32], reporter[160];
	char		 reported[160], status[64];
	size_t		 len = 0;
	int		 rc;

	while ((rc = store_step(stmt_list)) == STORE_ROW) {
		snprintf(id, sizeof id, "%lld",
		    (long long)store_col_int(stmt_list, 0));
		store_fmt_time((time_t)store_col_int(stmt_list, 1),
		    when, sizeof when);
		s = store_col_text(stmt_list, 2);
		snprintf(status, sizeof status, "%s", s != NULL ? s : "?");
		store_report_who(stmt_list, 3, reporter, sizeof reporter);
		store_report_who(stmt_list, 6, reported, sizeof reported);
		f[RCOL_ID] = id;
		f[RCOL_TIME] = when;
		f[RCOL_STATUS] = status;
		f[RCOL_REPORTER] = reporter;
		f[RCOL_REPORTED] = reported;
		s = store_col_text(stmt_list, 9);
		f[RCOL_REASON] = s != NULL ? s : "";
		s = store_col_text(stmt_list, 10);
		f[RCOL_EVIDENCE] = s != NULL ? s : "(purged)";
		table_append(&rows, &len, TABLE_REPORTS, f);
	}
	store_reset(stmt_list);
	if (rc != STORE_DONE) {
		free(rows);
		reply_post(&r->ret, 1, xstrdup(store_error()), NULL);
		return;
	}
	reply_post(&r->ret, 0, NULL, rows);
}

/* strangerctl report dismiss|action ID. */
void
store_report_set(struct store_req *r)
{
	const char	*name = report_status_names[r->status], *old;
	char		*cause = NULL, *text, id[32];
	int		 changed;

	snprintf(id, sizeof id, "%lld", (long long)r->id);
	if (store_begin(&cause) != 0)
		goto fail;
	store_bind_text(stmt_set, 1, name);
	store_bind_int(stmt_set, 2, (int64_t)time(NULL));
	store_bind_text(stmt_set, 3, r->who);
	store_bind_int(stmt_set, 4, r->id);
	if ((changed = store_run(stmt_set)) < 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (changed == 0) {
		store_rollback();
		store_bind_int(stmt_status, 1, r->id);
		if (store_step(stmt_status) == STORE_ROW) {
			old = store_col_text(stmt_status, 0);
			xasprintf(&cause, "report %s is already %s", id,
			    old != NULL ? old : "closed");
		} else
			xasprintf(&cause, "no report %s", id);
		store_reset(stmt_status);
		reply_post(&r->ret, 1, cause, NULL);
		return;
	}
	if (store_audit(r->who, r->status == REPORT_DISMISSED ?
	    "report dismiss" : "report action", id, "") != 0) {
		xasprintf(&cause, "%s", store_error());
		store_rollback();
		goto fail;
	}
	if (store_commit(&cause) != 0)
		goto fail;
	xasprintf(&text, "report %s %s", id, name);
	log_info("store: %s: %s", r->who, text);
	reply_post(&r->ret, 0, text, NULL);
	return;
fail:
	reply_post(&r->ret, 1, cause, NULL);
}

/* The store's part of strangerctl stats. */
void
store_report_stats(struct store_req *r)
{
	struct reply	*rp;

	rp = reply_new(0, NULL, NULL);
	rp->counts[STAT_BANS] = (uint64_t)store_ban_count(time(NULL));
	if (store_step(stmt_counts) == STORE_ROW) {
		rp->counts[STAT_REPORTS_OPEN] =
		    (uint64_t)(int)store_col_int(stmt_counts, 1);
		rp->counts[STAT_REPORTS] =
		    (uint64_t)(int)store_col_int(stmt_counts, 0);
	}
	store_reset(stmt_counts);
	reply_send(&r->ret, rp);
}

/*
 * Retention: evidence older than the period goes, and so do closed
 * reports.  Open reports keep their row (the queue) without evidence.
 * Returns how many reports were changed or deleted.
 */
int
store_report_purge(time_t now)
{
	time_t	cutoff = now - (time_t)store_conf.retention;
	int	evidence = 0, closed = 0;

	if (store_conf.retention == 0)
		return (0);
	store_bind_int(stmt_purge_evidence, 1, (int64_t)cutoff);
	if ((evidence = (int)store_run(stmt_purge_evidence)) < 0) {
		log_warnx("store: purge: %s", store_error());
		evidence = 0;
	}
	store_bind_int(stmt_purge_closed, 1, (int64_t)cutoff);
	if ((closed = (int)store_run(stmt_purge_closed)) < 0) {
		log_warnx("store: purge: %s", store_error());
		closed = 0;
	}
	if (evidence > 0 || closed > 0)
		log_info("store: retention: evidence of %d reports and %d "
		    "closed reports purged", evidence, closed);
	return (evidence + closed);
}
