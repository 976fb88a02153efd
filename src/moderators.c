/*
 * Moderators: the SSH keys listed in DIR/moderators, in authorized_keys
 * format (one key a line: [options] keytype base64 [comment]).  A
 * visitor whose verified key is listed gets the console (console.c)
 * instead of the chat.
 *
 * Each thread keeps its own list of fingerprints and looks at the
 * file's inode, size and mtime at most once every MODERATORS_CHECK_MS;
 * if any changed the file is read again, so an edit takes effect
 * without a restart and nothing is shared between workers (as rules.c
 * does for the welcome text).  The list lives in fixed thread-local
 * storage: nothing to free when a thread ends.
 *
 * Fails closed: a file that cannot be read, is too big, or is writable
 * by group or others lists nobody.  A malformed line, a certificate or
 * a line with an option that would restrict the key (from=, command=,
 * expiry-time=, ...) is logged and skipped, since honouring only part
 * of such a line would give the key more than the operator meant.
 *
 * Owns: the per-thread list.  The key parsing and hashing are
 * ssh-key.c's (libssh).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "strangerd.h"

/* A few hundred keys of a few hundred bytes; RSA 16384 is ~2.8 KiB. */
#define MODERATORS_MAX_BYTES	(64 * 1024)
#define MODERATORS_MAX_LINES	1000
#define MODERATORS_MAX_KEYS	256
#define MODERATORS_CHECK_MS	1000
#define MODERATORS_FP_SIZE	(BAN_FP_LEN + 2)

struct moderators_cache {
	char		 fps[MODERATORS_MAX_KEYS][MODERATORS_FP_SIZE];
	u_int		 n;
	int		 seen;		/* the file existed at the last look */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	uint64_t	 checked;	/* ms, now_ms(); 0: never */
};
static __thread struct moderators_cache moderators_cache;

/* Options that restrict nothing we offer, or only what we never allow. */
static const char *const moderators_harmless[] = {
	"restrict", "no-agent-forwarding", "no-port-forwarding",
	"no-x11-forwarding", "no-user-rc", "no-pty", "agent-forwarding",
	"port-forwarding", "x11-forwarding", "user-rc", "pty",
	"no-touch-required", NULL
};

static int	 moderators_options(const char *, size_t, char **);
static void	 moderators_read(struct moderators_cache *, const char *);
static char	*moderators_slurp(int, const char *, size_t *);
static void	 moderators_refresh(struct moderators_cache *);
static int	 moderators_split(char *, char **, char **, char **);

/*
 * Check an options field (len bytes at opts): 0 if every option is one
 * we may ignore, else -1 with *cause (owned).
 */
static int
moderators_options(const char *opts, size_t len, char **cause)
{
	const char *const	*h;
	size_t			 i = 0, start, n;
	int			 quoted;

	while (i < len) {
		start = i;
		quoted = 0;
		while (i < len && (quoted || opts[i] != ',')) {
			if (opts[i] == '\\' && quoted && i + 1 < len)
				i++;
			else if (opts[i] == '"')
				quoted = !quoted;
			i++;
		}
		n = i - start;
		for (h = moderators_harmless; *h != NULL; h++)
			if (strlen(*h) == n && strncasecmp(opts + start, *h,
			    n) == 0)
				break;
		if (*h == NULL) {
			n = strcspn(opts + start, "=,");
			xasprintf(cause, "option %.*s is not supported",
			    (int)(n > 32 ? 32 : n), opts + start);
			return (-1);
		}
		i++;		/* the comma */
	}
	return (0);
}

/*
 * Split one authorized_keys line (NUL-terminated, no newline) into its
 * key type and base64 blob, which point into line (modified).  Returns
 * 1 for a key, 0 for a blank or comment line, -1 with *cause (owned)
 * for anything else.  No I/O.
 */
