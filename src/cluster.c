/*
 * The cluster: several nodes share one waiting pool through Redis
 * (cluster in strangerd.conf(5)).  One thread owns both Redis
 * connections, since hiredis contexts are not thread-safe: a command
 * connection (the pairing script, PUBLISH, the node key) and a
 * subscriber (RESP2 needs a connection of its own for that), on its own
 * event_base, fed through an inbox like every other thread.
 *
 * Workers do not know about nodes.  With cluster set, match_post()
 * hands MSG_WANT, MSG_CANCEL and MSG_BLOCK here instead of to the
 * matchmaker, and a visitor on another node is named by a proxy handle
 * (worker index HANDLE_CLUSTER) that worker_post() sends here.  A proxy
 * belongs to the local session it was made for: struct cluster_entry,
 * one per local session the cluster knows, found by the session's
 * handle.
 *
 * Redis holds (prefix strangerd:): "waiting", a set of members
 * "NODE BOOT HANDLE IDENT", with "by:INTEREST" and "interests" for
 * those who gave interests (see cluster_lua); "block:IDENT:IDENT" for
 * pairs kept apart; "node:RUN:NODE", the node's boot number with a
 * TTL, refreshed every second, RUN being the Redis server's run_id, so
 * that a key Redis kept on disk from before a restart names nobody;
 * channel "to:NODE" carries what a node's visitors are sent: "TYPE
 * NODE BOOT FROM TO IDENT ARG TEXT", TYPE one of P (paired; answered
 * by A, acknowledged), L (a line), T (typing), X (left), I (the
 * sender's identity, "transport address key", kept by the receiving
 * session for a /report only), K (a moderator's kick) and R (answers
 * to a moderator's question), numbers in hexadecimal (P's ARG: the
 * boot in the member drawn); channel "all" carries N (a moderator's
 * notice) and Q (a moderator's question: sessions, stats) to every
 * node; see cluster-ask.c.  Chat lines are published, never stored.
 * A node reads everything from Redis as untrusted input: bounded,
 * parsed strictly, and only ever compared with its own records.
 *
 * The boot number is drawn anew on every connection to Redis: a node
 * that lost Redis has ended its chats with other nodes and taken its
 * visitors out of the pool, so members and chats from before are
 * ghosts, and the other nodes see its key change and end theirs.  On
 * joining, a script drops every member whose node key does not match.
 *
 * Without Redis (not yet connected, lost) wants go to the local
 * matchmaker (cluster_fallback local: the node keeps pairing its own
 * visitors) or wait in the entries (held; wait).  Once joined, the
 * held go into the pool, and the matchmaker lets go of everyone it
 * keeps (MSG_REQUEUE): each session still waiting asks again.
 *
 * Owns: the Redis contexts, the entries, the timers, its inbox.
 */

#include <sys/types.h>
#include <sys/random.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "strangerd.h"
#include "cluster.h"

#define CLUSTER_KEY_WAITING	"strangerd:waiting"
#define CLUSTER_KEY_INTERESTS	"strangerd:interests"
#define CLUSTER_KEY_BY		"strangerd:by:"
#define CLUSTER_KEY_NODE	"strangerd:node:"
#define CLUSTER_CHANNEL		"strangerd:to:"
/* What every node's visitors are sent: moderators' notices. */
#define CLUSTER_CHANNEL_ALL	"strangerd:all"
#define CLUSTER_KEY_BLOCK	"strangerd:block:"
#define CLUSTER_KEY_NODES	"strangerd:nodes"
#define CLUSTER_KEY_COUNT	"strangerd:count:"
/* A node whose key is gone is dead: within TTL + a beat. */
#define CLUSTER_TTL_SECS	3
#define CLUSTER_BEAT_MS		1000
#define CLUSTER_BACKOFF_MIN_MS	250
#define CLUSTER_BACKOFF_MAX_MS	8000
/* Redis silent this long (stopped, stalled) counts as lost. */
#define CLUSTER_STALL_MS	5000
/* A pairing the other node has not acknowledged by then was lost. */
#define CLUSTER_ACK_MS		3000
/* An ended chat's partner is remembered this long (never the one just left). */
#define CLUSTER_KEEP_MS		(10 * 60 * 1000)
#define CLUSTER_BUCKETS		4096
/*
 * A published message: the header fields and one line at most, or a
 * batch of a moderator's answer (R, cluster-ask.c).
 */
#define CLUSTER_MSG_MAX		(CLUSTER_REPLY_MAX + 256)
/* "NODE BOOT HANDLE IDENT" */
#define CLUSTER_MEMBER_MAX	(CLUSTER_NAME_MAX + 3 * 17 + 4)
/* Remote nodes checked for liveness a beat; more wait for the next. */
#define CLUSTER_CHECK_MAX	64

/*
 * The pool: "waiting" holds who takes anyone, "by:INTEREST" who waits
 * for that interest (strictly for interest_wait, then also in
 * "waiting"), and hash "interests" each member's list, so that a member
 * can be taken out of every set.  A want looks for a shared interest
 * first, then (once not strict) for anyone; candidates come from
 * SRANDMEMBER.  Those whose node is dead or gone round (ghosts) are
 * dropped, the one just left and those a block keeps apart are skipped.
 * Atomic in Redis: nobody is paired twice, whichever nodes race.
 * KEYS: waiting, interests.  ARGV: this member, the member just left
 * ("NODE BOOT HANDLE") or "", the node key prefix, the block key prefix
 * with this visitor's identity, the by: prefix, the mode ("1" strict,
 * "0" anyone, "cancel"), then the visitor's interests.  Returns nil or
 * { member, shared interest or "" }.
 */
#define CLUSTER_LUA_DROP \
    "local function drop(m)\n" \
    "  redis.call('SREM', KEYS[1], m)\n" \
    "  local l = redis.call('HGET', KEYS[2], m)\n" \
    "  if l then\n" \
    "    for i in string.gmatch(l, '[^\\n]+') do\n" \
    "      redis.call('SREM', ARGV[5] .. i, m)\n" \
    "    end\n" \
    "    redis.call('HDEL', KEYS[2], m)\n" \
    "  end\n" \
    "end\n"
static const char cluster_lua[] =
    CLUSTER_LUA_DROP
    "local function pick(set)\n"
    "  for _, m in ipairs(redis.call('SRANDMEMBER', set, 16)) do\n"
    "    local n, b, h, i = string.match(m, '^(%S+) (%S+) (%S+) (%S+)$')\n"
    "    if n == nil or redis.call('GET', ARGV[3] .. n) ~= b then\n"
    "      drop(m)\n"
    "    elseif n .. ' ' .. b .. ' ' .. h ~= ARGV[2] and\n"
    "        redis.call('EXISTS', ARGV[4] .. i) == 0 then\n"
    "      drop(m)\n"
    "      return m\n"
    "    end\n"
    "  end\n"
    "  return nil\n"
    "end\n"
    "drop(ARGV[1])\n"
    "if ARGV[6] == 'cancel' then return false end\n"
    "for k = 7, #ARGV do\n"
    "  local m = pick(ARGV[5] .. ARGV[k])\n"
    "  if m then return { m, ARGV[k] } end\n"
    "end\n"
    "if ARGV[6] == '0' then\n"
    "  local m = pick(KEYS[1])\n"
    "  if m then return { m, '' } end\n"
    "  redis.call('SADD', KEYS[1], ARGV[1])\n"
    "end\n"
    "if #ARGV >= 7 then\n"
    "  for k = 7, #ARGV do redis.call('SADD', ARGV[5] .. ARGV[k], ARGV[1]) end\n"
    "  redis.call('HSET', KEYS[2], ARGV[1],\n"
    "      table.concat({ unpack(ARGV, 7) }, '\\n'))\n"
    "end\n"
    "return false\n";

