/*
 * The four curve operations of an SSH set-up, which libssh asks of
 * libcrypto, done by libsodium.
 *
 * A set-up makes a curve25519 key, derives the shared secret with the
 * visitor's, signs the exchange hash with the ed25519 host key and
 * checks the visitor's ed25519 signature.  libssh 0.10 asks OpenSSL
 * 3.0 for each; its curve code is the portable one, about twice
 * libsodium's work on x86-64 (callgrind, instructions each: 0.60 M /
 * 0.33 M to make the key, 0.54 M / 0.36 M to derive, 0.61 M / 0.23 M to
 * sign, 1.52 M / 0.63 M to verify), and those four were 80 % of a
 * set-up's user-space instructions (bench/RESULTS.md, "SSH set-up
 * CPU").
 *
 * strangerd defines the four libcrypto functions below, so the dynamic
 * linker binds libssh's calls to them (as ssh-evp.c does).  Each takes
 * only the case it knows and calls libcrypto's own, found with
 * with ssh_next() (ssh-next.c), for anything else:
 *  - EVP_PKEY_keygen on an X25519 context: libcrypto's DRBG gives the
 *    private bytes, clamped as libcrypto clamps them; libsodium the
 *    public key; libcrypto holds the pair (EVP_PKEY_fromdata with both
 *    halves, so it does not compute the public one again).
 *  - EVP_PKEY_derive between two X25519 keys: libsodium's scalar
 *    multiplication.  Where it refuses (a result of all zeros: the
 *    peer sent a point of small order) libcrypto's answers, and refuses
 *    likewise, with its own error.
 *  - EVP_DigestSign with an ed25519 key: libsodium's signature.
 *    Ed25519 is deterministic (RFC 8032): the same bytes as libcrypto.
 *  - EVP_DigestVerify with an ed25519 key: libsodium's check; a
 *    signature it accepts is good.  libsodium is the stricter of the
 *    two (it also refuses small-order and non-canonical points, which
 *    OpenSSL 3.0 lets through to the same equation), so whatever it
 *    refuses goes to libcrypto, whose verdict stands: a set-up accepts
 *    exactly the signatures it accepted before.
 * tests/unit/test-ssh-curve compares each with libcrypto's own, bad
 * signatures and small-order points included.
 *
 * The contexts are used the way libssh uses them: each Init done by
 * libcrypto's own functions, one call on it after.  Owns nothing; the
 * secret bytes copied out of a key are wiped before returning.
 */

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "strangerd.h"

#define SSH_CURVE_KEY	32	/* raw X25519 and ed25519 keys */
#define SSH_CURVE_SIG	64	/* an ed25519 signature */

typedef int (*ssh_curve_keygen_fn)(EVP_PKEY_CTX *, EVP_PKEY **);
typedef int (*ssh_curve_derive_fn)(EVP_PKEY_CTX *, unsigned char *,
    size_t *);
typedef int (*ssh_curve_sign_fn)(EVP_MD_CTX *, unsigned char *, size_t *,
    const unsigned char *, size_t);
typedef int (*ssh_curve_verify_fn)(EVP_MD_CTX *, const unsigned char *,
    size_t, const unsigned char *, size_t);

static pthread_once_t		 ssh_curve_once = PTHREAD_ONCE_INIT;
static int			 ssh_curve_ok;	/* libsodium is ready */
static ssh_curve_keygen_fn	 ssh_curve_real_keygen;
static ssh_curve_derive_fn	 ssh_curve_real_derive;
static ssh_curve_sign_fn	 ssh_curve_real_sign;
static ssh_curve_verify_fn	 ssh_curve_real_verify;
static __thread unsigned long	 ssh_curve_done;

static void	 ssh_curve_init(void);
static int	 ssh_curve_raw(const EVP_PKEY *, const char *,
		    unsigned char *);
static EVP_PKEY	*ssh_curve_md_key(EVP_MD_CTX *, int);
static int	 ssh_curve_x25519_new(EVP_PKEY **);

