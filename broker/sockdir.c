/* sockdir.c — a UNIX-domain listener in a directory only we can enter.
 *
 * The directory's 0700 mode is what keeps other users off the socket
 * (some systems ignore a socket file's own mode); the peer-uid check at
 * accept is the second lock.  A directory we create gets mode 0700; an
 * existing one must be ours and open to nobody else, or we refuse.
 *
 * Whoever owns the path is settled by a lock, not by looking: a broker
 * holds a write lock on path".lock" from before it judges the socket at
 * path until it exits, so no two brokers ever judge or replace it at
 * once (two that did could each find the old socket stale, and one
 * remove the other's live one). */
#include "sockdir.h"
#include "io.h"
#include "log.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Creates dir and any missing parents, each with mode 0700 (chmod too,
 * since the umask may have taken bits we need). */
static int make_dirs(char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return 0;
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		int r = make_dirs(dir);
		*slash = '/';
		if (r != 0)
			return r;
	}
	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST)
			return 0; /* made meanwhile: check_dir judges it */
		log_msg(LOG_ERR, "cannot create directory %s: %s", dir,
			strerror(errno));
		return -1;
	}
	if (chmod(dir, 0700) != 0) {
		log_msg(LOG_ERR, "cannot chmod 0700 %s: %s", dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The last directory must be ours and closed to everyone else. */
static int check_dir(const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) != 0) {
		log_msg(LOG_ERR, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_msg(LOG_ERR, "%s: not a directory (a symbolic link is "
			"refused too)", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "%s: owned by uid %ld, not by us (uid %ld); "
			"refusing to put the broker socket there", dir,
			(long)st.st_uid, (long)geteuid());
		return -1;
	}
	/* Not tightened for the user: it may be a directory with other
	 * uses (a home directory, say); that is for them to decide. */
	if (st.st_mode & 077) {
		log_msg(LOG_ERR, "%s has mode %04o: others could reach the "
			"broker socket; use a directory of mode 0700", dir,
			(unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static int prepare_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash)
		return check_dir(".");
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof dir) {
		log_msg(LOG_ERR, "%s: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (make_dirs(dir) != 0)
		return -1;
	return check_dir(dir);
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof sa->sun_path) {
		log_msg(LOG_ERR, "%s: %s (a socket path is at most %zu bytes)",
			path, strerror(ENAMETOOLONG), sizeof sa->sun_path - 1);
		return -1;
	}
	memcpy(sa->sun_path, path, len);
	return 0;
}

/* 1 when something accepts connections at sa, or it cannot be told;
 * 0 when the socket is stale. */
static int someone_listens(const struct sockaddr_un *sa)
{
	/* Only a refused connection proves the socket stale: one that could
	 * not be checked (no descriptor left, no permission) is never
	 * removed, or a live broker's socket could be. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	int r = io_set_nonblock(fd, 1);
	if (r == 0)
		r = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	int err = errno;
	close(fd);
	return !(r < 0 && (err == ECONNREFUSED || err == ENOENT));
}

static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		log_msg(LOG_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_msg(LOG_ERR, "%s exists and is not a socket; not touching it",
			path);
		return -1;
	}
	if (someone_listens(sa)) {
		log_msg(LOG_ERR, "another broker is listening on %s", path);
		return SOCKDIR_BUSY;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		log_msg(LOG_ERR, "cannot remove stale %s: %s", path,
			strerror(errno));
		return -1;
	}
	log_msg(LOG_INFO, "removed stale socket %s", path);
	return 0;
}

/* A lock request of type for the whole file. */
static struct flock whole_file(short type)
{
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fl;
}

/* Logs why name could not be locked (a file system without locks, a
 * file left by another user); the broker goes on as it did before it
 * took a lock, the connect test alone saying whether a socket is
 * stale. */
static int lock_unavailable(const char *name, const char *what, int err)
{
	log_msg(LOG_WARNING, "cannot lock %s: %s: %s; going on without it "
		"(two brokers started together on a stale socket could "
		"remove each other's)", name, what, strerror(err));
	return 0;
}

/* fd, whose lock another process holds: logs that another broker runs
 * on path (naming it when the system says which). */
static int lock_busy(int fd, const char *name, const char *path)
{
	struct flock fl = whole_file(F_WRLCK);
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
	    fl.l_pid > 0)
		log_msg(LOG_ERR, "another broker is running on %s (pid %ld)",
			path, (long)fl.l_pid);
	else
		log_msg(LOG_ERR, "another broker is running on %s (%s is "
			"locked)", path, name);
	close(fd);
	return SOCKDIR_BUSY;
}

/* Takes the write lock on path".lock" (made with mode 0600 if
 * missing), which the broker keeps until it exits: *lockfd is its
 * descriptor, or -1 when the file cannot be opened or locked (warned).
 * The file is never removed: a broker that locked a new one could run
 * beside one that still holds the old.  fcntl locks are the process's,
 * dropped when it closes any descriptor of that file, so nothing else
 * in the broker may open it; the kernel drops them when the process
 * ends, so a broker killed leaves none behind.  Returns 0, SOCKDIR_BUSY
 * (another broker holds it) or SOCKDIR_REFUSED (a name too long). */
int sockdir_lock_name(char *buf, size_t size, const char *path)
{
	int n = snprintf(buf, size, "%s" BROKER_LOCK_SUFFIX, path);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int take_lock(const char *path, int *lockfd)
{
	char name[PATH_MAX];
	*lockfd = -1;
	if (sockdir_lock_name(name, sizeof name, path) != 0) {
		log_msg(LOG_ERR, "%s.lock: %s (a path is at most %zu bytes)",
			path, strerror(ENAMETOOLONG), sizeof name - 1);
		return SOCKDIR_REFUSED;
	}
	int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return lock_unavailable(name, "open", errno);
	struct flock fl = whole_file(F_WRLCK);
	if (fcntl(fd, F_SETLK, &fl) == 0) {
		*lockfd = fd;
		return 0;
	}
	int err = errno;
	if (err == EACCES || err == EAGAIN)
		return lock_busy(fd, name, path);
	close(fd);
	return lock_unavailable(name, "fcntl", err);
}

static void drop_lock(struct sockdir_bound *bound)
{
	if (bound->lockfd >= 0)
		close(bound->lockfd);
	bound->lockfd = -1;
}

/* Fills tsa with the name the socket is bound to until it listens: in
 * path's directory (link(2) stays within a filesystem), with our pid so
 * that brokers starting together never share it, and short (".nb" and
 * the pid), so that a path that fits in sun_path nearly always leaves
 * room for it.  One that does not is refused with the reason. */
static int temp_addr(struct sockaddr_un *tsa, const char *path, pid_t pid)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) + 1 : 0;
	/* Room for it all: path itself fits in sun_path (fill_addr). */
	char tmp[sizeof tsa->sun_path + 32];
	int n = snprintf(tmp, sizeof tmp, "%.*s.nb%ld", dirlen, path,
			 (long)pid);
	if (n < 0 || (size_t)n >= sizeof tsa->sun_path) {
		log_msg(LOG_ERR, "%s: no room for the temporary name the "
			"socket is bound to before it listens (%s: a socket "
			"path is at most %zu bytes); use a shorter path", path,
			n < 0 ? "?" : tmp, sizeof tsa->sun_path - 1);
		return -1;
	}
	memset(tsa, 0, sizeof *tsa);
	tsa->sun_family = AF_UNIX;
	memcpy(tsa->sun_path, tmp, (size_t)n);
	return 0;
}

/* Logs why fd could not be made to listen on path, closes it and
 * removes tmp if given; returns what sockdir_listen should. */
static int listen_failed(int fd, const char *tmp, const char *path,
			 const char *what, int err)
{
	struct stat st;
	/* Not a broker that holds the lock: one without (an older
	 * natterd's, or on a file system that cannot lock), or another
	 * program. */
	if (err == EEXIST && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		log_msg(LOG_ERR, "cannot listen on %s: a socket was put there "
			"meanwhile", path);
	else
		log_msg(LOG_ERR, "cannot listen on %s: %s: %s", path, what,
			strerror(err));
	close(fd);
	if (tmp && unlink(tmp) != 0 && errno != ENOENT)
		log_msg(LOG_ERR, "cannot remove %s: %s", tmp, strerror(errno));
	/* No permission (or no hard links there) is the configuration's;
	 * the rest (a socket put there in between, no memory) may pass. */
	return err == EACCES || err == EPERM || err == EROFS ?
	       SOCKDIR_REFUSED : SOCKDIR_BUSY;
}

/* Binds to a temporary name, listens, and only then links the socket
 * to path, so that path never names a socket that refuses connections
 * (a session started meanwhile would take the broker for dead).  link
 * fails with EEXIST where bind failed with EADDRINUSE: a broker that
 * beat us to path is never replaced. */
static int bind_listen(const char *path, const struct sockaddr_un *tsa,
		       struct sockdir_bound *bound)
{
	const char *tmp = tsa->sun_path;
	/* One left by a broker with our pid, killed while it started (the
	 * lock does not cover it: that broker may have served another path
	 * in this directory). */
	int r = remove_stale(tmp, tsa);
	if (r != 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		log_msg(LOG_ERR, "socket: %s", strerror(errno));
		return SOCKDIR_BUSY;
	}
	if (io_set_nonblock(fd, 1) != 0 || io_set_cloexec(fd) != 0)
		return listen_failed(fd, NULL, path, "fcntl", errno);
	if (bind(fd, (const struct sockaddr *)tsa, sizeof *tsa) != 0)
		return listen_failed(fd, NULL, path, tmp, errno);
	/* The inode path will name (a hard link): sockdir_release's mark. */
	struct stat st;
	if (listen(fd, SOMAXCONN) != 0)
		return listen_failed(fd, tmp, path, "listen", errno);
	if (stat(tmp, &st) != 0)
		return listen_failed(fd, tmp, path, tmp, errno);
	if (link(tmp, path) != 0)
		return listen_failed(fd, tmp, path, "link", errno);
	/* Harmless if it stays: path works, and a broker that gets our
	 * pid removes it as stale. */
	if (unlink(tmp) != 0)
		log_msg(LOG_WARNING, "cannot remove %s: %s", tmp,
			strerror(errno));
	bound->dev = st.st_dev;
	bound->ino = st.st_ino;
	return fd;
}

int sockdir_listen(const char *path, struct sockdir_bound *bound)
{
	struct sockaddr_un sa, tsa;
	bound->lockfd = -1;
	/* Every refusal of the path itself comes before the lock file is
	 * made: a path that will not do leaves nothing behind. */
	if (fill_addr(&sa, path) != 0 || prepare_dir(path) != 0 ||
	    temp_addr(&tsa, path, getpid()) != 0)
		return SOCKDIR_REFUSED;
	/* Holding the lock, no other broker judges path meanwhile: a
	 * socket found stale stays stale until we remove it.  Without it
	 * (the file system cannot lock), the connect test alone says so. */
	int r = take_lock(path, &bound->lockfd);
	if (r == 0)
		r = remove_stale(path, &sa);
	if (r == 0)
		r = bind_listen(path, &tsa, bound);
	if (r < 0)
		drop_lock(bound);
	return r;
}

void sockdir_release(const char *path, struct sockdir_bound *bound)
{
	struct stat st;
	/* Gone, or not ours (one put there by something that does not
	 * lock): left alone. */
	if (lstat(path, &st) == 0 && st.st_dev == bound->dev &&
	    st.st_ino == bound->ino && unlink(path) != 0)
		log_msg(LOG_WARNING, "cannot remove %s: %s", path,
			strerror(errno));
	/* Only now: until the unlink, no broker may judge path. */
	drop_lock(bound);
}

/* For a process that runs no broker on path: its lock, taken (an fd
 * to close) if the file exists and nobody holds it; LOCK_HELD if a
 * broker holds it; LOCK_NONE if there is no file or it cannot be
 * opened or locked (no broker of ours ever locked it, or the file
 * system cannot: a broker there goes without, and so do we). */
#define LOCK_HELD (-1)
#define LOCK_NONE (-2)
static int lock_if_free(const char *path, char *name, size_t size)
{
	if (sockdir_lock_name(name, size, path) != 0)
		return LOCK_NONE;
	int fd = open(name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return LOCK_NONE;
	struct flock fl = whole_file(F_WRLCK);
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return fd;
	int held = errno == EACCES || errno == EAGAIN;
	close(fd);
	return held ? LOCK_HELD : LOCK_NONE;
}

void sockdir_remove_dead(const char *path, dev_t dev, ino_t ino)
{
	char name[PATH_MAX];
	struct stat st;
	int fd = lock_if_free(path, name, sizeof name);
	if (fd == LOCK_HELD)
		return; /* another broker's path now */
	if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino &&
	    unlink(path) != 0)
		log_msg(LOG_WARNING, "cannot remove %s: %s", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

void sockdir_forget_lock(const char *path)
{
	char name[PATH_MAX];
	struct stat st;
	int fd = lock_if_free(path, name, sizeof name);
	if (fd < 0)
		return;
	if (lstat(path, &st) != 0 && errno == ENOENT)
		(void)unlink(name); /* if it stays, so does its directory */
	close(fd);
}

void sockdir_forget_temp(const char *path, pid_t pid)
{
	struct sockaddr_un tsa;
	struct stat st;
	if (temp_addr(&tsa, path, pid) != 0 || lstat(tsa.sun_path, &st) != 0 ||
	    !S_ISSOCK(st.st_mode))
		return;
	if (unlink(tsa.sun_path) != 0 && errno != ENOENT)
		log_msg(LOG_WARNING, "cannot remove %s: %s", tsa.sun_path,
			strerror(errno));
}