/*
 * A node joins: its key, then every member (waiting or strict) whose
 * node key does not name its boot is dropped.  After a restart of
 * Redis with its data, or a connection of this node's that dropped,
 * those are ghosts: their nodes took them out and ask again once
 * joined.  One pass over the pool, once a connection, each node's key
 * read once.  KEYS: waiting, interests.  ARGV: the node key prefix,
 * this node, its boot, the TTL, the by: prefix.  Returns how many were
 * dropped.
 */
static const char cluster_join_lua[] =
    CLUSTER_LUA_DROP
    "redis.call('SET', ARGV[1] .. ARGV[2], ARGV[3], 'EX', ARGV[4])\n"
    "local n, boots = 0, {}\n"
    "local function sweep(list)\n"
    "  for _, m in ipairs(list) do\n"
    "    local nd, b = string.match(m, '^(%S+) (%S+) ')\n"
    "    if nd ~= nil and boots[nd] == nil then\n"
    "      boots[nd] = redis.call('GET', ARGV[1] .. nd)\n"
    "    end\n"
    "    if nd == nil or boots[nd] ~= b then\n"
    "      drop(m)\n"
    "      n = n + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "sweep(redis.call('SMEMBERS', KEYS[1]))\n"
    "sweep(redis.call('HKEYS', KEYS[2]))\n"
    "return n\n";

/*
 * Every beat: this node's visitors online (ARGV[3]) under its count
 * key, which expires with it; the answer is the sum over the other
 * nodes in the set of names, from which the departed are dropped.
 * KEYS: the set of node names.  ARGV: this node, the count key prefix,
 * the count, the TTL.
 */
static const char cluster_count_lua[] =
    "redis.call('SADD', KEYS[1], ARGV[1])\n"
    "redis.call('SET', ARGV[2] .. ARGV[1], ARGV[3], 'EX', ARGV[4])\n"
    "local sum = 0\n"
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  local c = redis.call('GET', ARGV[2] .. n)\n"
    "  if c == false then redis.call('SREM', KEYS[1], n)\n"
    "  elseif n ~= ARGV[1] then sum = sum + (tonumber(c) or 0) end\n"
    "end\n"
    "return sum\n";

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

/* What a pairing script is sent for, until its answer. */
struct cluster_want {
	uint64_t		 local;
	uint64_t		 ident;
};

/* A node whose liveness is being checked. */
struct cluster_check {
	char			 node[CLUSTER_NAME_MAX + 1];
	uint64_t		 boot;
};

static int			 cluster_on;
static struct cluster_url	 cluster_url;
static char			 cluster_name[CLUSTER_NAME_MAX + 1];
static uint64_t			 cluster_boot;
static struct event_base	*cluster_base;
static struct inbox		*cluster_inbox;
static pthread_t		 cluster_thread;
static struct event		*cluster_beat_ev;
static struct event		*cluster_retry_ev;
static redisAsyncContext	*cluster_cmd;
static redisAsyncContext	*cluster_sub;
static int			 cluster_up;
static int			 cluster_cmd_ready;	/* joined: key, sweep */
static int			 cluster_sub_ready;	/* subscribed */
static uint64_t			 cluster_connect_at;	/* ms */
static long long		 cluster_dropped;	/* ghosts, on joining */
/* "node:RUN:": this Redis run's node keys. */
static char			 cluster_node_key[sizeof CLUSTER_KEY_NODE + 48];
/* Why Redis would not do, as it said, for the log; "" none. */
static char			 cluster_why[128];
static int			 cluster_failing;	/* logged already */
static int			 cluster_script_failing; /* logged already */
static int			 cluster_stopping;
static u_int			 cluster_backoff;
static uint64_t			 cluster_answered;	/* ms, last reply */
/* Visitors online on the other nodes, a beat ago; read by anyone. */
static _Atomic u_int		 cluster_elsewhere;
static uint64_t			 cluster_next_proxy = 1;
static struct cluster_entry	*cluster_table[CLUSTER_BUCKETS];

static void	cluster_connect(void);
static void	cluster_eval(struct cluster_entry *, const char *);
static void	cluster_rewant(struct cluster_entry *);
static void	cluster_lost(const char *);
static void	cluster_joined(void);
static void	cluster_count(void);

/* The entry of a local session, or NULL; create it if asked. */
static struct cluster_entry *
cluster_entry(uint64_t local, int create)
{
	struct cluster_entry	**head, *e;

	head = &cluster_table[(local ^ (local >> 32)) % CLUSTER_BUCKETS];
	for (e = *head; e != NULL; e = e->next)
		if (e->local == local)
			return (e);
	if (!create)
		return (NULL);
	e = xcalloc(1, sizeof *e);
	e->local = local;
	e->next = *head;
	*head = e;
	return (e);
}

/* Forget a local session. */
static void
cluster_entry_free(struct cluster_entry *e)
{
	struct cluster_entry	**pp;

	pp = &cluster_table[(e->local ^ (e->local >> 32)) % CLUSTER_BUCKETS];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	free(e->interests);
	free(e);
}

/* The waiting-set member naming a local session. */
static void
cluster_member(char *buf, size_t size, uint64_t h, uint64_t ident)
{
	snprintf(buf, size, "%s %llx %llx %llx", cluster_name,
	    (unsigned long long)cluster_boot, (unsigned long long)h,
	    (unsigned long long)ident);
}

/* A hexadecimal number, all of s, at most 16 digits. */
static int
cluster_hex(const char *s, uint64_t *v)
{
	char	*end;

	if (*s == '\0' || strlen(s) > 16 || strspn(s, "0123456789abcdef") !=
	    strlen(s))
		return (-1);
	*v = strtoull(s, &end, 16);
	return (*end == '\0' ? 0 : -1);
}

/* A handle that may name a session of a worker of this node. */
static int
cluster_handle_ok(uint64_t h)
{
	return (h != HANDLE_NONE && HANDLE_WORKER(h) < nworkers);
}

/*
 * Split "NODE BOOT HANDLE IDENT..." (n fields, the last holds the rest
 * when rest is not NULL) in place.  -1 unless every field is there.
 */
static int
cluster_fields(char *s, char **f, u_int n, char **rest)
{
	u_int	i;

	for (i = 0; i < n; i++) {
		if ((f[i] = strsep(&s, " ")) == NULL || *f[i] == '\0')
			return (-1);
	}
	if (rest != NULL)
		*rest = s;
	else if (s != NULL)
		return (-1);
	return (0);
}

