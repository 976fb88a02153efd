/*
 * Privilege drop: strangerd started as root binds its ports and opens
 * its state, then becomes the configured user for good.
 *
 * Owns: the user lookup, handing the state directory to that user, and
 * the switch itself.  It does not decide when: strangerd.c calls
 * privsep_drop() once every listener is bound.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strangerd.h"

/* Find a user's uid and primary gid; root is refused. */
int
privsep_lookup(const char *user, uid_t *uid, gid_t *gid, char **cause)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0)
			xasprintf(cause, "user %s: %s", user, strerror(errno));
		else
			xasprintf(cause, "user %s does not exist", user);
		return (-1);
	}
	if (pw->pw_uid == 0) {
		xasprintf(cause, "user %s is root: name an unprivileged user",
		    user);
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return (0);
}

/*
 * Give the state directory and the files directly in it to the user,
 * as systemd's StateDirectory= does, so that the database, the control
 * socket and the moderators file stay usable after the drop.  Symbolic
 * links are not followed.
 */
int
privsep_chown_dir(const char *dir, uid_t uid, gid_t gid)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rv = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		log_warn("%s", dir);
		return (-1);
	}
	if (fchown(fd, uid, gid) == -1) {
		log_warn("chown %s", dir);
		close(fd);
		return (-1);
	}
	if ((d = fdopendir(fd)) == NULL) {
		log_warn("%s", dir);
		close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd(d), de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			log_warn("chown %s/%s", dir, de->d_name);
			rv = -1;
		}
	}
	closedir(d);
	return (rv);
}

/*
 * Become uid/gid with no supplementary groups, then prove that root
 * cannot come back.  glibc applies set*id() to every thread of the
 * process, so threads already running change with this one.
 */
int
privsep_drop(const char *user, uid_t uid, gid_t gid)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;

	if (setgroups(1, &gid) == -1) {
		log_warn("setgroups");
		return (-1);
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("setresgid %u", (u_int)gid);
		return (-1);
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("setresuid %u", (u_int)uid);
		return (-1);
	}

	/* Every id must be the new one ... */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid) {
		log_warnx("privilege drop left other ids behind");
		return (-1);
	}
	/* ... and none of the ways back may work. */
	if (setuid(0) != -1 || seteuid(0) != -1 ||
	    setresuid(0, 0, 0) != -1 || setgid(0) != -1 ||
	    setegid(0) != -1) {
		log_warnx("could regain root after dropping privileges");
		return (-1);
	}
	/* Nothing we might run later can gain privileges either. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("PR_SET_NO_NEW_PRIVS");
	log_info("running as %s (uid %u, gid %u)", user, (u_int)uid,
	    (u_int)gid);
	return (0);
}
