/*
 * The moderation tables - sessions, reports, bans and the counts - with
 * their columns declared once.  The producers (admin-worker.c, the
 * store) fill a row by column number, admin.c sends the names to
 * strangerctl as the "cols" line, and the console reads cells by the
 * same numbers.  A row on the wire is "row" and every column, in this
 * order (include/control.h).
 *
 * Owns: nothing.  No I/O.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"
#include "control.h"

/* Column names, in wire order, by table. */
static const char *const table_cols[TABLE_N][TABLE_COLS_MAX] = {
	[TABLE_SESSIONS] = {
		[SCOL_ID] = "id",
		[SCOL_TRANSPORT] = "transport",
		[SCOL_ADDRESS] = "address",
		[SCOL_KEY] = "key",
		[SCOL_STATE] = "state",
		[SCOL_TIME] = "time",
		[SCOL_PARTNER] = "partner",
		[SCOL_NODE] = "node",
	},
	[TABLE_REPORTS] = {
		[RCOL_ID] = "id",
		[RCOL_TIME] = "time",
		[RCOL_STATUS] = "status",
		[RCOL_REPORTER] = "reporter",
		[RCOL_REPORTED] = "reported",
		[RCOL_REASON] = "reason",
		[RCOL_EVIDENCE] = "evidence",
	},
	[TABLE_BANS] = {
		[BCOL_ID] = "id",
		[BCOL_TARGET] = "target",
		[BCOL_KIND] = "kind",
		[BCOL_EXPIRES] = "expires",
		[BCOL_CREATED] = "created",
		[BCOL_BY] = "by",
		[BCOL_REASON] = "reason",
	},
	[TABLE_STATS] = {
		"name", "value"
	},
};
static const u_int table_ncols_of[TABLE_N] = {
	[TABLE_SESSIONS] = SCOL_N,
	[TABLE_REPORTS] = RCOL_N,
	[TABLE_BANS] = BCOL_N,
	[TABLE_STATS] = 2,
};

/* The counts, as strangerctl stats names them, in its order. */
static const char *const stat_names[STAT_N] = {
	[STAT_SESSIONS] = "sessions",
	[STAT_WELCOME] = "welcome",
	[STAT_WAITING] = "waiting",
	[STAT_CHATTING] = "chatting",
	[STAT_ALONE] = "alone",
	[STAT_IN_POOL] = "in_pool",
	[STAT_UPTIME] = "uptime",
	[STAT_BANS] = "bans",
	[STAT_REPORTS_OPEN] = "reports_open",
	[STAT_REPORTS] = "reports",
};

/*
 * In a cluster, sessions have a node column.  Set once by the main
 * thread (cluster_start) before any other thread runs.
 */
static int table_nodes;

/* Say that sessions are named by node (a cluster). */
void
table_set_nodes(int on)
{
	table_nodes = on;
}

/* Are sessions named by node? */
int
table_has_nodes(void)
{
	return (table_nodes);
}

/*
 * A table's columns: the sessions' node column only in a cluster, so
 * that a single node's tables read exactly as before.
 */
static u_int
table_ncols(enum table t)
{
	if (t == TABLE_SESSIONS && !table_nodes)
		return (SCOL_NODE);
	return (table_ncols_of[t]);
}

/* The "cols" line that heads a table on the wire. */
char *
table_cols_line(enum table t)
{
	const char	*f[TABLE_COLS_MAX + 1];
	u_int		 i;

	f[0] = "cols";
	for (i = 0; i < table_ncols(t); i++)
		f[i + 1] = table_cols[t][i];
	return (control_line(f, i + 1));
}

/* Append one row (every column, by number) to a growing buffer. */
void
table_append(char **buf, size_t *len, enum table t, const char *const *cols)
{
	const char	*f[TABLE_COLS_MAX + 1];
	u_int		 i;

	f[0] = "row";
	for (i = 0; i < table_ncols(t); i++)
		f[i + 1] = cols[i] != NULL ? cols[i] : "";
	control_append(buf, len, f, i + 1);
}

