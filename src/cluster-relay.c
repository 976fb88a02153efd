/*
 * The wire between nodes: what one node's visitors send another's,
 * published on Redis channels and parsed back.  Channel "to:NODE"
 * carries what a node's visitors are sent: "TYPE NODE BOOT FROM TO
 * IDENT ARG TEXT", TYPE one of P (paired; answered by A, acknowledged;
 * cluster-pair.c), L (a line), T (typing), X (left), I (the sender's
 * identity, "transport address key", kept by the receiving session for
 * a /report only), K (a moderator's kick) and R (answers to a
 * moderator's question), numbers in hexadecimal (P's ARG: the boot in
 * the member drawn); channel "all" carries N (a moderator's notice) and
 * Q (a moderator's question: sessions, stats) to every node; see
 * cluster-ask.c.  Chat lines are published, never stored.  A node
 * reads everything from Redis as untrusted input: bounded, parsed
 * strictly, and only ever compared with its own records.
 *
 * Owns nothing: it publishes on the command connection (cluster.c) and
 * is handed the subscriber's messages.
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

/*
 * A published message: the header fields and one line at most, or a
 * batch of a moderator's answer (R, cluster-ask.c).
 */
#define CLUSTER_MSG_MAX		(CLUSTER_REPLY_MAX + 256)

/* A hexadecimal number, all of s, at most 16 digits. */
int
cluster_relay_hex(const char *s, uint64_t *v)
{
	char	*end;

	if (*s == '\0' || strlen(s) > 16 || strspn(s, "0123456789abcdef") !=
	    strlen(s))
		return (-1);
	*v = strtoull(s, &end, 16);
	return (*end == '\0' ? 0 : -1);
}

/*
 * Split "NODE BOOT HANDLE IDENT..." (n fields, the last holds the rest
 * when rest is not NULL) in place.  -1 unless every field is there.
 */
int
cluster_relay_fields(char *s, char **f, u_int n, char **rest)
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
cluster_relay_publish_to(const char *channel, char type, uint64_t from,
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
void
cluster_relay_publish(const char *node, char type, uint64_t from, uint64_t to,
    uint64_t ident, uint64_t arg, const char *text, size_t len)
{
	char	channel[sizeof CLUSTER_CHANNEL + CLUSTER_NAME_MAX];

	snprintf(channel, sizeof channel, "%s%s", CLUSTER_CHANNEL, node);
	cluster_relay_publish_to(channel, type, from, to, ident, arg, text,
	    len);
}

/* Publish to a node's channel, or to every node's (node NULL). */
void
cluster_relay_send(const char *node, char type, uint64_t from, uint64_t to,
    uint64_t arg, const char *text, size_t len)
{
	if (node == NULL)
		cluster_relay_publish_to(CLUSTER_CHANNEL_ALL, type, from, to, 0,
		    arg, text, len);
	else
		cluster_relay_publish(node, type, from, to, 0, arg, text, len);
}

/* A local session's line, typing or departure, for its remote partner. */
void
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
	cluster_relay_publish(e->node, type, e->local, e->remote, 0, m->arg,
	    m->text, m->text != NULL ? strlen(m->text) : 0);
}

/* A notice another node's moderator sent: to every visitor here. */
static void
cluster_relay_notice(const struct cluster_in *in)
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
cluster_relay_deliver(const struct cluster_in *in)
{
	struct cluster_entry	*e;
	struct msg		*m;
	enum msg_type		 type;

	if (in->type == 'N') {
		cluster_relay_notice(in);
		return;
	}
	if (in->type == 'Q' || in->type == 'K' || in->type == 'R') {
		cluster_ask_in(in);
		return;
	}
	if (in->type == 'P') {
		cluster_pair_in(in);
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
		cluster_entry_end(e, 0);
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
cluster_relay_parse(char *buf, size_t len, struct cluster_in *in)
{
	char	*f[7], *rest;

	if (cluster_relay_fields(buf, f, 7, &rest) != 0 || rest == NULL ||
	    strlen(f[0]) != 1 || strchr("PLTXANIQKR", f[0][0]) == NULL ||
	    !cluster_node_name_ok(f[1]) ||
	    cluster_relay_hex(f[2], &in->boot) ||
	    cluster_relay_hex(f[3], &in->from) ||
	    cluster_relay_hex(f[4], &in->to) ||
	    cluster_relay_hex(f[5], &in->ident) ||
	    cluster_relay_hex(f[6], &in->arg))
		return (-1);
	/* N, Q and R name no session here; K and the rest do. */
	if (strchr("NQR", f[0][0]) == NULL &&
	    (!cluster_entry_handle_ok(in->to) || in->from == HANDLE_NONE))
		return (-1);
	in->type = f[0][0];
	snprintf(in->node, sizeof in->node, "%s", f[1]);
	in->text = rest;
	in->len = len - (size_t)(rest - buf);
	if (in->len > (in->type == 'R' ? CLUSTER_REPLY_MAX : LINE_MAX_BYTES))
		return (-1);
	return (0);
}

/* A message on the subscriber: parse it, check it, deliver it. */
void
cluster_relay_in(const char *str, size_t len)
{
	struct cluster_in	 in;
	char			*buf;

	if (len > CLUSTER_MSG_MAX)
		return;
	buf = xmalloc(len + 1);
	memcpy(buf, str, len);
	buf[len] = '\0';
	if (memchr(str, '\0', len) == NULL &&
	    cluster_relay_parse(buf, len, &in) == 0)
		cluster_relay_deliver(&in);
	else
		log_debug("cluster: dropped a malformed message");
	free(buf);
}
