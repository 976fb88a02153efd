/*
 * The moderator console's screen: lays a console out onto a screen
 * model, as view.c does for the chat.  From the top: a status line
 * (counts), the tabs (sessions, reports, bans), the selected table with
 * a header row (for reports, the selected report's evidence below it,
 * or filling the pane after Enter), the last answer or error, a line of
 * hints and the input line, which also asks the questions.
 *
 * Columns are chosen by importance until the width is used, so the
 * essentials (id, state, target, status) survive at 40 columns; every
 * line has shorter wordings for narrow screens.
 *
 * Also holds the column tables console.c prints in line mode.  Reads
 * the console, except that it keeps the selected row in view; changes
 * only the screen it is given.  No I/O.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"
#include "console.h"

#define CONSOLE_ATTR_STATUS	ATTR_REVERSE
#define CONSOLE_ATTR_TAB	(ATTR_REVERSE | ATTR_BOLD)
#define CONSOLE_ATTR_HEAD	(ATTR_BOLD | ATTR_FG(6))
#define CONSOLE_ATTR_SEL	ATTR_REVERSE
#define CONSOLE_ATTR_OPEN	(ATTR_BOLD | ATTR_FG(3))
#define CONSOLE_ATTR_ERROR	(ATTR_BOLD | ATTR_FG(1))
#define CONSOLE_ATTR_OK		(ATTR_FG(2))
#define CONSOLE_ATTR_HINT	ATTR_DIM
#define CONSOLE_ATTR_ASK	(ATTR_BOLD | ATTR_FG(3))
#define CONSOLE_ATTR_REPORTER	(ATTR_BOLD | ATTR_FG(6))
#define CONSOLE_ATTR_REPORTED	(ATTR_BOLD | ATTR_FG(5))
/* A column narrower than this is left out rather than cut. */
#define CONSOLE_COL_MIN		6

/*
 * Title, field, widest (0: no limit), rank (0 is dropped last), shown
 * only in a cluster.
 */
static const struct console_column console_sessions_cols[] = {
	{ "ID",		SCOL_ID,	24, 0, 0 },
	{ "NODE",	SCOL_NODE,	16, 2, 1 },
	{ "STATE",	SCOL_STATE,	8, 1, 0 },
	{ "TIME",	SCOL_TIME,	8, 4, 0 },
	{ "VIA",	SCOL_TRANSPORT,	6, 3, 0 },
	{ "ADDRESS",	SCOL_ADDRESS,	39, 2, 0 },
	{ "PARTNER",	SCOL_PARTNER,	24, 5, 0 },
	{ "KEY",	SCOL_KEY,	0, 6, 0 },
	{ NULL, 0, 0, 0, 0 }
};
static const struct console_column console_reports_cols[] = {
	{ "ID",		RCOL_ID,	8, 0, 0 },
	{ "STATUS",	RCOL_STATUS,	9, 1, 0 },
	{ "TIME",	RCOL_TIME,	20, 4, 0 },
	{ "REPORTED",	RCOL_REPORTED,	40, 2, 0 },
	{ "REASON",	RCOL_REASON,	0, 3, 0 },
	{ "REPORTER",	RCOL_REPORTER,	40, 5, 0 },
	{ NULL, 0, 0, 0, 0 }
};
/* In strangerctl's order (table.c), so that the two read alike. */
static const struct console_column console_bans_cols[] = {
	{ "ID",		BCOL_ID,	8, 3, 0 },
	{ "TARGET",	BCOL_TARGET,	50, 0, 0 },
	{ "KIND",	BCOL_KIND,	7, 5, 0 },
	{ "EXPIRES",	BCOL_EXPIRES,	20, 1, 0 },
	{ "CREATED",	BCOL_CREATED,	20, 6, 0 },
	{ "BY",		BCOL_BY,	50, 4, 0 },
	{ "REASON",	BCOL_REASON,	0, 2, 0 },
	{ NULL, 0, 0, 0, 0 }
};
const struct console_column *const console_columns[CONSOLE_PANES] = {
	console_sessions_cols, console_reports_cols, console_bans_cols
};
const char *const console_pane_names[CONSOLE_PANES] = {
	"sessions", "reports", "bans"
};

