/*
 * The moderator console: what a visitor whose verified SSH key is
 * listed in DIR/moderators (moderators.c) gets instead of the chat.
 * Live sessions and pairs, the report queue with evidence, the bans and
 * the counts; ban, unban, kick, dismiss or action a report, and a
 * notice to everyone.  Full screen with a pty (console-view.c draws
 * it), a line-based console without one.
 *
 * It asks exactly as admin.c does for strangerctl, with the same
 * requests (ask.c): store requests (MSG_STORE, struct store_req) for
 * bans, reports, counts and the audit log, worker queries (MSG_QUERY,
 * struct admin_query) for sessions, counts and kicks, MSG_NOTICE
 * through worker_broadcast.  Every request names the moderator's key
 * fingerprint as "who", so the store's audit log says who did what.
 * The reply address is this worker's inbox and the session's handle:
 * the answers (MSG_REPLY) reach console_reply through session_message,
 * or are dropped if the session has gone.
 *
 * Owns: each console (session->console) and its requests.  Runs only
 * on the thread of the worker that owns the session.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strangerd.h"
#include "console.h"
#include "control.h"

/* Requests in flight for one console; an answer is overdue after: */
#define CONSOLE_REQS_MAX	16
#define CONSOLE_REQ_TIMEOUT_MS	15000
/* How often the full-screen console asks again. */
#define CONSOLE_STATS_MS	2000
#define CONSOLE_SESSIONS_MS	2000
#define CONSOLE_TABLE_MS	10000
/* Longest line of text a console shows of one field in line mode. */
#define CONSOLE_PLAIN_FIELD	60
/* Line mode: commands typed ahead that wait for their turn. */
#define CONSOLE_QUEUE_MAX	32
/* The questions a ban asks more than once. */
#define CONSOLE_PROMPT_TARGET	"Ban whom (address, CIDR, SHA256:...): "
#define CONSOLE_PROMPT_DURATION	\
	"For how long (30m, 2h, 7d; Enter: for ever): "

enum console_req_kind {
	CONSOLE_REQ_SESSIONS,
	CONSOLE_REQ_REPORTS,
	CONSOLE_REQ_BANS,
	CONSOLE_REQ_STATS,
	CONSOLE_REQ_ACTION,	/* ban, unban, report: show the answer */
	CONSOLE_REQ_KICK,	/* show the answer, then audit it */
	CONSOLE_REQ_AUDIT,	/* quiet unless it fails */
};

/* One request and the answers gathered so far. */
struct console_req {
	struct ask		 ask;
	enum console_req_kind	 kind;
	int			 print;		/* line mode: print the table */
	uint64_t		 sent;		/* ms */
	char			*target;	/* owned: kick: the session */
	int64_t			 report;	/* ban from the queue: then this */
	struct console_req	*next;
};

static const char *const console_help_lines[] = {
	"Keys: Up/Down, PgUp/PgDn, Home/End move; Tab or 1 2 3 switch",
	"  k  kick the session          b  ban (session, report or typed)",
	"  u  unban the selected ban    d  dismiss   a  action the report",
	"  Enter  a report's evidence   n  notice to everyone",
	"  r  refresh   ?  help   q or Ctrl-C  quit;  Esc cancels",
	"Commands (line mode without the /):",
	"  /ban TARGET [DURATION] [REASON]   /unban TARGET|ID",
	"  /kick ID   /dismiss ID   /action ID   /notice TEXT",
	"  /sessions  /reports  /bans  /stats  /refresh  /help  /quit",
	"TARGET: an address, a CIDR block or SHA256:...; DURATION: 30m, 2h,",
	"7d (none: for ever).",
	NULL
};

static void	 console_write(struct console *, const char *, size_t);
static void	 console_print(struct console *, const char *, ...)
		     printflike(2, 3);
static void	 console_say(struct console *, int, const char *, ...)
		     printflike(3, 4);
static void	 console_changed(struct console *);
static struct console_req *console_req_new(struct console *,
		     enum console_req_kind);
static void	 console_req_free(struct console_req *);
static void	 console_req_done(struct console *, struct console_req *);
static int	 console_busy(struct console *, enum console_req_kind);
static struct store_req *console_store_req(struct console *,
		     enum store_op);
static void	 console_refresh(struct console *, enum console_req_kind,
		     int);
static void	 console_refresh_all(struct console *);
static void	 console_table_set(struct console *, enum console_pane,
		     char *);
static void	 console_table_free(struct console_table *);
static void	 console_table_print(struct console *, enum console_pane);
static void	 console_stats_set(struct console *, struct console_req *);
static void	 console_stats_print(struct console *);
static void	 console_stats_nodes(struct console *, char *);
static void	 console_audit(struct console *, const char *, const char *,
		     const char *);
static void	 console_action_clear(struct console_action *);
static void	 console_run(struct console *);
static void	 console_ban(struct console *, const char *, const char *,
		     const char *, int64_t);
static void	 console_unban(struct console *, const char *);
static void	 console_kick(struct console *, const char *);
static void	 console_report(struct console *, const char *,
		     enum report_status);
static void	 console_notice(struct console *, const char *);
static void	 console_command(struct console *, char *);
static void	 console_line(struct console *, char *);
static void	 console_drain(struct console *);
static void	 console_letter(struct console *, uint32_t);
static void	 console_letter_ban(struct console *,
		     const struct console_table *, u_int, const char *);
static int	 console_letter_row(struct console *, uint32_t,
		     const struct console_table *, u_int, const char *);
static void	 console_letter_any(struct console *, uint32_t);
static void	 console_ask(struct console *, enum console_ask, const char *,
		     ...) printflike(3, 4);
static void	 console_answer(struct console *, char *);
static void	 console_move(struct console *, const struct key *);
static void	 console_pane_show(struct console *, enum console_pane);
static const char *console_reported_target(const char *, char *, size_t);

/* Line mode: bytes to the client, through the session's write path. */
static void
console_write(struct console *c, const char *buf, size_t len)
{
	session_write(c->s, buf, len);
}

/* Line mode: print one line. */
static void
console_print(struct console *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 n;

	va_start(ap, fmt);
	if ((n = vasprintf(&line, fmt, ap)) == -1)
		fatal("vasprintf");
	va_end(ap);
	console_write(c, line, (size_t)n);
	console_write(c, "\r\n", 2);
	free(line);
}

