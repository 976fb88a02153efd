/*
 * What only the cluster thread's two files share: cluster.c (Redis,
 * pairing, relay) and cluster-ask.c (moderators' questions to every
 * node).  Everything here runs on the cluster thread.
 */

#ifndef CLUSTER_H
#define CLUSTER_H

/* The text of an answer to a question (R): a batch of rows at most. */
#define CLUSTER_REPLY_MAX	16384

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

/* cluster.c */
const char		*cluster_self(void);
int			 cluster_is_up(void);
struct event_base	*cluster_event_base(void);
struct inbox		*cluster_own_inbox(void);
void			 cluster_send(const char *, char, uint64_t, uint64_t,
			     uint64_t, const char *, size_t);
int			 cluster_list_nodes(redisCallbackFn *, void *);
int			 cluster_partner_name(uint64_t, char *, size_t);

/* cluster-ask.c */
int			 cluster_ask_query(struct msg *);
void			 cluster_ask_reply(struct msg *);
void			 cluster_ask_in(const struct cluster_in *);
void			 cluster_ask_free(void);

#endif