/* Find libcrypto's own functions and start libsodium; once. */
static void
ssh_curve_init(void)
{
	ssh_curve_real_keygen = (ssh_curve_keygen_fn)ssh_next("EVP_PKEY_keygen");
	ssh_curve_real_derive = (ssh_curve_derive_fn)ssh_next("EVP_PKEY_derive");
	ssh_curve_real_sign = (ssh_curve_sign_fn)ssh_next("EVP_DigestSign");
	ssh_curve_real_verify = (ssh_curve_verify_fn)ssh_next("EVP_DigestVerify");
	/* Without libsodium every call is libcrypto's, as before. */
	ssh_curve_ok = sodium_init() >= 0;
}

/* How many operations libsodium did on this thread (for the tests). */
unsigned long
ssh_curve_count(void)
{
	return (ssh_curve_done);
}

/* One raw 32-byte half of key (OSSL_PKEY_PARAM_PUB_KEY or _PRIV_KEY). */
static int
ssh_curve_raw(const EVP_PKEY *key, const char *half, unsigned char *out)
{
	size_t	len;

	if (EVP_PKEY_get_octet_string_param(key, half, out, SSH_CURVE_KEY,
	    &len) != 1 || len != SSH_CURVE_KEY)
		return (-1);
	return (0);
}

/* The key of a digest-sign or -verify context if it is of type id. */
static EVP_PKEY *
ssh_curve_md_key(EVP_MD_CTX *ctx, int id)
{
	EVP_PKEY_CTX	*pctx;
	EVP_PKEY	*key;

	if (ctx == NULL || (pctx = EVP_MD_CTX_get_pkey_ctx(ctx)) == NULL ||
	    (key = EVP_PKEY_CTX_get0_pkey(pctx)) == NULL ||
	    EVP_PKEY_get_id(key) != id)
		return (NULL);
	return (key);
}

/* A new X25519 key pair into *out, made as libcrypto makes one. */
static int
ssh_curve_x25519_new(EVP_PKEY **out)
{
	unsigned char	 priv[SSH_CURVE_KEY], pub[SSH_CURVE_KEY];
	OSSL_PARAM	 params[3];
	EVP_PKEY_CTX	*c = NULL;
	int		 rc = -1;

	if (RAND_priv_bytes(priv, sizeof priv) != 1)
		goto out;
	/* RFC 7748's clamping, which libcrypto applies to what it keeps. */
	priv[0] &= 248;
	priv[SSH_CURVE_KEY - 1] &= 127;
	priv[SSH_CURVE_KEY - 1] |= 64;
	if (crypto_scalarmult_curve25519_base(pub, priv) != 0)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
	    priv, sizeof priv);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    pub, sizeof pub);
	params[2] = OSSL_PARAM_construct_end();
	if ((c = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(c) == 1 &&
	    EVP_PKEY_fromdata(c, out, EVP_PKEY_KEYPAIR, params) == 1)
		rc = 0;
out:
	EVP_PKEY_CTX_free(c);
	OPENSSL_cleanse(priv, sizeof priv);
	return (rc);
}

/* libcrypto's; a new X25519 key on the default library context is ours. */
int
EVP_PKEY_keygen(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey)
{
	pthread_once(&ssh_curve_once, ssh_curve_init);
	if (!ssh_curve_ok || ctx == NULL || ppkey == NULL || *ppkey != NULL ||
	    EVP_PKEY_CTX_get0_pkey(ctx) != NULL ||
	    EVP_PKEY_CTX_get0_libctx(ctx) != NULL ||
	    EVP_PKEY_CTX_get0_propq(ctx) != NULL ||
	    !EVP_PKEY_CTX_is_a(ctx, "X25519") ||
	    ssh_curve_x25519_new(ppkey) != 0)
		return (ssh_curve_real_keygen(ctx, ppkey));
	ssh_curve_done++;
	return (1);
}

