/*
 * Unit tests for ssh-curve.c, which does libssh's four curve operations
 * with libsodium: each gives what libcrypto's own gives (found here
 * with ssh_next(), past ssh-curve.c), refuses what it refuses and
 * accepts what it accepts, small-order points and bad signatures
 * included; and libsodium did the work (ssh_curve_count).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "strangerd.h"
#include "evp-keys.h"

#define ROUNDS	200

typedef int (*verify_fn)(EVP_MD_CTX *, const unsigned char *, size_t,
    const unsigned char *, size_t);

static derive_fn	 real_derive;
static sign_fn		 real_sign;
static verify_fn	 real_verify;

/*
 * Curve25519 u-coordinates of small order, and their non-canonical
 * forms (libsodium's list): 0, 1, two points of order 8, p - 1, p,
 * p + 1; then the same with the top bit set, which X25519 ignores.
 */
static const unsigned char small_order[7][RAW] = {
	{ 0 },
	{ 1 },
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	  0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	  0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

/* The ed25519 identity (order 1) and (0, -1), of order 2. */
static const unsigned char ed_identity[RAW] = { 1 };
static const unsigned char ed_order2[RAW] = {
	0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
};

/* The group order L, little-endian. */
static const unsigned char order_l[RAW] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0x10
};

static const unsigned char msg[] = "the exchange hash";

static int
setup(void **state)
{
	(void)state;
	real_derive = (derive_fn)ssh_next("EVP_PKEY_derive");
	real_sign = (sign_fn)ssh_next("EVP_DigestSign");
	real_verify = (verify_fn)ssh_next("EVP_DigestVerify");
	return (0);
}

/* A raw X25519 public key. */
static EVP_PKEY *
x25519_pub(const unsigned char *raw)
{
	EVP_PKEY	*p;

	p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, raw, RAW);
	assert_non_null(p);
	return (p);
}

/* fn's verdict on sig (siglen bytes) of m by the raw ed25519 key pub. */
static int
verify_by(verify_fn fn, const unsigned char *pub, const unsigned char *sig,
    size_t siglen, const unsigned char *m, size_t mlen)
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	EVP_PKEY	*key;
	int		 rc;

	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, RAW);
	if (key == NULL) {
		/* libcrypto would not import it: nobody gets to verify. */
		EVP_MD_CTX_free(c);
		return (-2);
	}
	assert_int_equal(EVP_DigestVerifyInit(c, NULL, NULL, NULL, key), 1);
	rc = fn(c, sig, siglen, m, mlen);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(key);
	return (rc);
}

/* Ours and libcrypto's verdicts agree; ours is returned. */
static int
verify_same(const unsigned char *pub, const unsigned char *sig,
    size_t siglen, const unsigned char *m, size_t mlen)
{
	int	 ours, theirs;

	ours = verify_by(EVP_DigestVerify, pub, sig, siglen, m, mlen);
	theirs = verify_by(real_verify, pub, sig, siglen, m, mlen);
	assert_int_equal(ours == 1, theirs == 1);
	return (ours);
}

/* Ours and libcrypto's shared secrets agree; our verdict is returned. */
static int
derive_same(EVP_PKEY *key, EVP_PKEY *peer, unsigned char k[RAW])
{
	unsigned char	 k2[RAW];
	int		 ours, theirs;

	ours = derive_by(EVP_PKEY_derive, key, peer, k);
	theirs = derive_by(real_derive, key, peer, k2);
	assert_int_equal(ours == 1, theirs == 1);
	if (ours == 1)
		assert_memory_equal(k, k2, RAW);
	return (ours);
}

/* A generated key is libsodium's, clamped, and its public half right. */
static void
test_x25519_keygen(void **state)
{
	unsigned char	 priv[RAW], pub[RAW], pub2[RAW];
	unsigned long	 n;
	EVP_PKEY	*p, *f;
	int		 i;

	(void)state;
	for (i = 0; i < ROUNDS; i++) {
		n = ssh_curve_count();
		p = x25519_new();
		assert_int_equal(ssh_curve_count(), n + 1);
		raw_private(p, priv);
		assert_int_equal(priv[0] & 7, 0);
		assert_int_equal(priv[RAW - 1] & 0xc0, 0x40);
		raw_public(p, pub);
		/* libcrypto's import computes the public half itself. */
		f = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
		    RAW);
		raw_public(f, pub2);
		assert_memory_equal(pub, pub2, RAW);
		EVP_PKEY_free(p);
		EVP_PKEY_free(f);
	}
}

