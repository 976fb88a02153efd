/*
 * libssh's reseed of libcrypto's random generator on every accept,
 * left to libcrypto.
 *
 * ssh_bind_accept_fd() ends with RAND_add() of the time of day,
 * claiming no entropy, "in case we fork after ssh_bind_accept".  With
 * OpenSSL 3 that reseeds the primary generator from the kernel
 * (getrandom) on every connection, and since every thread's own
 * generators follow the primary, each worker's next random bytes
 * reseed them again from it, under its lock: one getrandom, about two
 * futex wake-ups between the workers and ~70,000 instructions a set-up
 * (bench/RESULTS.md, "SSH set-up CPU").
 *
 * What the call guards against is already guarded: OpenSSL 3's
 * generators note the process id they were seeded in and reseed in a
 * child after fork() by themselves; strangerd never forks anyway.  And
 * a time of day adds nothing an observer could not guess.  So
 * strangerd defines RAND_add (the dynamic linker binds libssh's call to
 * it, as ssh-evp.c does) and drops exactly that call: a struct timeval
 * claiming no entropy.  Anything else, such as bytes that claim
 * entropy, goes to libcrypto's own.  The generators keep OpenSSL 3's
 * own reseeding schedule (the primary from the kernel at least every
 * hour, the others from it every 7 minutes or 2^16 requests).
 *
 * Owns nothing.
 */

#include <sys/time.h>

#include <pthread.h>

#include <openssl/rand.h>

#include "strangerd.h"

typedef void (*ssh_rand_add_fn)(const void *, int, double);

static pthread_once_t	 ssh_rand_once = PTHREAD_ONCE_INIT;
static ssh_rand_add_fn	 ssh_rand_real_add;

/* Find libcrypto's own RAND_add; once. */
static void
ssh_rand_init(void)
{
	ssh_rand_real_add = (ssh_rand_add_fn)ssh_next("RAND_add");
}

/* libcrypto's, but a time of day claiming no entropy is dropped. */
void
RAND_add(const void *buf, int num, double randomness)
{
	pthread_once(&ssh_rand_once, ssh_rand_init);
	if (buf != NULL && num == (int)sizeof(struct timeval) &&
	    randomness == 0.0)
		return;
	ssh_rand_real_add(buf, num, randomness);
}