/* Is a column shown: the node column only in a cluster. */
int
console_column_shown(const struct console_column *col)
{
	return (!col->nodes || table_has_nodes());
}

static u_int	 console_view_width(const char *);
static void	 console_view_best(struct screen *, u_int, u_int,
		     const char *const *, uint8_t);
static void	 console_view_status(struct console *, struct screen *);
static void	 console_view_tabs(struct console *, struct screen *);
static void	 console_view_table(struct console *, struct screen *, u_int,
		     u_int);
static u_int	 console_view_evidence(struct console *, struct screen *,
		     u_int, u_int);
static void	 console_view_help(struct screen *, u_int, u_int);
static void	 console_view_bottom(struct console *, struct screen *);

/* Display width of a string, up to a newline. */
static u_int
console_view_width(const char *text)
{
	return ((u_int)utf8_strwidth(text, strcspn(text, "\n")));
}

/* Draw the first of the candidates (NULL-terminated) that fits. */
static void
console_view_best(struct screen *scr, u_int x, u_int y,
    const char *const *l, uint8_t attr)
{
	for (; l[1] != NULL; l++)
		if (x + console_view_width(*l) <= scr->sx)
			break;
	screen_puts(scr, x, y, scr->sx, *l, strlen(*l), attr);
}

/*
 * The top line: whose console, and the counts.  The first pair of
 * wordings (left, right) that fits is drawn.
 */
static void
console_view_status(struct console *c, struct screen *scr)
{
	const u_int	*n = c->counts;
	char		 brand[96], right[4][128];
	const char	*left[] = { brand, " strangerd console", " console",
			    "" };
	/* Pairs of indexes into left and right, widest first. */
	static const u_int pairs[][2] = {
		{ 0, 0 }, { 1, 0 }, { 1, 1 }, { 2, 1 }, { 2, 2 }, { 3, 2 },
		{ 3, 3 }
	};
	u_int		 i, lw, rw, np = sizeof pairs / sizeof pairs[0];

	screen_fill(scr, 0, 0, scr->sx, CONSOLE_ATTR_STATUS);
	snprintf(brand, sizeof brand, " strangerd console \xc2\xb7 %s",
	    c->s->key);
	snprintf(right[0], sizeof right[0], "%u online \xc2\xb7 %u "
	    "waiting \xc2\xb7 %u pairs \xc2\xb7 %u open reports "
	    "\xc2\xb7 %u bans ", n[STAT_SESSIONS], n[STAT_WAITING],
	    n[STAT_CHATTING] / 2, n[STAT_REPORTS_OPEN], n[STAT_BANS]);
	snprintf(right[1], sizeof right[1], "%u on \xc2\xb7 %u wait "
	    "\xc2\xb7 %u pairs \xc2\xb7 %u open \xc2\xb7 %u bans ",
	    n[STAT_SESSIONS], n[STAT_WAITING], n[STAT_CHATTING] / 2,
	    n[STAT_REPORTS_OPEN], n[STAT_BANS]);
	snprintf(right[2], sizeof right[2], "%u on \xc2\xb7 %u wait "
	    "\xc2\xb7 %u open ", n[STAT_SESSIONS], n[STAT_WAITING],
	    n[STAT_REPORTS_OPEN]);
	snprintf(right[3], sizeof right[3], "%u/%u/%u ", n[STAT_SESSIONS],
	    n[STAT_WAITING], n[STAT_REPORTS_OPEN]);
	if (!c->have_counts)
		for (i = 0; i < 4; i++)
			snprintf(right[i], sizeof right[i], "%s",
			    i < 2 ? "loading\xe2\x80\xa6 " : "");
	for (i = 0; i + 1 < np; i++) {
		lw = console_view_width(left[pairs[i][0]]);
		rw = console_view_width(right[pairs[i][1]]);
		if (lw + rw + 2 <= scr->sx)
			break;
	}
	rw = console_view_width(right[pairs[i][1]]);
	screen_puts(scr, 0, 0, scr->sx > rw ? scr->sx - rw : 0,
	    left[pairs[i][0]], strlen(left[pairs[i][0]]),
	    CONSOLE_ATTR_STATUS | ATTR_BOLD);
	if (scr->sx > rw)
		screen_puts(scr, scr->sx - rw, 0, scr->sx, right[pairs[i][1]],
		    strlen(right[pairs[i][1]]), CONSOLE_ATTR_STATUS);
}