/* Tell the moderator something: the message line, or a printed line. */
static void
console_say(struct console *c, int error, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (c->s->term == NULL) {
		console_print(c, "%s%s", error ? "error: " : "", text);
		free(text);
		return;
	}
	free(c->message);
	c->message = text;
	c->message_error = error;
	console_changed(c);
}

/* The screen needs drawing again. */
static void
console_changed(struct console *c)
{
	if (c->s->term != NULL)
		session_refresh(c->s, 0);
}

/*
 * Give a verified moderator the console: called by session_start for a
 * session whose key moderators.c lists, before anything is drawn.
 */
void
console_new(struct session *s)
{
	struct console	*c;

	c = xcalloc(1, sizeof *c);
	c->s = s;
	c->pane = CONSOLE_SESSIONS;
	s->console = c;
	/* A moderator is not a visitor: not in "N online" nor in stats. */
	atomic_fetch_add_explicit(&s->w->nconsoles, 1, memory_order_relaxed);
	log_info("%s: moderator console for %s", s->id, s->key);
}

/* The console is on screen (or in line mode): ask for everything. */
void
console_start(struct session *s)
{
	struct console	*c = s->console;

	if (c == NULL)
		return;
	if (s->term == NULL) {
		console_print(c, "strangerd %s moderator console (line mode), "
		    "key %s.", STRANGERD_VERSION, s->key);
		console_print(c, "Type help for the commands, quit to leave.");
		console_refresh(c, CONSOLE_REQ_STATS, 1);
		return;
	}
	console_refresh_all(c);
	console_say(c, 0, "Moderator console. ? for help.");
}

/* Free a console and its requests; answers still to come are dropped. */
void
console_free(struct console *c)
{
	struct console_req	*r;
	u_int			 i;

	if (c == NULL)
		return;
	while ((r = c->reqs) != NULL) {
		c->reqs = r->next;
		console_req_free(r);
	}
	for (i = 0; i < CONSOLE_PANES; i++)
		console_table_free(&c->tables[i]);
	console_action_clear(&c->act);
	free(c->ask_prompt);
	free(c->message);
	for (i = 0; i < c->nqueue; i++)
		free(c->queue[i]);
	free(c->queue);
	atomic_fetch_sub_explicit(&c->s->w->nconsoles, 1,
	    memory_order_relaxed);
	c->s->console = NULL;
	free(c);
}

/*
 * A new request, answered to this worker's inbox for this session:
 * console_reply() gets the answers.
 */
static struct console_req *
console_req_new(struct console *c, enum console_req_kind kind)
{
	struct console_req	*r;
	struct reply_to		 ret;

	r = xcalloc(1, sizeof *r);
	ret.inbox = c->s->w->inbox;
	ret.to = c->s->handle;
	ret.id = ++c->seq;
	ask_init(&r->ask, &ret);
	r->kind = kind;
	r->sent = now_ms();
	r->next = c->reqs;
	c->reqs = r;
	c->nreqs++;
	return (r);
}

/* Free a request. */
static void
console_req_free(struct console_req *r)
{
	if (r == NULL)
		return;
	ask_clear(&r->ask);
	free(r->target);
	free(r);
}

/* Is a request of this kind in flight, or are there too many? */
static int
console_busy(struct console *c, enum console_req_kind kind)
{
	struct console_req	*r;

	if (c->nreqs >= CONSOLE_REQS_MAX)
		return (1);
	if (kind == CONSOLE_REQ_ACTION || kind == CONSOLE_REQ_KICK ||
	    kind == CONSOLE_REQ_AUDIT)
		return (0);
	for (r = c->reqs; r != NULL; r = r->next)
		if (r->kind == kind)
			return (1);
	return (0);
}

/* A store request from this moderator, to fill in and ask_store(). */
static struct store_req *
console_store_req(struct console *c, enum store_op op)
{
	return (store_req_new(op, c->s->key));
}

/* Ask again for a table or the counts; print says line mode wants it. */
static void
console_refresh(struct console *c, enum console_req_kind kind, int print)
{
	struct console_req	*r;

	if (console_busy(c, kind))
		return;
	switch (kind) {
	case CONSOLE_REQ_SESSIONS:
		r = console_req_new(c, kind);
		ask_everywhere(&r->ask, ADMIN_SESSIONS);
		break;
	case CONSOLE_REQ_REPORTS:
		r = console_req_new(c, kind);
		ask_store(&r->ask, console_store_req(c, STORE_REPORT_LIST));
		break;
	case CONSOLE_REQ_BANS:
		r = console_req_new(c, kind);
		ask_store(&r->ask, console_store_req(c, STORE_BAN_LIST));
		break;
	case CONSOLE_REQ_STATS:
		r = console_req_new(c, kind);
		ask_everywhere(&r->ask, ADMIN_STATS);
		ask_store(&r->ask, console_store_req(c, STORE_STATS));
		break;
	default:
		return;
	}
	r->print = print;
	if (kind == CONSOLE_REQ_STATS)
		c->stats_at = now_ms();
	else
		c->refreshed[kind] = now_ms();
}

/* Ask for every table and the counts. */
static void
console_refresh_all(struct console *c)
{
	console_refresh(c, CONSOLE_REQ_STATS, 0);
	console_refresh(c, CONSOLE_REQ_SESSIONS, 0);
	console_refresh(c, CONSOLE_REQ_REPORTS, 0);
	console_refresh(c, CONSOLE_REQ_BANS, 0);
}

/*
 * MSG_REPLY for this session (session_message): add the answer to the
 * request it is for, and finish the request with its last answer.
 */
void
console_reply(struct session *s, struct msg *m)
{
	struct console		*c = s->console;
	struct reply		*rp = m->ptr;
	struct console_req	*r, **pp;

	if (c == NULL || rp == NULL)
		return;
	for (pp = &c->reqs; (r = *pp) != NULL; pp = &r->next)
		if (r->ask.ret.id == rp->id)
			break;
	/* A request given up on (overdue) is answered into the void. */
	if (r == NULL || !ask_merge(&r->ask, rp))
		return;
	*pp = r->next;
	c->nreqs--;
	console_req_done(c, r);
	console_req_free(r);
	console_drain(c);
}

/*
 * Line mode: run a command now, or after the answers to the ones
 * before it, so that a burst ("bans", "stats", "quit" piped at once)
 * gets every answer, in order, before it quits.  Takes line.
 */
