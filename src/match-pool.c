/*
 * The matchmaker's waiting pool: who waits for a partner, whom each last
 * talked to, and a random choice among those who may meet a newcomer.
 * No I/O and no locking: the pool belongs to the matchmaker thread
 * (match.c), which alone decides when to add, pick and remove.
 *
 * Entries live in a dense array, so that a random index names a random
 * waiting visitor, and an open-addressing hash table (linear probing,
 * deletion by backward shift, no tombstones) maps a handle to its index.
 * Removal moves the last entry into the hole.  All operations are O(1)
 * on average whatever the number waiting.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* Random tries before pick falls back to a scan. */
#define MATCH_POOL_TRIES	8
/* At or below this many waiting, pick counts exactly instead. */
#define MATCH_POOL_SMALL	32
/* Smallest hash table; always a power of two at least twice n. */
#define MATCH_POOL_MINSLOTS	64
/* An empty hash slot. */
#define MATCH_POOL_EMPTY	UINT32_MAX

/* One waiting visitor. */
struct match_entry {
	uint64_t	 handle;
	uint64_t	 last;		/* partner just left, or none */
};

/* The pool: entries densely packed, and the hash from handle to index. */
struct match_pool {
	struct match_entry	*entries;	/* owned: n used of size */
	u_int			 n;
	u_int			 size;
	uint32_t		*slots;		/* owned */
	u_int			 nslots;	/* power of two */
	uint64_t		 rng;		/* splitmix64 state */
};