/* libcrypto's; the shared secret of two X25519 keys is libsodium's. */
int
EVP_PKEY_derive(EVP_PKEY_CTX *ctx, unsigned char *key, size_t *keylen)
{
	unsigned char	 priv[SSH_CURVE_KEY], pub[SSH_CURVE_KEY];
	EVP_PKEY	*own, *peer;
	int		 ok;

	pthread_once(&ssh_curve_once, ssh_curve_init);
	if (!ssh_curve_ok || ctx == NULL || key == NULL || keylen == NULL ||
	    *keylen < SSH_CURVE_KEY ||
	    (own = EVP_PKEY_CTX_get0_pkey(ctx)) == NULL ||
	    (peer = EVP_PKEY_CTX_get0_peerkey(ctx)) == NULL ||
	    EVP_PKEY_get_id(own) != EVP_PKEY_X25519 ||
	    EVP_PKEY_get_id(peer) != EVP_PKEY_X25519)
		return (ssh_curve_real_derive(ctx, key, keylen));
	ok = ssh_curve_raw(own, OSSL_PKEY_PARAM_PRIV_KEY, priv) == 0 &&
	    ssh_curve_raw(peer, OSSL_PKEY_PARAM_PUB_KEY, pub) == 0 &&
	    crypto_scalarmult_curve25519(key, priv, pub) == 0;
	OPENSSL_cleanse(priv, sizeof priv);
	/* A small-order point: libcrypto refuses it too, and says why. */
	if (!ok)
		return (ssh_curve_real_derive(ctx, key, keylen));
	*keylen = SSH_CURVE_KEY;
	ssh_curve_done++;
	return (1);
}

/* libcrypto's; an ed25519 signature is libsodium's (the same bytes). */
int
EVP_DigestSign(EVP_MD_CTX *ctx, unsigned char *sig, size_t *siglen,
    const unsigned char *tbs, size_t tbslen)
{
	unsigned char	 sk[2 * SSH_CURVE_KEY];
	EVP_PKEY	*key;
	int		 ok;

	pthread_once(&ssh_curve_once, ssh_curve_init);
	if (!ssh_curve_ok || sig == NULL || siglen == NULL ||
	    *siglen < SSH_CURVE_SIG || tbs == NULL ||
	    (key = ssh_curve_md_key(ctx, EVP_PKEY_ED25519)) == NULL)
		return (ssh_curve_real_sign(ctx, sig, siglen, tbs, tbslen));
	/* libsodium's secret key is the seed followed by the public key. */
	ok = ssh_curve_raw(key, OSSL_PKEY_PARAM_PRIV_KEY, sk) == 0 &&
	    ssh_curve_raw(key, OSSL_PKEY_PARAM_PUB_KEY, sk + SSH_CURVE_KEY) ==
	    0 && crypto_sign_ed25519_detached(sig, NULL, tbs, tbslen, sk) == 0;
	OPENSSL_cleanse(sk, sizeof sk);
	if (!ok)
		return (ssh_curve_real_sign(ctx, sig, siglen, tbs, tbslen));
	*siglen = SSH_CURVE_SIG;
	ssh_curve_done++;
	return (1);
}

/* libcrypto's; an ed25519 signature libsodium accepts is good. */
int
EVP_DigestVerify(EVP_MD_CTX *ctx, const unsigned char *sig, size_t siglen,
    const unsigned char *tbs, size_t tbslen)
{
	unsigned char	 pub[SSH_CURVE_KEY];
	EVP_PKEY	*key;

	pthread_once(&ssh_curve_once, ssh_curve_init);
	if (ssh_curve_ok && sig != NULL && siglen == SSH_CURVE_SIG &&
	    tbs != NULL &&
	    (key = ssh_curve_md_key(ctx, EVP_PKEY_ED25519)) != NULL &&
	    ssh_curve_raw(key, OSSL_PKEY_PARAM_PUB_KEY, pub) == 0 &&
	    crypto_sign_ed25519_verify_detached(sig, tbs, tbslen, pub) == 0) {
		ssh_curve_done++;
		return (1);
	}
	/* Refused here (or not ed25519): libcrypto's verdict stands. */
	return (ssh_curve_real_verify(ctx, sig, siglen, tbs, tbslen));
}
