/*
 * What only the store's own files (store.c, store-ban.c, store-report.c
 * and the two backends, store-sqlite.c and store-pg.c) share: the
 * database interface, transactions and the handlers of each request.
 * Everything here runs on the store thread (or in store_open(), on the
 * main thread before that thread exists).  The rest of the daemon
 * reaches the store only through include/strangerd.h: store_request()
 * and the messages in src/THREADS.
 */

#ifndef STORE_H
#define STORE_H

struct event_base;

/*
 * One interface, two backends.  A statement's SQL is written once for
 * both, with $1, $2... parameters (PostgreSQL's spelling; the SQLite
 * backend turns them into ?1, ?2... when it prepares them).  Values go
 * in as text or integers and come out the same way; NULL is a NULL
 * text.
 */
struct store_q;			/* a prepared statement of the backend */
#define STORE_ROW	1	/* store_step(): a row to read */
#define STORE_DONE	0	/* store_step(): finished */
struct store_backend {
	const char	 *name;
	/* Open (dir for SQLite, a URI for PostgreSQL) and migrate. */
	int		(*open)(const char *, char **);
	void		(*close)(void);
	int		(*exec)(const char *, char **);
	int		(*begin)(char **);
	int		(*in_transaction)(void);
	struct store_q	*(*prepare)(const char *);
	void		(*finalize)(struct store_q *);
	void		(*bind_text)(struct store_q *, int, const char *);
	void		(*bind_int)(struct store_q *, int, int64_t);
	int		(*step)(struct store_q *);
	void		(*reset)(struct store_q *);
	const char	*(*col_text)(struct store_q *, int);
	int64_t		(*col_int)(struct store_q *, int);
	int64_t		(*changes)(struct store_q *);
	const char	*(*error)(void);
	/* After the retention purge deleted or erased rows (or NULL). */
	void		(*purged)(void);
	/* On the store thread's loop: what the backend watches (or NULL). */
	void		(*attach)(struct event_base *);
	void		(*detach)(void);
};
extern const struct store_backend store_sqlite;
extern const struct store_backend store_pg;

/* A prepared statement of a store module: where it is kept, its SQL. */
struct store_stmt {
	struct store_q	**q;
	const char	 *sql;
};
int		 store_prepare(const struct store_stmt *, size_t);
void		 store_finalize(const struct store_stmt *, size_t);
void		 store_bind_text(struct store_q *, int, const char *);
void		 store_bind_int(struct store_q *, int, int64_t);
int		 store_step(struct store_q *);
void		 store_reset(struct store_q *);
const char	*store_col_text(struct store_q *, int);
int64_t		 store_col_int(struct store_q *, int);
int		 store_col_null(struct store_q *, int);
int64_t		 store_changes(struct store_q *);
int64_t		 store_run(struct store_q *);
int		 store_audit(const char *, const char *, const char *,
		     const char *);
int		 store_begin(char **);
int		 store_commit(char **);
void		 store_rollback(void);
const char	*store_error(void);
void		 store_fmt_time(time_t, char *, size_t);
void		 store_send_bans(struct banlist *);
int		 store_ban_prepare(void);
void		 store_ban_finalize(void);
void		 store_ban_add(struct store_req *);
void		 store_ban_del(struct store_req *);
void		 store_ban_list(struct store_req *);
int		 store_ban_insert(const struct ban_target *, const char *,
		     time_t, const char *, const char *);
struct banlist	*store_ban_load(time_t);
int		 store_ban_expire(time_t);
void		 store_ban_publish(void);
int		 store_ban_count(time_t);
int		 store_report_prepare(void);
void		 store_report_finalize(void);
void		 store_report_add(struct store_req *);
void		 store_report_list(struct store_req *);
void		 store_report_set(struct store_req *);
void		 store_report_stats(struct store_req *);
int		 store_report_purge(time_t);

#endif /* STORE_H */