static void
console_line(struct console *c, char *line)
{
	if (c->nreqs == 0 && c->nqueue == 0) {
		console_command(c, line);
		free(line);
		return;
	}
	if (c->nqueue >= CONSOLE_QUEUE_MAX) {
		console_say(c, 1, "too many commands at once: %.32s dropped",
		    line);
		free(line);
		return;
	}
	c->queue = xreallocarray(c->queue, c->nqueue + 1, sizeof *c->queue);
	c->queue[c->nqueue++] = line;
}

/* Line mode: the commands that waited, while nothing is in flight. */
static void
console_drain(struct console *c)
{
	char	*line;

	while (c->nreqs == 0 && c->nqueue > 0 &&
	    c->s->state != SESSION_CLOSING) {
		line = c->queue[0];
		memmove(c->queue, c->queue + 1, --c->nqueue *
		    sizeof *c->queue);
		console_command(c, line);
		free(line);
	}
}

/* A request has all its answers. */
static void
console_req_done(struct console *c, struct console_req *r)
{
	struct session	*s = c->s;
	char		*rows;

	if (s->state == SESSION_CLOSING)
		return;
	switch (r->kind) {
	case CONSOLE_REQ_SESSIONS:
	case CONSOLE_REQ_REPORTS:
	case CONSOLE_REQ_BANS:
		if (r->ask.error) {
			console_say(c, 1, "%s", r->ask.text != NULL ? r->ask.text :
			    "failed");
			break;
		}
		/* A cluster names the nodes that did not answer. */
		if (r->ask.text != NULL)
			console_say(c, 1, "%s", r->ask.text);
		rows = r->ask.rows;
		r->ask.rows = NULL;
		if (r->kind == CONSOLE_REQ_SESSIONS)
			table_sort_by_id(rows);
		console_table_set(c, (enum console_pane)r->kind, rows);
		if (r->print)
			console_table_print(c, (enum console_pane)r->kind);
		break;
	case CONSOLE_REQ_STATS:
		if (r->ask.error) {
			console_say(c, 1, "%s", r->ask.text != NULL ? r->ask.text :
			    "failed");
			break;
		}
		console_stats_set(c, r);
		if (r->print)
			console_stats_print(c);
		if (r->print && r->ask.rows != NULL)
			console_stats_nodes(c, r->ask.rows);
		if (r->print && r->ask.text != NULL)
			console_say(c, 1, "%s", r->ask.text);
		break;
	case CONSOLE_REQ_ACTION:
	case CONSOLE_REQ_KICK:
		console_say(c, r->ask.error, "%s", r->ask.text != NULL ? r->ask.text :
		    (r->ask.error ? "failed" : "done"));
		if (r->ask.error)
			break;
		if (r->kind == CONSOLE_REQ_KICK)
			console_audit(c, "kick", r->target, r->ask.text);
		if (r->report > 0) {
			char	id[32];

			snprintf(id, sizeof id, "%lld", (long long)r->report);
			console_report(c, id, REPORT_ACTIONED);
		}
		if (s->term != NULL)
			console_refresh_all(c);
		break;
	case CONSOLE_REQ_AUDIT:
		if (r->ask.error)
			console_say(c, 1, "audit log: %s", r->ask.text != NULL ?
			    r->ask.text : "failed");
		break;
	}
}

/* Free a table's rows. */
static void
console_table_free(struct console_table *t)
{
	free(t->cells);
	free(t->buf);
	memset(t, 0, sizeof *t);
}

/*
 * Take rows (owned, "row" lines in control encoding) as a pane's
 * table, keeping the selection on the same row (by its first field)
 * where it still exists.
 */
static void
console_table_set(struct console *c, enum console_pane pane, char *rows)
{
	struct console_table	*t = &c->tables[pane], nt;
	char			*line, *next, *f[TABLE_COLS_MAX + 1], *keep = NULL;
	u_int			 i, n, size = 0;
	int			 nf;

	memset(&nt, 0, sizeof nt);
	nt.buf = rows;
	for (line = rows; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((nf = control_split(line, f, TABLE_COLS_MAX + 1)) < 2 ||
		    strcmp(f[0], "row") != 0)
			continue;
		if (nt.nrows == size) {
			size = size == 0 ? 32 : size * 2;
			nt.cells = xreallocarray(nt.cells, size,
			    TABLE_COLS_MAX * sizeof *nt.cells);
		}
		/* A missing field is empty: the NUL that ends "row". */
		for (i = 0; i < TABLE_COLS_MAX; i++)
			nt.cells[nt.nrows * TABLE_COLS_MAX + i] =
			    (int)i + 1 < nf ? f[i + 1] : f[0] + 3;
		nt.nrows++;
	}
	if (t->nrows > 0 && c->sel[pane] < t->nrows)
		keep = xstrdup(CONSOLE_CELL(t, c->sel[pane], 0));
	console_table_free(t);
	*t = nt;
	c->loaded[pane] = 1;
	n = c->sel[pane];
	if (keep != NULL) {
		for (i = 0; i < t->nrows; i++)
			if (strcmp(CONSOLE_CELL(t, i, 0), keep) == 0)
				break;
		if (i < t->nrows)
			n = i;
		if (i != c->sel[pane] && pane == CONSOLE_REPORTS)
			c->evscroll = 0;
		free(keep);
	}
	c->sel[pane] = t->nrows == 0 ? 0 : (n < t->nrows ? n : t->nrows - 1);
	console_changed(c);
}

/* The counts from the workers' and the store's answers. */
static void
console_stats_set(struct console *c, struct console_req *r)
{
	const uint64_t	*n = r->ask.counts;
	u_int		 i;

	/* A change the tables do not show yet: ask for them. */
	if (c->have_counts && c->s->term != NULL) {
		if (n[STAT_BANS] != c->counts[STAT_BANS])
			console_refresh(c, CONSOLE_REQ_BANS, 0);
		if (n[STAT_REPORTS_OPEN] != c->counts[STAT_REPORTS_OPEN] ||
		    n[STAT_REPORTS] != c->counts[STAT_REPORTS])
			console_refresh(c, CONSOLE_REQ_REPORTS, 0);
	}
	for (i = 0; i < STAT_N; i++)
		c->counts[i] = (u_int)n[i];
	c->counts[STAT_IN_POOL] = match_waiting();
	c->pairings = metrics_get(METRIC_PAIRINGS);
	c->have_counts = 1;
	console_changed(c);
}

