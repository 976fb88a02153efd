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
 *
 * Interests: a visitor who gave some waits "strict" at first, meeting
 * only someone who shares one, until strict_until; then anyone.  A FIFO
 * of deadlines tells the matchmaker whose strict time is up.  Looking
 * for a shared interest scans (bounded by MATCH_POOL_SCAN).
 *
 * Blocks: a bounded set of pairs of identities (or of handles, when both
 * have the same identity) that must never meet again before a deadline;
 * a ring in the order of insertion expires or evicts the oldest.
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
/* Entries looked at for a shared interest, at most. */
#define MATCH_POOL_SCAN		4096
/* Blocked pairs kept; the oldest goes first when full. */
#define MATCH_POOL_BLOCKS	16384

/* One waiting visitor: a request, with its interests hashed. */
struct match_entry {
	struct match_want	 w;		/* w.interests owned */
	uint64_t		 ihash[INTERESTS_MAX];
	u_int			 ninterests;
};

/* Whose strict time ends when, in order. */
struct match_due {
	uint64_t	 handle;
	uint64_t	 at;
};

/* A blocked pair until a deadline. */
struct match_blocked {
	uint64_t	 key;
	uint64_t	 until;
};

/* The pool: entries densely packed, and the hash from handle to index. */
struct match_pool {
	struct match_entry	*entries;	/* owned: n used of size */
	u_int			 n;
	u_int			 size;
	uint32_t		*slots;		/* owned */
	u_int			 nslots;	/* power of two */
	uint64_t		 rng;		/* splitmix64 state */

	struct match_due	*due;		/* owned ring */
	u_int			 due_first;
	u_int			 ndue;
	u_int			 due_size;

	struct match_blocked	*blocks;	/* owned ring, lazily */
	u_int			 block_first;
	u_int			 nblocks;
	uint32_t		*block_slots;	/* owned: ring index */
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
		if (mp->entries[idx].w.handle == handle)
			return (i);
	}
}

