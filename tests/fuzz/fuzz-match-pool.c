/*
 * Fuzzes the matchmaker's waiting pool with random sequences of add,
 * remove and pick, checked against a simple model: an array of who is
 * waiting and whom each last talked to.
 *
 * Properties: the count always equals the model's; remove succeeds
 * exactly for those waiting; pick returns someone who was waiting and
 * may meet the requester (not itself, not its last partner, not one
 * whose last partner it was), removes them, and fails only when the
 * model has nobody eligible.
 *
 * Input: a seed byte, then operations of one byte each with arguments.
 * Handles come from a small set (so that they repeat) spread over the
 * handle's worker, slot and generation bits; a bulk add makes the
 * table grow past several rehashes.
 */

#include <string.h>

#include "fuzz.h"

#define MODEL_MAX	600

struct model_entry {
	uint64_t	 handle;
	uint64_t	 last;
};

static struct model_entry	 model[MODEL_MAX];
static u_int			 nmodel;

FUZZ_CHECKER static long
model_find(uint64_t h)
{
	u_int	i;

	for (i = 0; i < nmodel; i++) {
		if (model[i].handle == h)
			return (i);
	}
	return (-1);
}

static void
model_del(u_int i)
{
	model[i] = model[--nmodel];
}

FUZZ_CHECKER static int
model_eligible(const struct model_entry *e, uint64_t h, uint64_t last)
{
	return (e->handle != h && e->last != h &&
	    (last == HANDLE_NONE || e->handle != last));
}

/* How many waiting may meet h, whose last partner was last. */
FUZZ_CHECKER static u_int
model_count_eligible(uint64_t h, uint64_t last)
{
	u_int	k, n = 0;

	for (k = 0; k < nmodel; k++)
		n += model_eligible(&model[k], h, last);
	return (n);
}

/* A handle from a byte: never HANDLE_NONE. */
static uint64_t
handle(uint8_t b)
{
	return (HANDLE_MAKE(b & 3, (b >> 2) & 0xf, 1 + (b >> 6)));
}

/* A last partner: often none, otherwise any handle. */
static uint64_t
last_of(uint8_t b)
{
	return ((b & 1) ? HANDLE_NONE : handle(b >> 1 | (b & 0x80)));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct match_pool	*mp;
	uint64_t		 h, last, partner;
	long			 i;
	u_int			 k, n, eligible, bulk = 0;
	uint8_t			 op;
	int			 r;

	mp = match_pool_new(fuzz_byte(&in));
	nmodel = 0;

	while (in.len > 0) {
		op = fuzz_byte(&in);
		switch (op % 4) {
		case 0:
			h = handle(fuzz_byte(&in));
			last = last_of(fuzz_byte(&in));
			if ((i = model_find(h)) != -1)
				model[i].last = last;
			else if (nmodel < MODEL_MAX) {
				model[nmodel].handle = h;
				model[nmodel++].last = last;
			} else
				break;		/* the model is full */
			match_pool_add(mp, h, last);
			break;
		case 1:
			h = handle(fuzz_byte(&in));
			r = match_pool_remove(mp, h);
			i = model_find(h);
			FUZZ_ASSERT((r == 0) == (i != -1));
			if (i != -1)
				model_del(i);
			break;
		case 2:
			h = handle(fuzz_byte(&in));
			last = last_of(fuzz_byte(&in));
			/* The requester is not waiting while it asks. */
			if (model_find(h) != -1)
				break;
			eligible = model_count_eligible(h, last);
			r = match_pool_pick(mp, h, last, &partner);
			FUZZ_ASSERT((r == 0) == (eligible > 0));
			if (r != 0)
				break;
			FUZZ_ASSERT((i = model_find(partner)) != -1);
			FUZZ_ASSERT(model_eligible(&model[i], h, last));
			model_del(i);
			break;
		case 3:
			/* Many distinct handles at once: rehashes. */
			n = fuzz_byte(&in) * 2u;
			for (k = 0; k < n && nmodel < MODEL_MAX; k++) {
				/* Slots handle() never makes: all new. */
				h = HANDLE_MAKE(7, 0x10000 + bulk++, 5);
				match_pool_add(mp, h, HANDLE_NONE);
				model[nmodel].handle = h;
				model[nmodel++].last = HANDLE_NONE;
			}
			break;
		}
		FUZZ_ASSERT(match_pool_count(mp) == nmodel);
	}

	/* Everyone left can be removed once, and then the pool is empty. */
	while (nmodel > 0) {
		FUZZ_ASSERT(match_pool_remove(mp, model[0].handle) == 0);
		FUZZ_ASSERT(match_pool_remove(mp, model[0].handle) == -1);
		model_del(0);
	}
	FUZZ_ASSERT(match_pool_count(mp) == 0);
	match_pool_free(mp);
	return (0);
}