/*
 * The rows of the counts table, in order, then more (rows, or NULL:
 * a cluster's figures by node).
 */
char *
table_stats_rows(const uint64_t *counts, const char *more)
{
	const char	*f[2];
	char		*rows = NULL, v[32];
	size_t		 len = 0, ml;
	u_int		 i;

	for (i = 0; i < STAT_N; i++) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)counts[i]);
		f[0] = stat_names[i];
		f[1] = v;
		table_append(&rows, &len, TABLE_STATS, f);
	}
	if (more != NULL) {
		ml = strlen(more);
		rows = xreallocarray(rows, 1, len + ml + 1);
		memcpy(rows + len, more, ml + 1);
	}
	return (rows);
}

/*
 * One node's visitors by state, "NODE:sessions" to "NODE:alone", as
 * rows appended to a growing buffer.
 */
void
table_node_stats(char **buf, size_t *len, const char *node,
    const uint64_t *counts)
{
	const char	*f[2];
	char		 name[CLUSTER_NAME_MAX + 32], v[32];
	u_int		 i;

	for (i = STAT_SESSIONS; i <= STAT_ALONE; i++) {
		snprintf(name, sizeof name, "%s:%s", node, stat_names[i]);
		snprintf(v, sizeof v, "%llu", (unsigned long long)counts[i]);
		f[0] = name;
		f[1] = v;
		table_append(buf, len, TABLE_STATS, f);
	}
}

/* The length of a session id's "NODE:" part, without the colon; 0: none. */
static size_t
table_node_len(const char *id)
{
	size_t	n;

	n = strcspn(id, ":\t");
	return (id[n] == ':' ? n : 0);
}

/*
 * Compare two rows by their first column: the node's name, if any, then
 * the rest read as dotted numbers.
 */
static int
table_cmp_id(const void *a, const void *b)
{
	const char		*p = *(const char *const *)a;
	const char		*q = *(const char *const *)b;
	char			*e;
	unsigned long long	 x, y;
	size_t			 pn, qn;
	int			 c;

	p += strcspn(p, "\t");
	q += strcspn(q, "\t");
	if (*p != '\0' && *q != '\0') {
		pn = table_node_len(p + 1);
		qn = table_node_len(q + 1);
		if ((c = strncmp(p + 1, q + 1, pn < qn ? pn : qn)) != 0)
			return (c);
		if (pn != qn)
			return (pn < qn ? -1 : 1);
		/* Then at the colon, before the numbers. */
		p += pn != 0 ? pn + 1 : 0;
		q += qn != 0 ? qn + 1 : 0;
	}
	while (*p != '\0' && *q != '\0') {
		x = strtoull(p + 1, &e, 10);
		p = e;
		y = strtoull(q + 1, &e, 10);
		q = e;
		if (x != y)
			return (x < y ? -1 : 1);
		if (*p != '.' || *q != '.')
			break;
	}
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/*
 * Sort rows in place by their first column (a session id, w.slot.gen,
 * NODE:w.slot.gen in a cluster):
 * a list merged from several workers then comes out in the same order
 * whichever worker answered first.
 */
void
table_sort_by_id(char *rows)
{
	char	**line = NULL, *copy, *p, *next;
	size_t	 n = 0, size = 0, i, len;
	int	 lf;

	if (rows == NULL || *rows == '\0')
		return;
	lf = rows[strlen(rows) - 1] == '\n';
	copy = xstrdup(rows);
	for (p = copy; p != NULL && *p != '\0'; p = next) {
		if ((next = strchr(p, '\n')) != NULL)
			*next++ = '\0';
		if (n == size) {
			size = size == 0 ? 64 : size * 2;
			line = xreallocarray(line, size, sizeof *line);
		}
		line[n++] = p;
	}
	qsort(line, n, sizeof *line, table_cmp_id);
	for (p = rows, i = 0; i < n; i++) {
		len = strlen(line[i]);
		memcpy(p, line[i], len);
		p += len;
		if (i + 1 < n || lf)
			*p++ = '\n';
	}
	free(line);
	free(copy);
}
