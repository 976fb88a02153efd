/*
 * Moderation sees the cluster: strangerctl's and the console's
 * sessions and stats gather every node's, and a kick reaches a session
 * on any node, named "NODE:w.slot.gen" as the sessions table shows it.
 *
 * A question (struct cask) asks the set of nodes alive (kept by every
 * node's beat, cluster.c), publishes Q on the all-nodes channel (a
 * kick: K to the one node) with its number, and gathers the answers,
 * R on this node's channel.  Every answer is checked as the input it
 * is: rows must be whole rows of the sessions table naming the node
 * that sent them, printable and short; counts bounded numbers; a node
 * sends CASK_BYTES_MAX at most.  This node's own part is answered the
 * same way (a serve) without Redis.  The asker is answered once every
 * node listed has answered, or after CASK_DEADLINE_MS with what came,
 * naming each node that did not ("node b: no answer"): a node killed
 * holds nobody up.
 *
 * A serve (struct cserve) answers one question here: it asks this
 * node's workers (ask.c), names the rows by node, and publishes them to
 * the asker's channel in batches of at most CLUSTER_REPLY_MAX bytes.
 *
 * Owns: the questions and serves in flight, and their timers.  Runs on
 * the cluster thread, but for cluster_ask() and cluster_ask_kick(),
 * which an asker calls on its own thread to hand a question over.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "strangerd.h"
#include "cluster.h"
#include "control.h"

/* Every node has this long to answer. */
#define CASK_DEADLINE_MS	1000
/* Nodes one question waits for; more are not asked. */
#define CASK_NODES_MAX		64
/* Questions and serves in flight; more are refused or dropped. */
#define CASK_MAX		32
#define CSERVE_MAX		32
/* What one node may send for one question. */
#define CASK_BYTES_MAX		(32 * 1024 * 1024)
/* A cell of a row from another node, and a kick's answer. */
#define CASK_CELL_MAX		256
/* R's arg: the last batch; the answer is an error (a kick). */
#define CASK_LAST		1
#define CASK_ERROR		2
/* Counts a node sends: sessions, welcome, waiting, chatting, alone. */
#define CASK_COUNTS		(STAT_ALONE + 1)
#define CASK_COUNT_MAX		100000000ULL

struct cask_node {
	char			 name[CLUSTER_NAME_MAX + 1];
	int			 done;
	size_t			 bytes;		/* rows taken from it */
	int			 cut;		/* it sent too much */
	uint64_t		 counts[CASK_COUNTS];
};

struct cask {
	uint64_t		 id;
	enum admin_op		 op;
	struct reply_to		 ret;		/* the moderator's asker */
	struct cask_node	 nodes[CASK_NODES_MAX];
	u_int			 nnodes;
	int			 listed;	/* every node to wait for known */
	int			 alone;		/* Redis away: this node only */
	int			 error;		/* a kick's answer */
	char			*text;
	char			*rows;		/* sessions, checked */
	size_t			 rowslen;
	struct event		*timer;
	struct cask		*next;
};

struct cserve {
	uint64_t		 id;		/* the workers answer to it */
	char			 asker[CLUSTER_NAME_MAX + 1]; /* "": here */
	uint64_t		 asker_id;
	enum admin_op		 op;
	struct ask		 ask;
	struct cserve		*next;
};

static struct cask	*cask_list;
static u_int		 cask_n;
static struct cserve	*cserve_list;
static u_int		 cserve_n;
static uint64_t		 cask_next_id = 1;

static void	cask_finish(struct cask *);
static void	cask_check(struct cask *);
static void	cask_rows_in(struct cask *, struct cask_node *, const char *,
		    size_t);

/*
 * From an asker's thread: with cluster set, hand a question for every
 * node (sessions, stats) to the cluster thread, which answers it once
 * (1); else 0.
 */