/* Shared secrets are libcrypto's, also for a peer's top bit set. */
static void
test_x25519_derive(void **state)
{
	unsigned char	 raw[RAW], k1[RAW], k2[RAW];
	unsigned long	 n;
	EVP_PKEY	*a, *b, *q;
	int		 i;

	(void)state;
	for (i = 0; i < ROUNDS; i++) {
		a = x25519_new();
		b = x25519_new();
		n = ssh_curve_count();
		assert_int_equal(derive_same(a, b, k1), 1);
		assert_int_equal(ssh_curve_count(), n + 1);
		assert_int_equal(derive_by(EVP_PKEY_derive, b, a, k2), 1);
		assert_memory_equal(k1, k2, RAW);
		/* Any 32 bytes are a u-coordinate (RFC 7748). */
		raw_public(b, raw);
		raw[RAW - 1] ^= 0x80;
		if (i % 2)
			assert_int_equal(RAND_bytes(raw, RAW), 1);
		q = x25519_pub(raw);
		derive_same(a, q, k1);
		EVP_PKEY_free(a);
		EVP_PKEY_free(b);
		EVP_PKEY_free(q);
	}
}

/* A point of small order is refused, as libcrypto refuses it. */
static void
test_x25519_small_order(void **state)
{
	unsigned char	 raw[RAW], k[RAW];
	EVP_PKEY	*a, *q;
	size_t		 i;
	int		 top;

	(void)state;
	a = x25519_new();
	for (i = 0; i < sizeof small_order / sizeof small_order[0]; i++)
		for (top = 0; top < 2; top++) {
			memcpy(raw, small_order[i], RAW);
			raw[RAW - 1] |= top << 7;
			q = x25519_pub(raw);
			assert_int_not_equal(derive_same(a, q, k), 1);
			EVP_PKEY_free(q);
		}
	EVP_PKEY_free(a);
}

/* A new ed25519 key from a random seed, libcrypto's own import. */
static EVP_PKEY *
ed25519_new(void)
{
	unsigned char	 seed[RAW];
	EVP_PKEY	*key;

	assert_int_equal(RAND_bytes(seed, RAW), 1);
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, RAW);
	assert_non_null(key);
	return (key);
}

/* Signatures are libcrypto's, byte for byte, any message length. */
static void
test_ed25519_sign(void **state)
{
	unsigned char	 m[300], s1[SIG], s2[SIG];
	unsigned long	 n;
	EVP_PKEY	*key;
	int		 i;

	(void)state;
	for (i = 0; i < ROUNDS; i++) {
		key = ed25519_new();
		assert_int_equal(RAND_bytes(m, sizeof m), 1);
		n = ssh_curve_count();
		sign_by(EVP_DigestSign, key, m, i % sizeof m, s1);
		assert_int_equal(ssh_curve_count(), n + 1);
		sign_by(real_sign, key, m, i % sizeof m, s2);
		assert_memory_equal(s1, s2, SIG);
		EVP_PKEY_free(key);
	}
}

/* A good signature is accepted by libsodium; a spoilt one by nobody. */
static void
test_ed25519_verify(void **state)
{
	unsigned char	 pub[RAW], sig[SIG], bad[SIG], m[100];
	unsigned long	 n;
	EVP_PKEY	*key;
	int		 i;

	(void)state;
	for (i = 0; i < ROUNDS; i++) {
		key = ed25519_new();
		assert_int_equal(RAND_bytes(m, sizeof m), 1);
		raw_public(key, pub);
		sign_by(real_sign, key, m, sizeof m, sig);
		n = ssh_curve_count();
		assert_int_equal(verify_same(pub, sig, SIG, m, sizeof m), 1);
		assert_int_equal(ssh_curve_count(), n + 1);
		/* One bit of the signature, message or key changed. */
		memcpy(bad, sig, SIG);
		bad[i % SIG] ^= 1 << (i % 8);
		assert_int_not_equal(verify_same(pub, bad, SIG, m, sizeof m),
		    1);
		m[i % sizeof m] ^= 1;
		assert_int_not_equal(verify_same(pub, sig, SIG, m, sizeof m),
		    1);
		m[i % sizeof m] ^= 1;
		pub[i % RAW] ^= 1 << (i % 7);
		assert_int_not_equal(verify_same(pub, sig, SIG, m, sizeof m),
		    1);
		/* A short or long signature. */
		assert_int_not_equal(verify_same(pub, sig, SIG - 1, m,
		    sizeof m), 1);
		EVP_PKEY_free(key);
	}
}