/* Publish one message to a channel. */
static void
cluster_publish_to(const char *channel, char type, uint64_t from,
    uint64_t to, uint64_t ident, uint64_t arg, const char *text, size_t len)
{
	char	*payload;
	int	 n;

	if (cluster_cmd == NULL || !cluster_up)
		return;
	n = xasprintf(&payload, "%c %s %llx %llx %llx %llx %llx ", type,
	    cluster_name, (unsigned long long)cluster_boot,
	    (unsigned long long)from, (unsigned long long)to,
	    (unsigned long long)ident, (unsigned long long)arg);
	payload = xreallocarray(payload, (size_t)n + len + 1, 1);
	if (len != 0)
		memcpy(payload + n, text, len);
	redisAsyncCommand(cluster_cmd, NULL, NULL, "PUBLISH %s %b", channel,
	    payload, (size_t)n + len);
	free(payload);
}

/* Publish one message to a node's channel. */
static void
cluster_publish(const char *node, char type, uint64_t from, uint64_t to,
    uint64_t ident, uint64_t arg, const char *text, size_t len)
{
	char	channel[sizeof CLUSTER_CHANNEL + CLUSTER_NAME_MAX];

	snprintf(channel, sizeof channel, "%s%s", CLUSTER_CHANNEL, node);
	cluster_publish_to(channel, type, from, to, ident, arg, text, len);
}

/*
 * Tell a local session its partner on another node has gone (lost 1:
 * with this node's Redis, so it is told why).
 */
static void
cluster_end(struct cluster_entry *e, int lost)
{
	struct msg	*m;

	if (!e->active)
		return;
	m = msg_new(MSG_LEFT);
	m->from = e->proxy;
	m->arg = lost;
	worker_post(e->local, m);
	e->active = 0;
	e->ended = now_ms();
}

/*
 * A local session is paired with one on another node: make its proxy.
 * The node that ran the script waits for the other's acknowledgement
 * (acked 0): pub/sub may lose the news.
 */
static void
cluster_pair_remote(uint64_t local, const char *node, uint64_t boot,
    uint64_t remote, uint64_t remote_ident, const char *shared, int acked)
{
	struct cluster_entry	*e;
	struct msg		*m;

	e = cluster_entry(local, 1);
	if (e->active) {
		/* Paired twice (two wants raced): keep the first chat. */
		cluster_publish(node, 'X', local, remote, 0, 0, NULL, 0);
		return;
	}
	e->waiting = 0;
	e->active = 1;
	e->acked = acked;
	e->paired_at = now_ms();
	e->proxy = HANDLE_MAKE(HANDLE_CLUSTER, cluster_next_proxy,
	    cluster_next_proxy >> 32);
	cluster_next_proxy++;
	snprintf(e->node, sizeof e->node, "%s", node);
	e->boot = boot;
	e->remote = remote;
	m = msg_new(MSG_PAIRED);
	m->from = e->proxy;
	m->ident = remote_ident;
	m->text = shared != NULL ? xstrdup(shared) : NULL;
	worker_post(local, m);
}

/* Two sessions of this node met through Redis: as the matchmaker does. */
static void
cluster_pair_local(uint64_t a, uint64_t ia, uint64_t b, uint64_t ib,
    const char *shared)
{
	struct cluster_entry	*e;
	struct msg		*m;

	if ((e = cluster_entry(b, 0)) != NULL)
		e->waiting = 0;
	m = msg_new(MSG_PAIRED);
	m->from = b;
	m->ident = ib;
	m->text = shared != NULL ? xstrdup(shared) : NULL;
	worker_post(a, m);
	m = msg_new(MSG_PAIRED);
	m->from = a;
	m->ident = ia;
	m->text = shared != NULL ? xstrdup(shared) : NULL;
	worker_post(b, m);
	metrics_inc(METRIC_PAIRINGS);
}

/* Hand a want to the local matchmaker: Redis is away. */
static void
cluster_want_local(uint64_t local, uint64_t ident, uint64_t last,
    const char *interests)
{
	struct msg	*m;

	m = msg_new(MSG_WANT);
	m->from = local;
	m->ident = ident;
	m->arg = cluster_handle_ok(last) ? last : HANDLE_NONE;
	m->text = interests != NULL ? xstrdup(interests) : NULL;
	match_post_local(m);
}

/* Whether new pairings wait for Redis (cluster_fallback wait). */
static int
cluster_waits(void)
{
	return (strcmp(cfg->cluster_fallback, "wait") == 0);
}

/* No member in Redis for now: the beat or joining asks again. */
static void
cluster_hold(struct cluster_entry *e)
{
	e->waiting = 0;
	e->held = 1;
}

/*
 * Redis is away: the local matchmaker takes the want, or it is held
 * (cluster_fallback wait) and the visitor told why nobody comes.
 */
static void
cluster_fallback(struct cluster_entry *e)
{
	struct msg	*m;

	if (!cluster_waits()) {
		e->waiting = e->held = 0;
		cluster_want_local(e->local, e->ident, e->skip_local,
		    e->interests);
		return;
	}
	cluster_hold(e);
	if (!e->told) {
		e->told = 1;
		m = msg_new(MSG_NETWORK);
		worker_post(e->local, m);
	}
}

/*
 * The shared interest a script answered, if it is one of the visitor's
 * own (a node believes nothing else), or NULL.
 */
static const char *
cluster_shared(const struct cluster_entry *e, const redisReply *r)
{
	if (e == NULL || e->interests == NULL || r->type !=
	    REDIS_REPLY_STRING || r->len == 0 || r->len > 256 ||
	    strlen(r->str) != r->len || interests_find(e->interests, r->str) < 0)
		return (NULL);
	return (r->str);
}

/* The pairing script answered: a partner, or waiting in the pool. */
static void
cluster_want_done(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_want	*cw = arg;
	redisReply		*reply = r, *mr;
	struct cluster_entry	*e, *be;
	const char		*shared;
	char			 buf[CLUSTER_MEMBER_MAX + 1], *f[4];
	uint64_t		 boot, h, ident;

	(void)ac;
	e = cluster_entry(cw->local, 0);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		/* Once, not once a want a beat while it lasts. */
		if (reply != NULL && !cluster_script_failing)
			log_warnx("cluster: pairing script: %.*s",
			    (int)reply->len, reply->str);
		cluster_script_failing = reply != NULL;
		/* An error: again next beat.  No reply: Redis is lost. */
		if (e != NULL && e->waiting) {
			if (reply != NULL)
				cluster_hold(e);
			else
				cluster_fallback(e);
		}
		goto out;
	}
	cluster_script_failing = 0;
	if (reply->type != REDIS_REPLY_ARRAY)
		goto out;	/* nil: waiting in the pool */
	if (reply->elements != 2 || (mr = reply->element[0])->type !=
	    REDIS_REPLY_STRING || mr->len >= sizeof buf ||
	    memchr(mr->str, '\0', mr->len) != NULL)
		goto bad;
	memcpy(buf, mr->str, mr->len);
	buf[mr->len] = '\0';
	if (cluster_fields(buf, f, 4, NULL) != 0 ||
	    !cluster_node_name_ok(f[0]) || cluster_hex(f[1], &boot) != 0 ||
	    cluster_hex(f[2], &h) != 0 || cluster_hex(f[3], &ident) != 0)
		goto bad;
	shared = cluster_shared(e, reply->element[1]);
	if (strcmp(f[0], cluster_name) == 0 && boot == cluster_boot) {
		if (!cluster_handle_ok(h) || h == cw->local)
			goto bad;
		if ((be = cluster_entry(h, 0)) == NULL || !be->waiting) {
			/*
			 * A member this node no longer waits with: a script
			 * Redis ran late (it was stalled).  Look again.
			 */
			if (e != NULL && e->waiting)
				cluster_rewant(e);
			goto out;
		}
		if (e == NULL || !e->waiting) {
			/* It stopped waiting meanwhile: the other goes back. */
			cluster_rewant(be);
			goto out;
		}
		e->waiting = 0;
		cluster_pair_local(cw->local, cw->ident, h, ident, shared);
		goto out;
	}
	if (e != NULL)
		e->waiting = 0;
	cluster_publish(f[0], 'P', cw->local, h, cw->ident, boot, shared,
	    shared != NULL ? strlen(shared) : 0);
	cluster_pair_remote(cw->local, f[0], boot, h, ident, shared, 0);
	metrics_inc(METRIC_PAIRINGS);
	goto out;