/* Put entry idx into the hash table; its handle must be absent. */
static void
match_pool_insert(struct match_pool *mp, uint32_t idx)
{
	u_int	i, mask = mp->nslots - 1;

	i = match_pool_home(mp, mp->entries[idx].w.handle);
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
		home = match_pool_home(mp,
		    mp->entries[mp->slots[j]].w.handle);
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

/*
 * Remove the entry whose handle sits in hash slot i; its interests go
 * to *out if given, else are freed.
 */
static void
match_pool_delete(struct match_pool *mp, u_int i, struct match_want *out)
{
	uint32_t	idx = mp->slots[i];
	long		moved;

	if (out != NULL)
		*out = mp->entries[idx].w;
	else
		free(mp->entries[idx].w.interests);
	match_pool_unslot(mp, i);
	if (idx != mp->n - 1) {
		moved = match_pool_find(mp, mp->entries[mp->n - 1].w.handle);
		mp->entries[idx] = mp->entries[mp->n - 1];
		mp->slots[moved] = idx;
	}
	mp->n--;
}

/* The key of a blocked pair, whichever way round. */
static uint64_t
match_pool_pairkey(uint64_t a, uint64_t b)
{
	uint64_t	lo = a < b ? a : b, hi = a < b ? b : a, z;

	z = lo * 0x9e3779b97f4a7c15ULL + hi;
	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	z ^= z >> 33;
	return (z == 0 ? 1 : z);
}

/*
 * What a block between two requests is keyed on: their identities, or,
 * when these are missing or the same (two people behind one address),
 * their handles, so that a block never shuts a whole address out.
 */
static uint64_t
match_pool_blockkey(uint64_t ha, uint64_t ia, uint64_t hb, uint64_t ib)
{
	if (ia != 0 && ib != 0 && ia != ib)
		return (match_pool_pairkey(ia, ib));
	return (match_pool_pairkey(ha ^ 0x5bd1e995ULL, hb ^ 0x5bd1e995ULL));
}

/* The block table slot holding key, or -1. */
static long
match_pool_block_find(const struct match_pool *mp, uint64_t key)
{
	u_int		i, mask = 2 * MATCH_POOL_BLOCKS - 1;
	uint32_t	idx;

	if (mp->block_slots == NULL)
		return (-1);
	for (i = key & mask;; i = (i + 1) & mask) {
		if ((idx = mp->block_slots[i]) == MATCH_POOL_EMPTY)
			return (-1);
		if (mp->blocks[idx].key == key)
			return (i);
	}
}

/* Forget the oldest block. */
static void
match_pool_block_pop(struct match_pool *mp)
{
	struct match_blocked	*b = &mp->blocks[mp->block_first];
	u_int			 i, j, home, mask = 2 * MATCH_POOL_BLOCKS - 1;
	long			 found;

	/* A pair blocked again has a newer entry: leave that one be. */
	found = match_pool_block_find(mp, b->key);
	if (found != -1 && mp->block_slots[found] == mp->block_first) {
		i = (u_int)found;
		for (j = (i + 1) & mask;; j = (j + 1) & mask) {
			if (mp->block_slots[j] == MATCH_POOL_EMPTY)
				break;
			home = mp->blocks[mp->block_slots[j]].key & mask;
			if (i <= j ? (home > i && home <= j) :
			    (home > i || home <= j))
				continue;
			mp->block_slots[i] = mp->block_slots[j];
			i = j;
		}
		mp->block_slots[i] = MATCH_POOL_EMPTY;
	}
	mp->block_first = (mp->block_first + 1) % MATCH_POOL_BLOCKS;
	mp->nblocks--;
}

/* Are two requests blocked from meeting at now? */
static int
match_pool_blocked(const struct match_pool *mp, const struct match_want *a,
    const struct match_want *b, uint64_t now)
{
	long	i;

	if (mp->nblocks == 0)
		return (0);
	i = match_pool_block_find(mp, match_pool_blockkey(a->handle, a->ident,
	    b->handle, b->ident));
	return (i != -1 && mp->blocks[mp->block_slots[i]].until > now);
}

/* Does e share an interest with r (hashes rh)?  Which of r's, or -1. */
static int
match_pool_shared(const struct match_entry *e, const uint64_t *rh, u_int rn)
{
	u_int	i, j;

	for (i = 0; i < rn; i++)
		for (j = 0; j < e->ninterests; j++)
			if (rh[i] == e->ihash[j])
				return ((int)i);
	return (-1);
}

/* May e meet request r at now (interests aside)? */
static int
match_pool_eligible(const struct match_pool *mp, const struct match_entry *e,
    const struct match_want *r, uint64_t now)
{
	if (e->w.handle == r->handle || e->w.last == r->handle)
		return (0);
	if (r->last != HANDLE_NONE && e->w.handle == r->last)
		return (0);
	return (!match_pool_blocked(mp, &e->w, r, now));
}

/* May e meet r, who need not share an interest with it? */
static int
match_pool_open(const struct match_pool *mp, const struct match_entry *e,
    const struct match_want *r, uint64_t now)
{
	if (e->ninterests > 0 && e->w.strict_until > now)
		return (0);
	return (match_pool_eligible(mp, e, r, now));
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
	u_int	i;

	if (mp == NULL)
		return;
	for (i = 0; i < mp->n; i++)
		free(mp->entries[i].w.interests);
	free(mp->slots);
	free(mp->entries);
	free(mp->due);
	free(mp->blocks);
	free(mp->block_slots);
	free(mp);
}

/* Remember that handle's strict time ends at at. */
static void
match_pool_due_push(struct match_pool *mp, uint64_t handle, uint64_t at)
{
	struct match_due	*nd;
	u_int			 i;

	if (mp->ndue == mp->due_size) {
		nd = xreallocarray(NULL, mp->due_size ? mp->due_size * 2 : 16,
		    sizeof *nd);
		for (i = 0; i < mp->ndue; i++)
			nd[i] = mp->due[(mp->due_first + i) % mp->due_size];
		free(mp->due);
		mp->due = nd;
		mp->due_first = 0;
		mp->due_size = mp->due_size ? mp->due_size * 2 : 16;
	}
	mp->due[(mp->due_first + mp->ndue) % mp->due_size].handle = handle;
	mp->due[(mp->due_first + mp->ndue) % mp->due_size].at = at;
	mp->ndue++;
}

/*
 * Add a request to those waiting (its interests are copied).  If its
 * handle is already waiting, the old request is replaced.
 */
void
match_pool_want(struct match_pool *mp, const struct match_want *w)
{
	struct match_entry	*e;
	long			 i;

	if (w->handle == HANDLE_NONE)
		fatalx("%s: no handle", __func__);
	if ((i = match_pool_find(mp, w->handle)) != -1)
		match_pool_delete(mp, i, NULL);

	/* Indices are 32 bits and the table holds twice as many slots. */
	if (mp->n >= UINT32_MAX / 4)
		fatalx("%s: pool full", __func__);
	if (mp->n == mp->size) {
		mp->entries = xreallocarray(mp->entries, mp->size,
		    2 * sizeof *mp->entries);
		mp->size *= 2;
	}
	e = &mp->entries[mp->n];
	memset(e, 0, sizeof *e);
	e->w = *w;
	e->w.interests = w->interests != NULL ? xstrdup(w->interests) : NULL;
	e->ninterests = interests_hash(e->w.interests, e->ihash,
	    INTERESTS_MAX);
	if (e->ninterests == 0)
		e->w.strict_until = 0;
	else if (e->w.strict_until != 0)
		match_pool_due_push(mp, w->handle, e->w.strict_until);
	mp->n++;

	/* Keep the table at most half full so probe runs stay short. */
	if (mp->n > mp->nslots / 2)
		match_pool_rehash(mp, mp->nslots * 2);
	else
		match_pool_insert(mp, mp->n - 1);
}

/*
 * Add handle, whose last partner was last (or HANDLE_NONE), to those
 * waiting, with no interests and no identity.  If it is already
 * waiting, only its last partner changes.
 */
void
match_pool_add(struct match_pool *mp, uint64_t handle, uint64_t last)
{
	struct match_want	w;
	long			i;

	if (handle == HANDLE_NONE)
		fatalx("%s: no handle", __func__);
	if ((i = match_pool_find(mp, handle)) != -1) {
		mp->entries[mp->slots[i]].w.last = last;
		return;
	}
	memset(&w, 0, sizeof w);
	w.handle = handle;
	w.last = last;
	match_pool_want(mp, &w);
}

/* Stop handle waiting: 0 if it was waiting, -1 if not. */
int
match_pool_remove(struct match_pool *mp, uint64_t handle)
{
	long	i;

	if ((i = match_pool_find(mp, handle)) == -1)
		return (-1);
	match_pool_delete(mp, i, NULL);
	return (0);
}

/*
 * Take any one waiting request out of the pool into *w (interests the
 * caller's): 0, or -1 if nobody waits.
 */
int
match_pool_pop(struct match_pool *mp, struct match_want *w)
{
	if (mp->n == 0)
		return (-1);
	match_pool_delete(mp, match_pool_find(mp,
	    mp->entries[mp->n - 1].w.handle), w);
	return (0);
}

/*
 * Someone for r who shares one of its interests, chosen at random among
 * those found: returns the entry index and stores which of r's interests
 * in *which, or returns -1.  Past MATCH_POOL_SCAN waiting, only that
 * many from a random place are looked at.
 */
static long
match_pool_pick_shared(struct match_pool *mp, const struct match_want *r,
    const uint64_t *rh, u_int rn, uint64_t now, int *which)
{
	u_int	i, k, start, limit, found = 0;
	long	chosen = -1;
	int	j;

	if (rn == 0 || mp->n == 0)
		return (-1);
	limit = mp->n < MATCH_POOL_SCAN ? mp->n : MATCH_POOL_SCAN;
	start = mp->n <= MATCH_POOL_SCAN ? 0 : match_pool_below(mp, mp->n);
	for (k = 0; k < limit; k++) {
		i = (start + k) % mp->n;
		if (mp->entries[i].ninterests == 0)
			continue;
		if ((j = match_pool_shared(&mp->entries[i], rh, rn)) == -1)
			continue;
		if (!match_pool_eligible(mp, &mp->entries[i], r, now))
			continue;
		/* Reservoir of one: each found is equally likely. */
		if (match_pool_below(mp, ++found) == 0) {
			chosen = i;
			*which = j;
		}
	}
	return (chosen);
}

/* Someone for r who need not share an interest, or -1. */
static long
match_pool_pick_open(struct match_pool *mp, const struct match_want *r,
    uint64_t now)
{
	u_int	i, k, start, found = 0;
	long	chosen = -1;

	if (mp->n == 0)
		return (-1);
	if (mp->n <= MATCH_POOL_SMALL) {
		/* Few waiting: choose exactly uniformly (reservoir of one). */
		for (i = 0; i < mp->n; i++) {
			if (!match_pool_open(mp, &mp->entries[i], r, now))
				continue;
			if (match_pool_below(mp, ++found) == 0)
				chosen = i;
		}
		return (chosen);
	}

	/*
	 * Only a handful of entries can be ineligible (the requester, its
	 * last partner, whoever last talked to it, those it blocked and
	 * those still holding out for an interest), so a random index
	 * nearly always fits at once and the choice is uniform.  The scan
	 * is a fallback that bounds the work when it does not.
	 */
	for (k = 0; k < MATCH_POOL_TRIES; k++) {
		i = match_pool_below(mp, mp->n);
		if (match_pool_open(mp, &mp->entries[i], r, now))
			return (i);
	}
	start = match_pool_below(mp, mp->n);
	for (k = 0; k < mp->n; k++) {
		i = (start + k) % mp->n;
		if (match_pool_open(mp, &mp->entries[i], r, now))
			return (i);
	}
	return (-1);
}

/*
 * Find a partner for request r at time now (ms; any clock, as long as
 * it is the one strict_until and blocks use).  Someone sharing an
 * interest comes first; if there is none and r is still strict, nobody.
 * The partner is removed from the pool and handed over in *partner
 * (its interests are the caller's to free); *shared is the interest
 * they share (the caller frees it) or NULL.  Returns 0, or -1 if nobody
 * fits (the caller then adds r).
 */
int
match_pool_match(struct match_pool *mp, const struct match_want *r,
    uint64_t now, struct match_want *partner, char **shared)
{
	uint64_t	rh[INTERESTS_MAX];
	u_int		rn;
	long		chosen;
	int		which = -1;

	*shared = NULL;
	rn = interests_hash(r->interests, rh, INTERESTS_MAX);
	chosen = match_pool_pick_shared(mp, r, rh, rn, now, &which);
	if (chosen == -1) {
		which = -1;
		if (rn > 0 && r->strict_until > now)
			return (-1);
		if ((chosen = match_pool_pick_open(mp, r, now)) == -1)
			return (-1);
	}
	if (which != -1)
		*shared = interests_item(r->interests, (u_int)which);
	match_pool_delete(mp, match_pool_find(mp,
	    mp->entries[chosen].w.handle), partner);
	return (0);
}

/*
 * Is the only other visitor waiting besides r (which waits too) the one
 * it just parted from, with no block between them?  Then nobody will
 * come for either until someone new arrives: return 0 and the other's
 * handle in *other, else -1.
 */
int
match_pool_only_last(const struct match_pool *mp,
    const struct match_want *r, uint64_t now, uint64_t *other)
{
	const struct match_entry	*e;
	u_int				 i;

	if (mp->n != 2)
		return (-1);
	for (i = 0; i < mp->n; i++) {
		e = &mp->entries[i];
		if (e->w.handle == r->handle)
			continue;
		if (e->w.handle != r->last && e->w.last != r->handle)
			return (-1);
		if (match_pool_blocked(mp, &e->w, r, now))
			return (-1);
		*other = e->w.handle;
		return (0);
	}
	return (-1);
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
	struct match_want	r, p;
	char			*shared;

	memset(&r, 0, sizeof r);
	r.handle = handle;
	r.last = last;
	if (match_pool_match(mp, &r, 0, &p, &shared) == -1)
		return (-1);
	free(shared);
	free(p.interests);
	*partner = p.handle;
	return (0);
}

/*
 * The next waiting request whose strict time is up at now: removed from
 * the pool and handed over in *w (interests the caller's) so that the
 * caller can look for anyone for it.  Returns 0, or -1 if none is due.
 */
int
match_pool_due(struct match_pool *mp, uint64_t now, struct match_want *w)
{
	struct match_due	*d;
	long			 i;

	while (mp->ndue > 0) {
		d = &mp->due[mp->due_first];
		if (d->at > now)
			return (-1);
		mp->due_first = (mp->due_first + 1) % mp->due_size;
		mp->ndue--;
		/* Gone, or asked again since: not due after all. */
		if ((i = match_pool_find(mp, d->handle)) == -1 ||
		    mp->entries[mp->slots[i]].w.strict_until != d->at)
			continue;
		match_pool_delete(mp, i, w);
		return (0);
	}
	return (-1);
}

/* When the next strict time ends, or 0 if nobody is strict. */
uint64_t
match_pool_next_due(const struct match_pool *mp)
{
	return (mp->ndue > 0 ? mp->due[mp->due_first].at : 0);
}

/*
 * Two requests must not meet again before until: keyed on identities
 * (or handles, when both have the same identity or none).  The set is
 * bounded: when full, the oldest block goes.
 */
void
match_pool_block(struct match_pool *mp, const struct match_want *a,
    const struct match_want *b, uint64_t until)
{
	struct match_blocked	*nb;
	u_int			 idx, i, mask = 2 * MATCH_POOL_BLOCKS - 1;

	if (mp->blocks == NULL) {
		mp->blocks = xreallocarray(NULL, MATCH_POOL_BLOCKS,
		    sizeof *mp->blocks);
		mp->block_slots = xreallocarray(NULL, 2 * MATCH_POOL_BLOCKS,
		    sizeof *mp->block_slots);
		memset(mp->block_slots, 0xff,
		    2 * MATCH_POOL_BLOCKS * sizeof *mp->block_slots);
	}
	if (mp->nblocks == MATCH_POOL_BLOCKS)
		match_pool_block_pop(mp);
	idx = (mp->block_first + mp->nblocks) % MATCH_POOL_BLOCKS;
	nb = &mp->blocks[idx];
	nb->key = match_pool_blockkey(a->handle, a->ident, b->handle,
	    b->ident);
	nb->until = until;
	mp->nblocks++;
	/* A pair blocked again: the newer entry takes its slot. */
	if ((i = (u_int)match_pool_block_find(mp, nb->key)) != (u_int)-1) {
		mp->block_slots[i] = idx;
		return;
	}
	for (i = nb->key & mask; mp->block_slots[i] != MATCH_POOL_EMPTY;
	    i = (i + 1) & mask)
		;
	mp->block_slots[i] = idx;
}

/* Forget blocks that ended by now; returns how many are left. */
u_int
match_pool_expire(struct match_pool *mp, uint64_t now)
{
	while (mp->nblocks > 0 && mp->blocks[mp->block_first].until <= now)
		match_pool_block_pop(mp);
	return (mp->nblocks);
}

/* Return how many are waiting. */
u_int
match_pool_count(const struct match_pool *mp)
{
	return (mp->n);
}
