/*
 * Unit tests for ssh-evp.c, which answers libssh's raw private key
 * imports from keys the thread holds: the same ed25519 seed comes back
 * as the same key, a curve25519 key read out after generation comes
 * back once, and each gives exactly what a fresh import gives (the
 * same public key, signature and shared secret; fresh imports through
 * EVP_PKEY_new_raw_private_key_ex, which ssh-evp.c leaves alone).
 */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "evp-keys.h"

static const unsigned char msg[] = "the exchange hash";

/* A fresh import, past ssh-evp.c. */
static EVP_PKEY *
fresh(const char *type, const unsigned char *raw)
{
	EVP_PKEY	*p;

	p = EVP_PKEY_new_raw_private_key_ex(NULL, type, NULL, raw, RAW);
	assert_non_null(p);
	return (p);
}

/* The host key, imported again, is the key imported before. */
static void
test_ed25519_same_key(void **state)
{
	unsigned char	 seed[RAW], s1[SIG], s2[SIG], p1[RAW], p2[RAW];
	EVP_PKEY	*a, *b, *f;

	(void)state;
	assert_int_equal(RAND_bytes(seed, RAW), 1);
	a = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, RAW);
	b = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, RAW);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	EVP_PKEY_free(a);
	/* One reference is still b's: it must still sign. */
	f = fresh("ED25519", seed);
	sign_by(EVP_DigestSign, b, msg, sizeof msg, s1);
	sign_by(EVP_DigestSign, f, msg, sizeof msg, s2);
	assert_memory_equal(s1, s2, SIG);
	raw_public(b, p1);
	raw_public(f, p2);
	assert_memory_equal(p1, p2, RAW);
	EVP_PKEY_free(b);
	EVP_PKEY_free(f);
}

/* Another seed is another key, and the right one. */
static void
test_ed25519_other_seed(void **state)
{
	unsigned char	 s1[RAW], s2[RAW], p1[RAW], p2[RAW];
	EVP_PKEY	*a, *b, *f;

	(void)state;
	assert_int_equal(RAND_bytes(s1, RAW), 1);
	memcpy(s2, s1, RAW);
	s2[RAW - 1] ^= 1;
	a = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s1, RAW);
	b = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s2, RAW);
	assert_ptr_not_equal(a, b);
	f = fresh("ED25519", s2);
	raw_public(b, p1);
	raw_public(f, p2);
	assert_memory_equal(p1, p2, RAW);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(f);
}

/*
 * libssh's curve25519: generate, read out the private key, free; later
 * import it and derive.  The import is the generated key, once.
 */
static void
test_x25519_once(void **state)
{
	unsigned char	 priv[RAW], k1[RAW], k2[RAW];
	EVP_PKEY	*gen, *peer, *p, *q, *f;

	(void)state;
	gen = x25519_new();
	peer = x25519_new();
	/* Ours, so that a fresh key cannot reuse its address. */
	assert_int_equal(EVP_PKEY_up_ref(gen), 1);
	raw_private(gen, priv);
	EVP_PKEY_free(gen);	/* libssh's */
	p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, RAW);
	assert_ptr_equal(p, gen);
	f = fresh("X25519", priv);
	assert_int_equal(derive_by(EVP_PKEY_derive, p, peer, k1), 1);
	assert_int_equal(derive_by(EVP_PKEY_derive, f, peer, k2), 1);
	assert_memory_equal(k1, k2, RAW);
	/* Handed out once: the next import is libcrypto's own. */
	q = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, RAW);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_int_equal(derive_by(EVP_PKEY_derive, q, peer, k2), 1);
	assert_memory_equal(k1, k2, RAW);
	EVP_PKEY_free(p);
	EVP_PKEY_free(q);
	EVP_PKEY_free(f);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(gen);
}

/* A private key that was not the last one generated is imported afresh. */
static void
test_x25519_other(void **state)
{
	unsigned char	 priv[RAW], other[RAW], pub[RAW], pub2[RAW];
	EVP_PKEY	*gen, *p, *f;

	(void)state;
	gen = x25519_new();
	raw_private(gen, priv);
	memcpy(other, priv, RAW);
	other[0] ^= 0x40;
	p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, other, RAW);
	assert_ptr_not_equal(p, gen);
	f = fresh("X25519", other);
	raw_public(p, pub);
	raw_public(f, pub2);
	assert_memory_equal(pub, pub2, RAW);
	EVP_PKEY_free(gen);
	EVP_PKEY_free(p);
	EVP_PKEY_free(f);
}

static unsigned char	 thread_seed[RAW];

static void *
thread_import(void *arg)
{
	(void)arg;
	return (EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    thread_seed, RAW));
}

/* Keys are kept per thread: another thread gets its own. */
static void
test_per_thread(void **state)
{
	pthread_t	 t;
	EVP_PKEY	*mine, *theirs;
	void		*ret;

	(void)state;
	assert_int_equal(RAND_bytes(thread_seed, RAW), 1);
	mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    thread_seed, RAW);
	assert_int_equal(pthread_create(&t, NULL, thread_import, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	theirs = ret;
	assert_non_null(theirs);
	assert_ptr_not_equal(mine, theirs);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(theirs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_same_key),
		cmocka_unit_test(test_ed25519_other_seed),
		cmocka_unit_test(test_x25519_once),
		cmocka_unit_test(test_x25519_other),
		cmocka_unit_test(test_per_thread),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