/* The second line: the panes, the current one highlighted. */
static void
console_view_tabs(struct console *c, struct screen *scr)
{
	char	 tab[CONSOLE_PANES][3][48];
	u_int	 i, j, x, total, n[CONSOLE_PANES];

	n[CONSOLE_SESSIONS] = c->tables[CONSOLE_SESSIONS].nrows;
	n[CONSOLE_REPORTS] = c->counts[STAT_REPORTS_OPEN];
	n[CONSOLE_BANS] = c->tables[CONSOLE_BANS].nrows;
	for (i = 0; i < CONSOLE_PANES; i++) {
		snprintf(tab[i][0], sizeof tab[i][0], " %u %s (%u%s) ", i + 1,
		    i == 0 ? "Sessions" : i == 1 ? "Reports" : "Bans", n[i],
		    i == 1 ? " open" : "");
		snprintf(tab[i][1], sizeof tab[i][1], " %u %s %u ", i + 1,
		    i == 0 ? "Sess" : i == 1 ? "Rep" : "Bans", n[i]);
		snprintf(tab[i][2], sizeof tab[i][2], " %u:%u ", i + 1, n[i]);
	}
	for (j = 0; j < 3; j++) {
		total = 0;
		for (i = 0; i < CONSOLE_PANES; i++)
			total += console_view_width(tab[i][j]) + 1;
		if (total <= scr->sx || j == 2)
			break;
	}
	x = 0;
	for (i = 0; i < CONSOLE_PANES; i++) {
		x += screen_puts(scr, x, 1, scr->sx, tab[i][j],
		    strlen(tab[i][j]), i == (u_int)c->pane ? CONSOLE_ATTR_TAB :
		    ATTR_DIM);
		x++;
	}
}

/*
 * A table between rows top and bottom: a header, then the rows, the
 * selected one highlighted and kept in view.
 */
