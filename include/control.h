/*
 * The control protocol between strangerctl and strangerd, over the UNIX
 * socket DIR/strangerd.sock (mode 0600; the daemon lets in only root
 * and its own user, checked with SO_PEERCRED).
 *
 * A request is one line of at most CONTROL_LINE_MAX bytes: fields apart
 * by TAB, the first the command.  In every field a backslash escapes
 * itself, TAB (\t), LF (\n) and CR (\r), so no field holds a raw one.
 *
 *	ban TARGET REASON DURATION	DURATION "" for ever, else "30m"...
 *	unban TARGET|ID
 *	bans
 *	reports
 *	report ID dismiss|action
 *	sessions
 *	kick SESSION
 *	stats
 *
 * The answer is lines of fields in the same encoding, the first field
 * naming the line:
 *
 *	ok [MESSAGE] | error MESSAGE	exactly one, first
 *	cols NAME...			column names, if a table follows
 *	row VALUE...			one per row
 *	.				the end of the answer
 *
 * Several requests may follow each other on one connection; each gets
 * its answer in order.  A request that does not arrive whole within
 * CONTROL_TIMEOUT seconds, or is longer than CONTROL_LINE_MAX, ends the
 * connection with an error.
 */

#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

#define CONTROL_SOCKET		"strangerd.sock"
#define CONTROL_LINE_MAX	8192
#define CONTROL_FIELDS_MAX	16
#define CONTROL_TIMEOUT		10

/* control.c */
char		*control_line(const char *const *, u_int);
int		 control_split(char *, char **, u_int);
void		 control_append(char **, size_t *, const char *const *,
		     u_int);

#endif /* CONTROL_H */
