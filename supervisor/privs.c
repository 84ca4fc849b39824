/* privs.c — from root to the service user. */
#include "privs.h"
#include "../broker/sockdir.h"
#include "config.h"
#include "fatal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void privs_lookup(const char *user, struct user_ids *u)
{
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw)
		fatal(EXIT_USAGE, "no such user: %s", user);
	if (strlen(pw->pw_name) >= sizeof u->name)
		fatal(EXIT_USAGE, "user name too long: %s", user);
	snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	if (geteuid() != 0 && geteuid() != u->uid)
		fatal(EXIT_USAGE, "-u %s needs root (running as uid %lu)", user,
		      (unsigned long)geteuid());
}

static char made_dir[4096]; /* made by privs_prepare_dir, or "" */
static char socket_path_made[4096]; /* the broker socket in made_dir */

/* A start-up failure leaves nothing behind, this directory included,
 * with the lock file a first broker that failed made in it (left if a
 * broker still holds it: the failure came after it started). */
static void remove_made_dir(void)
{
	if (!made_dir[0])
		return;
	sockdir_forget_lock(socket_path_made);
	if (rmdir(made_dir) != 0) {
		/* not empty: no longer only ours, so it stays */
	}
}

/* Gives the user the broker's lock file in a directory taken over from
 * owner, refusing anything but what a broker of owner's (or root's)
 * made: a hard link planted by the directory's owner would otherwise
 * hand the user a file of someone else's. */
static void give_lock_file(const char *socket_path,
			   const struct user_ids *u, uid_t owner)
{
	char lock_name[PATH_MAX];
	struct stat st;
	if (sockdir_lock_name(lock_name, sizeof lock_name, socket_path) != 0)
		return; /* the broker refuses such a path */
	int fd = open(lock_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fatal_errno(EXIT_TEMP, "cannot give %s to %s", lock_name,
			    u->name);
	if (fstat(fd, &st) != 0)
		fatal_errno(EXIT_TEMP, "%s", lock_name);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != owner && st.st_uid != 0))
		fatal(EXIT_USAGE, "%s is not a lock file a broker made (a "
		      "regular file of the directory's owner with one link); "
		      "remove it", lock_name);
	if (fchown(fd, u->uid, u->gid) != 0)
		fatal_errno(EXIT_TEMP, "cannot give %s to %s", lock_name,
			    u->name);
	close(fd);
}

/* The directory part of path, in dir (size PATH_MAX); fatal if long. */
static void dir_of(char *dir, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	if (len >= size)
		fatal(EXIT_USAGE, "broker socket path too long: %s", path);
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (len == 0)
		snprintf(dir, size, "%s", slash ? "/" : ".");
}

void privs_prepare_dir(const char *socket_path, const struct user_ids *u)
{
	char dir[4096];
	struct stat st;
	dir_of(dir, sizeof dir, socket_path);
	if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
		return; /* nothing to make */
	if (mkdir(dir, 0700) == 0) {
		snprintf(made_dir, sizeof made_dir, "%s", dir);
		/* fits: dir_of checked the path against the same size */
		snprintf(socket_path_made, sizeof socket_path_made, "%s",
			 socket_path);
		fatal_on_exit(remove_made_dir);
	} else if (errno != EEXIST) {
		fatal_errno(EXIT_TEMP, "cannot make %s", dir);
	}
	if (lstat(dir, &st) != 0)
		fatal_errno(EXIT_TEMP, "cannot use %s", dir);
	if (!S_ISDIR(st.st_mode))
		fatal(EXIT_USAGE, "%s is not a directory", dir);
	if (st.st_uid == u->uid)
		return;
	/* Only a private directory is taken over (ours from a run as
	 * another user); a shared one such as /tmp is never chowned. */
	if ((st.st_mode & 077) != 0)
		fatal(EXIT_USAGE, "broker socket directory %s is not %s's and "
		      "not private; give -s a path in a directory of its own",
		      dir, u->name);
	if (chown(dir, u->uid, u->gid) != 0)
		fatal_errno(EXIT_TEMP, "cannot give %s to %s", dir, u->name);
	/* and the broker's lock file in it, left by the run as the other
	 * user, or the broker could not lock it */
	give_lock_file(socket_path, u, st.st_uid);
}

/* In a child that drops to the user, so a failure leaves root (and the
 * power to clean up) with the parent. */
void privs_check_dir(const char *socket_path, const struct user_ids *u)
{
	char dir[4096];
	int st;
	dir_of(dir, sizeof dir, socket_path);
	pid_t pid = fork();
	if (pid < 0)
		fatal_errno(EXIT_TEMP, "fork");
	if (pid == 0) {
		if (setgroups(1, &u->gid) != 0 || setgid(u->gid) != 0 ||
		    setuid(u->uid) != 0)
			_exit(2);
		_exit(access(dir, W_OK | X_OK) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fatal_errno(EXIT_TEMP, "waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	errno = EACCES;
	fatal_errno(EXIT_USAGE, "broker socket directory %s is not usable by %s",
		    dir, u->name);
}

void privs_drop(const struct user_ids *u)
{
	if (initgroups(u->name, u->gid) != 0)
		fatal_errno(EXIT_TEMP, "initgroups %s", u->name);
	if (setgid(u->gid) != 0)
		fatal_errno(EXIT_TEMP, "setgid %lu", (unsigned long)u->gid);
	if (setuid(u->uid) != 0)
		fatal_errno(EXIT_TEMP, "setuid %lu", (unsigned long)u->uid);
	if (getuid() != u->uid || geteuid() != u->uid ||
	    getgid() != u->gid || getegid() != u->gid)
		fatal(EXIT_TEMP, "dropping to %s did not take", u->name);
	if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		fatal(EXIT_TEMP, "could regain root after dropping to %s", u->name);
}