static void
console_view_table(struct console *c, struct screen *scr, u_int top,
    u_int bottom)
{
	const struct console_table	*t = &c->tables[c->pane];
	const struct console_column	*cols = console_columns[c->pane];
	u_int				 ncols, w[TABLE_COLS_MAX + 1];
	u_int				 rank, i, r, x, used, want, y, *sel;
	u_int				*topr, rows;
	int				 on[TABLE_COLS_MAX + 1];
	const char			*v, *empty;
	uint8_t				 attr;

	if (bottom <= top)
		return;
	for (ncols = 0; cols[ncols].title != NULL; ncols++) {
		w[ncols] = console_view_width(cols[ncols].title);
		for (r = 0; r < t->nrows; r++) {
			want = console_view_width(CONSOLE_CELL(t, r,
			    cols[ncols].field));
			if (want > w[ncols])
				w[ncols] = want;
		}
		if (cols[ncols].max != 0 && w[ncols] > cols[ncols].max)
			w[ncols] = cols[ncols].max;
		on[ncols] = 0;
	}
	/* The most important columns first, while they fit. */
	used = 0;
	for (rank = 0; rank <= TABLE_COLS_MAX; rank++) {
		for (i = 0; i < ncols; i++) {
			if (cols[i].rank != rank ||
			    !console_column_shown(&cols[i]))
				continue;
			want = w[i] + (used > 0 ? 2 : 1);
			if (used + want <= scr->sx) {
				on[i] = 1;
				used += want;
			} else if (scr->sx > used + 2 + CONSOLE_COL_MIN &&
			    (rank <= 1 || cols[i].max == 0)) {
				/* Cut to what is left. */
				w[i] = scr->sx - used - (used > 0 ? 2 : 1);
				on[i] = 1;
				used = scr->sx;
			}
		}
	}
	/* Header. */
	x = 1;
	for (i = 0; i < ncols; i++) {
		if (!on[i])
			continue;
		screen_puts(scr, x, top, x + w[i], cols[i].title,
		    strlen(cols[i].title), CONSOLE_ATTR_HEAD);
		x += w[i] + 2;
	}
	top++;
	if (bottom <= top)
		return;
	rows = bottom - top;
	if (t->nrows == 0) {
		empty = !c->loaded[c->pane] ? " loading\xe2\x80\xa6" :
		    c->pane == CONSOLE_SESSIONS ? " nobody online" :
		    c->pane == CONSOLE_REPORTS ? " no reports" :
		    " no bans in force";
		screen_puts(scr, 0, top, scr->sx, empty, strlen(empty),
		    ATTR_DIM);
		return;
	}
	/* Keep the selection in view. */
	sel = &c->sel[c->pane];
	topr = &c->top[c->pane];
	if (*sel >= t->nrows)
		*sel = t->nrows - 1;
	if (*sel < *topr)
		*topr = *sel;
	if (*sel >= *topr + rows)
		*topr = *sel - rows + 1;
	if (*topr + rows > t->nrows)
		*topr = t->nrows > rows ? t->nrows - rows : 0;
	for (y = top, r = *topr; r < t->nrows && y < bottom; r++, y++) {
		attr = r == *sel ? CONSOLE_ATTR_SEL : 0;
		if (attr != 0)
			screen_fill(scr, 0, y, scr->sx, attr);
		x = 1;
		for (i = 0; i < ncols; i++) {
			if (!on[i])
				continue;
			v = CONSOLE_CELL(t, r, cols[i].field);
			screen_puts(scr, x, y, x + w[i], v, strcspn(v, "\n"),
			    attr | (c->pane == CONSOLE_REPORTS &&
			    cols[i].field == RCOL_STATUS &&
			    strcmp(v, "open") == 0 ? CONSOLE_ATTR_OPEN : 0));
			x += w[i] + 2;
		}
	}
}

/*
 * The selected report in full between rows top and bottom: who, why,
 * then the evidence, scrolled by c->evscroll rows.  Returns the rows
 * the whole text takes.
 */