/* s + L: the same point, but libcrypto refuses an s past L; so do we. */
static void
test_ed25519_s_past_l(void **state)
{
	unsigned char	 pub[RAW], sig[SIG];
	EVP_PKEY	*key;
	unsigned int	 c = 0;
	int		 i;

	(void)state;
	key = ed25519_new();
	raw_public(key, pub);
	sign_by(real_sign, key, msg, sizeof msg, sig);
	for (i = 0; i < RAW; i++) {
		c += sig[RAW + i] + order_l[i];
		sig[RAW + i] = c & 0xff;
		c >>= 8;
	}
	assert_int_not_equal(verify_same(pub, sig, SIG, msg, sizeof msg), 1);
	EVP_PKEY_free(key);
}

/*
 * Small-order keys and commitments: OpenSSL 3.0 accepts R = A = the
 * identity with s = 0 for any message, which libsodium refuses.  The
 * verdict must stay libcrypto's, whichever it is.
 */
static void
test_ed25519_small_order(void **state)
{
	unsigned char	 sig[SIG];
	const unsigned char *pts[] = { ed_identity, ed_order2 };
	size_t		 i, j;

	(void)state;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			memset(sig, 0, SIG);
			memcpy(sig, pts[j], RAW);
			verify_same(pts[i], sig, SIG, msg, sizeof msg);
			sig[RAW] = 1;
			verify_same(pts[i], sig, SIG, msg, sizeof msg);
		}
	/* The identity signs everything with R = identity, s = 0. */
	memset(sig, 0, SIG);
	memcpy(sig, ed_identity, RAW);
	assert_int_equal(verify_by(real_verify, ed_identity, sig, SIG, msg,
	    sizeof msg), 1);
	assert_int_equal(verify_same(ed_identity, sig, SIG, msg, sizeof msg),
	    1);
}

/* Other curves pass through to libcrypto untouched. */
static void
test_other_curves(void **state)
{
	unsigned char	 sig[256], k1[RAW], k2[RAW];
	unsigned long	 n;
	EVP_PKEY	*a, *b;
	EVP_MD_CTX	*c;
	size_t		 len = sizeof sig;

	(void)state;
	n = ssh_curve_count();
	a = EVP_EC_gen("P-256");
	b = EVP_EC_gen("P-256");
	assert_non_null(a);
	assert_non_null(b);
	c = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, a),
	    1);
	assert_int_equal(EVP_DigestSign(c, sig, &len, msg, sizeof msg), 1);
	EVP_MD_CTX_free(c);
	c = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, a),
	    1);
	assert_int_equal(EVP_DigestVerify(c, sig, len, msg, sizeof msg), 1);
	EVP_MD_CTX_free(c);
	assert_int_equal(derive_by(EVP_PKEY_derive, a, b, k1), 1);
	assert_int_equal(derive_by(EVP_PKEY_derive, b, a, k2), 1);
	assert_memory_equal(k1, k2, RAW);
	assert_int_equal(ssh_curve_count(), n);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x25519_keygen),
		cmocka_unit_test(test_x25519_derive),
		cmocka_unit_test(test_x25519_small_order),
		cmocka_unit_test(test_ed25519_sign),
		cmocka_unit_test(test_ed25519_verify),
		cmocka_unit_test(test_ed25519_s_past_l),
		cmocka_unit_test(test_ed25519_small_order),
		cmocka_unit_test(test_other_curves),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