bad:
	/* The script dropped it: look again next beat. */
	log_warnx("cluster: bad member in the waiting pool");
	if (e != NULL && e->waiting)
		cluster_hold(e);
out:
	free(cw);
}

/* Run the pool script for an entry: "1", "0" or "cancel". */
static void
cluster_eval(struct cluster_entry *e, const char *mode)
{
	struct cluster_want	*cw = NULL;
	const char		*argv[7 + 6 + INTERESTS_MAX], *skip = e->skip;
	char			 me[CLUSTER_MEMBER_MAX + 1], block[64];
	char			 here[CLUSTER_MEMBER_MAX + 1];
	char			*item[INTERESTS_MAX];
	u_int			 argc = 0, n = 0, i;

	cluster_member(me, sizeof me, e->local, e->ident);
	snprintf(block, sizeof block, "%s%llx:", CLUSTER_KEY_BLOCK,
	    (unsigned long long)e->ident);
	/* This node's boot may have changed since the want: named now. */
	if (e->skip_local != HANDLE_NONE) {
		snprintf(here, sizeof here, "%s %llx %llx", cluster_name,
		    (unsigned long long)cluster_boot,
		    (unsigned long long)e->skip_local);
		skip = here;
	}
	argv[argc++] = "EVAL";
	argv[argc++] = cluster_lua;
	argv[argc++] = "2";
	argv[argc++] = CLUSTER_KEY_WAITING;
	argv[argc++] = CLUSTER_KEY_INTERESTS;
	argv[argc++] = me;
	argv[argc++] = skip;
	argv[argc++] = cluster_node_key;
	argv[argc++] = block;
	argv[argc++] = CLUSTER_KEY_BY;
	argv[argc++] = mode;
	while (e->interests != NULL && strcmp(mode, "cancel") != 0 &&
	    n < INTERESTS_MAX && (item[n] = interests_item(e->interests,
	    n)) != NULL)
		argv[argc++] = item[n++];
	if (strcmp(mode, "cancel") != 0) {
		e->waiting = 1;
		e->held = 0;
		cw = xcalloc(1, sizeof *cw);
		cw->local = e->local;
		cw->ident = e->ident;
	}
	redisAsyncCommandArgv(cluster_cmd, cw != NULL ? cluster_want_done :
	    NULL, cw, (int)argc, argv, NULL);
	for (i = 0; i < n; i++)
		free(item[i]);
}

/* Run the pairing script for an entry that wants a partner. */
static void
cluster_rewant(struct cluster_entry *e)
{
	/* Held past its strict time: anyone will do now. */
	if (e->strict_until != 0 && now_ms() >= e->strict_until)
		e->strict_until = 0;
	cluster_eval(e, e->strict_until != 0 ? "1" : "0");
}

/* Take a local session out of the local matchmaker's pool, if there. */
static void
cluster_cancel_local(uint64_t h)
{
	struct msg	*cancel;

	cancel = msg_new(MSG_CANCEL);
	cancel->from = h;
	match_post_local(cancel);
}

/*
 * Whether a want asks for what the entry's member in the pool (or the
 * script on its way) asks already: a session told to ask again
 * (MSG_REQUEUE) may have asked on its own just before.  Another
 * script would let Redis pair it twice.
 */
static int
cluster_want_same(const struct cluster_entry *e, const struct msg *m)
{
	const char	*t = m->text;

	if (!cluster_up || !e->waiting || e->active || e->ident != m->ident)
		return (0);
	/* As cluster_want() keeps them. */
	if (t != NULL && (*t == '\0' || strchr(t, '\n') != NULL))
		t = NULL;
	if (t == NULL ? e->interests != NULL : e->interests == NULL ||
	    strcmp(t, e->interests) != 0)
		return (0);
	if (m->arg != HANDLE_NONE && m->arg == e->proxy)
		return (e->skip[0] != '\0');
	return (e->skip[0] == '\0' && e->skip_local ==
	    (cluster_handle_ok(m->arg) ? m->arg : HANDLE_NONE));
}

/* A local session wants a partner: run the pairing script. */
static void
cluster_want(struct msg *m)
{
	struct cluster_entry	*e;

	/* It may wait in the local pool from a time without Redis. */
	cluster_cancel_local(m->from);
	if (!cluster_up && !cluster_waits()) {
		cluster_want_local(m->from, m->ident, m->arg, m->text);
		return;
	}
	e = cluster_entry(m->from, 1);
	if (cluster_want_same(e, m))
		return;
	if (e->active) {
		/* Its partner's news crossed this want: that chat is over. */
		cluster_publish(e->node, 'X', e->local, e->remote, 0, 0, NULL,
		    0);
		e->active = 0;
		e->ended = now_ms();
	}
	e->skip[0] = '\0';
	e->skip_local = HANDLE_NONE;
	if (m->arg != HANDLE_NONE && m->arg == e->proxy)
		snprintf(e->skip, sizeof e->skip, "%s %llx %llx", e->node,
		    (unsigned long long)e->boot, (unsigned long long)e->remote);
	else if (cluster_handle_ok(m->arg))
		e->skip_local = m->arg;
	e->ident = m->ident;
	free(e->interests);
	e->interests = NULL;
	e->strict_until = 0;
	/* Interests with a newline could not be kept apart in Redis. */
	if (m->text != NULL && *m->text != '\0' && strchr(m->text,
	    '\n') == NULL) {
		e->interests = m->text;
		m->text = NULL;
		e->strict_until = now_ms() + (uint64_t)(cfg->interest_wait != 0 ?
		    cfg->interest_wait : 5) * 1000;
	}
	if (cluster_up)
		cluster_rewant(e);
	else
		cluster_fallback(e);
}

/* A local session stopped waiting. */
static void
cluster_cancel(struct msg *m)
{
	struct cluster_entry	*e;

	cluster_cancel_local(m->from);
	if ((e = cluster_entry(m->from, 0)) == NULL)
		return;
	if (e->waiting && cluster_up)
		cluster_eval(e, "cancel");
	e->waiting = e->held = e->told = 0;
	if (!e->active)
		cluster_entry_free(e);
}