static u_int
console_view_evidence(struct console *c, struct screen *scr, u_int top,
    u_int bottom)
{
	const struct console_table	*t = &c->tables[CONSOLE_REPORTS];
	struct view_row			 cw;
	char				*text, *copy, *line, *next;
	char				 head[160];
	const char			*colon;
	u_int				 sel = c->sel[CONSOLE_REPORTS], total;

	if (bottom <= top || t->nrows == 0 || sel >= t->nrows)
		return (0);
	snprintf(head, sizeof head, " Report %s \xc2\xb7 %s \xc2\xb7 %s ",
	    CONSOLE_CELL(t, sel, RCOL_ID),
	    CONSOLE_CELL(t, sel, RCOL_STATUS),
	    CONSOLE_CELL(t, sel, RCOL_TIME));
	screen_fill(scr, 0, top, scr->sx, CONSOLE_ATTR_STATUS);
	screen_puts(scr, 0, top, scr->sx, head, strlen(head),
	    CONSOLE_ATTR_STATUS | ATTR_BOLD);
	top++;
	xasprintf(&text, "Reported: %s\nReporter: %s\nReason: %s\n%s",
	    CONSOLE_CELL(t, sel, RCOL_REPORTED),
	    CONSOLE_CELL(t, sel, RCOL_REPORTER),
	    *CONSOLE_CELL(t, sel, RCOL_REASON) != '\0' ?
	    CONSOLE_CELL(t, sel, RCOL_REASON) : "(none given)",
	    CONSOLE_CELL(t, sel, RCOL_EVIDENCE));
	/* Count the rows first, to keep the scroll within them. */
	total = 0;
	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' && next == NULL)
			break;		/* after the last newline */
		total += view_wrap(line, scr->sx, 2, NULL, NULL);
	}
	free(copy);
	if (c->evscroll + (bottom - top) > total)
		c->evscroll = total > bottom - top ? total - (bottom - top) : 0;
	memset(&cw, 0, sizeof cw);
	cw.scr = scr;
	cw.y = top;
	cw.ymax = bottom;
	cw.skip = c->evscroll;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' && next == NULL)
			break;
		cw.first = 1;
		cw.attr = 0;
		cw.prefix_len = 0;
		if ((colon = strchr(line, ':')) != NULL &&
		    colon - line < 10) {
			cw.prefix_len = (u_int)(colon - line + 1);
			cw.prefix_attr = strncmp(line, "reporter:", 9) == 0 ?
			    CONSOLE_ATTR_REPORTER : strncmp(line, "reported:",
			    9) == 0 ? CONSOLE_ATTR_REPORTED : ATTR_BOLD;
		}
		view_wrap(line, scr->sx, 2, view_put_row, &cw);
	}
	free(text);
	return (total);
}

/* The keys and commands, in the pane's place. */
static void
console_view_help(struct screen *scr, u_int top, u_int bottom)
{
	static const char *const lines[] = {
		"Moderator console \xe2\x80\x94 Esc or ? closes this help",
		"",
		"Up/Down PgUp/PgDn Home/End  move the selection",
		"Tab, Left/Right, 1 2 3      switch pane",
		"k  kick the selected session",
		"b  ban: the session's key or address, the reported",
		"   visitor (and close the report), or a typed target",
		"u  unban the selected ban",
		"d / a  dismiss / mark actioned the selected report",
		"Enter  a report's evidence in full",
		"n  a notice to everyone online",
		"r  refresh    q, Ctrl-C  leave",
		"",
		"Commands: type / then",
		"  ban TARGET [DURATION] [REASON]   unban TARGET",
		"  kick ID  dismiss ID  action ID  notice TEXT",
		"  sessions  reports  bans  refresh  quit",
		"Every action is in the audit log under your key.",
		NULL
	};
	u_int	i, y = top;

	for (i = 0; lines[i] != NULL && y < bottom; i++, y++)
		screen_puts(scr, 1, y, scr->sx, lines[i], strlen(lines[i]),
		    i == 0 ? ATTR_BOLD : 0);
}

