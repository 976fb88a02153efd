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
 * belongs to the local session it was made for (cluster-entry.c).
 *
 * The thread's files: this one (the thread, the connections, joining,
 * loss, retry with backoff, the beat, the inbox's dispatch),
 * cluster-entry.c (the entries: one per local session),
 * cluster-pair.c (the pool in Redis and pairing through it),
 * cluster-relay.c (the wire format: what crosses between nodes),
 * cluster-ask.c (moderators' questions to every node) and
 * cluster-script.c (Lua scripts run by their digest).
 *
 * Redis holds (prefix strangerd:), besides the pool (cluster-pair.c),
 * "node:RUN:NODE", the node's boot number with a TTL, refreshed every
 * second, RUN being the Redis server's run_id, so that a key Redis kept
 * on disk from before a restart names nobody; "nodes" and
 * "count:NODE", the nodes' visitors online.
 *
 * The boot number is drawn anew on every connection to Redis: a node
 * that lost Redis has ended its chats with other nodes and taken its
 * visitors out of the pool, so members and chats from before are
 * ghosts, and the other nodes see its key change and end theirs.  On
 * joining, a script drops every member whose node key does not match.
 *
 * Without Redis (not yet connected, lost) wants go to the local
 * matchmaker or are held (cluster-pair.c).  Once joined, the held go
 * into the pool, and the matchmaker lets go of everyone it keeps
 * (MSG_REQUEUE): each session still waiting asks again.
 *
 * Owns: the Redis contexts, the timers, its inbox, the boot number.
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

#define CLUSTER_KEY_NODE	"strangerd:node:"
#define CLUSTER_KEY_NODES	"strangerd:nodes"
#define CLUSTER_KEY_COUNT	"strangerd:count:"
#define CLUSTER_BEAT_MS		1000
#define CLUSTER_BACKOFF_MIN_MS	250
#define CLUSTER_BACKOFF_MAX_MS	8000
/* Redis silent this long (stopped, stalled) counts as lost. */
#define CLUSTER_STALL_MS	5000
/* A pairing the other node has not acknowledged by then was lost. */
#define CLUSTER_ACK_MS		3000
/* An ended chat's partner is remembered this long (never the one just left). */
#define CLUSTER_KEEP_MS		(10 * 60 * 1000)
/* Remote nodes checked for liveness a beat; more wait for the next. */
#define CLUSTER_CHECK_MAX	64

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
/* Sent by its digest (cluster-script.c): once a second a node. */
static struct cluster_script	 cluster_count_script = {
	.text = cluster_count_lua
};

/* A node whose liveness is being checked. */
struct cluster_check {
	char			 node[CLUSTER_NAME_MAX + 1];
	uint64_t		 boot;
};

static int			 cluster_on;
static struct cluster_url	 cluster_url;
char			 cluster_name[CLUSTER_NAME_MAX + 1];
uint64_t		 cluster_boot;
static struct event_base	*cluster_base;
static struct inbox		*cluster_inbox;
static pthread_t		 cluster_thread;
static struct event		*cluster_beat_ev;
static struct event		*cluster_retry_ev;
redisAsyncContext	*cluster_cmd;
static redisAsyncContext	*cluster_sub;
int			 cluster_up;
static int			 cluster_cmd_ready;	/* joined: key, sweep */
static int			 cluster_sub_ready;	/* subscribed */
static uint64_t			 cluster_connect_at;	/* ms */
static long long		 cluster_dropped;	/* ghosts, on joining */
/* "node:RUN:": this Redis run's node keys. */
char			 cluster_node_key[sizeof CLUSTER_KEY_NODE + 48];
/* Why Redis would not do, as it said, for the log; "" none. */
static char			 cluster_why[128];
static int			 cluster_failing;	/* logged already */
static int			 cluster_stopping;
static u_int			 cluster_backoff;
static uint64_t			 cluster_answered;	/* ms, last reply */
/* Visitors online on the other nodes, a beat ago; read by anyone. */
static _Atomic u_int		 cluster_elsewhere;

static void	cluster_connect(void);
static void	cluster_lost(const char *);
static void	cluster_joined(void);
static void	cluster_count(void);

/* The subscriber's replies: the subscription, then messages. */
static void
cluster_sub_reply(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply		*reply = r, *kind, *data;

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
	if (strcmp(kind->str, "message") == 0 &&
	    data->type == REDIS_REPLY_STRING)
		cluster_relay_in(data->str, data->len);
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
	for (e = cluster_entry_first(); e != NULL; e = cluster_entry_next(e)) {
		if (!e->held)
			continue;
		if (e->told) {
			e->told = 0;
			m = msg_new(MSG_NETWORK);
			m->arg = 1;
			worker_post(e->local, m);
		}
		cluster_pair_rewant(e);
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
	cluster_pair_join(ac, cluster_join_done);
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
	const char	*argv[6];
	char		 count[16], ttl[16];

	snprintf(count, sizeof count, "%u", workers_online_here());
	snprintf(ttl, sizeof ttl, "%d", CLUSTER_TTL_SECS);
	argv[0] = "1";
	argv[1] = CLUSTER_KEY_NODES;
	argv[2] = cluster_name;
	argv[3] = CLUSTER_KEY_COUNT;
	argv[4] = count;
	argv[5] = ttl;
	cluster_script_run(cluster_cmd, &cluster_count_script,
	    cluster_count_done, NULL, 6, argv);
}

/* A remote node's key was read: gone or restarted ends its chats. */
static void
cluster_check_done(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_check	*ck = arg;
	redisReply		*reply = r;
	struct cluster_entry	*e;
	uint64_t		 boot;

	(void)ac;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		goto out;
	if (reply->type == REDIS_REPLY_STRING && reply->len <= 16) {
		char s[17];

		memcpy(s, reply->str, reply->len);
		s[reply->len] = '\0';
		if (cluster_relay_hex(s, &boot) == 0 && boot == ck->boot)
			goto out;
	}
	log_info("cluster: node %s is gone", ck->node);
	for (e = cluster_entry_first(); e != NULL; e = cluster_entry_next(e))
		if (e->active && e->boot == ck->boot &&
		    strcmp(e->node, ck->node) == 0)
			cluster_entry_end(e, 0);
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
	u_int			 j, n = 0;

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
	for (e = cluster_entry_first(); e != NULL; e = next) {
		/* Taken first: this entry may be freed. */
		next = cluster_entry_next(e);
		if (!e->active && !e->waiting && !e->held &&
		    now - e->ended > CLUSTER_KEEP_MS) {
			cluster_entry_free(e);
			continue;
		}
		if (e->held && cluster_up) {
			cluster_pair_rewant(e);
			continue;
		}
		if (e->waiting && e->strict_until != 0 &&
		    now >= e->strict_until && cluster_up) {
			/* Waited long enough for an interest. */
			e->strict_until = 0;
			cluster_pair_eval(e, "0");
		}
		if (!e->active || !cluster_up)
			continue;
		if (!e->acked && now - e->paired_at > CLUSTER_ACK_MS) {
			log_info("cluster: node %s did not answer a "
			    "pairing", e->node);
			cluster_relay_publish(e->node, 'X', e->local,
			    e->remote, 0, 0, NULL, 0);
			cluster_entry_end(e, 0);
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
	for (j = 0; j < n; j++) {
		ck = xmalloc(sizeof *ck);
		*ck = seen[j];
		/* Refused while the context goes down: no callback, ours. */
		if (redisAsyncCommand(cluster_cmd, cluster_check_done, ck,
		    "GET %s%s", cluster_node_key, ck->node) != REDIS_OK)
			free(ck);
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
 * Free both connections.  Each is forgotten before its free, so that
 * cluster_on_disconnect(), which hiredis calls from redisAsyncFree(),
 * knows it for one being dropped.
 */
static void
cluster_close(void)
{
	redisAsyncContext	*ac;

	if ((ac = cluster_cmd) != NULL) {
		cluster_cmd = NULL;
		redisAsyncFree(ac);
	}
	if ((ac = cluster_sub) != NULL) {
		cluster_sub = NULL;
		redisAsyncFree(ac);
	}
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
	struct cluster_entry	*e;
	int			 was_up = cluster_up;

	/* Before the contexts go: the answers they cancel see no Redis. */
	cluster_up = cluster_cmd_ready = cluster_sub_ready = 0;
	cluster_close();
	if (cluster_stopping) {
		event_base_loopbreak(cluster_base);
		return;
	}
	if (cluster_why[0] != '\0')
		why = cluster_why;
	if (was_up)
		log_warnx("cluster: lost Redis (%s); %s until it is back", why,
		    cluster_pair_waits() ? "new pairings wait" :
		    "this node pairs its own visitors");
	else if (!cluster_failing)
		log_warnx("cluster: cannot reach Redis (%s); retrying", why);
	cluster_failing = 1;
	atomic_store_explicit(&cluster_elsewhere, 0, memory_order_relaxed);
	for (e = cluster_entry_first(); e != NULL; e = cluster_entry_next(e)) {
		cluster_entry_end(e, 1);
		if (e->waiting || e->held)
			cluster_pair_fallback(e);
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

	cluster_stopping = 1;
	if (!cluster_up || cluster_cmd == NULL) {
		event_base_loopbreak(cluster_base);
		return;
	}
	for (e = cluster_entry_first(); e != NULL; e = cluster_entry_next(e))
		if (e->waiting)
			cluster_pair_eval(e, "cancel");
	redisAsyncCommand(cluster_cmd, NULL, NULL, "DEL %s%s",
	    cluster_node_key, cluster_name);
	redisAsyncDisconnect(cluster_cmd);
	/* A stalled Redis does not hold the exit up. */
	event_base_loopexit(cluster_base, &tv);
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
		cluster_pair_want(m);
		break;
	case MSG_CANCEL:
		cluster_pair_cancel(m);
		break;
	case MSG_BLOCK:
		cluster_pair_block(m->ptr);
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
			cluster_relay_send(NULL, 'N', 0, 0, 0, m->text,
			    strlen(m->text));
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
	if (!cluster_on)
		return;
	inbox_post(cluster_inbox, msg_new(MSG_STOP));
	pthread_join(cluster_thread, NULL);
	cluster_on = 0;
	cluster_close();
	inbox_free(cluster_inbox);
	cluster_ask_free();
	event_free(cluster_beat_ev);
	event_free(cluster_retry_ev);
	event_base_free(cluster_base);
	cluster_entry_clear();
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
