/*
 * The cluster keyword's value: redis://[user:password@]HOST:PORT or
 * unix:PATH, and node names.  Pure: config.c checks a value with it at
 * parse time and cluster.c takes the value apart with it at start.
 *
 * Owns: nothing beyond the struct cluster_url it fills.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* Cut "user:password@" off the front of rest; the password may hold ':'. */
static int
cluster_url_auth(struct cluster_url *u, char **rest)
{
	char	*at, *colon;

	if ((at = strrchr(*rest, '@')) == NULL)
		return (0);
	*at = '\0';
	if ((colon = strchr(*rest, ':')) == NULL)
		return (-1);
	*colon = '\0';
	if (**rest != '\0')
		u->user = xstrdup(*rest);
	u->password = xstrdup(colon + 1);
	*rest = at + 1;
	return (u->password[0] == '\0' ? -1 : 0);
}

/* Take a cluster URL apart; -1 with *cause if it is not one. */
int
cluster_url_parse(const char *value, struct cluster_url *u, char **cause)
{
	char		*copy, *rest, *colon, *end;
	unsigned long	 port;
	int		 rc = -1;

	memset(u, 0, sizeof *u);
	copy = xstrdup(value);
	if (strncmp(copy, "unix:", 5) == 0) {
		if (copy[5] != '/' || strlen(copy + 5) >= 108)
			goto out;
		u->path = xstrdup(copy + 5);
		rc = 0;
		goto out;
	}
	if (strncmp(copy, "redis://", 8) != 0)
		goto out;
	rest = copy + 8;
	if (cluster_url_auth(u, &rest) != 0)
		goto out;
	if ((colon = strrchr(rest, ':')) == NULL || colon == rest)
		goto out;
	*colon = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
		goto out;
	/* [::1]:6379 */
	if (rest[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		rest++;
	}
	if (*rest == '\0' || strpbrk(rest, "/[]@ ") != NULL)
		goto out;
	u->host = xstrdup(rest);
	u->port = (u_int)port;
	rc = 0;
out:
	free(copy);
	if (rc != 0) {
		cluster_url_clear(u);
		xasprintf(cause, "cluster: not redis://[user:password@]HOST:PORT "
		    "or unix:/PATH");
	}
	return (rc);
}

/* Check a cluster URL without keeping it. */
int
cluster_url_check(const char *value, char **cause)
{
	struct cluster_url	u;

	if (cluster_url_parse(value, &u, cause) != 0)
		return (-1);
	cluster_url_clear(&u);
	return (0);
}

/* Free what a parse filled in. */
void
cluster_url_clear(struct cluster_url *u)
{
	free(u->host);
	free(u->path);
	free(u->user);
	if (u->password != NULL) {
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	memset(u, 0, sizeof *u);
}

/*
 * A node name: it travels in Redis keys, channels and messages, so it
 * is kept to characters that need no quoting anywhere.
 */
int
cluster_node_name_ok(const char *name)
{
	size_t	len = strlen(name);

	if (len == 0 || len > CLUSTER_NAME_MAX)
		return (0);
	return (strspn(name, CLUSTER_NAME_CHARS) == len);
}
