/* privs.c — from root to the service user. */
#include "privs.h"
#include "config.h"
#include "fatal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
static char lock_name[4096]; /* the broker's lock file beside the socket */

/* The lock file a first broker that failed made in the directory
 * natterd made (nobody else could have: it is 0700 and new), removed
 * only if no broker holds it and no socket is beside it: a start-up
 * failure after the broker started leaves that broker its lock. */
static void remove_lock_file(void)
{
	struct stat st;
	struct flock fl;
	int fd = open(lock_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	size_t len = strlen(lock_name) - strlen(".lock");
	char sock[sizeof lock_name];
	memcpy(sock, lock_name, len);
	sock[len] = '\0';
	if (fcntl(fd, F_SETLK, &fl) == 0 && lstat(sock, &st) != 0 &&
	    errno == ENOENT)
		(void)unlink(lock_name); /* if it stays, so does the directory */
	close(fd);
}

/* A start-up failure leaves nothing behind, this directory included. */
static void remove_made_dir(void)
{
	if (!made_dir[0])
		return;
	if (lock_name[0])
		remove_lock_file();
	if (rmdir(made_dir) != 0) {
		/* not empty: no longer only ours, so it stays */
	}
}

/* Gives the user the broker's lock file in a directory taken over from
 * owner, refusing anything but what a broker of owner's (or root's)
 * made: a hard link planted by the directory's owner would otherwise
 * hand the user a file of someone else's. */
static void give_lock_file(const struct user_ids *u, uid_t owner)
{
	struct stat st;
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
	int n = snprintf(lock_name, sizeof lock_name, "%s.lock", socket_path);
	if (n < 0 || (size_t)n >= sizeof lock_name)
		lock_name[0] = '\0'; /* the broker refuses such a path */
	if (mkdir(dir, 0700) == 0) {
		snprintf(made_dir, sizeof made_dir, "%s", dir);
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
	if (lock_name[0])
		give_lock_file(u, st.st_uid);
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
