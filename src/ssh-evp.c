/*
 * Two libcrypto calls libssh makes on every SSH set-up, answered from
 * what this thread already holds.
 *
 * libssh (0.10, and 0.11 alike) keeps the ed25519 host key and the
 * curve25519 private key as raw bytes and turns them back into an
 * EVP_PKEY each time it uses them, with EVP_PKEY_new_raw_private_key().
 * For a private key OpenSSL 3 then recomputes the public key, a scalar
 * multiplication as dear as the use itself: on the benchmark machine
 * ~50 us before each host key signature and ~46 us before each shared
 * secret, about a tenth of a set-up's server CPU (bench/RESULTS.md,
 * "SSH set-up, where the time goes").
 *
 * strangerd defines the two functions below, so the dynamic linker
 * binds libssh's calls to them rather than to libcrypto's (an
 * executable's symbols come first; the linker exports these because
 * libssh refers to them).  They call libcrypto's own, found with
 * ssh_next() (ssh-next.c):
 *  - EVP_PKEY_get_raw_private_key: when libssh reads the private half
 *    out of a curve25519 key it has just generated, keep that key.
 *  - EVP_PKEY_new_raw_private_key: an ed25519 private key imported
 *    before on this thread (the host key), or the curve25519 key kept
 *    above, byte for byte the same, comes back as the same EVP_PKEY
 *    with one more reference.  Anything else goes to libcrypto.
 *
 * Every caller still gets what a fresh import would give: the bytes
 * are the same, and signing or deriving does not change an EVP_PKEY.
 * The keys kept never leave their thread (one ed25519 key and at most
 * one curve25519 key each, freed when the thread ends); a curve25519
 * key is handed out once and forgotten.
 *
 * Owns the per-thread keys and nothing else.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "strangerd.h"

/* Raw ed25519 seeds and curve25519 private keys are both 32 bytes. */
#define SSH_EVP_RAW	32

typedef EVP_PKEY *(*ssh_evp_new_fn)(int, ENGINE *, const unsigned char *,
    size_t);
typedef int (*ssh_evp_get_fn)(const EVP_PKEY *, unsigned char *, size_t *);

struct ssh_evp_keys {
	EVP_PKEY	*ed;		/* owned: the last ed25519 import */
	unsigned char	 ed_raw[SSH_EVP_RAW];
	EVP_PKEY	*x;		/* owned: the last curve25519 key made */
	unsigned char	 x_raw[SSH_EVP_RAW];
};

static pthread_once_t	 ssh_evp_once = PTHREAD_ONCE_INIT;
static pthread_key_t	 ssh_evp_tls;
static int		 ssh_evp_ok;
static ssh_evp_new_fn	 ssh_evp_real_new;
static ssh_evp_get_fn	 ssh_evp_real_get;

static void		 ssh_evp_init(void);
static void		 ssh_evp_thread_end(void *);
static struct ssh_evp_keys *ssh_evp_keys(void);
static void		 ssh_evp_forget_x(struct ssh_evp_keys *);

/* Find libcrypto's own functions; once, on whichever thread comes first. */
static void
ssh_evp_init(void)
{
	ssh_evp_real_new = (ssh_evp_new_fn)ssh_next(
	    "EVP_PKEY_new_raw_private_key");
	ssh_evp_real_get = (ssh_evp_get_fn)ssh_next(
	    "EVP_PKEY_get_raw_private_key");
	ssh_evp_ok = pthread_key_create(&ssh_evp_tls, ssh_evp_thread_end) == 0;
}

/* A thread ends: free the keys it kept. */
static void
ssh_evp_thread_end(void *arg)
{
	struct ssh_evp_keys	*k = arg;

	EVP_PKEY_free(k->ed);
	ssh_evp_forget_x(k);
	OPENSSL_cleanse(k->ed_raw, sizeof k->ed_raw);
	free(k);
}

/* This thread's keys, made on first use; NULL if none can be kept. */
static struct ssh_evp_keys *
ssh_evp_keys(void)
{
	struct ssh_evp_keys	*k;

	if (!ssh_evp_ok)
		return (NULL);
	if ((k = pthread_getspecific(ssh_evp_tls)) != NULL)
		return (k);
	/* Not xcalloc: without memory we only lose the shortcut. */
	if ((k = calloc(1, sizeof *k)) == NULL)
		return (NULL);
	if (pthread_setspecific(ssh_evp_tls, k) != 0) {
		free(k);
		return (NULL);
	}
	return (k);
}

/* Drop the curve25519 key kept, if any, and wipe its bytes. */
static void
ssh_evp_forget_x(struct ssh_evp_keys *k)
{
	EVP_PKEY_free(k->x);
	k->x = NULL;
	OPENSSL_cleanse(k->x_raw, sizeof k->x_raw);
}

/* libcrypto's, but a key this thread holds already comes back as is. */
EVP_PKEY *
EVP_PKEY_new_raw_private_key(int type, ENGINE *e, const unsigned char *priv,
    size_t len)
{
	struct ssh_evp_keys	*k;
	EVP_PKEY		*pkey;

	pthread_once(&ssh_evp_once, ssh_evp_init);
	if (e != NULL || priv == NULL || len != SSH_EVP_RAW ||
	    (type != EVP_PKEY_ED25519 && type != EVP_PKEY_X25519) ||
	    (k = ssh_evp_keys()) == NULL)
		return (ssh_evp_real_new(type, e, priv, len));

	if (type == EVP_PKEY_X25519) {
		if (k->x == NULL || CRYPTO_memcmp(k->x_raw, priv, len) != 0)
			return (ssh_evp_real_new(type, e, priv, len));
		/* Hand over the reference we held: it is used once. */
		pkey = k->x;
		k->x = NULL;
		OPENSSL_cleanse(k->x_raw, sizeof k->x_raw);
		return (pkey);
	}
	if (k->ed != NULL && CRYPTO_memcmp(k->ed_raw, priv, len) == 0 &&
	    EVP_PKEY_up_ref(k->ed) == 1)
		return (k->ed);
	if ((pkey = ssh_evp_real_new(type, e, priv, len)) == NULL)
		return (NULL);
	if (EVP_PKEY_up_ref(pkey) == 1) {
		EVP_PKEY_free(k->ed);
		k->ed = pkey;
		memcpy(k->ed_raw, priv, len);
	}
	return (pkey);
}

/* libcrypto's; a curve25519 key read out this way is kept for its import. */
int
EVP_PKEY_get_raw_private_key(const EVP_PKEY *pkey, unsigned char *priv,
    size_t *len)
{
	struct ssh_evp_keys	*k;
	int			 rc;

	pthread_once(&ssh_evp_once, ssh_evp_init);
	rc = ssh_evp_real_get(pkey, priv, len);
	if (rc != 1 || priv == NULL || *len != SSH_EVP_RAW ||
	    EVP_PKEY_get_id(pkey) != EVP_PKEY_X25519 ||
	    (k = ssh_evp_keys()) == NULL)
		return (rc);
	ssh_evp_forget_x(k);
	/* libcrypto's reference counts are atomic; the cast is its own. */
	if (EVP_PKEY_up_ref((EVP_PKEY *)pkey) == 1) {
		k->x = (EVP_PKEY *)pkey;
		memcpy(k->x_raw, priv, SSH_EVP_RAW);
	}
	return (rc);
}