static int
moderators_split(char *line, char **type, char **blob, char **cause)
{
	char	*p = line, *opts, *tok[3];
	size_t	 optlen;
	u_int	 i;
	int	 quoted = 0;

	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#' || *p == '\r')
		return (0);
	/* The first word is a key type or the options; they have no '='. */
	opts = p;
	optlen = 0;
	if (strncmp(p, "ssh-", 4) != 0 && strncmp(p, "ecdsa-", 6) != 0 &&
	    strncmp(p, "sk-", 3) != 0) {
		while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
			if (*p == '\\' && quoted && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (quoted) {
			*cause = xstrdup("unterminated quote in the options");
			return (-1);
		}
		optlen = (size_t)(p - opts);
		if (moderators_options(opts, optlen, cause) != 0)
			return (-1);
		p += strspn(p, " \t");
	}
	for (i = 0; i < 2; i++) {
		tok[i] = p;
		p += strcspn(p, " \t\r");
		if (p == tok[i]) {
			*cause = xstrdup(i == 0 ? "no key type" :
			    "no key after the type");
			return (-1);
		}
		if (*p != '\0')
			*p++ = '\0';
		p += strspn(p, " \t");
	}
	*type = tok[0];
	*blob = tok[1];
	return (1);
}

/*
 * The whole file, if it is one a moderator list may come from: a
 * regular file nobody else may write, not too large.  NULL if not (the
 * log says why).
 */
static char *
moderators_slurp(int fd, const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 r;
	size_t		 len = 0;

	if (fstat(fd, &st) == -1) {
		log_warn("moderators: %s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("moderators: %s: not a regular file", path);
		goto fail;
	}
	/* As sshd's StrictModes: anyone who may write it is a moderator. */
	if ((st.st_mode & 022) != 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		log_warnx("moderators: %s: writable by others or owned by "
		    "another user: nobody is a moderator", path);
		goto fail;
	}
	if (st.st_size > MODERATORS_MAX_BYTES) {
		log_warnx("moderators: %s: larger than %d bytes: nobody is "
		    "a moderator", path, MODERATORS_MAX_BYTES);
		goto fail;
	}
	buf = xmalloc(MODERATORS_MAX_BYTES + 2);
	while (len <= MODERATORS_MAX_BYTES) {
		r = read(fd, buf + len, MODERATORS_MAX_BYTES + 1 - len);
		if (r == -1) {
			log_warn("moderators: %s", path);
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > MODERATORS_MAX_BYTES) {
		log_warnx("moderators: %s: larger than %d bytes: nobody is "
		    "a moderator", path, MODERATORS_MAX_BYTES);
		goto fail;
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
fail:
	free(buf);
	return (NULL);
}

/*
 * Read the file into the cache: at most MODERATORS_MAX_BYTES, lines
 * past MODERATORS_MAX_LINES ignored, bad lines logged and skipped.  On
 * any error the list is empty.
 */
static void
moderators_read(struct moderators_cache *mc, const char *path)
{
	char		*buf = NULL, *line, *next, *type, *blob, *fp;
	char		*cause;
	size_t		 len = 0;
	u_int		 lineno = 0, bad = 0, i;
	int		 fd, rc;

	mc->n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno != ENOENT)
			log_warn("moderators: %s", path);
		return;
	}
	if ((buf = moderators_slurp(fd, path, &len)) == NULL)
		goto out;
	buf[len] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (++lineno > MODERATORS_MAX_LINES) {
			log_warnx("moderators: %s: only the first %d lines "
			    "are read", path, MODERATORS_MAX_LINES);
			break;
		}
		if (memchr(line, '\0', (size_t)(next != NULL ? next - line - 1 :
		    buf + len - line)) != NULL) {
			log_warnx("moderators: %s:%u: NUL byte: skipped", path,
			    lineno);
			bad++;
			continue;
		}
		cause = NULL;
		if ((rc = moderators_split(line, &type, &blob, &cause)) == 0)
			continue;
		fp = NULL;
		if (rc == 1)
			fp = ssh_key_fingerprint_text(type, blob, &cause);
		if (fp == NULL || strlen(fp) >= MODERATORS_FP_SIZE) {
			log_warnx("moderators: %s:%u: %s: skipped", path, lineno,
			    cause != NULL ? cause : "fingerprint too long");
			free(cause);
			free(fp);
			bad++;
			continue;
		}
		for (i = 0; i < mc->n; i++)
			if (strcmp(mc->fps[i], fp) == 0)
				break;
		if (i == mc->n) {
			if (mc->n == MODERATORS_MAX_KEYS) {
				log_warnx("moderators: %s:%u: more than %d keys: "
				    "the rest are ignored", path, lineno,
				    MODERATORS_MAX_KEYS);
				free(fp);
				break;
			}
			snprintf(mc->fps[mc->n++], MODERATORS_FP_SIZE, "%s", fp);
		}
		free(fp);
	}
	log_info("moderators: %s: %u key%s%s", path, mc->n,
	    mc->n == 1 ? "" : "s", bad > 0 ? " (bad lines skipped)" : "");
out:
	free(buf);
	close(fd);
}

/* Look at the file at most once every MODERATORS_CHECK_MS. */
static void
moderators_refresh(struct moderators_cache *mc)
{
	struct stat	 st;
	char		 path[1024];
	uint64_t	 now = now_ms();
	int		 seen;

	if (mc->checked != 0 && now - mc->checked < MODERATORS_CHECK_MS)
		return;
	mc->checked = now;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", cfg->dir,
	    MODERATORS_FILE) >= sizeof path) {
		mc->n = 0;
		return;
	}
	seen = stat(path, &st) == 0;
	if (!seen) {
		if (mc->seen)
			log_info("moderators: %s gone: nobody is a moderator",
			    path);
		mc->seen = 0;
		mc->n = 0;
		return;
	}
	if (mc->seen && st.st_dev == mc->dev && st.st_ino == mc->ino &&
	    st.st_size == mc->size && st.st_mtim.tv_sec == mc->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == mc->mtime.tv_nsec)
		return;
	mc->seen = 1;
	mc->dev = st.st_dev;
	mc->ino = st.st_ino;
	mc->size = st.st_size;
	mc->mtime = st.st_mtim;
	moderators_read(mc, path);
}

/* Is this fingerprint (SHA256:...) a moderator's?  Any thread. */
int
moderators_is_listed(const char *fp)
{
	struct moderators_cache	*mc = &moderators_cache;
	u_int			 i;

	if (fp == NULL || *fp == '\0')
		return (0);
	moderators_refresh(mc);
	for (i = 0; i < mc->n; i++)
		if (strcmp(mc->fps[i], fp) == 0)
			return (1);
	return (0);
}