/* The last three rows: the answer, the hints, the input line. */
static void
console_view_bottom(struct console *c, struct screen *scr)
{
	static const char *const hints[CONSOLE_PANES][4] = {
		{ " k kick \xc2\xb7 b ban \xc2\xb7 n notice \xc2\xb7 Tab pane "
		    "\xc2\xb7 / command \xc2\xb7 ? help \xc2\xb7 q quit",
		  " k kick \xc2\xb7 b ban \xc2\xb7 n notice \xc2\xb7 ? help",
		  " k b n ? q", NULL },
		{ " Enter evidence \xc2\xb7 d dismiss \xc2\xb7 a action "
		    "\xc2\xb7 b ban \xc2\xb7 n notice \xc2\xb7 ? help \xc2\xb7 "
		    "q quit",
		  " Enter \xc2\xb7 d dismiss \xc2\xb7 a action \xc2\xb7 b ban",
		  " Enter d a b ? q", NULL },
		{ " u unban \xc2\xb7 b ban a target \xc2\xb7 n notice \xc2\xb7 "
		    "Tab pane \xc2\xb7 / command \xc2\xb7 ? help \xc2\xb7 q quit",
		  " u unban \xc2\xb7 b ban \xc2\xb7 n notice \xc2\xb7 ? help",
		  " u b n ? q", NULL },
	};
	static const char *const asking[] = {
		" Enter to answer \xc2\xb7 Esc to cancel", " Enter/Esc", NULL
	};
	static const char *const confirm[] = {
		" y to confirm \xc2\xb7 any other key cancels", " y/n", NULL
	};
	const struct editor	*ed = &c->s->editor;
	const char		*prompt;
	u_int			 y = scr->sy - 1, x;
	int			 has_msg = c->message != NULL;

	/* Short screens: the answer takes the hints' row. */
	if (scr->sy >= 8 || !has_msg) {
		if (c->ask == CONSOLE_ASK_CONFIRM)
			console_view_best(scr, 0, y - 1, confirm,
			    CONSOLE_ATTR_HINT);
		else if (c->ask != CONSOLE_ASK_NONE)
			console_view_best(scr, 0, y - 1, asking,
			    CONSOLE_ATTR_HINT);
		else
			console_view_best(scr, 0, y - 1, hints[c->pane],
			    CONSOLE_ATTR_HINT);
	}
	if (has_msg && (scr->sy >= 8 || y >= 1))
		screen_puts(scr, 1, scr->sy >= 8 ? y - 2 : y - 1, scr->sx,
		    c->message, strlen(c->message), c->message_error ?
		    CONSOLE_ATTR_ERROR : CONSOLE_ATTR_OK);

	prompt = c->ask != CONSOLE_ASK_NONE && c->ask_prompt != NULL ?
	    c->ask_prompt : "> ";
	x = screen_puts(scr, 0, y, scr->sx, prompt, strlen(prompt),
	    c->ask != CONSOLE_ASK_NONE ? CONSOLE_ATTR_ASK : ATTR_BOLD);
	if (c->ask == CONSOLE_ASK_CONFIRM) {
		screen_cursor(scr, x < scr->sx ? x : scr->sx - 1, y, 1);
		return;
	}
	/* A long prompt leaves at least a third of the row to type in. */
	if (x > scr->sx - scr->sx / 3) {
		screen_fill(scr, 0, y, scr->sx, 0);
		x = screen_puts(scr, 0, y, scr->sx / 3, "> ", 2,
		    CONSOLE_ATTR_ASK);
	}
	view_editor(scr, ed, x, y);
}

/* Lay the console out onto scr, which has the session's size. */
void
console_view_draw(struct session *s, struct screen *scr)
{
	struct console	*c = s->console;
	u_int		 top = 2, bottom, split, i, n;

	screen_clear(scr);
	if (c == NULL)
		return;
	console_view_status(c, scr);
	if (scr->sy > 3)
		console_view_tabs(c, scr);
	/* Rows for the answer (on tall screens), the hints and the input. */
	bottom = scr->sy >= 8 ? scr->sy - 3 : scr->sy > 2 ? scr->sy - 2 : 1;
	if (top > bottom)
		top = bottom;
	if (c->help)
		console_view_help(scr, top, bottom);
	else if (c->pane == CONSOLE_REPORTS && c->evidence)
		console_view_evidence(c, scr, top, bottom);
	else if (c->pane == CONSOLE_REPORTS && bottom - top >= 10 &&
	    c->tables[CONSOLE_REPORTS].nrows > 0) {
		/* The queue above, the selected report's evidence below. */
		split = top + (bottom - top) * 2 / 5;
		if (split < top + 4)
			split = top + 4;
		console_view_table(c, scr, top, split);
		console_view_evidence(c, scr, split, bottom);
	} else
		console_view_table(c, scr, top, bottom);
	console_view_bottom(c, scr);
	/* /color off, or a terminal without colours: attributes only. */
	if (s->no_colour || s->term == NULL || s->term->colours < 8) {
		n = scr->sx * scr->sy;
		for (i = 0; i < n; i++)
			scr->cells[i].attr &= ~ATTR_FGMASK;
	}
}
