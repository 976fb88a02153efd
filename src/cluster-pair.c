/*
 * The shared waiting pool in Redis, and pairing through it.  Redis
 * holds (prefix strangerd:): "waiting", a set of members "NODE BOOT
 * HANDLE IDENT", with "by:INTEREST" and "interests" for those who gave
 * interests (see cluster_pair_lua); "block:IDENT:IDENT" for pairs kept
 * apart.  A want runs the pairing script; a partner on another node is
 * told (P, cluster-relay.c) and acknowledges (A).  Without Redis (not
 * yet connected, lost) wants go to the local matchmaker (cluster_fallback
 * local: the node keeps pairing its own visitors) or wait in the entries
 * (held; wait).
 *
 * Owns the pairing and join scripts (each want runs the pairing script
 * by its digest, cluster-script.c) and the proxy handles' numbering.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "strangerd.h"
#include "cluster.h"

#define CLUSTER_KEY_WAITING	"strangerd:waiting"
#define CLUSTER_KEY_INTERESTS	"strangerd:interests"
#define CLUSTER_KEY_BY		"strangerd:by:"
#define CLUSTER_KEY_BLOCK	"strangerd:block:"

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
static const char cluster_pair_lua[] =
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
static const char cluster_pair_join_lua[] =
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

/* What a pairing script is sent for, until its answer. */
struct cluster_want {
	uint64_t		 local;
	uint64_t		 ident;
	int			 cancel;	/* no answer awaited */
};

static struct cluster_script	 cluster_pair_script = {
	.text = cluster_pair_lua
};
static int			 cluster_pair_failing;	/* logged already */
static uint64_t			 cluster_next_proxy = 1;