/* Line mode: the counts. */
static void
console_stats_print(struct console *c)
{
	const u_int	*n = c->counts;

	console_print(c, "%u online: %u on the welcome screen, %u waiting, "
	    "%u chatting (%u pairs), %u alone.", n[STAT_SESSIONS],
	    n[STAT_WELCOME], n[STAT_WAITING], n[STAT_CHATTING],
	    n[STAT_CHATTING] / 2, n[STAT_ALONE]);
	console_print(c, "%llu pairings since the start. %u open reports "
	    "(%u kept), %u bans in force.", (unsigned long long)c->pairings,
	    n[STAT_REPORTS_OPEN], n[STAT_REPORTS], n[STAT_BANS]);
}

/*
 * Line mode, in a cluster: each node's figures, from the rows
 * "NODE:sessions" to "NODE:alone" (table_node_stats), one line a node.
 */
static void
console_stats_nodes(struct console *c, char *rows)
{
	char	*line, *next, *f[3], *colon, out[256];
	size_t	 len = 0;
	int	 n;

	out[0] = '\0';
	for (line = rows; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (control_split(line, f, 3) != 3 ||
		    (colon = strchr(f[1], ':')) == NULL)
			continue;
		*colon++ = '\0';
		if (strcmp(colon, "sessions") == 0) {
			if (len > 0)
				console_print(c, "%s.", out);
			len = 0;
			n = snprintf(out, sizeof out, "node %.64s: %s online",
			    f[1], f[2]);
		} else
			n = snprintf(out + len, sizeof out - len, ", %s %s",
			    f[2], colon);
		if (n > 0 && (size_t)n < sizeof out - len)
			len += (size_t)n;
	}
	if (len > 0)
		console_print(c, "%s.", out);
}

/* Line mode: a table as aligned columns, evidence under each report. */
static void
console_table_print(struct console *c, enum console_pane pane)
{
	const struct console_table	*t = &c->tables[pane];
	const struct console_column	*cols = console_columns[pane], *col;
	char				*line, *p, *ev, *evl, *evn;
	u_int				 w[TABLE_COLS_MAX], i, j, cw;
	size_t				 size;

	if (t->nrows == 0) {
		console_print(c, "(no %s)", console_pane_names[pane]);
		return;
	}
	for (col = cols; col->title != NULL; col++) {
		j = (u_int)(col - cols);
		w[j] = (u_int)strlen(col->title);
		if (!console_column_shown(col))
			continue;
		for (i = 0; i < t->nrows; i++) {
			cw = (u_int)utf8_strwidth(CONSOLE_CELL(t, i, col->field),
			    strlen(CONSOLE_CELL(t, i, col->field)));
			if (cw > w[j])
				w[j] = cw;
		}
		if (w[j] > CONSOLE_PLAIN_FIELD)
			w[j] = CONSOLE_PLAIN_FIELD;
	}
	size = 4 * (CONSOLE_PLAIN_FIELD + 2) * TABLE_COLS_MAX + 1;
	line = xmalloc(size);
	for (i = 0; i <= t->nrows; i++) {
		p = line;
		for (col = cols; col->title != NULL; col++) {
			const char	*v = i == 0 ? col->title :
			    CONSOLE_CELL(t, i - 1, col->field);
			size_t		 vl = strlen(v), k;

			if (!console_column_shown(col))
				continue;
			j = (u_int)(col - cols);
			/* Cut at the width, by characters, then pad. */
			cw = 0;
			for (k = 0; k < vl && cw < w[j]; ) {
				uint32_t	cp;
				size_t		n = utf8_decode(v + k, vl - k,
				    &cp);
				int		uw = utf8_width(cp);

				if (cp == '\n' || cp == '\t')
					break;
				if (uw < 0)
					uw = 0;
				if (cw + (u_int)uw > w[j])
					break;
				memcpy(p, v + k, n);
				p += n;
				k += n;
				cw += (u_int)uw;
			}
			if (col[1].title != NULL) {
				for (; cw < w[j] + 2; cw++)
					*p++ = ' ';
			}
		}
		*p = '\0';
		console_print(c, "%s", line);
		if (i == 0 || pane != CONSOLE_REPORTS)
			continue;
		ev = xstrdup(CONSOLE_CELL(t, i - 1, RCOL_EVIDENCE));
		for (evl = ev; evl != NULL && *evl != '\0'; evl = evn) {
			if ((evn = strchr(evl, '\n')) != NULL)
				*evn++ = '\0';
			console_print(c, "    | %s", evl);
		}
		free(ev);
	}
	free(line);
}

/* One audit log entry for an action the store had no part in. */
static void
console_audit(struct console *c, const char *action, const char *target,
    const char *detail)
{
	struct console_req	*r;
	struct store_req	*sr;

	r = console_req_new(c, CONSOLE_REQ_AUDIT);
	sr = console_store_req(c, STORE_AUDIT);
	sr->action = action;
	snprintf(sr->target.text, sizeof sr->target.text, "%s",
	    target != NULL ? target : "");
	sr->reason = xstrdup(detail != NULL ? detail : "");
	ask_store(&r->ask, sr);
}

/* Forget a prepared action. */
static void
console_action_clear(struct console_action *a)
{
	free(a->target);
	free(a->label);
	free(a->reason);
	free(a->duration);
	memset(a, 0, sizeof *a);
}

/* ban TARGET, for duration ("" for ever), because reason. */
static void
console_ban(struct console *c, const char *target, const char *duration,
    const char *reason, int64_t report)
{
	struct console_req	*r;
	struct store_req	*sr;
	struct ban_target	 t;
	time_t			 secs = 0;
	char			*cause = NULL;

	if (ban_parse(target, &t, &cause) != 0 ||
	    (*duration != '\0' &&
	    ban_parse_duration(duration, &secs, &cause) != 0)) {
		console_say(c, 1, "%s", cause);
		free(cause);
		return;
	}
	if (strlen(reason) > REPORT_REASON_MAX) {
		console_say(c, 1, "reason longer than %d bytes",
		    REPORT_REASON_MAX);
		return;
	}
	r = console_req_new(c, CONSOLE_REQ_ACTION);
	r->report = report;
	sr = console_store_req(c, STORE_BAN_ADD);
	sr->target = t;
	/* The reason is shown to the banned visitor: make it safe. */
	sr->reason = sanitize_text(reason, strlen(reason), NULL);
	sr->duration = secs;
	ask_store(&r->ask, sr);
	log_info("%s: moderator %s bans %s", c->s->id, c->s->key, t.text);
}