int
cluster_ask(struct ask *a, enum admin_op op)
{
	struct msg	*m;

	if (!cluster_enabled())
		return (0);
	m = ask_query(a, op);
	if (!cluster_take(m))
		msg_free(m);
	return (1);
}

/*
 * From an asker's thread: kick "NODE:w.slot.gen", on this node or
 * another.  -1 if id cannot name a session (or there is no cluster).
 */
int
cluster_ask_kick(struct ask *a, const char *id, const char *text)
{
	struct admin_query	*q;
	struct msg		*m;
	const char		*colon;
	char			*node;
	uint64_t		 h;

	if (!cluster_enabled() || (colon = strchr(id, ':')) == NULL ||
	    colon == id || colon - id > CLUSTER_NAME_MAX ||
	    ask_session_id(colon + 1, &h) != 0)
		return (-1);
	node = xstrndup(id, (size_t)(colon - id));
	if (!cluster_node_name_ok(node)) {
		free(node);
		return (-1);
	}
	m = ask_query(a, ADMIN_KICK);
	q = m->ptr;
	q->target = h;
	q->text = text != NULL ? xstrdup(text) : NULL;
	q->node = node;
	if (!cluster_take(m))
		msg_free(m);
	return (0);
}

/* A question in flight, by number, or NULL. */
static struct cask *
cask_find(uint64_t id)
{
	struct cask	*c;

	for (c = cask_list; c != NULL; c = c->next)
		if (c->id == id)
			return (c);
	return (NULL);
}

