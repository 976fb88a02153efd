/*
 * Limits: token buckets and the per-address table that bounds what one
 * address (or one IPv6 /64) may hold and how fast it may connect.
 *
 * Pure: no I/O, no clock of its own (callers pass the time in
 * milliseconds), no locking.  worker.c guards the shared address table
 * with a mutex; buckets inside a session need none.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* An address in the table: IPv4 whole, IPv6 as its /64 and whole. */
struct limit_entry {
	uint8_t		 key[17];	/* family byte + address */
	uint8_t		 used;
	u_int		 sessions;
	struct bucket	 connects;
};

struct limit_table {
	struct limit_entry	*slots;		/* owned */
	u_int			 size;		/* power of two */
	u_int			 count;
	u_int			 max;
};

static uint32_t	limit_hash(const uint8_t *);
static struct limit_entry *limit_find(struct limit_table *, const uint8_t *,
		    int);
static void	limit_delete(struct limit_table *, struct limit_entry *);
static int	limit_keys(const struct sockaddr *, uint8_t [2][17]);

/* Refill a bucket for the time passed and take cost tokens if there. */
int
bucket_take(struct bucket *b, double rate, double burst, double cost,
    uint64_t now_ms)
{
	double	elapsed;

	if (b->last_ms == 0) {
		b->tokens = burst;
		b->last_ms = now_ms;
	} else if (now_ms > b->last_ms) {
		elapsed = (double)(now_ms - b->last_ms) / 1000.0;
		b->tokens += elapsed * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last_ms = now_ms;
	}
	if (b->tokens < cost)
		return (-1);
	b->tokens -= cost;
	return (0);
}

/* Whether a bucket has refilled completely (so it may be forgotten). */
static int
bucket_full(const struct bucket *b, double rate, double burst,
    uint64_t now_ms)
{
	double	tokens = b->tokens;

	if (b->last_ms == 0)
		return (1);
	if (now_ms > b->last_ms)
		tokens += (double)(now_ms - b->last_ms) / 1000.0 * rate;
	return (tokens >= burst);
}

/*
 * The table keys for an address: the address itself and, for IPv6, its
 * /64, since one visitor usually holds a whole /64.  Returns how many.
 */
static int
limit_keys(const struct sockaddr *sa, uint8_t keys[2][17])
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(keys, 0, 2 * 17);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		keys[0][0] = 4;
		memcpy(&keys[0][1], &sin->sin_addr, 4);
		return (1);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			keys[0][0] = 4;
			memcpy(&keys[0][1], &sin6->sin6_addr.s6_addr[12], 4);
			return (1);
		}
		keys[0][0] = 6;
		memcpy(&keys[0][1], &sin6->sin6_addr, 16);
		keys[1][0] = 64;
		memcpy(&keys[1][1], &sin6->sin6_addr, 8);
		return (2);
	}
	return (0);
}

/* FNV-1a over a key. */
static uint32_t
limit_hash(const uint8_t *key)
{
	uint32_t	h = 2166136261u;
	u_int		i;

	for (i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 16777619u;
	}
	return (h);
}

/* Create a table that holds at most max addresses. */
struct limit_table *
limit_table_new(u_int max)
{
	struct limit_table	*t;

	t = xcalloc(1, sizeof *t);
	t->max = max < 16 ? 16 : max;
	t->size = 16;
	while (t->size < t->max * 2)
		t->size <<= 1;
	t->slots = xcalloc(t->size, sizeof *t->slots);
	return (t);
}

/* Free a table. */
void
limit_table_free(struct limit_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

/* Find a key's entry, creating it if asked and there is room. */
static struct limit_entry *
limit_find(struct limit_table *t, const uint8_t *key, int create)
{
	struct limit_entry	*e;
	u_int			 i, mask = t->size - 1;

	for (i = limit_hash(key) & mask;; i = (i + 1) & mask) {
		e = &t->slots[i];
		if (!e->used)
			break;
		if (memcmp(e->key, key, sizeof e->key) == 0)
			return (e);
	}
	if (!create || t->count >= t->max)
		return (NULL);
	memset(e, 0, sizeof *e);
	memcpy(e->key, key, sizeof e->key);
	e->used = 1;
	t->count++;
	return (e);
}

/* Remove an entry, moving back later ones so lookups stay correct. */
static void
limit_delete(struct limit_table *t, struct limit_entry *e)
{
	u_int	i, j, h, mask = t->size - 1;

	i = (u_int)(e - t->slots);
	t->slots[i].used = 0;
	t->count--;
	for (j = (i + 1) & mask; t->slots[j].used; j = (j + 1) & mask) {
		h = limit_hash(t->slots[j].key) & mask;
		/* Move j back to i if its home is not in (i, j]. */
		if ((i < j) ? (h <= i || h > j) : (h <= i && h > j)) {
			t->slots[i] = t->slots[j];
			t->slots[j].used = 0;
			i = j;
		}
	}
}

/*
 * May one more connection from sa be admitted?  Checks the connection
 * rate and the concurrent sessions of the address and of its /64; if
 * admitted, counts it.  Returns NULL or why not.
 */
const char *
limit_admit(struct limit_table *t, const struct sockaddr *sa,
    const struct limit_conf *lc, uint64_t now_ms)
{
	struct limit_entry	*e[2] = { NULL, NULL };
	uint8_t			 keys[2][17];
	int			 n, i;

	if ((n = limit_keys(sa, keys)) == 0)
		return (NULL);
	for (i = 0; i < n; i++) {
		e[i] = limit_find(t, keys[i], 1);
		if (e[i] == NULL) {
			limit_sweep(t, lc, now_ms);
			e[i] = limit_find(t, keys[i], 1);
		}
		if (e[i] == NULL)
			return ("too many addresses connected");
	}
	if (e[0]->sessions >= lc->per_addr)
		return ("too many connections from this address");
	if (n == 2 && e[1]->sessions >= lc->per_net64)
		return ("too many connections from this network");
	if (bucket_take(&e[0]->connects, lc->connect_rate,
	    lc->connect_burst, 1, now_ms) == -1)
		return ("connecting too often");
	for (i = 0; i < n; i++)
		e[i]->sessions++;
	return (NULL);
}

/* A connection admitted by limit_admit has gone. */
void
limit_release(struct limit_table *t, const struct sockaddr *sa)
{
	struct limit_entry	*e;
	uint8_t			 keys[2][17];
	int			 n, i;

	n = limit_keys(sa, keys);
	for (i = 0; i < n; i++) {
		if ((e = limit_find(t, keys[i], 0)) != NULL &&
		    e->sessions > 0)
			e->sessions--;
	}
}

/* Forget addresses with no connection and a full bucket. */
void
limit_sweep(struct limit_table *t, const struct limit_conf *lc,
    uint64_t now_ms)
{
	struct limit_entry	*e;
	u_int			 i;

	for (i = 0; i < t->size; i++) {
		e = &t->slots[i];
		while (e->used && e->sessions == 0 && bucket_full(&e->connects,
		    lc->connect_rate, lc->connect_burst, now_ms))
			limit_delete(t, e);	/* may move another here */
	}
}

/* How many addresses the table tracks. */
u_int
limit_count(const struct limit_table *t)
{
	return (t->count);
}