/* unban TARGET|ID */
static void
console_unban(struct console *c, const char *target)
{
	struct console_req	*r;
	struct store_req	*sr;
	char			*cause = NULL;

	if ((sr = store_req_unban(target, c->s->key, &cause)) == NULL) {
		console_say(c, 1, "%s", cause);
		free(cause);
		return;
	}
	r = console_req_new(c, CONSOLE_REQ_ACTION);
	ask_store(&r->ask, sr);
}

/*
 * kick ID, where ID is a session id from the sessions table: w.slot.gen,
 * or NODE:w.slot.gen in a cluster (a session of any node)
 */
static void
console_kick(struct console *c, const char *id)
{
	struct console_req	*r;

	r = console_req_new(c, CONSOLE_REQ_KICK);
	if (ask_kick(&r->ask, id, NULL) != 0) {
		c->reqs = r->next;
		c->nreqs--;
		console_req_free(r);
		console_say(c, 1, "%.40s: no such session", id);
		return;
	}
	r->target = xstrdup(id);
}

/* report dismiss|action ID */
static void
console_report(struct console *c, const char *id, enum report_status status)
{
	struct console_req	*r;
	struct store_req	*sr;
	char			*end;
	long long		 n;

	n = strtoll(id, &end, 10);
	if (id[0] < '0' || id[0] > '9' || *end != '\0' || n <= 0) {
		console_say(c, 1, "%.32s: not a report number", id);
		return;
	}
	r = console_req_new(c, CONSOLE_REQ_ACTION);
	sr = console_store_req(c, STORE_REPORT_SET);
	sr->id = n;
	sr->status = status;
	ask_store(&r->ask, sr);
}

/* A notice to every visitor on every worker, and in the audit log. */
static void
console_notice(struct console *c, const char *text)
{
	struct msg	*m;
	char		*clean, *line;
	size_t		 len;

	clean = sanitize_text(text, strlen(text), &len);
	if (len == 0) {
		console_say(c, 1, "an empty notice is not sent");
		free(clean);
		return;
	}
	xasprintf(&line, "Notice from the moderators: %s", clean);
	m = msg_new(MSG_NOTICE);
	m->len = strlen(line);
	m->text = line;
	worker_broadcast(m);
	console_audit(c, "notice", "", clean);
	log_info("%s: moderator %s sent a notice", c->s->id, c->s->key);
	console_say(c, 0, "Notice sent to everyone online.");
	free(clean);
}

/* Run the confirmed action. */
static void
console_run(struct console *c)
{
	struct console_action	*a = &c->act;

	switch (a->op) {
	case CONSOLE_OP_BAN:
		console_ban(c, a->target, a->duration != NULL ? a->duration :
		    "", a->reason != NULL ? a->reason : "", a->report);
		break;
	case CONSOLE_OP_UNBAN:
		console_unban(c, a->target);
		break;
	case CONSOLE_OP_KICK:
		console_kick(c, a->target);
		break;
	case CONSOLE_OP_DISMISS:
		console_report(c, a->target, REPORT_DISMISSED);
		break;
	case CONSOLE_OP_ACTION:
		console_report(c, a->target, REPORT_ACTIONED);
		break;
	case CONSOLE_OP_NOTICE:
		console_notice(c, a->reason != NULL ? a->reason : "");
		break;
	}
	console_action_clear(a);
}