/* A node of a question, added if asked and there is room; or NULL. */
static struct cask_node *
cask_node(struct cask *c, const char *name, int add)
{
	struct cask_node	*n;
	u_int			 i;

	for (i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return (&c->nodes[i]);
	if (!add || c->nnodes == CASK_NODES_MAX)
		return (NULL);
	n = &c->nodes[c->nnodes++];
	memset(n, 0, sizeof *n);
	snprintf(n->name, sizeof n->name, "%s", name);
	return (n);
}

/* Forget a question. */
static void
cask_free(struct cask *c)
{
	struct cask	**pp;

	for (pp = &cask_list; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	cask_n--;
	event_free(c->timer);
	free(c->text);
	free(c->rows);
	free(c);
}

/* Forget a serve. */
static void
cserve_free(struct cserve *sv)
{
	struct cserve	**pp;

	for (pp = &cserve_list; *pp != sv; pp = &(*pp)->next)
		;
	*pp = sv->next;
	cserve_n--;
	ask_clear(&sv->ask);
	free(sv);
}

/*
 * Answer one question here: ask this node's workers, to this thread's
 * inbox.  asker NULL: a question of this node's own.  A kick's target
 * is a handle of this node (checked by the caller).
 */
static void
cserve_start(const char *asker, uint64_t asker_id, enum admin_op op,
    uint64_t target, const char *text)
{
	struct cserve	*sv;
	struct reply_to	 ret;

	if (cserve_n >= CSERVE_MAX) {
		log_debug("cluster: too many questions, one dropped");
		return;
	}
	sv = xcalloc(1, sizeof *sv);
	sv->id = cask_next_id++;
	snprintf(sv->asker, sizeof sv->asker, "%s", asker != NULL ? asker :
	    "");
	sv->asker_id = asker_id;
	sv->op = op;
	sv->next = cserve_list;
	cserve_list = sv;
	cserve_n++;
	ret.inbox = cluster_own_inbox();
	ret.to = HANDLE_NONE;
	ret.id = sv->id;
	ask_init(&sv->ask, &ret);
	if (op == ADMIN_KICK)
		ask_kick_handle(&sv->ask, target, text);
	else
		ask_workers(&sv->ask, op);
}

/*
 * This node's rows as a cluster shows them: ids and partners named by
 * node, and the node column filled in.
 */
static char *
cserve_rows(char *rows)
{
	const char	*self = cluster_self();
	char		*f[TABLE_COLS_MAX + 1], *line, *next, *out = NULL;
	char		 id[CLUSTER_NAME_MAX + 32], partner[CLUSTER_NAME_MAX + 32];
	size_t		 len = 0;
	uint64_t	 h;

	for (line = rows; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (control_split(line, f, TABLE_COLS_MAX + 1) != 1 + SCOL_N ||
		    ask_session_id(f[1 + SCOL_ID], &h) != 0)
			continue;
		snprintf(id, sizeof id, "%s:%s", self, f[1 + SCOL_ID]);
		if (cluster_partner_name(h, partner, sizeof partner) != 0) {
			if (strcmp(f[1 + SCOL_PARTNER], "-") == 0)
				snprintf(partner, sizeof partner, "-");
			else
				snprintf(partner, sizeof partner, "%s:%s",
				    self, f[1 + SCOL_PARTNER]);
		}
		f[1 + SCOL_ID] = id;
		f[1 + SCOL_PARTNER] = partner;
		f[1 + SCOL_NODE] = (char *)self;
		table_append(&out, &len, TABLE_SESSIONS,
		    (const char *const *)f + 1);
	}
	return (out);
}

/* Publish rows to the asker in batches, whole rows each, then the end. */
static void
cserve_publish_rows(const struct cserve *sv, const char *rows)
{
	const char	*p = rows, *end, *nl;
	size_t		 left = rows != NULL ? strlen(rows) : 0;

	while (left > CLUSTER_REPLY_MAX) {
		/* The last whole row that fits. */
		end = p;
		while ((nl = memchr(end, '\n', (size_t)(p + left - end))) !=
		    NULL && nl + 1 - p <= CLUSTER_REPLY_MAX)
			end = nl + 1;
		if (end == p)
			return;		/* a row no batch holds: cannot be */
		cluster_relay_send(sv->asker, 'R', sv->asker_id, 0, 0, p,
		    (size_t)(end - p));
		left -= (size_t)(end - p);
		p = end;
	}
	cluster_relay_send(sv->asker, 'R', sv->asker_id, 0, CASK_LAST, p, left);
}

/* A serve has every answer: give it to the asker. */
static void
cserve_done(struct cserve *sv)
{
	struct cask		*c = NULL;
	struct cask_node	*n = NULL;
	const struct ask	*a = &sv->ask;
	char			*rows = NULL, counts[CASK_COUNTS * 21 + 1];
	const char		*text;
	u_int			 i;
	int			 off = 0;

	if (sv->asker[0] == '\0' && (c = cask_find(sv->asker_id)) != NULL)
		n = cask_node(c, cluster_self(), 1);
	if (sv->asker[0] == '\0' && n == NULL)
		return;		/* our question was answered without us */
	switch (sv->op) {
	case ADMIN_SESSIONS:
		rows = cserve_rows(a->rows);
		if (n != NULL) {
			cask_rows_in(c, n, rows != NULL ? rows : "",
			    rows != NULL ? strlen(rows) : 0);
			n->done = 1;
		} else
			cserve_publish_rows(sv, rows);
		free(rows);
		break;
	case ADMIN_STATS:
		for (i = 0; i < CASK_COUNTS; i++) {
			if (n != NULL)
				n->counts[i] = a->counts[i];
			off += snprintf(counts + off, sizeof counts - (size_t)off,
			    "%s%llu", i > 0 ? " " : "",
			    (unsigned long long)a->counts[i]);
		}
		if (n != NULL)
			n->done = 1;
		else
			cluster_relay_send(sv->asker, 'R', sv->asker_id, 0,
			    CASK_LAST, counts, strlen(counts));
		break;
	case ADMIN_KICK:
		/* Which node's "kicked 0.3.1": the id is this node's own. */
		xasprintf(&rows, "node %s: %s", cluster_self(),
		    a->text != NULL ? a->text : "");
		text = a->error ? (a->text != NULL ? a->text : "") : rows;
		if (n != NULL) {
			c->error = a->error;
			free(c->text);
			c->text = xstrdup(text);
			n->done = 1;
		} else
			cluster_relay_send(sv->asker, 'R', sv->asker_id, 0, CASK_LAST |
			    (a->error ? CASK_ERROR : 0), text, strnlen(text,
			    CASK_CELL_MAX));
		free(rows);
		break;
	default:
		break;
	}
	if (c != NULL)
		cask_check(c);
}

/* MSG_REPLY to this thread: a worker's answer to a serve. */
void
cluster_ask_reply(struct msg *m)
{
	struct reply	*r = m->ptr;
	struct cserve	*sv;

	if (r == NULL)
		return;
	for (sv = cserve_list; sv != NULL; sv = sv->next)
		if (sv->id == r->id)
			break;
	if (sv == NULL || !ask_merge(&sv->ask, r))
		return;
	cserve_done(sv);
	cserve_free(sv);
}

/* Is a cell from another node fit to show: printable ASCII, short? */
static int
cask_cell_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= CASK_CELL_MAX || (u_char)s[i] < 0x20 ||
		    (u_char)s[i] >= 0x7f)
			return (0);
	return (1);
}

