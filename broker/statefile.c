/* statefile.c — atomically replaced small files (statefile.h). */
#include "statefile.h"
#include "io.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* DIR/SUB/NAME (lower-cased) and, with tmp, NAME.tmp, in buf (PATH_MAX
 * bytes).  0, or -1 with errno: ENAMETOOLONG, EINVAL for a bad name. */
static int path_of(char *buf, const char *dir, const char *sub,
		   const char *name, int tmp)
{
	size_t len = strlen(name);
	if (!name_valid(name, len)) {
		errno = EINVAL;
		return -1;
	}
	int n = snprintf(buf, PATH_MAX, "%s/%s/%s%s", dir, sub, name,
			 tmp ? ".tmp" : "");
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + n - len - (tmp ? 4 : 0); *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return 0;
}

ssize_t statefile_read(const char *dir, const char *sub, const char *name,
		       char *buf, size_t size)
{
	char path[PATH_MAX];
	struct stat st;
	size_t got = 0;
	if (path_of(path, dir, sub, name, 0) != 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int err = errno;
		if (fstat(fd, &st) == 0)
			err = EINVAL; /* not a regular file */
		close(fd);
		errno = err;
		return -1;
	}
	while (got < size) {
		ssize_t n = io_read(fd, buf + got, size - got);
		if (n < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* mkdir -p DIR (the last component 0700), then DIR/SUB 0700. */
static int dirs_make(const char *dir, const char *sub, char *path)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", dir, sub);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	size_t dirlen = strlen(dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int last = (size_t)(p - path) == dirlen;
		if (mkdir(path, last ? 0700 : 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int err = errno;
	close(fd);
	errno = err;
	return r;
}

/* Writes data to tmp and syncs it.  0, or -1 with errno (tmp gone). */
static int write_tmp(const char *tmp, const char *data, size_t len)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		      O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (io_write_all(fd, data, len, -1) != 0 || fsync(fd) != 0) {
		int err = errno;
		close(fd);
		unlink(tmp);
		errno = err;
		return -1;
	}
	if (close(fd) != 0) {
		int err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

int statefile_write(const char *dir, const char *sub, const char *name,
		    const char *data, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX], subdir[PATH_MAX];
	if (path_of(path, dir, sub, name, 0) != 0 ||
	    path_of(tmp, dir, sub, name, 1) != 0)
		return -1;
	if (len == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			return -1;
		return 0;
	}
	if (dirs_make(dir, sub, subdir) != 0 || write_tmp(tmp, data, len) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		int err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return sync_dir(subdir);
}