/* Return the next number from the pool's splitmix64 generator. */
static uint64_t
match_pool_random(struct match_pool *mp)
{
	uint64_t	z;

	z = (mp->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Return a random number below n, which is not 0. */
static u_int
match_pool_below(struct match_pool *mp, u_int n)
{
	/* The bias of a 64-bit modulo by a 32-bit n is below 2^-32. */
	return (match_pool_random(mp) % n);
}

/*
 * Return the home slot of handle.  Handles are structured (worker, slot
 * and generation in fixed bits), so they are mixed before masking.
 */
static u_int
match_pool_home(const struct match_pool *mp, uint64_t handle)
{
	uint64_t	z = handle;

	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	z ^= z >> 33;
	return (z & (mp->nslots - 1));
}

/* Return the hash slot holding handle, or -1 if it is not waiting. */
static long
match_pool_find(const struct match_pool *mp, uint64_t handle)
{
	u_int		i, mask = mp->nslots - 1;
	uint32_t	idx;

	for (i = match_pool_home(mp, handle);; i = (i + 1) & mask) {
		if ((idx = mp->slots[i]) == MATCH_POOL_EMPTY)
			return (-1);
		if (mp->entries[idx].handle == handle)
			return (i);
	}
}

/* Put entry idx into the hash table; its handle must be absent. */
static void
match_pool_insert(struct match_pool *mp, uint32_t idx)
{
	u_int	i, mask = mp->nslots - 1;

	i = match_pool_home(mp, mp->entries[idx].handle);
	while (mp->slots[i] != MATCH_POOL_EMPTY)
		i = (i + 1) & mask;
	mp->slots[i] = idx;
}

/* Empty hash slot i, shifting later members of its cluster back. */
static void
match_pool_unslot(struct match_pool *mp, u_int i)
{
	u_int	j, home, mask = mp->nslots - 1;

	for (j = (i + 1) & mask;; j = (j + 1) & mask) {
		if (mp->slots[j] == MATCH_POOL_EMPTY)
			break;
		home = match_pool_home(mp, mp->entries[mp->slots[j]].handle);
		/*
		 * The entry at j may move to i only if its home is not in
		 * (i, j], cyclically; otherwise a lookup would start after
		 * the hole and never reach it.
		 */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		mp->slots[i] = mp->slots[j];
		i = j;
	}
	mp->slots[i] = MATCH_POOL_EMPTY;
}

/* Make the hash table nslots big and fill it from the entries. */
static void
match_pool_rehash(struct match_pool *mp, u_int nslots)
{
	u_int	i;

	free(mp->slots);
	mp->nslots = nslots;
	mp->slots = xreallocarray(NULL, nslots, sizeof *mp->slots);
	memset(mp->slots, 0xff, nslots * sizeof *mp->slots);
	for (i = 0; i < mp->n; i++)
		match_pool_insert(mp, i);
}

/* Remove the entry whose handle sits in hash slot i. */
static void
match_pool_delete(struct match_pool *mp, u_int i)
{
	uint32_t	idx = mp->slots[i];
	long		moved;

	match_pool_unslot(mp, i);
	if (idx != mp->n - 1) {
		moved = match_pool_find(mp, mp->entries[mp->n - 1].handle);
		mp->entries[idx] = mp->entries[mp->n - 1];
		mp->slots[moved] = idx;
	}
	mp->n--;
}

/* May e meet handle, whose last partner was last? */
static int
match_pool_eligible(const struct match_entry *e, uint64_t handle,
    uint64_t last)
{
	if (e->handle == handle || e->last == handle)
		return (0);
	if (last != HANDLE_NONE && e->handle == last)
		return (0);
	return (1);
}

/* Create an empty pool whose random choices start from seed. */
struct match_pool *
match_pool_new(uint32_t seed)
{
	struct match_pool	*mp;

	mp = xcalloc(1, sizeof *mp);
	mp->rng = seed;
	mp->size = 16;
	mp->entries = xreallocarray(NULL, mp->size, sizeof *mp->entries);
	match_pool_rehash(mp, MATCH_POOL_MINSLOTS);
	return (mp);
}

/* Free a pool; NULL is allowed. */
void
match_pool_free(struct match_pool *mp)
{
	if (mp == NULL)
		return;
	free(mp->slots);
	free(mp->entries);
	free(mp);
}

/*
 * Add handle, whose last partner was last (or HANDLE_NONE), to those
 * waiting.  If it is already waiting, only its last partner changes.
 */
void
match_pool_add(struct match_pool *mp, uint64_t handle, uint64_t last)
{
	long	i;

	if (handle == HANDLE_NONE)
		fatalx("%s: no handle", __func__);
	if ((i = match_pool_find(mp, handle)) != -1) {
		mp->entries[mp->slots[i]].last = last;
		return;
	}

	/* Indices are 32 bits and the table holds twice as many slots. */
	if (mp->n >= UINT32_MAX / 4)
		fatalx("%s: pool full", __func__);
	if (mp->n == mp->size) {
		mp->entries = xreallocarray(mp->entries, mp->size,
		    2 * sizeof *mp->entries);
		mp->size *= 2;
	}
	mp->entries[mp->n].handle = handle;
	mp->entries[mp->n].last = last;
	mp->n++;

	/* Keep the table at most half full so probe runs stay short. */
	if (mp->n > mp->nslots / 2)
		match_pool_rehash(mp, mp->nslots * 2);
	else
		match_pool_insert(mp, mp->n - 1);
}

/* Stop handle waiting: 0 if it was waiting, -1 if not. */
int
match_pool_remove(struct match_pool *mp, uint64_t handle)
{
	long	i;

	if ((i = match_pool_find(mp, handle)) == -1)
		return (-1);
	match_pool_delete(mp, i);
	return (0);
}

/*
 * Choose a partner at random for handle, whose last partner was last:
 * anyone waiting except handle itself, its last partner, and those whose
 * last partner was handle, so two who just parted never meet again at
 * once.  The partner is removed from the pool and stored in *partner;
 * return 0, or -1 if nobody fits (the caller then adds handle).
 */
int
match_pool_pick(struct match_pool *mp, uint64_t handle, uint64_t last,
    uint64_t *partner)
{
	struct match_entry	*e;
	u_int			 i, k, start, found = 0, chosen = 0;

	if (mp->n == 0)
		return (-1);

	if (mp->n <= MATCH_POOL_SMALL) {
		/* Few waiting: choose exactly uniformly (reservoir of one). */
		for (i = 0; i < mp->n; i++) {
			if (!match_pool_eligible(&mp->entries[i], handle, last))
				continue;
			if (match_pool_below(mp, ++found) == 0)
				chosen = i;
		}
		if (found == 0)
			return (-1);
		goto out;
	}

	/*
	 * Only a handful of entries can be ineligible (the requester, its
	 * last partner and whoever last talked to it), so a random index
	 * nearly always fits at once and the choice is uniform.  The scan
	 * is a fallback that bounds the work when it does not.
	 */
	for (k = 0; k < MATCH_POOL_TRIES; k++) {
		i = match_pool_below(mp, mp->n);
		if (match_pool_eligible(&mp->entries[i], handle, last)) {
			chosen = i;
			goto out;
		}
	}
	start = match_pool_below(mp, mp->n);
	for (k = 0; k < mp->n; k++) {
		i = (start + k) % mp->n;
		if (match_pool_eligible(&mp->entries[i], handle, last)) {
			chosen = i;
			goto out;
		}
	}
	return (-1);

out:
	e = &mp->entries[chosen];
	*partner = e->handle;
	match_pool_delete(mp, match_pool_find(mp, e->handle));
	return (0);
}

/* Return how many are waiting. */
u_int
match_pool_count(const struct match_pool *mp)
{
	return (mp->n);
}