/* Is f (after split) a whole sessions row named by node n? */
static int
cask_row_ok(char **f, int nf, const struct cask_node *n)
{
	size_t		nl = strlen(n->name);
	uint64_t	h;
	int		i;

	if (nf != 1 + SCOL_N || strcmp(f[0], "row") != 0 ||
	    strcmp(f[1 + SCOL_NODE], n->name) != 0 ||
	    strncmp(f[1 + SCOL_ID], n->name, nl) != 0 ||
	    f[1 + SCOL_ID][nl] != ':' ||
	    ask_session_id(f[1 + SCOL_ID] + nl + 1, &h) != 0)
		return (0);
	for (i = 1; i < nf; i++)
		if (!cask_cell_ok(f[i]))
			return (0);
	return (1);
}

/* Rows from a node (text, len bytes): the whole rows that check out. */
static void
cask_rows_in(struct cask *c, struct cask_node *n, const char *text,
    size_t len)
{
	char	*buf, *line, *next, *f[TABLE_COLS_MAX + 2];
	int	 nf;

	if (n->cut || n->bytes + len > CASK_BYTES_MAX) {
		n->cut = 1;
		return;
	}
	n->bytes += len;
	buf = xstrndup(text, len);
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		nf = control_split(line, f, TABLE_COLS_MAX + 2);
		if (!cask_row_ok(f, nf, n)) {
			log_debug("cluster: node %s: a bad row dropped",
			    n->name);
			continue;
		}
		table_append(&c->rows, &c->rowslen, TABLE_SESSIONS,
		    (const char *const *)f + 1);
	}
	free(buf);
}

