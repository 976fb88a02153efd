/*
 * The limits on SSH handshakes in progress (key exchange and
 * authentication), which libssh does not have (no MaxStartups): at
 * most ssh_preauth_per_addr per address (IPv4, or IPv6 /64) over all
 * workers, at most this worker's share of ssh_preauth_max on each.  A
 * new connection pushes out one still in its handshake rather than
 * being refused - the oldest from its own address if that address is at
 * its cap, else the one stalled longest (ssh_preauth_victim) - so that
 * idle or stalled sockets can never keep a real visitor out.
 *
 * Owns: the per-address counters (atomics shared by every worker, with
 * the key of their hash) and, per worker, the list of connections in
 * their handshake (struct ssh_worker's preauth, touched only by that
 * worker).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"
#include "ssh.h"

/*
 * Limits on connections still in the handshake (key exchange and
 * authentication) come from strangerd.conf(5): cfg->ssh_grace (accept
 * to shell, at most), cfg->ssh_preauth_per_addr (per IPv4 address or
 * IPv6 /64), cfg->ssh_preauth_max (in the whole daemon, read at start)
 * and cfg->ssh_auth_tries (authentication requests).
 */
#define SSH_ADDR_BUCKETS	4096	/* counters for ssh_preauth_per_addr */
#define SSH_KEYS_SHIFT		3	/* a stall after key exchange: / 8 */

/*
 * Handshakes in progress per address, shared by all workers: a fixed
 * table of counters indexed by a keyed hash of the address.  Two
 * addresses that collide share a limit, which errs on the strict side;
 * the random key keeps outsiders from choosing collisions.
 */
static _Atomic uint16_t	ssh_addr_count[SSH_ADDR_BUCKETS];
static uint64_t		ssh_addr_key;

static uint32_t	 ssh_preauth_bucket(const struct sockaddr *);
static struct ssh_conn *ssh_preauth_victim(struct ssh_worker *);

/* Key the address hash; main thread, before any worker runs. */
void
ssh_preauth_setup(void)
{
	if (ssh_addr_key == 0 &&
	    getrandom(&ssh_addr_key, sizeof ssh_addr_key, 0) !=
	    (ssize_t)sizeof ssh_addr_key)
		ssh_addr_key = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

/*
 * Room for one more handshake from sa, made by pushing one out if need
 * be.  Returns 0 with *bucket counted (give it to ssh_preauth_add(), or
 * back with ssh_preauth_release()), or -1 if the address is at its cap
 * and all its handshakes are on other workers: refused.
 */
int
ssh_preauth_admit(struct ssh_worker *sw, const struct sockaddr *sa,
    const char *addr, uint32_t *bucket)
{
	struct ssh_conn	*old;

	*bucket = ssh_preauth_bucket(sa);
	if (atomic_fetch_add(&ssh_addr_count[*bucket], 1) >=
	    cfg->ssh_preauth_per_addr) {
		TAILQ_FOREACH(old, &sw->preauth, preauth_entry)
			if (old->bucket == *bucket)
				break;
		if (old == NULL) {
			/* All of them are on other workers. */
			atomic_fetch_sub(&ssh_addr_count[*bucket], 1);
			metrics_inc(METRIC_REFUSED_PREAUTH);
			ssh_drop_log(sw, addr,
			    "refused: too many handshakes from this address");
			return (-1);
		}
		ssh_conn_free(old, "dropped: too many handshakes from its "
		    "address");
	}
	if (sw->npreauth >= sw->preauth_max)
		ssh_conn_free(ssh_preauth_victim(sw),
		    "dropped: too many handshakes in progress");
	return (0);
}

/* Give back an admitted handshake that never became a connection. */
void
ssh_preauth_release(uint32_t bucket)
{
	atomic_fetch_sub(&ssh_addr_count[bucket], 1);
}

/* A new connection, admitted, counts against the caps until it is in. */
void
ssh_preauth_add(struct ssh_conn *c, uint32_t bucket)
{
	c->preauth = 1;
	c->progressed = now_ms();
	c->bucket = bucket;
	TAILQ_INSERT_TAIL(&c->sw->preauth, c, preauth_entry);
	c->sw->npreauth++;
}

/* Bucket of an address (IPv4, or the /64 of IPv6) in ssh_addr_count. */
static uint32_t
ssh_preauth_bucket(const struct sockaddr *sa)
{
	const struct sockaddr_in6	*sin6;
	const uint8_t			*p = NULL;
	uint64_t			 h = ssh_addr_key;
	size_t				 i, n = 0;

	if (sa->sa_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		n = 4;
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		p = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			p += 12;
			n = 4;
		} else
			n = 8;	/* one visitor can own a whole /64 */
	}
	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return ((uint32_t)(h % SSH_ADDR_BUCKETS));
}

/* Note a protocol state the connection has newly reached. */
void
ssh_preauth_progress(struct ssh_conn *c)
{
	enum ssh_level	level;

	if (c->state != SSH_CONN_KEX)
		level = SSH_LEVEL_KEYS;
	else if (c->rcounter.in_packets > 0)
		level = SSH_LEVEL_PACKET;
	else if (ssh_get_clientbanner(c->ssh) != NULL)
		level = SSH_LEVEL_VERSION;
	else
		level = SSH_LEVEL_ACCEPTED;
	if (level > c->level) {
		c->level = level;
		c->progressed = now_ms();
	}
}

/*
 * The handshake to drop when there are too many: the one stalled
 * longest since it last reached a new protocol state, the oldest of
 * equals.  A real client moves on every round trip, so to push it out
 * an attacker must open more connections in one round trip than there
 * are slots; sending bytes, garbage or not, never helps, and a
 * connection just accepted has stalled for no time at all.  Once keys
 * are agreed a stall counts an eighth (SSH_KEYS_SHIFT): a person may be
 * reading a host key prompt, and getting there cost the client a key
 * exchange, while a version line and a KEXINIT cost nothing.
 */
static struct ssh_conn *
ssh_preauth_victim(struct ssh_worker *sw)
{
	struct ssh_conn	*c, *victim = NULL;
	uint64_t	 now = now_ms(), stalled, worst = 0;

	TAILQ_FOREACH(c, &sw->preauth, preauth_entry) {
		stalled = now - c->progressed;
		if (c->level == SSH_LEVEL_KEYS)
			stalled >>= SSH_KEYS_SHIFT;
		if (victim == NULL || stalled > worst) {
			worst = stalled;
			victim = c;
		}
	}
	return (victim);
}

/* The connection no longer counts against the handshake caps. */
void
ssh_preauth_done(struct ssh_conn *c)
{
	if (!c->preauth)
		return;
	c->preauth = 0;
	TAILQ_REMOVE(&c->sw->preauth, c, preauth_entry);
	c->sw->npreauth--;
	atomic_fetch_sub(&ssh_addr_count[c->bucket], 1);
}
