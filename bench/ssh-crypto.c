/*
 * What the OpenSSL calls libssh 0.10 makes for one server-side SSH
 * set-up (curve25519-sha256, ssh-ed25519, aes128-gcm) cost on this
 * machine, each the way libssh makes it, in CPU microseconds:
 *
 *     bench/ssh-crypto [ROUNDS]
 *
 * The floor of a set-up's CPU: the four curve operations (x25519
 * key generation and shared secret, the host key's signature, the
 * visitor's signature checked) no server can skip, and the two key
 * re-imports libssh adds (src/ssh-evp.c removes them in strangerd).
 * This program does not link src/ssh-evp.c or src/ssh-curve.c: every
 * import is fresh, every OpenSSL call OpenSSL's.  The same four
 * operations by libsodium (what src/ssh-curve.c calls) follow.
 *
 * Each figure is the best of ten batches of ROUNDS / 10: on a shared
 * machine the best batch is the one least disturbed by others.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

static unsigned char	 seed[32], hpub[32], priv[32], peer[32], msg[32];
static unsigned char	 sig[64], k[32], md[32], sk[64];
static EVP_PKEY		*hostkey;

/* CPU time of this process in microseconds. */
static double
cpu_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

/* ssh_curve25519_init: generate, read both halves out, free. */
static void
x25519_keygen(void)
{
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY	*p = NULL;
	size_t		 len = 32;

	EVP_PKEY_keygen_init(c);
	EVP_PKEY_keygen(c, &p);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_get_raw_public_key(p, peer, &len);
	len = 32;
	EVP_PKEY_get_raw_private_key(p, priv, &len);
	EVP_PKEY_free(p);
}

/* The private key import alone, as ssh_curve25519_build_k begins. */
static void
x25519_reimport(void)
{
	EVP_PKEY_free(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
	    priv, 32));
}

/* ssh_curve25519_build_k: import ours and the peer's, derive. */
static void
x25519_build_k(void)
{
	EVP_PKEY	*p, *q;
	EVP_PKEY_CTX	*c;
	size_t		 len = 32;

	p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	c = EVP_PKEY_CTX_new(p, NULL);
	EVP_PKEY_derive_init(c);
	q = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	EVP_PKEY_derive_set_peer(c, q);
	EVP_PKEY_derive(c, k, &len);
	EVP_PKEY_free(p);
	EVP_PKEY_free(q);
	EVP_PKEY_CTX_free(c);
}

/* The host key's ed25519 signature from key. */
static void
ed25519_sign_with(EVP_PKEY *key)
{
	EVP_MD_CTX	*m = EVP_MD_CTX_new();
	size_t		 len = sizeof sig;

	EVP_DigestSignInit(m, NULL, NULL, NULL, key);
	EVP_DigestSign(m, sig, &len, msg, sizeof msg);
	EVP_MD_CTX_free(m);
}

/* pki_do_sign_hash: import the host key from its seed, sign. */
static void
ed25519_sign(void)
{
	EVP_PKEY	*p;

	p = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	ed25519_sign_with(p);
	EVP_PKEY_free(p);
}

/* The same signature from an EVP_PKEY kept (what ssh-evp.c gives). */
static void
ed25519_sign_kept(void)
{
	ed25519_sign_with(hostkey);
}

/* pki_verify_data_signature: import the visitor's key, verify. */
static void
ed25519_verify(void)
{
	EVP_PKEY	*p;
	EVP_MD_CTX	*m = EVP_MD_CTX_new();

	p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, hpub, 32);
	EVP_DigestVerifyInit(m, NULL, NULL, NULL, p);
	if (EVP_DigestVerify(m, sig, sizeof sig, msg, sizeof msg) != 1)
		abort();
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(p);
}

/* src/ssh-curve.c's key generation: libsodium's public half. */
static void
sodium_keygen(void)
{
	if (crypto_scalarmult_curve25519_base(peer, priv) != 0)
		abort();
}

static void
sodium_derive(void)
{
	if (crypto_scalarmult_curve25519(k, priv, peer) != 0)
		abort();
}

static void
sodium_sign(void)
{
	crypto_sign_ed25519_detached(sig, NULL, msg, sizeof msg, sk);
}

static void
sodium_verify(void)
{
	if (crypto_sign_ed25519_verify_detached(sig, msg, sizeof msg,
	    hpub) != 0)
		abort();
}

static void
sha256(void)
{
	EVP_Digest(msg, sizeof msg, md, NULL, EVP_sha256(), NULL);
}

static void
gcm_init(void)
{
	EVP_CIPHER_CTX	*e = EVP_CIPHER_CTX_new();

	EVP_EncryptInit_ex(e, EVP_aes_128_gcm(), NULL, seed, msg);
	EVP_CIPHER_CTX_free(e);
}

static void
rand16(void)
{
	RAND_bytes(msg + 16, 16);
}

static const struct step {
	const char	*name;
	void		 (*fn)(void);
} steps[] = {
	{ "x25519 key generation (libssh's)", x25519_keygen },
	{ "x25519 shared secret (libssh's: import, derive)", x25519_build_k },
	{ "  of which the private key re-import", x25519_reimport },
	{ "ed25519 host key signature (libssh's: import, sign)",
	    ed25519_sign },
	{ "  the same from a kept EVP_PKEY", ed25519_sign_kept },
	{ "ed25519 visitor signature check", ed25519_verify },
	{ "sha256 of 32 bytes (one of ~20 a set-up)", sha256 },
	{ "aes128-gcm context set up (4 a set-up)", gcm_init },
	{ "RAND_bytes, 16 bytes (~10 a set-up)", rand16 },
	{ "libsodium: x25519 key generation", sodium_keygen },
	{ "libsodium: x25519 shared secret", sodium_derive },
	{ "libsodium: ed25519 signature", sodium_sign },
	{ "libsodium: ed25519 signature check", sodium_verify },
};

int
main(int argc, char **argv)
{
	int		 rounds = argc > 1 ? atoi(argv[1]) : 2000;
	size_t		 i, len = 32;
	int		 b, r;
	double		 t0, t, best;

	if (rounds < 10 || sodium_init() < 0 || RAND_bytes(seed, 32) != 1 ||
	    RAND_bytes(msg, 32) != 1)
		return (1);
	hostkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    32);
	EVP_PKEY_get_raw_public_key(hostkey, hpub, &len);
	x25519_keygen();
	ed25519_sign();
	memcpy(sk, seed, 32);
	memcpy(sk + 32, hpub, 32);
	printf("Curve calls of one SSH set-up, CPU us each (best of 10 "
	    "batches of %d)\n", rounds / 10);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		best = -1;
		for (b = 0; b < 10; b++) {
			t0 = cpu_us();
			for (r = 0; r < rounds / 10; r++)
				steps[i].fn();
			t = (cpu_us() - t0) / (rounds / 10);
			if (best < 0 || t < best)
				best = t;
		}
		printf("  %-54s %7.1f\n", steps[i].name, best);
	}
	EVP_PKEY_free(hostkey);
	return (0);
}