/* "N N N N N": a node's counts, each a bounded decimal number. */
static int
cask_counts_in(struct cask_node *n, const char *text, size_t len)
{
	uint64_t	 v[CASK_COUNTS];
	char		 buf[CASK_COUNTS * 21 + 1], *p, *end;
	u_int		 i;

	if (len >= sizeof buf)
		return (-1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (p = buf, i = 0; i < CASK_COUNTS; i++) {
		if (*p < '0' || *p > '9')
			return (-1);
		v[i] = strtoull(p, &end, 10);
		if (v[i] > CASK_COUNT_MAX || end - p > 10 ||
		    *end != (i + 1 < CASK_COUNTS ? ' ' : '\0'))
			return (-1);
		p = end + (i + 1 < CASK_COUNTS);
	}
	memcpy(n->counts, v, sizeof v);
	return (0);
}

/* R: an answer from another node to one of our questions. */
static void
cask_answer_in(const struct cluster_in *in)
{
	struct cask		*c;
	struct cask_node	*n;

	if ((c = cask_find(in->from)) == NULL ||
	    strcmp(in->node, cluster_self()) == 0)
		return;
	/* Only a node asked may answer (one that joined since is not). */
	if ((n = cask_node(c, in->node, 0)) == NULL || n->done)
		return;
	switch (c->op) {
	case ADMIN_SESSIONS:
		cask_rows_in(c, n, in->text, in->len);
		if (in->arg & CASK_LAST)
			n->done = 1;
		break;
	case ADMIN_STATS:
		if (cask_counts_in(n, in->text, in->len) != 0) {
			log_debug("cluster: node %s: bad counts", n->name);
			return;
		}
		n->done = 1;
		break;
	case ADMIN_KICK:
		c->error = (in->arg & CASK_ERROR) != 0;
		free(c->text);
		c->text = sanitize_text(in->text, strnlen(in->text,
		    in->len < CASK_CELL_MAX ? in->len : CASK_CELL_MAX), NULL);
		n->done = 1;
		break;
	default:
		return;
	}
	cask_check(c);
}

/* Q, K or R from another node. */
void
cluster_ask_in(const struct cluster_in *in)
{
	char	*text = NULL;

	switch (in->type) {
	case 'Q':
		if (strcmp(in->node, cluster_self()) == 0 ||
		    (in->arg != ADMIN_SESSIONS && in->arg != ADMIN_STATS) ||
		    in->from == 0)
			return;
		cserve_start(in->node, in->from, (enum admin_op)in->arg, 0,
		    NULL);
		break;
	case 'K':
		/* The parser checked that to may name a session here. */
		if (in->len > 0)
			text = sanitize_text(in->text, in->len, NULL);
		cserve_start(in->node, in->from, ADMIN_KICK, in->to, text);
		free(text);
		break;
	case 'R':
		cask_answer_in(in);
		break;
	default:
		break;
	}
}

/* The nodes alive came: ask those that are not this one. */
static void
cask_listed(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*reply = r, *e;
	struct cask	*c;
	char		 name[CLUSTER_NAME_MAX + 1];
	size_t		 i;
	u_int		 others = 0;

	(void)ac;
	if ((c = cask_find((uint64_t)(uintptr_t)arg)) == NULL)
		return;
	/* No list (the connection went, an error): this node only. */
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
		c->alone = 1;
	for (i = 0; reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    i < reply->elements; i++) {
		e = reply->element[i];
		if (e->type != REDIS_REPLY_STRING || e->len == 0 ||
		    e->len >= sizeof name || memchr(e->str, '\0', e->len))
			continue;
		memcpy(name, e->str, e->len);
		name[e->len] = '\0';
		if (!cluster_node_name_ok(name) ||
		    strcmp(name, cluster_self()) == 0)
			continue;
		if (cask_node(c, name, 1) != NULL)
			others++;
	}
	c->listed = 1;
	if (others > 0)
		cluster_relay_send(NULL, 'Q', c->id, 0, c->op, NULL, 0);
	cask_check(c);
}

/* The deadline: answer with what came. */
static void
cask_timeout(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	cask_finish(arg);
}

/* A moderator's question reached this thread: start asking. */
static void
cask_start(const struct admin_query *q)
{
	struct cask	*c;
	struct timeval	 tv = { CASK_DEADLINE_MS / 1000,
			    (CASK_DEADLINE_MS % 1000) * 1000 };
	const char	*self = cluster_self();

	if (cask_n >= CASK_MAX) {
		reply_post(&q->ret, 1, xstrdup("too many questions at once"),
		    NULL);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->id = cask_next_id++;
	c->op = q->op;
	c->ret = q->ret;
	c->timer = evtimer_new(cluster_event_base(), cask_timeout, c);
	evtimer_add(c->timer, &tv);
	c->next = cask_list;
	cask_list = c;
	cask_n++;
	if (q->op == ADMIN_KICK) {
		cask_node(c, q->node, 1);
		c->listed = 1;
		if (strcmp(q->node, self) == 0)
			cserve_start(NULL, c->id, ADMIN_KICK, q->target, q->text);
		else
			cluster_relay_send(q->node, 'K', c->id, q->target, 0,
			    q->text, q->text != NULL ? strlen(q->text) : 0);
		return;
	}
	cask_node(c, self, 1);
	cserve_start(NULL, c->id, q->op, 0, NULL);
	if (cluster_list_nodes(cask_listed, (void *)(uintptr_t)c->id) != 0) {
		/* Redis away: this node's own answer, said to be only that. */
		c->listed = 1;
		c->alone = 1;
	}
}

/*
 * MSG_QUERY to this thread: a moderator's question for every node, or
 * a kick on a named node (1, taken); else 0 (one for a proxy handle).
 */
int
cluster_ask_query(struct msg *m)
{
	struct admin_query	*q = m->ptr;

	if (m->to != HANDLE_NONE)
		return (0);
	if (q->op == ADMIN_SESSIONS || q->op == ADMIN_STATS ||
	    (q->op == ADMIN_KICK && q->node != NULL)) {
		cask_start(q);
		return (1);
	}
	return (0);
}

/* Has every node listed answered? Then answer. */
static void
cask_check(struct cask *c)
{
	u_int	i;

	if (!c->listed)
		return;
	for (i = 0; i < c->nnodes; i++)
		if (!c->nodes[i].done)
			return;
	cask_finish(c);
}

/* Order nodes by name, for per-node figures that read the same twice. */
static int
cask_node_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct cask_node *)a)->name,
	    ((const struct cask_node *)b)->name));
}