/* Put a question on the input line. */
static void
console_ask(struct console *c, enum console_ask ask, const char *fmt, ...)
{
	va_list	 ap;
	char	*prompt;

	va_start(ap, fmt);
	if (vasprintf(&prompt, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	c->ask = ask;
	free(c->ask_prompt);
	c->ask_prompt = prompt;
	editor_clear(&c->s->editor);
	console_changed(c);
}

/*
 * "telnet 192.0.2.1" or "ssh 192.0.2.1 SHA256:..." (a report's
 * reported column): the key if there is one, else the address.
 */
static const char *
console_reported_target(const char *who, char *buf, size_t size)
{
	const char	*p;

	if ((p = strstr(who, "SHA256:")) != NULL) {
		snprintf(buf, size, "%.*s", (int)strcspn(p, " "), p);
		return (buf);
	}
	if ((p = strchr(who, ' ')) == NULL)
		return (NULL);
	p++;
	snprintf(buf, size, "%.*s", (int)strcspn(p, " "), p);
	return (buf[0] != '\0' ? buf : NULL);
}

/*
 * b: ban the selected session (by key, else address) or the reported
 * visitor of the selected report, or ask whom.
 */
static void
console_letter_ban(struct console *c, const struct console_table *t,
    u_int sel, const char *id)
{
	struct console_action	*a = &c->act;
	const char		*target;
	char			 buf[BAN_TEXT_MAX];

	a->op = CONSOLE_OP_BAN;
	target = NULL;
	if (c->pane == CONSOLE_SESSIONS && id != NULL) {
		target = CONSOLE_CELL(t, sel, SCOL_KEY);
		if (strcmp(target, "-") == 0 || *target == '\0')
			target = CONSOLE_CELL(t, sel, SCOL_ADDRESS);
		/* Named as the kick prompt names it. */
		xasprintf(&a->label, "%s (%s %s) by its %s", id,
		    CONSOLE_CELL(t, sel, SCOL_TRANSPORT),
		    CONSOLE_CELL(t, sel, SCOL_ADDRESS),
		    strncmp(target, "SHA256:", 7) == 0 ? "key" :
		    "address");
	} else if (c->pane == CONSOLE_REPORTS && id != NULL) {
		target = console_reported_target(CONSOLE_CELL(t, sel,
		    RCOL_REPORTED), buf, sizeof buf);
		if (target == NULL) {
			console_say(c, 1, "Report %s: the reported "
			    "visitor is unknown; type a target.", id);
			console_ask(c, CONSOLE_ASK_TARGET,
			    CONSOLE_PROMPT_TARGET);
			return;
		}
		a->report = strtoll(id, NULL, 10);
		a->reason = xstrdup(CONSOLE_CELL(t, sel, RCOL_REASON));
	}
	if (target == NULL) {
		console_ask(c, CONSOLE_ASK_TARGET, CONSOLE_PROMPT_TARGET);
		return;
	}
	a->target = xstrdup(target);
	console_ask(c, CONSOLE_ASK_REASON, "Ban %s, reason: ",
	    a->label != NULL ? a->label : target);
	/* A report's reason is offered, to edit or keep. */
	if (a->reason != NULL) {
		const char	*p;
		struct key	 k;
		uint32_t	 cp;
		size_t		 n, len = strlen(a->reason);

		k.type = KEYC_CHAR;
		for (p = a->reason; p < a->reason + len; p += n) {
			n = utf8_decode(p, len - (size_t)(p - a->reason),
			    &cp);
			k.cp = cp;
			editor_key(&c->s->editor, &k);
		}
	}
}

/*
 * k, u, d, a: ask to confirm an action on the selected row; -1 if
 * nothing is selected or the pane holds no such rows.
 */
static int
console_letter_row(struct console *c, uint32_t ch,
    const struct console_table *t, u_int sel, const char *id)
{
	struct console_action	*a = &c->act;

	if (id == NULL)
		return (-1);
	switch (ch) {
	case 'k':
		if (c->pane != CONSOLE_SESSIONS)
			return (-1);
		a->op = CONSOLE_OP_KICK;
		a->target = xstrdup(id);
		console_ask(c, CONSOLE_ASK_CONFIRM, "Kick %s (%s %s)? y/n ", id,
		    CONSOLE_CELL(t, sel, SCOL_TRANSPORT),
		    CONSOLE_CELL(t, sel, SCOL_ADDRESS));
		return (0);
	case 'u':
		if (c->pane != CONSOLE_BANS)
			return (-1);
		a->op = CONSOLE_OP_UNBAN;
		a->target = xstrdup(CONSOLE_CELL(t, sel, BCOL_TARGET));
		console_ask(c, CONSOLE_ASK_CONFIRM, "Unban %s? y/n ",
		    a->target);
		return (0);
	case 'd':
	case 'a':
		if (c->pane != CONSOLE_REPORTS)
			return (-1);
		a->op = ch == 'd' ? CONSOLE_OP_DISMISS : CONSOLE_OP_ACTION;
		a->target = xstrdup(id);
		console_ask(c, CONSOLE_ASK_CONFIRM, "%s report %s (%s)? y/n ",
		    ch == 'd' ? "Dismiss" : "Mark as actioned", id,
		    CONSOLE_CELL(t, sel, RCOL_REPORTED));
		return (0);
	}
	return (-1);
}

/* A single-letter command that needs no selected row. */
static void
console_letter_any(struct console *c, uint32_t ch)
{
	switch (ch) {
	case 'n':
		c->act.op = CONSOLE_OP_NOTICE;
		console_ask(c, CONSOLE_ASK_NOTICE, "Notice to everyone: ");
		break;
	case 'r':
		console_refresh_all(c);
		console_say(c, 0, "Refreshing.");
		break;
	case 'q':
		session_close(c->s, "quit");
		break;
	case '?':
	case 'h':
		c->help = !c->help;
		console_changed(c);
		break;
	case '1':
	case '2':
	case '3':
		console_pane_show(c, (enum console_pane)(ch - '1'));
		break;
	default:
		console_say(c, 0, "Unknown key. ? for help, / for a command.");
		break;
	}
}

/* A single-letter action: on the selected row, or on the console. */
static void
console_letter(struct console *c, uint32_t ch)
{
	const struct console_table	*t = &c->tables[c->pane];
	const char			*id = NULL;
	u_int				 sel = c->sel[c->pane];

	if (t->nrows > 0 && sel < t->nrows)
		id = CONSOLE_CELL(t, sel, 0);
	console_action_clear(&c->act);
	switch (ch) {
	case 'b':
		console_letter_ban(c, t, sel, id);
		break;
	case 'k':
	case 'u':
	case 'd':
	case 'a':
		if (console_letter_row(c, ch, t, sel, id) == -1)
			console_say(c, 1, "Nothing selected for that here. "
			    "? for help.");
		break;
	default:
		console_letter_any(c, ch);
		break;
	}
}

/* The moderator answered the question on the input line. */
static void
console_answer(struct console *c, char *text)
{
	struct console_action	*a = &c->act;
	struct ban_target	 t;
	time_t			 secs;
	char			*cause = NULL, when[32];

	switch (c->ask) {
	case CONSOLE_ASK_NONE:
		break;
	case CONSOLE_ASK_TARGET:
		if (ban_parse(text, &t, &cause) != 0) {
			console_say(c, 1, "%s", cause);
			free(cause);
			console_ask(c, CONSOLE_ASK_TARGET,
			    CONSOLE_PROMPT_TARGET);
			break;
		}
		a->target = xstrdup(t.text);
		console_ask(c, CONSOLE_ASK_REASON, "Ban %s, reason: ",
		    a->target);
		break;
	case CONSOLE_ASK_REASON:
		free(a->reason);
		a->reason = xstrdup(text);
		console_ask(c, CONSOLE_ASK_DURATION, CONSOLE_PROMPT_DURATION);
		break;
	case CONSOLE_ASK_DURATION:
		if (*text != '\0' &&
		    ban_parse_duration(text, &secs, &cause) != 0) {
			console_say(c, 1, "%s", cause);
			free(cause);
			console_ask(c, CONSOLE_ASK_DURATION,
			    CONSOLE_PROMPT_DURATION);
			break;
		}
		a->duration = xstrdup(text);
		if (*text != '\0')
			snprintf(when, sizeof when, "for %s", text);
		else
			snprintf(when, sizeof when, "for ever");
		console_ask(c, CONSOLE_ASK_CONFIRM, "Ban %s %s%s? y/n ",
		    a->label != NULL ? a->label : a->target, when,
		    a->report > 0 ? " and close the report" : "");
		break;
	case CONSOLE_ASK_NOTICE:
		free(a->reason);
		a->reason = xstrdup(text);
		console_ask(c, CONSOLE_ASK_CONFIRM,
		    "Send \"%.40s%s\" to everyone? y/n ", text,
		    strlen(text) > 40 ? "\xe2\x80\xa6" : "");
		break;
	case CONSOLE_ASK_CONFIRM:
		break;
	}
}

/* Cut the first word off *rest (spaces apart); "" when there is none. */
static char *
console_word(char **rest)
{
	char	*word = *rest, *p;

	p = word + strcspn(word, " ");
	if (*p != '\0')
		*p++ = '\0';
	*rest = p + strspn(p, " ");
	return (word);
}

/* help, ?: the help pane, or the help text in line mode. */
static void
console_cmd_help(struct console *c, const char *cmd, char *rest)
{
	const char *const	*l;

	(void)cmd;
	(void)rest;
	if (c->s->term != NULL) {
		c->help = 1;
		console_changed(c);
		return;
	}
	for (l = console_help_lines; *l != NULL; l++)
		console_print(c, "%s", *l);
}

/* quit, exit */
static void
console_cmd_quit(struct console *c, const char *cmd, char *rest)
{
	(void)cmd;
	(void)rest;
	session_close(c->s, "quit");
}

/* sessions, reports, bans: show the pane (print it in line mode). */
static void
console_cmd_pane(struct console *c, const char *cmd, char *rest)
{
	enum console_pane	pane;

	(void)rest;
	pane = cmd[0] == 's' ? CONSOLE_SESSIONS : cmd[0] == 'r' ?
	    CONSOLE_REPORTS : CONSOLE_BANS;
	if (c->s->term != NULL) {
		c->pane = pane;
		c->help = c->evidence = 0;
		console_changed(c);
	}
	console_refresh(c, (enum console_req_kind)pane, c->s->term == NULL);
}

/* stats, refresh */
static void
console_cmd_stats(struct console *c, const char *cmd, char *rest)
{
	(void)cmd;
	(void)rest;
	if (c->s->term != NULL)
		console_refresh_all(c);
	else
		console_refresh(c, CONSOLE_REQ_STATS, 1);
}

/* notice TEXT */
static void
console_cmd_notice(struct console *c, const char *cmd, char *rest)
{
	(void)cmd;
	console_notice(c, rest);
}

/* ban TARGET [DURATION] [REASON]: a second word that is a duration is. */
static void
console_cmd_ban(struct console *c, const char *cmd, char *rest)
{
	char	*target, *duration = (char *)"", *p, *cause = NULL, save;
	time_t	 secs;

	(void)cmd;
	target = console_word(&rest);
	if (*rest != '\0') {
		p = rest + strcspn(rest, " ");
		save = *p;
		*p = '\0';
		if (ban_parse_duration(rest, &secs, &cause) == 0) {
			duration = rest;
			rest = p + (save != '\0');
			rest += strspn(rest, " ");
		} else {
			*p = save;
			free(cause);
		}
	}
	console_ban(c, target, duration, rest, 0);
}

/* unban TARGET|ID, kick ID, dismiss ID, action ID */
static void
console_cmd_one(struct console *c, const char *cmd, char *rest)
{
	char	*arg = console_word(&rest);

	if (strcmp(cmd, "unban") == 0)
		console_unban(c, arg);
	else if (strcmp(cmd, "kick") == 0)
		console_kick(c, arg);
	else
		console_report(c, arg, cmd[0] == 'd' ? REPORT_DISMISSED :
		    REPORT_ACTIONED);
}

/* report dismiss|action ID */
static void
console_cmd_report(struct console *c, const char *cmd, char *rest)
{
	char	*how = console_word(&rest);

	(void)cmd;
	if (strcmp(how, "dismiss") == 0 || strcmp(how, "action") == 0)
		console_report(c, rest, how[0] == 'd' ? REPORT_DISMISSED :
		    REPORT_ACTIONED);
	else
		console_say(c, 1, "report dismiss|action ID");
}

/* The typed commands: name, needs an argument, handler. */
static const struct console_cmd {
	const char	*name;
	int		 arg;
	void		 (*fn)(struct console *, const char *, char *);
} console_cmds[] = {
	{ "help",	0, console_cmd_help },
	{ "?",		0, console_cmd_help },
	{ "quit",	0, console_cmd_quit },
	{ "exit",	0, console_cmd_quit },
	{ "sessions",	0, console_cmd_pane },
	{ "reports",	0, console_cmd_pane },
	{ "bans",	0, console_cmd_pane },
	{ "stats",	0, console_cmd_stats },
	{ "refresh",	0, console_cmd_stats },
	{ "notice",	0, console_cmd_notice },
	{ "ban",	1, console_cmd_ban },
	{ "unban",	1, console_cmd_one },
	{ "kick",	1, console_cmd_one },
	{ "dismiss",	1, console_cmd_one },
	{ "action",	1, console_cmd_one },
	{ "report",	1, console_cmd_report },
};

/*
 * A command line: "ban TARGET [DURATION] [REASON]", "kick ID", ... (the
 * leading / is optional).  Typing one is deliberate: no confirmation.
 */
static void
console_command(struct console *c, char *line)
{
	const struct console_cmd	*cc = NULL;
	char				*cmd;
	u_int				 i;

	line += strspn(line, " ");
	if (*line == '/')
		line++;
	cmd = console_word(&line);
	if (*cmd == '\0')
		return;
	if (c->s->term == NULL)
		console_write(c, "\r\n", 2);
	for (i = 0; i < sizeof console_cmds / sizeof *console_cmds; i++)
		if (strcmp(cmd, console_cmds[i].name) == 0)
			cc = &console_cmds[i];
	if (cc == NULL)
		console_say(c, 1, "unknown command %.32s; help lists them",
		    cmd);
	else if (cc->arg && *line == '\0')
		console_say(c, 1, "%s: what? help lists the commands", cmd);
	else
		cc->fn(c, cmd, line);
}

/* Arrows, pages, Home and End move the selection (or the evidence). */
static void
console_move(struct console *c, const struct key *k)
{
	const struct console_table	*t = &c->tables[c->pane];
	u_int				*sel = &c->sel[c->pane], page, old;

	page = c->s->sy > 8 ? c->s->sy - 8 : 1;
	if (c->evidence) {
		switch (k->type) {
		case KEYC_UP:
			if (c->evscroll > 0)
				c->evscroll--;
			break;
		case KEYC_DOWN:
			c->evscroll++;
			break;
		case KEYC_PGUP:
			c->evscroll = c->evscroll > page ? c->evscroll - page :
			    0;
			break;
		case KEYC_PGDN:
			c->evscroll += page;
			break;
		case KEYC_HOME:
			c->evscroll = 0;
			break;
		default:
			break;
		}
		console_changed(c);
		return;
	}
	if (t->nrows == 0)
		return;
	old = *sel;
	switch (k->type) {
	case KEYC_UP:
		if (*sel > 0)
			(*sel)--;
		break;
	case KEYC_DOWN:
		if (*sel + 1 < t->nrows)
			(*sel)++;
		break;
	case KEYC_PGUP:
		*sel = *sel > page ? *sel - page : 0;
		break;
	case KEYC_PGDN:
		*sel = *sel + page < t->nrows ? *sel + page : t->nrows - 1;
		break;
	case KEYC_HOME:
		*sel = 0;
		break;
	case KEYC_END:
		*sel = t->nrows - 1;
		break;
	default:
		break;
	}
	if (*sel != old)
		c->evscroll = 0;
	console_changed(c);
}

/*
 * Keys that work whatever the console shows: Ctrl-C, and Ctrl-D on an
 * empty line with no question, quit; Ctrl-L redraws.  1 if k was one.
 */
static int
console_key_global(struct session *s, const struct key *k)
{
	if (k->type != KEYC_CTRL)
		return (0);
	if (k->cp == 'c' || (k->cp == 'd' && editor_empty(&s->editor) &&
	    s->console->ask == CONSOLE_ASK_NONE)) {
		session_close(s, "quit");
		return (1);
	}
	if (k->cp == 'l') {
		session_refresh(s, 1);
		return (1);
	}
	return (0);
}

/* Drop the question on the input line and the action it prepared. */
static void
console_cancel(struct console *c)
{
	c->ask = CONSOLE_ASK_NONE;
	console_action_clear(&c->act);
	console_say(c, 0, "Cancelled.");
}

/* The y/n question: y runs the prepared action, any other key drops it. */
static void
console_key_confirm(struct console *c, const struct key *k)
{
	if (k->type == KEYC_CHAR && (k->cp == 'y' || k->cp == 'Y')) {
		c->ask = CONSOLE_ASK_NONE;
		console_run(c);
	} else
		console_cancel(c);
	console_changed(c);
}

/* Esc: cancel the question, else close the help or the evidence. */
static void
console_key_escape(struct console *c)
{
	if (c->ask != CONSOLE_ASK_NONE)
		console_cancel(c);
	else
		c->help = c->evidence = 0;
	editor_clear(&c->s->editor);
	console_changed(c);
}

/* Does k go to the input line: a question, or a command typed or begun? */
static int
console_key_edits(struct console *c, const struct key *k)
{
	return (c->ask != CONSOLE_ASK_NONE || !editor_empty(&c->s->editor) ||
	    (k->type == KEYC_CHAR && (k->cp == '/' || k->cp == ':')));
}

/*
 * A key for the input line; Enter answers the question or runs the
 * command.  A command begun with ':' is shown begun with '/'.
 */
static void
console_key_edit(struct console *c, const struct key *k)
{
	static const struct key	 slash = { KEYC_CHAR, '/' };
	char			*line;

	if (c->ask == CONSOLE_ASK_NONE && k->type == KEYC_CHAR &&
	    k->cp == ':' && editor_empty(&c->s->editor))
		k = &slash;
	if (editor_key(&c->s->editor, k) == EDITOR_SUBMIT) {
		line = editor_take(&c->s->editor);
		if (c->ask != CONSOLE_ASK_NONE)
			console_answer(c, line);
		else
			console_command(c, line);
		free(line);
	}
	console_changed(c);
}

/* Show a pane and ask for its table again. */
static void
console_pane_show(struct console *c, enum console_pane pane)
{
	c->pane = pane;
	c->help = c->evidence = 0;
	console_refresh(c, (enum console_req_kind)pane, 0);
	console_changed(c);
}

/* Keys on the panes: switch, open a report's evidence, act, move. */
static void
console_key_pane(struct console *c, const struct key *k)
{
	switch (k->type) {
	case KEYC_TAB:
	case KEYC_RIGHT:
		console_pane_show(c,
		    (enum console_pane)((c->pane + 1) % CONSOLE_PANES));
		break;
	case KEYC_LEFT:
		console_pane_show(c, (enum console_pane)((c->pane +
		    CONSOLE_PANES - 1) % CONSOLE_PANES));
		break;
	case KEYC_ENTER:
		if (c->pane == CONSOLE_REPORTS &&
		    c->tables[c->pane].nrows > 0) {
			c->evidence = !c->evidence;
			c->evscroll = 0;
			console_changed(c);
		}
		break;
	case KEYC_CHAR:
		console_letter(c, k->cp);
		break;
	default:
		console_move(c, k);
		break;
	}
}

/* One key for the console. */
void
console_key(struct session *s, const struct key *k)
{
	struct console	*c = s->console;

	if (console_key_global(s, k))
		return;
	/* Line mode: every line is a command, answered in turn. */
	if (s->term == NULL) {
		if (editor_key(&s->editor, k) == EDITOR_SUBMIT)
			console_line(c, editor_take(&s->editor));
		return;
	}
	if (c->ask == CONSOLE_ASK_CONFIRM)
		console_key_confirm(c, k);
	else if (k->type == KEYC_ESC)
		console_key_escape(c);
	else if (console_key_edits(c, k))
		console_key_edit(c, k);
	else
		console_key_pane(c, k);
}

/*
 * Once a second: drop overdue requests, end the console of a key that
 * is no longer listed, and ask again for what is on screen.
 */
void
console_tick(struct session *s)
{
	struct console		*c = s->console;
	struct console_req	*r, **pp;
	uint64_t		 now = now_ms();

	if (c == NULL || s->state == SESSION_CLOSING)
		return;
	if (!moderators_is_listed(s->key)) {
		log_info("%s: key %s no longer in the moderators file", s->id,
		    s->key);
		session_notice(s, "Your key is no longer a moderator's.");
		session_close(s, "no longer a moderator");
		return;
	}
	for (pp = &c->reqs; (r = *pp) != NULL; ) {
		if (now - r->sent < CONSOLE_REQ_TIMEOUT_MS) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		c->nreqs--;
		console_say(c, 1, "no answer in time; try again");
		console_req_free(r);
	}
	if (s->term == NULL) {
		console_drain(c);
		return;
	}
	if (now - c->stats_at >= CONSOLE_STATS_MS)
		console_refresh(c, CONSOLE_REQ_STATS, 0);
	if (c->pane == CONSOLE_SESSIONS &&
	    now - c->refreshed[CONSOLE_SESSIONS] >= CONSOLE_SESSIONS_MS)
		console_refresh(c, CONSOLE_REQ_SESSIONS, 0);
	else if (c->pane != CONSOLE_SESSIONS &&
	    now - c->refreshed[c->pane] >= CONSOLE_TABLE_MS)
		console_refresh(c, (enum console_req_kind)c->pane, 0);
}