/* A local session's line, typing or departure, for its remote partner. */
static void
cluster_relay(struct msg *m)
{
	struct cluster_entry	*e;
	char			 type;

	if ((e = cluster_entry(m->from, 0)) == NULL || !e->active ||
	    e->proxy != m->to)
		return;
	switch (m->type) {
	case MSG_LINE:
		type = 'L';
		break;
	case MSG_TYPING:
		type = 'T';
		break;
	case MSG_IDENTITY:
		/* For a /report only; crosses in pub/sub, never stored. */
		type = 'I';
		break;
	case MSG_LEFT:
		type = 'X';
		e->active = 0;
		e->ended = now_ms();
		break;
	default:
		return;
	}
	cluster_publish(e->node, type, e->local, e->remote, 0, m->arg,
	    m->text, m->text != NULL ? strlen(m->text) : 0);
}

/* A notice another node's moderator sent: to every visitor here. */
static void
cluster_notice_in(const struct cluster_in *in)
{
	struct msg	*m;

	if (strcmp(in->node, cluster_name) == 0 && in->boot == cluster_boot)
		return;		/* our own, shown already */
	m = msg_new(MSG_NOTICE);
	m->arg = 1;		/* from the cluster: not to be sent on */
	m->text = sanitize_text(in->text, in->len, &m->len);
	if (m->text == NULL || m->len == 0) {
		msg_free(m);
		return;
	}
	worker_broadcast(m);
}

/* A message from another node for one of ours: check it, deliver it. */
static void
cluster_deliver(const struct cluster_in *in)
{
	struct cluster_entry	*e;
	struct msg		*m;
	enum msg_type		 type;
	char			*shared;

	if (in->type == 'N') {
		cluster_notice_in(in);
		return;
	}
	if (in->type == 'Q' || in->type == 'K' || in->type == 'R') {
		cluster_ask_in(in);
		return;
	}
	if (in->type == 'P') {
		e = cluster_entry(in->to, 0);
		if (e == NULL || !e->waiting || in->arg != cluster_boot) {
			/* Not waiting here (a stale member): no chat. */
			cluster_publish(in->node, 'X', in->to, in->from, 0, 0,
			    NULL, 0);
			return;
		}
		cluster_publish(in->node, 'A', in->to, in->from, 0, 0, NULL,
		    0);
		/* The interest named must be one of the visitor's own. */
		shared = NULL;
		if (in->len != 0 && e != NULL && e->interests != NULL) {
			shared = xmalloc(in->len + 1);
			memcpy(shared, in->text, in->len);
			shared[in->len] = '\0';
			if (interests_find(e->interests, shared) < 0) {
				free(shared);
				shared = NULL;
			}
		}
		cluster_pair_remote(in->to, in->node, in->boot, in->from,
		    in->ident, shared, 1);
		free(shared);
		return;
	}
	if ((e = cluster_entry(in->to, 0)) == NULL || !e->active ||
	    e->remote != in->from || e->boot != in->boot ||
	    strcmp(e->node, in->node) != 0)
		return;		/* stale, or not its partner */
	switch (in->type) {
	case 'L':
		type = MSG_LINE;
		break;
	case 'T':
		type = MSG_TYPING;
		break;
	case 'X':
		cluster_end(e, 0);
		return;
	case 'A':
		e->acked = 1;
		return;
	case 'I':
		if (!session_report_who_ok(in->text, in->len))
			return;
		m = msg_new(MSG_IDENTITY);
		m->from = e->proxy;
		m->text = xstrndup(in->text, in->len);
		worker_post(e->local, m);
		return;
	default:
		return;
	}
	m = msg_new(type);
	m->from = e->proxy;
	m->arg = in->arg != 0;
	if (type == MSG_LINE) {
		/* The other node sanitised it; this one trusts no node. */
		m->text = sanitize_text(in->text, in->len, &m->len);
		if (m->text == NULL || m->len == 0) {
			msg_free(m);
			return;
		}
	}
	worker_post(e->local, m);
}

/* Parse one published message; -1 if anything is off. */
static int
cluster_parse(char *buf, size_t len, struct cluster_in *in)
{
	char	*f[7], *rest;

	if (cluster_fields(buf, f, 7, &rest) != 0 || rest == NULL ||
	    strlen(f[0]) != 1 || strchr("PLTXANIQKR", f[0][0]) == NULL ||
	    !cluster_node_name_ok(f[1]) || cluster_hex(f[2], &in->boot) ||
	    cluster_hex(f[3], &in->from) || cluster_hex(f[4], &in->to) ||
	    cluster_hex(f[5], &in->ident) || cluster_hex(f[6], &in->arg))
		return (-1);
	/* N, Q and R name no session here; K and the rest do. */
	if (strchr("NQR", f[0][0]) == NULL && (!cluster_handle_ok(in->to) ||
	    in->from == HANDLE_NONE))
		return (-1);
	in->type = f[0][0];
	snprintf(in->node, sizeof in->node, "%s", f[1]);
	in->text = rest;
	in->len = len - (size_t)(rest - buf);
	if (in->len > (in->type == 'R' ? CLUSTER_REPLY_MAX : LINE_MAX_BYTES))
		return (-1);
	return (0);
}

/* The subscriber's replies: the subscription, then messages. */
static void
cluster_sub_reply(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply		*reply = r, *kind, *data;
	struct cluster_in	 in;
	char			*buf;

	(void)ac;
	(void)arg;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 3 ||
	    (kind = reply->element[0])->type != REDIS_REPLY_STRING)
		return;
	data = reply->element[2];
	if (strcmp(kind->str, "subscribe") == 0) {
		cluster_sub_ready = 1;
		cluster_joined();
		return;
	}
	if (strcmp(kind->str, "message") != 0 ||
	    data->type != REDIS_REPLY_STRING || data->len > CLUSTER_MSG_MAX)
		return;
	buf = xmalloc(data->len + 1);
	memcpy(buf, data->str, data->len);
	buf[data->len] = '\0';
	if (memchr(data->str, '\0', data->len) == NULL &&
	    cluster_parse(buf, data->len, &in) == 0)
		cluster_deliver(&in);
	else
		log_debug("cluster: dropped a malformed message");
	free(buf);
}

/*
 * This Redis will not do (a wrong password, an odd answer): drop the
 * connection, keeping what Redis said for the one line cluster_lost()
 * logs, not one a retry.
 */
static void
cluster_refused(redisAsyncContext *ac, const redisReply *reply)
{
	if (cluster_why[0] == '\0')
		snprintf(cluster_why, sizeof cluster_why, "Redis refused: %.*s",
		    reply->type == REDIS_REPLY_ERROR ? (int)reply->len : 16,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "an odd answer");
	redisAsyncDisconnect(ac);
}

/* AUTH's and SET's answers: an error means this Redis will not do. */
static void
cluster_cmd_reply(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*reply = r;

	(void)arg;
	if (reply != NULL)
		cluster_answered = now_ms();
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		cluster_refused(ac, reply);
}

/*
 * Both connections are ready (the node key set, the ghosts swept, the
 * channel subscribed): the node is up.  What waited meanwhile goes
 * into the shared pool: the held here, and (MSG_REQUEUE) whoever the
 * local matchmaker keeps, who asks again.
 */