/* The waiting-set member naming a local session. */
static void
cluster_pair_member(char *buf, size_t size, uint64_t h, uint64_t ident)
{
	snprintf(buf, size, "%s %llx %llx %llx", cluster_name,
	    (unsigned long long)cluster_boot, (unsigned long long)h,
	    (unsigned long long)ident);
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
		cluster_relay_publish(node, 'X', local, remote, 0, 0, NULL, 0);
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
cluster_pair_want_local(uint64_t local, uint64_t ident, uint64_t last,
    const char *interests)
{
	struct msg	*m;

	m = msg_new(MSG_WANT);
	m->from = local;
	m->ident = ident;
	m->arg = cluster_entry_handle_ok(last) ? last : HANDLE_NONE;
	m->text = interests != NULL ? xstrdup(interests) : NULL;
	match_post_local(m);
}

/* Whether new pairings wait for Redis (cluster_fallback wait). */
int
cluster_pair_waits(void)
{
	return (strcmp(cfg->cluster_fallback, "wait") == 0);
}

/* No member in Redis for now: the beat or joining asks again. */
static void
cluster_pair_hold(struct cluster_entry *e)
{
	e->waiting = 0;
	e->held = 1;
}

/*
 * Redis is away: the local matchmaker takes the want, or it is held
 * (cluster_fallback wait) and the visitor told why nobody comes.
 */
void
cluster_pair_fallback(struct cluster_entry *e)
{
	struct msg	*m;

	if (!cluster_pair_waits()) {
		e->waiting = e->held = 0;
		cluster_pair_want_local(e->local, e->ident, e->skip_local,
		    e->interests);
		return;
	}
	cluster_pair_hold(e);
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
cluster_pair_shared(const struct cluster_entry *e, const redisReply *r)
{
	if (e == NULL || e->interests == NULL || r->type !=
	    REDIS_REPLY_STRING || r->len == 0 || r->len > 256 ||
	    strlen(r->str) != r->len || interests_find(e->interests, r->str) < 0)
		return (NULL);
	return (r->str);
}

/* The pairing script answered: a partner, or waiting in the pool. */
static void
cluster_pair_want_done(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_want	*cw = arg;
	redisReply		*reply = r, *mr;
	struct cluster_entry	*e, *be;
	const char		*shared;
	char			 buf[CLUSTER_MEMBER_MAX + 1], *f[4];
	uint64_t		 boot, h, ident;

	(void)ac;
	if (cw->cancel)
		goto out;
	e = cluster_entry(cw->local, 0);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		/* Once, not once a want a beat while it lasts. */
		if (reply != NULL && !cluster_pair_failing)
			log_warnx("cluster: pairing script: %.*s",
			    (int)reply->len, reply->str);
		cluster_pair_failing = reply != NULL;
		/* An error: again next beat.  No reply: Redis is lost. */
		if (e != NULL && e->waiting) {
			if (reply != NULL)
				cluster_pair_hold(e);
			else
				cluster_pair_fallback(e);
		}
		goto out;
	}
	cluster_pair_failing = 0;
	if (reply->type != REDIS_REPLY_ARRAY)
		goto out;	/* nil: waiting in the pool */
	if (reply->elements != 2 || (mr = reply->element[0])->type !=
	    REDIS_REPLY_STRING || mr->len >= sizeof buf ||
	    memchr(mr->str, '\0', mr->len) != NULL)
		goto bad;
	memcpy(buf, mr->str, mr->len);
	buf[mr->len] = '\0';
	if (cluster_relay_fields(buf, f, 4, NULL) != 0 ||
	    !cluster_node_name_ok(f[0]) ||
	    cluster_relay_hex(f[1], &boot) != 0 ||
	    cluster_relay_hex(f[2], &h) != 0 ||
	    cluster_relay_hex(f[3], &ident) != 0)
		goto bad;
	shared = cluster_pair_shared(e, reply->element[1]);
	if (strcmp(f[0], cluster_name) == 0 && boot == cluster_boot) {
		if (!cluster_entry_handle_ok(h) || h == cw->local)
			goto bad;
		if ((be = cluster_entry(h, 0)) == NULL || !be->waiting) {
			/*
			 * A member this node no longer waits with: a script
			 * Redis ran late (it was stalled).  Look again.
			 */
			if (e != NULL && e->waiting)
				cluster_pair_rewant(e);
			goto out;
		}
		if (e == NULL || !e->waiting) {
			/* It stopped waiting meanwhile: the other goes back. */
			cluster_pair_rewant(be);
			goto out;
		}
		e->waiting = 0;
		cluster_pair_local(cw->local, cw->ident, h, ident, shared);
		goto out;
	}
	if (e != NULL)
		e->waiting = 0;
	cluster_relay_publish(f[0], 'P', cw->local, h, cw->ident, boot, shared,
	    shared != NULL ? strlen(shared) : 0);
	cluster_pair_remote(cw->local, f[0], boot, h, ident, shared, 0);
	metrics_inc(METRIC_PAIRINGS);
	goto out;
bad:
	/* The script dropped it: look again next beat. */
	log_warnx("cluster: bad member in the waiting pool");
	if (e != NULL && e->waiting)
		cluster_pair_hold(e);
out:
	free(cw);
}

/* Run the pool script for an entry: "1", "0" or "cancel". */
void
cluster_pair_eval(struct cluster_entry *e, const char *mode)
{
	struct cluster_want	*cw;
	const char		*skip = e->skip;
	const char		*argv[CLUSTER_SCRIPT_ARGS];
	char			 me[CLUSTER_MEMBER_MAX + 1], block[64];
	char			 here[CLUSTER_MEMBER_MAX + 1];
	char			*item[INTERESTS_MAX];
	u_int			 argc = 0, n = 0, i;

	cluster_pair_member(me, sizeof me, e->local, e->ident);
	snprintf(block, sizeof block, "%s%llx:", CLUSTER_KEY_BLOCK,
	    (unsigned long long)e->ident);
	/* This node's boot may have changed since the want: named now. */
	if (e->skip_local != HANDLE_NONE) {
		snprintf(here, sizeof here, "%s %llx %llx", cluster_name,
		    (unsigned long long)cluster_boot,
		    (unsigned long long)e->skip_local);
		skip = here;
	}
	cw = xcalloc(1, sizeof *cw);
	cw->local = e->local;
	cw->ident = e->ident;
	cw->cancel = strcmp(mode, "cancel") == 0;
	argv[argc++] = "2";
	argv[argc++] = CLUSTER_KEY_WAITING;
	argv[argc++] = CLUSTER_KEY_INTERESTS;
	argv[argc++] = me;
	argv[argc++] = skip;
	argv[argc++] = cluster_node_key;
	argv[argc++] = block;
	argv[argc++] = CLUSTER_KEY_BY;
	argv[argc++] = mode;
	while (e->interests != NULL && !cw->cancel && n < INTERESTS_MAX &&
	    (item[n] = interests_item(e->interests, n)) != NULL)
		argv[argc++] = item[n++];
	if (!cw->cancel) {
		e->waiting = 1;
		e->held = 0;
	}
	if (cluster_script_run(cluster_cmd, &cluster_pair_script,
	    cluster_pair_want_done, cw, argc, argv) != 0)
		free(cw);	/* no answer will come */
	for (i = 0; i < n; i++)
		free(item[i]);
}

/* Run the pairing script for an entry that wants a partner. */
void
cluster_pair_rewant(struct cluster_entry *e)
{
	/* Held past its strict time: anyone will do now. */
	if (e->strict_until != 0 && now_ms() >= e->strict_until)
		e->strict_until = 0;
	cluster_pair_eval(e, e->strict_until != 0 ? "1" : "0");
}

/* Take a local session out of the local matchmaker's pool, if there. */
static void
cluster_pair_cancel_local(uint64_t h)
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
cluster_pair_want_same(const struct cluster_entry *e, const struct msg *m)
{
	const char	*t = m->text;

	if (!cluster_up || !e->waiting || e->active || e->ident != m->ident)
		return (0);
	/* As cluster_pair_want() keeps them. */
	if (t != NULL && (*t == '\0' || strchr(t, '\n') != NULL))
		t = NULL;
	if (t == NULL ? e->interests != NULL : e->interests == NULL ||
	    strcmp(t, e->interests) != 0)
		return (0);
	if (m->arg != HANDLE_NONE && m->arg == e->proxy)
		return (e->skip[0] != '\0');
	return (e->skip[0] == '\0' && e->skip_local ==
	    (cluster_entry_handle_ok(m->arg) ? m->arg : HANDLE_NONE));
}

/* A local session wants a partner: run the pairing script. */
void
cluster_pair_want(struct msg *m)
{
	struct cluster_entry	*e;

	/* It may wait in the local pool from a time without Redis. */
	cluster_pair_cancel_local(m->from);
	if (!cluster_up && !cluster_pair_waits()) {
		cluster_pair_want_local(m->from, m->ident, m->arg, m->text);
		return;
	}
	e = cluster_entry(m->from, 1);
	if (cluster_pair_want_same(e, m))
		return;
	if (e->active) {
		/* Its partner's news crossed this want: that chat is over. */
		cluster_relay_publish(e->node, 'X', e->local, e->remote, 0, 0,
		    NULL, 0);
		e->active = 0;
		e->ended = now_ms();
	}
	e->skip[0] = '\0';
	e->skip_local = HANDLE_NONE;
	if (m->arg != HANDLE_NONE && m->arg == e->proxy)
		snprintf(e->skip, sizeof e->skip, "%s %llx %llx", e->node,
		    (unsigned long long)e->boot, (unsigned long long)e->remote);
	else if (cluster_entry_handle_ok(m->arg))
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
		cluster_pair_rewant(e);
	else
		cluster_pair_fallback(e);
}

/* A local session stopped waiting. */
void
cluster_pair_cancel(struct msg *m)
{
	struct cluster_entry	*e;

	cluster_pair_cancel_local(m->from);
	if ((e = cluster_entry(m->from, 0)) == NULL)
		return;
	if (e->waiting && cluster_up)
		cluster_pair_eval(e, "cancel");
	e->waiting = e->held = e->told = 0;
	if (!e->active)
		cluster_entry_free(e);
}

/*
 * Two identities must not meet for a while (/block, reports): a key
 * each way that the pairing script looks for and Redis expires.
 */
void
cluster_pair_block(const struct match_block *mb)
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

/*
 * Another node drew one of ours from the pool (P): acknowledge it (A)
 * and make the proxy, unless it no longer waits here under that boot.
 */
void
cluster_pair_in(const struct cluster_in *in)
{
	struct cluster_entry	*e;
	char			*shared;

	e = cluster_entry(in->to, 0);
	if (e == NULL || !e->waiting || in->arg != cluster_boot) {
		/* Not waiting here (a stale member): no chat. */
		cluster_relay_publish(in->node, 'X', in->to, in->from, 0, 0,
		    NULL, 0);
		return;
	}
	cluster_relay_publish(in->node, 'A', in->to, in->from, 0, 0, NULL,
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
}

/*
 * Join the pool: set this node's key and drop the ghosts (see
 * cluster_pair_join_lua); fn gets how many were dropped.  Once a
 * connection: its text is sent.
 */
void
cluster_pair_join(redisAsyncContext *ac, redisCallbackFn *fn)
{
	redisAsyncCommand(ac, fn, NULL,
	    "EVAL %s 2 %s %s %s %s %llx %d %s", cluster_pair_join_lua,
	    CLUSTER_KEY_WAITING, CLUSTER_KEY_INTERESTS, cluster_node_key,
	    cluster_name, (unsigned long long)cluster_boot, CLUSTER_TTL_SECS,
	    CLUSTER_KEY_BY);
}
