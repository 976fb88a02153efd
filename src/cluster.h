/*
 * What only the cluster thread's files share: cluster.c (the thread,
 * the Redis connections), cluster-entry.c (one entry per local
 * session), cluster-pair.c (the pool in Redis), cluster-relay.c (the
 * wire between nodes), cluster-ask.c (moderators' questions to
 * every node) and cluster-script.c (Lua scripts run by their digest).
 * Everything here runs on the cluster thread.
 */

#ifndef CLUSTER_H
#define CLUSTER_H

/* The text of an answer to a question (R): a batch of rows at most. */
#define CLUSTER_REPLY_MAX	16384

/* Channel "to:NODE": what a node's visitors are sent (cluster-relay.c). */
#define CLUSTER_CHANNEL		"strangerd:to:"
/* What every node's visitors are sent: moderators' notices. */
#define CLUSTER_CHANNEL_ALL	"strangerd:all"
/* A node whose key is gone is dead: within TTL + a beat. */
#define CLUSTER_TTL_SECS	3
/* "NODE BOOT HANDLE IDENT" */
#define CLUSTER_MEMBER_MAX	(CLUSTER_NAME_MAX + 3 * 17 + 4)

/* The most arguments a script takes: the pairing script's. */
#define CLUSTER_SCRIPT_ARGS	(9 + INTERESTS_MAX)

/* A Lua script Redis runs (cluster-script.c). */
struct cluster_script {
	const char		*text;
	char			 sha[41];	/* its digest; "": unknown */
	int			 loading;	/* SCRIPT LOAD sent */
};

/* A message from another node, parsed. */
struct cluster_in {
	char			 type;
	char			 node[CLUSTER_NAME_MAX + 1];
	uint64_t		 boot;
	uint64_t		 from;
	uint64_t		 to;
	uint64_t		 ident;
	uint64_t		 arg;
	const char		*text;	/* len bytes, then a NUL */
	size_t			 len;
};

/* One local session the cluster knows (cluster-entry.c). */
struct cluster_entry {
	uint64_t		 local;		/* the session's handle */
	uint64_t		 ident;		/* its hashed identity */
	int			 waiting;	/* its member is in Redis */
	int			 held;		/* wants one, Redis away */
	int			 told;		/* told Redis is away */
	char			*interests;	/* owned normalised list, or NULL */
	uint64_t		 strict_until;	/* ms: a shared interest only */
	char			 skip[CLUSTER_MEMBER_MAX + 1]; /* just left */
	uint64_t		 skip_local;	/* just left, on this node */
	/* Its partner on another node, now (active) or last. */
	uint64_t		 proxy;		/* HANDLE_NONE: none */
	int			 active;
	int			 acked;		/* the other node knows */
	uint64_t		 paired_at;	/* ms */
	char			 node[CLUSTER_NAME_MAX + 1];
	uint64_t		 boot;
	uint64_t		 remote;	/* handle on that node */
	uint64_t		 ended;		/* ms, when !active */
	struct cluster_entry	*next;		/* hash chain */
};

/* cluster.c */
extern char		 cluster_name[];
extern uint64_t		 cluster_boot;
extern redisAsyncContext *cluster_cmd;	/* the command connection */
extern int		 cluster_up;	/* joined and subscribed */
extern char		 cluster_node_key[];	/* "node:RUN:" */
const char		*cluster_self(void);
int			 cluster_is_up(void);
struct event_base	*cluster_event_base(void);
struct inbox		*cluster_own_inbox(void);
int			 cluster_list_nodes(redisCallbackFn *, void *);

/* cluster-entry.c */
struct cluster_entry	*cluster_entry(uint64_t, int);
void			 cluster_entry_free(struct cluster_entry *);
struct cluster_entry	*cluster_entry_first(void);
struct cluster_entry	*cluster_entry_next(const struct cluster_entry *);
void			 cluster_entry_clear(void);
int			 cluster_entry_handle_ok(uint64_t);
void			 cluster_entry_end(struct cluster_entry *, int);
int			 cluster_partner_name(uint64_t, char *, size_t);

/* cluster-pair.c */
void			 cluster_pair_want(struct msg *);
void			 cluster_pair_cancel(struct msg *);
void			 cluster_pair_block(const struct match_block *);
void			 cluster_pair_eval(struct cluster_entry *,
			     const char *);
void			 cluster_pair_rewant(struct cluster_entry *);
int			 cluster_pair_waits(void);
void			 cluster_pair_fallback(struct cluster_entry *);
void			 cluster_pair_in(const struct cluster_in *);
void			 cluster_pair_join(redisAsyncContext *,
			     redisCallbackFn *);

/* cluster-relay.c */
int			 cluster_relay_hex(const char *, uint64_t *);
int			 cluster_relay_fields(char *, char **, u_int, char **);
void			 cluster_relay_publish(const char *, char, uint64_t,
			     uint64_t, uint64_t, uint64_t, const char *,
			     size_t);
void			 cluster_relay_send(const char *, char, uint64_t,
			     uint64_t, uint64_t, const char *, size_t);
void			 cluster_relay(struct msg *);
void			 cluster_relay_in(const char *, size_t);

/* cluster-ask.c */
int			 cluster_ask_query(struct msg *);
void			 cluster_ask_reply(struct msg *);
void			 cluster_ask_in(const struct cluster_in *);
void			 cluster_ask_free(void);

/* cluster-script.c */
int			 cluster_script_run(redisAsyncContext *,
			     struct cluster_script *, redisCallbackFn *, void *,
			     u_int, const char **);

#endif
