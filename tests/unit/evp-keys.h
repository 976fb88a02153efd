/*
 * What the unit tests of ssh-evp.c and ssh-curve.c share: making a
 * curve25519 key as libssh makes it, reading raw keys out, and
 * deriving and signing through a given libcrypto entry point (the one
 * the test links, which ssh-curve.c stands in for, or libcrypto's own
 * found past it).  Include after <cmocka.h>: failures are cmocka's.
 */

#ifndef EVP_KEYS_H
#define EVP_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

#define RAW	32	/* a raw curve25519 or ed25519 key */
#define SIG	64	/* an ed25519 signature */

typedef int (*derive_fn)(EVP_PKEY_CTX *, unsigned char *, size_t *);
typedef int (*sign_fn)(EVP_MD_CTX *, unsigned char *, size_t *,
    const unsigned char *, size_t);

/* A new curve25519 key, made as libssh makes it. */
static inline EVP_PKEY *
x25519_new(void)
{
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY	*p = NULL;

	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	assert_int_equal(EVP_PKEY_keygen(c, &p), 1);
	EVP_PKEY_CTX_free(c);
	return (p);
}

/* The raw public key of key into pub. */
static inline void
raw_public(EVP_PKEY *key, unsigned char pub[RAW])
{
	size_t	len = RAW;

	assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &len), 1);
	assert_int_equal(len, RAW);
}

/* The raw private key (or ed25519 seed) of key into priv. */
static inline void
raw_private(EVP_PKEY *key, unsigned char priv[RAW])
{
	size_t	len = RAW;

	assert_int_equal(EVP_PKEY_get_raw_private_key(key, priv, &len), 1);
	assert_int_equal(len, RAW);
}

/* The shared secret of key with peer into k by fn; its return. */
static inline int
derive_by(derive_fn fn, EVP_PKEY *key, EVP_PKEY *peer, unsigned char k[RAW])
{
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new(key, NULL);
	size_t		 len = RAW;
	int		 rc;

	assert_int_equal(EVP_PKEY_derive_init(c), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(c, peer), 1);
	rc = fn(c, k, &len);
	if (rc == 1)
		assert_int_equal(len, RAW);
	EVP_PKEY_CTX_free(c);
	return (rc);
}

/* The ed25519 signature of m by key into sig, by fn. */
static inline void
sign_by(sign_fn fn, EVP_PKEY *key, const unsigned char *m, size_t mlen,
    unsigned char sig[SIG])
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	size_t		 len = SIG;

	assert_int_equal(EVP_DigestSignInit(c, NULL, NULL, NULL, key), 1);
	assert_int_equal(fn(c, sig, &len, m, mlen), 1);
	assert_int_equal(len, SIG);
	EVP_MD_CTX_free(c);
}

#endif /* EVP_KEYS_H */