static void
cluster_joined(void)
{
	struct cluster_entry	*e;
	struct msg		*m;
	u_int			 i;

	if (cluster_up || !cluster_cmd_ready || !cluster_sub_ready)
		return;
	cluster_up = 1;
	cluster_answered = now_ms();
	cluster_failing = 0;
	cluster_backoff = 0;
	if (cluster_dropped > 0)
		log_info("cluster: node %s joined through Redis; %lld members "
		    "left from before dropped", cluster_name, cluster_dropped);
	else
		log_info("cluster: node %s joined through Redis",
		    cluster_name);
	match_post_local(msg_new(MSG_REQUEUE));
	for (i = 0; i < CLUSTER_BUCKETS; i++) {
		for (e = cluster_table[i]; e != NULL; e = e->next) {
			if (!e->held)
				continue;
			if (e->told) {
				e->told = 0;
				m = msg_new(MSG_NETWORK);
				m->arg = 1;
				worker_post(e->local, m);
			}
			cluster_rewant(e);
		}
	}
}

/* The join script's answer: how many ghosts it dropped. */
static void
cluster_join_done(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*reply = r;

	(void)arg;
	if (reply == NULL)
		return;
	if (reply->type != REDIS_REPLY_INTEGER) {
		cluster_refused(ac, reply);
		return;
	}
	cluster_dropped = reply->integer;
	cluster_cmd_ready = 1;
	cluster_joined();
}

/*
 * INFO's answer: the run_id names this run of the Redis server, and
 * the node keys of this run; then the join script.
 */
static void
cluster_info_done(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*reply = r;
	const char	*p;
	size_t		 n;

	(void)arg;
	if (reply == NULL)
		return;
	if (reply->type != REDIS_REPLY_STRING || (p = strstr(reply->str,
	    "run_id:")) == NULL || (n = strspn(p + 7, "0123456789abcdef")) ==
	    0 || n > 40) {
		cluster_refused(ac, reply);
		return;
	}
	snprintf(cluster_node_key, sizeof cluster_node_key, "%s%.*s:",
	    CLUSTER_KEY_NODE, (int)n, p + 7);
	redisAsyncCommand(ac, cluster_join_done, NULL,
	    "EVAL %s 2 %s %s %s %s %llx %d %s", cluster_join_lua,
	    CLUSTER_KEY_WAITING, CLUSTER_KEY_INTERESTS, cluster_node_key,
	    cluster_name, (unsigned long long)cluster_boot, CLUSTER_TTL_SECS,
	    CLUSTER_KEY_BY);
	/* Known to the others from the start, not a beat later. */
	cluster_count();
}

/* The other nodes' count of visitors online. */
static void
cluster_count_done(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*reply = r;

	(void)ac;
	(void)arg;
	/* Bounded: a count no node could hold is ignored. */
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer >= 0 && reply->integer <= 100000000)
		atomic_store_explicit(&cluster_elsewhere, (u_int)reply->integer,
		    memory_order_relaxed);
}

/*
 * Put this node's count under its key and its name in the set of nodes
 * (which moderators' questions ask, cluster-ask.c); get the others'.
 */
static void
cluster_count(void)
{
	redisAsyncCommand(cluster_cmd, cluster_count_done, NULL,
	    "EVAL %s 1 %s %s %s %u %d", cluster_count_lua, CLUSTER_KEY_NODES,
	    cluster_name, CLUSTER_KEY_COUNT, workers_online_here(),
	    CLUSTER_TTL_SECS);
}

/* A remote node's key was read: gone or restarted ends its chats. */
static void
cluster_check_done(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_check	*ck = arg;
	redisReply		*reply = r;
	struct cluster_entry	*e;
	uint64_t		 boot;
	u_int			 i;

	(void)ac;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		goto out;
	if (reply->type == REDIS_REPLY_STRING && reply->len <= 16) {
		char s[17];

		memcpy(s, reply->str, reply->len);
		s[reply->len] = '\0';
		if (cluster_hex(s, &boot) == 0 && boot == ck->boot)
			goto out;
	}
	log_info("cluster: node %s is gone", ck->node);
	for (i = 0; i < CLUSTER_BUCKETS; i++)
		for (e = cluster_table[i]; e != NULL; e = e->next)
			if (e->active && e->boot == ck->boot &&
			    strcmp(e->node, ck->node) == 0)
				cluster_end(e, 0);
out:
	free(ck);
}

/*
 * Once a second: renew the node key, check the nodes our visitors chat
 * with, and forget partners ended long ago.
 */
static void
cluster_beat(evutil_socket_t fd, short events, void *arg)
{
	struct cluster_check	 seen[CLUSTER_CHECK_MAX], *ck;
	struct cluster_entry	*e, *next;
	uint64_t		 now = now_ms();
	u_int			 i, j, n = 0;

	(void)fd;
	(void)events;
	(void)arg;
	if ((cluster_up && now - cluster_answered > CLUSTER_STALL_MS) ||
	    (!cluster_up && cluster_cmd != NULL &&
	    now - cluster_connect_at > CLUSTER_STALL_MS)) {
		/* Its replies would come too late to be of use. */
		cluster_lost("Redis does not answer");
		return;
	}
	if (cluster_up) {
		redisAsyncCommand(cluster_cmd, cluster_cmd_reply, NULL,
		    "SET %s%s %llx EX %d", cluster_node_key, cluster_name,
		    (unsigned long long)cluster_boot, CLUSTER_TTL_SECS);
		cluster_count();
	}
	for (i = 0; i < CLUSTER_BUCKETS; i++) {
		for (e = cluster_table[i]; e != NULL; e = next) {
			next = e->next;
			if (!e->active && !e->waiting && !e->held &&
			    now - e->ended > CLUSTER_KEEP_MS) {
				cluster_entry_free(e);
				continue;
			}
			if (e->held && cluster_up) {
				cluster_rewant(e);
				continue;
			}
			if (e->waiting && e->strict_until != 0 &&
			    now >= e->strict_until && cluster_up) {
				/* Waited long enough for an interest. */
				e->strict_until = 0;
				cluster_eval(e, "0");
			}
			if (!e->active || !cluster_up)
				continue;
			if (!e->acked && now - e->paired_at > CLUSTER_ACK_MS) {
				log_info("cluster: node %s did not answer a "
				    "pairing", e->node);
				cluster_publish(e->node, 'X', e->local,
				    e->remote, 0, 0, NULL, 0);
				cluster_end(e, 0);
				continue;
			}
			for (j = 0; j < n; j++)
				if (seen[j].boot == e->boot &&
				    strcmp(seen[j].node, e->node) == 0)
					break;
			if (j < n || n == CLUSTER_CHECK_MAX)
				continue;
			snprintf(seen[n].node, sizeof seen[n].node, "%s", e->node);
			seen[n++].boot = e->boot;
		}
	}
	for (j = 0; j < n; j++) {
		ck = xmalloc(sizeof *ck);
		*ck = seen[j];
		redisAsyncCommand(cluster_cmd, cluster_check_done, ck,
		    "GET %s%s", cluster_node_key, ck->node);
	}
}

