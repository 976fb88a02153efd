/*
 * SSH public keys and their fingerprints (libssh): the one place that
 * turns a key, or a key written as authorized_keys text, into the
 * "SHA256:<base64 without padding>" string that names a visitor's
 * identity (session->key), a key ban and a moderator.  ssh-keygen -l
 * -E sha256 prints the same string.
 *
 * Owns nothing; pure functions of their arguments.  Safe on any thread:
 * every libssh object here is local to the call.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "strangerd.h"

/* The SHA256 fingerprint of a key (owned), or NULL if it cannot be hashed. */
char *
ssh_key_fingerprint(struct ssh_key_struct *key)
{
	unsigned char	*hash = NULL;
	size_t		 hlen;
	char		*fp, *out;

	if (key == NULL || ssh_get_publickey_hash(key,
	    SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0)
		return (NULL);
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	if (fp == NULL)
		return (NULL);
	out = xstrdup(fp);
	ssh_string_free_char(fp);
	return (out);
}

/*
 * The fingerprint (owned) of a public key given as its type name and
 * base64 blob, as in an authorized_keys line.  The blob must hold a key
 * of the type named.  Certificates are refused: a certificate's
 * fingerprint is not that of the key a client signs with.  On failure
 * returns NULL with *cause set (owned).
 */
char *
ssh_key_fingerprint_text(const char *type, const char *base64, char **cause)
{
	enum ssh_keytypes_e	 t;
	ssh_key			 key = NULL;
	char			*fp;

	t = ssh_key_type_from_name(type);
	switch (t) {
	case SSH_KEYTYPE_UNKNOWN:
	case SSH_KEYTYPE_RSA1:
		xasprintf(cause, "unknown key type %.40s", type);
		return (NULL);
	case SSH_KEYTYPE_DSS_CERT01:
	case SSH_KEYTYPE_RSA_CERT01:
	case SSH_KEYTYPE_ECDSA_P256_CERT01:
	case SSH_KEYTYPE_ECDSA_P384_CERT01:
	case SSH_KEYTYPE_ECDSA_P521_CERT01:
	case SSH_KEYTYPE_ED25519_CERT01:
	case SSH_KEYTYPE_SK_ECDSA_CERT01:
	case SSH_KEYTYPE_SK_ED25519_CERT01:
		xasprintf(cause, "certificates are not supported (%.40s)",
		    type);
		return (NULL);
	default:
		break;
	}
	if (ssh_pki_import_pubkey_base64(base64, t, &key) != SSH_OK ||
	    key == NULL) {
		xasprintf(cause, "not a valid %.40s key", type);
		return (NULL);
	}
	if (strcmp(ssh_key_type_to_char(ssh_key_type(key)),
	    ssh_key_type_to_char(t)) != 0) {
		xasprintf(cause, "the key is not of type %.40s", type);
		ssh_key_free(key);
		return (NULL);
	}
	if ((fp = ssh_key_fingerprint(key)) == NULL)
		xasprintf(cause, "cannot hash the %.40s key", type);
	ssh_key_free(key);
	return (fp);
}