/*
 * "node b: no answer; node c: answer too long, cut" for what is
 * missing, or NULL.
 */
static char *
cask_missing(struct cask *c)
{
	char	*text = NULL, *t;
	u_int	 i;

	if (c->alone)
		text = xstrdup("Redis is away: this node only");
	else if (!c->listed)
		text = xstrdup("Redis did not list the nodes in time: this "
		    "node only");
	for (i = 0; i < c->nnodes; i++) {
		if (c->nodes[i].done && !c->nodes[i].cut)
			continue;
		xasprintf(&t, "%s%snode %s: %s", text != NULL ? text : "",
		    text != NULL ? "; " : "", c->nodes[i].name,
		    c->nodes[i].cut ? "answer too long, cut" : "no answer");
		free(text);
		text = t;
	}
	return (text);
}

/* Answer the moderator's asker with what came, and forget the question. */
static void
cask_finish(struct cask *c)
{
	struct reply	*r;
	char		*rows = NULL;
	size_t		 len = 0;
	u_int		 i, j;

	qsort(c->nodes, c->nnodes, sizeof *c->nodes, cask_node_cmp);
	switch (c->op) {
	case ADMIN_SESSIONS:
		r = reply_new(0, cask_missing(c), c->rows);
		c->rows = NULL;
		break;
	case ADMIN_STATS:
		for (i = 0; i < c->nnodes; i++) {
			if (!c->nodes[i].done)
				continue;
			table_node_stats(&rows, &len, c->nodes[i].name,
			    c->nodes[i].counts);
		}
		r = reply_new(0, cask_missing(c), rows);
		for (i = 0; i < c->nnodes; i++)
			for (j = 0; j < CASK_COUNTS; j++)
				r->counts[j] += c->nodes[i].counts[j];
		break;
	default:
		if (c->nnodes > 0 && !c->nodes[0].done)
			r = reply_new(1, cask_missing(c), NULL);
		else {
			r = reply_new(c->error, c->text, NULL);
			c->text = NULL;
		}
		break;
	}
	reply_send(&c->ret, r);
	cask_free(c);
}

/* At the end: whatever is in flight goes unanswered. */
void
cluster_ask_free(void)
{
	while (cask_list != NULL)
		cask_free(cask_list);
	while (cserve_list != NULL)
		cserve_free(cserve_list);
}