/* Try again later, waiting longer each time up to a limit. */
static void
cluster_retry(void)
{
	struct timeval	tv;

	if (cluster_stopping)
		return;
	cluster_backoff = cluster_backoff == 0 ? CLUSTER_BACKOFF_MIN_MS :
	    cluster_backoff * 2;
	if (cluster_backoff > CLUSTER_BACKOFF_MAX_MS)
		cluster_backoff = CLUSTER_BACKOFF_MAX_MS;
	tv.tv_sec = cluster_backoff / 1000;
	tv.tv_usec = (cluster_backoff % 1000) * 1000;
	evtimer_add(cluster_retry_ev, &tv);
}

/*
 * A connection ended or never came up: drop the other, end the chats
 * with other nodes (pub/sub has lost what was sent meanwhile), hand the
 * waiting to the local matchmaker or hold them, and try again later.
 * One line in the log when Redis is lost, none a retry.
 */
static void
cluster_lost(const char *why)
{
	redisAsyncContext	*ac;
	struct cluster_entry	*e;
	int			 was_up = cluster_up;
	u_int			 i;

	/* Before the contexts go: the answers they cancel see no Redis. */
	cluster_up = cluster_cmd_ready = cluster_sub_ready = 0;
	if ((ac = cluster_cmd) != NULL) {
		cluster_cmd = NULL;
		redisAsyncFree(ac);
	}
	if ((ac = cluster_sub) != NULL) {
		cluster_sub = NULL;
		redisAsyncFree(ac);
	}
	if (cluster_stopping) {
		event_base_loopbreak(cluster_base);
		return;
	}
	if (cluster_why[0] != '\0')
		why = cluster_why;
	if (was_up)
		log_warnx("cluster: lost Redis (%s); %s until it is back", why,
		    cluster_waits() ? "new pairings wait" :
		    "this node pairs its own visitors");
	else if (!cluster_failing)
		log_warnx("cluster: cannot reach Redis (%s); retrying", why);
	cluster_failing = 1;
	atomic_store_explicit(&cluster_elsewhere, 0, memory_order_relaxed);
	for (i = 0; i < CLUSTER_BUCKETS; i++) {
		for (e = cluster_table[i]; e != NULL; e = e->next) {
			cluster_end(e, 1);
			if (e->waiting || e->held)
				cluster_fallback(e);
		}
	}
	cluster_retry();
}

/* hiredis: a connection came up, or failed to. */
static void
cluster_on_connect(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK)
		return;
	/* hiredis frees a context that failed to connect. */
	if (ac == cluster_cmd)
		cluster_cmd = NULL;
	else if (ac == cluster_sub)
		cluster_sub = NULL;
	cluster_lost(ac->errstr);
}

/* hiredis: a connection ended; the context is freed on return. */
static void
cluster_on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	if (ac == cluster_cmd)
		cluster_cmd = NULL;
	else if (ac == cluster_sub)
		cluster_sub = NULL;
	else
		return;		/* dropped by cluster_lost() */
	cluster_lost(ac->err != 0 ? ac->errstr : "connection closed");
}

/* One connection, attached to the loop, AUTH queued. */
static redisAsyncContext *
cluster_open(void)
{
	redisAsyncContext	*ac;

	if (cluster_url.path != NULL)
		ac = redisAsyncConnectUnix(cluster_url.path);
	else
		ac = redisAsyncConnect(cluster_url.host, (int)cluster_url.port);
	if (ac == NULL)
		fatalx("cluster: out of memory");
	if (ac->err != 0) {
		log_debug("cluster: %s", ac->errstr);
		redisAsyncFree(ac);
		return (NULL);
	}
	redisLibeventAttach(ac, cluster_base);
	redisAsyncSetConnectCallback(ac, cluster_on_connect);
	redisAsyncSetDisconnectCallback(ac, cluster_on_disconnect);
	if (cluster_url.password != NULL && cluster_url.user != NULL)
		redisAsyncCommand(ac, cluster_cmd_reply, NULL, "AUTH %s %s",
		    cluster_url.user, cluster_url.password);
	else if (cluster_url.password != NULL)
		redisAsyncCommand(ac, cluster_cmd_reply, NULL, "AUTH %s",
		    cluster_url.password);
	/* Which node it is, in Redis's CLIENT LIST. */
	redisAsyncCommand(ac, cluster_cmd_reply, NULL,
	    "CLIENT SETNAME strangerd-%s", cluster_name);
	return (ac);
}

/*
 * Open both connections under a new boot number; the node is up once
 * it has joined (INFO, then the join script) and subscribed.
 */
static void
cluster_connect(void)
{
	if (getrandom(&cluster_boot, sizeof cluster_boot, 0) !=
	    sizeof cluster_boot)
		fatal("getrandom");
	cluster_connect_at = now_ms();
	cluster_why[0] = '\0';
	if ((cluster_cmd = cluster_open()) == NULL ||
	    (cluster_sub = cluster_open()) == NULL) {
		cluster_lost("cannot connect");
		return;
	}
	redisAsyncCommand(cluster_cmd, cluster_info_done, NULL, "INFO server");
	redisAsyncCommand(cluster_sub, cluster_sub_reply, NULL,
	    "SUBSCRIBE %s%s %s", CLUSTER_CHANNEL, cluster_name,
	    CLUSTER_CHANNEL_ALL);
}

/* The retry timer. */
static void
cluster_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	cluster_connect();
}

/*
 * Stop: the workers have said goodbye (their MSG_LEFTs are published
 * already); take this node's visitors out of the pool and its key away,
 * then let the command connection drain.
 */
static void
cluster_shutdown(void)
{
	struct cluster_entry	*e;
	struct timeval		 tv = { 1, 0 };
	u_int			 i;

	cluster_stopping = 1;
	if (!cluster_up || cluster_cmd == NULL) {
		event_base_loopbreak(cluster_base);
		return;
	}
	for (i = 0; i < CLUSTER_BUCKETS; i++) {
		for (e = cluster_table[i]; e != NULL; e = e->next) {
			if (e->waiting)
				cluster_eval(e, "cancel");
		}
	}
	redisAsyncCommand(cluster_cmd, NULL, NULL, "DEL %s%s",
	    cluster_node_key, cluster_name);
	redisAsyncDisconnect(cluster_cmd);
	/* A stalled Redis does not hold the exit up. */
	event_base_loopexit(cluster_base, &tv);
}

/*
 * Two identities must not meet for a while (/block, reports): a key
 * each way that the pairing script looks for and Redis expires.
 */
static void
cluster_block(const struct match_block *mb)
{
	u_int	i;

	if (mb == NULL || !cluster_up || mb->ident[0] == 0 ||
	    mb->ident[1] == 0 || mb->secs == 0)
		return;
	for (i = 0; i < 2; i++)
		redisAsyncCommand(cluster_cmd, NULL, NULL,
		    "SET %s%llx:%llx 1 EX %u", CLUSTER_KEY_BLOCK,
		    (unsigned long long)mb->ident[i],
		    (unsigned long long)mb->ident[1 - i], mb->secs);
}

