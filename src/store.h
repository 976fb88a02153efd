/*
 * What only the store's own files (store.c, store-ban.c, store-report.c)
 * share: the statements, transactions and the handlers of each request.
 * Everything here runs on the store thread (or in store_open(), on the
 * main thread before that thread exists).  The rest of the daemon
 * reaches the store only through include/strangerd.h: store_request()
 * and the messages in src/THREADS.
 */

#ifndef STORE_H
#define STORE_H

struct sqlite3;
struct sqlite3_stmt;
/* A prepared statement of a store module: where it is kept, its SQL. */
struct store_stmt {
	struct sqlite3_stmt	**st;
	const char		 *sql;
};
int		 store_prepare(struct sqlite3 *, const struct store_stmt *,
		     size_t);
void		 store_finalize(const struct store_stmt *, size_t);
int		 store_audit(const char *, const char *, const char *,
		     const char *);
int		 store_begin(char **);
int		 store_commit(char **);
void		 store_rollback(void);
const char	*store_error(void);
void		 store_fmt_time(time_t, char *, size_t);
void		 store_send_bans(struct banlist *);
int		 store_ban_prepare(struct sqlite3 *);
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
int		 store_report_prepare(struct sqlite3 *);
void		 store_report_finalize(void);
void		 store_report_add(struct store_req *);
void		 store_report_list(struct store_req *);
void		 store_report_set(struct store_req *);
void		 store_report_stats(struct store_req *);
void		 store_report_purge(time_t);

#endif /* STORE_H */
