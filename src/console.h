/*
 * What only the moderator console's two files share: console.c (what it
 * does) and console-view.c (how it is drawn).  Everything here belongs
 * to the worker that owns the console's session.  The rest of the
 * daemon knows a console only as session->console and the functions in
 * include/strangerd.h.
 */

#ifndef CONSOLE_H
#define CONSOLE_H

enum console_pane {
	CONSOLE_SESSIONS = TABLE_SESSIONS,
	CONSOLE_REPORTS = TABLE_REPORTS,
	CONSOLE_BANS = TABLE_BANS,
};
#define CONSOLE_PANES		3
struct console_table {
	char		*buf;		/* owned: the answer, split in place */
	char		**cells;	/* owned: nrows rows of TABLE_COLS_MAX */
	u_int		 nrows;
};
#define CONSOLE_CELL(t, r, c) \
	((t)->cells[(size_t)(r) * TABLE_COLS_MAX + (c)])
struct console_column {
	const char	*title;		/* NULL ends a list */
	u_int		 field;
	u_int		 max;		/* widest it is drawn; 0: no limit */
	u_int		 rank;		/* narrow screens drop high ranks */
	int		 nodes;		/* shown only in a cluster */
};
int		 console_column_shown(const struct console_column *);
extern const struct console_column *const console_columns[CONSOLE_PANES];
extern const char *const console_pane_names[CONSOLE_PANES];
/* What the input line is asking. */
enum console_ask {
	CONSOLE_ASK_NONE,
	CONSOLE_ASK_TARGET,	/* ban: whom */
	CONSOLE_ASK_REASON,	/* ban: why */
	CONSOLE_ASK_DURATION,	/* ban: how long */
	CONSOLE_ASK_NOTICE,	/* the notice */
	CONSOLE_ASK_CONFIRM,	/* y/n for the action prepared */
};
enum console_op {
	CONSOLE_OP_BAN,
	CONSOLE_OP_UNBAN,
	CONSOLE_OP_KICK,
	CONSOLE_OP_DISMISS,
	CONSOLE_OP_ACTION,
	CONSOLE_OP_NOTICE,
};
struct console_action {
	enum console_op	 op;
	char		*target;	/* owned: ban target, session, report */
	char		*label;		/* owned: the session banned, or NULL */
	char		*reason;	/* owned: ban reason, notice text */
	char		*duration;	/* owned: "" or NULL for ever */
	int64_t		 report;	/* ban from the queue: then actioned */
};
struct console_req;
struct console {
	struct session		*s;
	enum console_pane	 pane;
	struct console_table	 tables[CONSOLE_PANES];
	int			 loaded[CONSOLE_PANES];
	u_int			 sel[CONSOLE_PANES];	/* selected row */
	u_int			 top[CONSOLE_PANES];	/* first row shown */
	uint64_t		 refreshed[CONSOLE_PANES]; /* ms: asked */
	uint64_t		 stats_at;	/* ms: counts asked */
	int			 evidence;	/* a report fills the pane */
	u_int			 evscroll;	/* its rows scrolled */
	int			 help;
	u_int			 counts[STAT_N];
	int			 have_counts;
	uint64_t		 pairings;	/* since the start */
	enum console_ask	 ask;
	char			*ask_prompt;	/* owned */
	struct console_action	 act;
	char			*message;	/* owned: the last answer */
	int			 message_error;
	struct console_req	*reqs;		/* owned: in flight */
	u_int			 nreqs;
	uint64_t		 seq;		/* the last request's id */
	char			**queue;	/* owned: line mode, waiting */
	u_int			 nqueue;
};

#endif /* CONSOLE_H */