/* A query for a proxy handle: a kick is answered, not lost. */
static void
cluster_query(struct msg *m)
{
	struct admin_query	*q = m->ptr;

	if (q == NULL || cluster_ask_query(m))
		return;
	switch (q->op) {
	case ADMIN_KICK:
		reply_post(&q->ret, 1, xstrdup("no such session"), NULL);
		break;
	default:
		break;
	}
}

/* Handle one message from a worker. */
static void
cluster_message(struct msg *m, void *arg)
{
	(void)arg;
	switch (m->type) {
	case MSG_WANT:
		cluster_want(m);
		break;
	case MSG_CANCEL:
		cluster_cancel(m);
		break;
	case MSG_BLOCK:
		cluster_block(m->ptr);
		/* And on this node, for a time without Redis. */
		match_post_local(m);
		return;
	case MSG_LINE:
	case MSG_TYPING:
	case MSG_IDENTITY:
	case MSG_LEFT:
		cluster_relay(m);
		break;
	case MSG_QUERY:
		cluster_query(m);
		break;
	case MSG_REPLY:
		cluster_ask_reply(m);
		break;
	case MSG_NOTICE:
		if (m->text != NULL && cluster_up && cluster_cmd != NULL)
			cluster_publish_to(CLUSTER_CHANNEL_ALL, 'N', 0, 0, 0, 0,
			    m->text, strlen(m->text));
		break;
	case MSG_STOP:
		cluster_shutdown();
		break;
	default:
		break;
	}
	msg_free(m);
}

/* The cluster thread. */
static void *
cluster_main(void *arg)
{
	(void)arg;
	cluster_connect();
	event_base_loop(cluster_base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

/* This node's name: node_name, or the host name made fit. */
static void
cluster_set_name(const struct config *c)
{
	size_t	i;

	if (c->node_name != NULL) {
		snprintf(cluster_name, sizeof cluster_name, "%s", c->node_name);
		return;
	}
	if (gethostname(cluster_name, sizeof cluster_name) != 0)
		snprintf(cluster_name, sizeof cluster_name, "%s", "node");
	cluster_name[sizeof cluster_name - 1] = '\0';
	for (i = 0; cluster_name[i] != '\0'; i++)
		if (strchr(CLUSTER_NAME_CHARS, cluster_name[i]) == NULL)
			cluster_name[i] = '-';
	if (cluster_name[0] == '\0')
		snprintf(cluster_name, sizeof cluster_name, "%s", "node");
}

/* Start the cluster thread if the configuration names a Redis. */
void
cluster_start(const struct config *c)
{
	struct timeval	tv = { CLUSTER_BEAT_MS / 1000,
			    (CLUSTER_BEAT_MS % 1000) * 1000 };
	char		*cause = NULL;

	if (c->cluster == NULL)
		return;
	if (cluster_url_parse(c->cluster, &cluster_url, &cause) != 0)
		fatalx("%s", cause);
	cluster_set_name(c);
	if ((cluster_base = event_base_new()) == NULL)
		fatalx("cluster: event_base_new failed");
	cluster_inbox = inbox_new(cluster_base, cluster_message, NULL);
	cluster_beat_ev = event_new(cluster_base, -1, EV_PERSIST, cluster_beat,
	    NULL);
	evtimer_add(cluster_beat_ev, &tv);
	cluster_retry_ev = evtimer_new(cluster_base, cluster_retry_cb, NULL);
	cluster_on = 1;
	table_set_nodes(1);
	log_info("cluster: node %s, Redis at %s", cluster_name,
	    cluster_url.path != NULL ? cluster_url.path : cluster_url.host);
	if (pthread_create(&cluster_thread, NULL, cluster_main, NULL) != 0)
		fatalx("cluster: pthread_create failed");
}

/* Stop the cluster thread and wait for it. */
void
cluster_stop(void)
{
	struct cluster_entry	*e;
	redisAsyncContext	*ac;
	u_int			 i;

	if (!cluster_on)
		return;
	inbox_post(cluster_inbox, msg_new(MSG_STOP));
	pthread_join(cluster_thread, NULL);
	cluster_on = 0;
	if ((ac = cluster_cmd) != NULL) {
		cluster_cmd = NULL;
		redisAsyncFree(ac);
	}
	if ((ac = cluster_sub) != NULL) {
		cluster_sub = NULL;
		redisAsyncFree(ac);
	}
	inbox_free(cluster_inbox);
	cluster_ask_free();
	event_free(cluster_beat_ev);
	event_free(cluster_retry_ev);
	event_base_free(cluster_base);
	for (i = 0; i < CLUSTER_BUCKETS; i++)
		while ((e = cluster_table[i]) != NULL)
			cluster_entry_free(e);
	cluster_url_clear(&cluster_url);
}

/* Is this node one of a cluster?  Any thread, once threads run. */
int
cluster_enabled(void)
{
	return (cluster_on);
}

/* This node's name, for cluster-ask.c. */
const char *
cluster_self(void)
{
	return (cluster_name);
}

/* Is Redis there (both connections up)? */
int
cluster_is_up(void)
{
	return (cluster_up && cluster_cmd != NULL);
}

/* The cluster thread's loop, for cluster-ask.c's timers. */
struct event_base *
cluster_event_base(void)
{
	return (cluster_base);
}

/* The cluster thread's inbox: the reply address of its own questions. */
struct inbox *
cluster_own_inbox(void)
{
	return (cluster_inbox);
}

/* Publish to a node's channel, or to every node's (node NULL). */
void
cluster_send(const char *node, char type, uint64_t from, uint64_t to,
    uint64_t arg, const char *text, size_t len)
{
	if (node == NULL)
		cluster_publish_to(CLUSTER_CHANNEL_ALL, type, from, to, 0, arg,
		    text, len);
	else
		cluster_publish(node, type, from, to, 0, arg, text, len);
}

/*
 * Ask Redis for the nodes alive (the set the beat keeps); fn gets the
 * reply (NULL if the connection goes first).  -1 if Redis is away.
 */
int
cluster_list_nodes(redisCallbackFn *fn, void *arg)
{
	if (!cluster_is_up())
		return (-1);
	return (redisAsyncCommand(cluster_cmd, fn, arg, "SMEMBERS %s",
	    CLUSTER_KEY_NODES) == REDIS_OK ? 0 : -1);
}

/*
 * A local session's partner on another node, named as the sessions
 * table names it ("NODE:w.slot.gen"); -1 if it has none.
 */
int
cluster_partner_name(uint64_t local, char *buf, size_t size)
{
	struct cluster_entry	*e;

	if ((e = cluster_entry(local, 0)) == NULL || !e->active)
		return (-1);
	snprintf(buf, size, "%s:%u.%u.%u", e->node, HANDLE_WORKER(e->remote),
	    HANDLE_SLOT(e->remote), HANDLE_GEN(e->remote));
	return (0);
}

/* Visitors online on the other nodes (0 without a cluster); any thread. */
u_int
cluster_online_elsewhere(void)
{
	return (atomic_load_explicit(&cluster_elsewhere, memory_order_relaxed));
}

/*
 * From any thread: with cluster set, take a message meant for the
 * matchmaker or for a proxy handle (1); else leave it (0).
 */
int
cluster_take(struct msg *m)
{
	if (!cluster_on)
		return (0);
	inbox_post(cluster_inbox, m);
	return (1);
}
