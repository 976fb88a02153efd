/*
 * The SSH host key: DIR/ssh_host_ed25519_key, generated at the first
 * start with mode 0600 and reused afterwards, with its public half in
 * DIR/ssh_host_ed25519_key.pub for operators to publish.
 *
 * Owns: the private key in OpenSSH format, read once at start and kept
 * in memory so that each worker builds its own ssh_bind from it without
 * touching the disk.  Runs only in the main thread, before the workers.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "strangerd.h"

#define SSH_HOSTKEY_FILE	"ssh_host_ed25519_key"
/* A private key file is a few hundred bytes: refuse anything odd. */
#define SSH_HOSTKEY_MAX		16384

static char	*ssh_hostkey_text;	/* owned: private key, OpenSSH format */
static char	*ssh_hostkey_fp;	/* owned: SHA256:... */

static int	 ssh_hostkey_generate(const char *, const char *);
static int	 ssh_hostkey_write(const char *, const char *, mode_t);
static char	*ssh_hostkey_read(const char *);

/* Write a whole file through a temporary name, so no half key is left. */
static int
ssh_hostkey_write(const char *path, const char *text, mode_t mode)
{
	char	*tmp;
	size_t	 len = strlen(text), off = 0;
	ssize_t	 n;
	int	 fd, rc = -1;

	xasprintf(&tmp, "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s", tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("%s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		(void)unlink(tmp);
	free(tmp);
	return (rc);
}

/* Make a new ed25519 key pair and store both halves. */
static int
ssh_hostkey_generate(const char *path, const char *pubpath)
{
	ssh_key	 key = NULL;
	char	*priv = NULL, *pub = NULL, *line = NULL;
	int	 rc = -1;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		log_warnx("cannot generate an ed25519 host key");
		goto out;
	}
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) !=
	    SSH_OK || ssh_pki_export_pubkey_base64(key, &pub) != SSH_OK) {
		log_warnx("cannot export the new host key");
		goto out;
	}
	if (ssh_hostkey_write(path, priv, 0600) != 0)
		goto out;
	xasprintf(&line, "ssh-ed25519 %s strangerd\n", pub);
	if (ssh_hostkey_write(pubpath, line, 0644) != 0)
		goto out;
	log_info("generated a new SSH host key in %s", path);
	rc = 0;
out:
	if (priv != NULL) {
		explicit_bzero(priv, strlen(priv));
		ssh_string_free_char(priv);
	}
	ssh_string_free_char(pub);
	free(line);
	ssh_key_free(key);
	return (rc);
}

/* Read a small private file whole; NULL on error (logged). */
static char *
ssh_hostkey_read(const char *path)
{
	struct stat	 sb;
	char		*text = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return (NULL);
	}
	if (fstat(fd, &sb) == -1) {
		log_warn("%s", path);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    sb.st_size > SSH_HOSTKEY_MAX) {
		log_warnx("%s: not a host key file", path);
		goto fail;
	}
	if (sb.st_mode & 077) {
		/* As sshd does: a key others can read is no secret. */
		log_warnx("%s: permissions %04o are too open, want 0600",
		    path, (u_int)(sb.st_mode & 07777));
		goto fail;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		n = read(fd, text + off, (size_t)sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s", path);
			goto fail;
		}
		off += (size_t)n;
	}
	text[off] = '\0';
	close(fd);
	return (text);
fail:
	if (text != NULL) {
		explicit_bzero(text, (size_t)sb.st_size);
		free(text);
	}
	close(fd);
	return (NULL);
}

/* Load the host key from dir, generating it the first time. */
int
ssh_hostkey_load(const char *dir)
{
	ssh_key		 key = NULL;
	struct stat	 sb;
	char		*path, *pubpath, *text = NULL;
	int		 rc = -1;

	if (ssh_hostkey_text != NULL)
		return (0);
	xasprintf(&path, "%s/%s", dir, SSH_HOSTKEY_FILE);
	xasprintf(&pubpath, "%s/%s.pub", dir, SSH_HOSTKEY_FILE);
	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			log_warn("%s", path);
			goto out;
		}
		if (ssh_hostkey_generate(path, pubpath) != 0)
			goto out;
	}
	if ((text = ssh_hostkey_read(path)) == NULL)
		goto out;
	if (ssh_pki_import_privkey_base64(text, NULL, NULL, NULL, &key) !=
	    SSH_OK) {
		log_warnx("%s: cannot read the host key", path);
		goto out;
	}
	if (ssh_key_type(key) != SSH_KEYTYPE_ED25519) {
		log_warnx("%s: not an ed25519 key", path);
		goto out;
	}
	if ((ssh_hostkey_fp = ssh_key_fingerprint(key)) == NULL) {
		log_warnx("%s: cannot hash the host key", path);
		goto out;
	}
	log_info("SSH host key %s ED25519 (%s)", ssh_hostkey_fp, path);
	ssh_hostkey_text = text;
	text = NULL;
	rc = 0;
out:
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	ssh_key_free(key);
	free(path);
	free(pubpath);
	return (rc);
}

/* The private key in OpenSSH format, once loaded; NULL before. */
const char *
ssh_hostkey_get(void)
{
	return (ssh_hostkey_text);
}
