/* statefile.c — small state files, atomically replaced (statefile.h). */
#include "statefile.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int statefile_path(char *buf, size_t size, const char *dir,
		   const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int statefile_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Writes (and if durable syncs) the temporary file; 0 or -1 (errno). */
static int fill(int fd, const char *buf, size_t len, int durable)
{
	if (io_write_all(fd, buf, len, -1) != 0 || (durable && fsync(fd) != 0))
		return -1;
	return 0;
}

static int replace(const char *dir, const char *name, const char *buf,
		   size_t len, int durable)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	if (statefile_path(path, sizeof path, dir, name) != 0 ||
	    statefile_path(tmp, sizeof tmp, dir, ".tmp.XXXXXX") != 0)
		return -1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	int rc = fill(fd, buf, len, durable);
	int saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return durable ? statefile_sync_dir(dir) : 0;
}

int statefile_write(const char *dir, const char *name, const char *buf,
		    size_t len)
{
	return replace(dir, name, buf, len, 1);
}

int statefile_write_nosync(const char *dir, const char *name,
			   const char *buf, size_t len)
{
	return replace(dir, name, buf, len, 0);
}

ssize_t statefile_read(const char *dir, const char *name, char *buf,
		       size_t size, struct stat *st)
{
	char path[PATH_MAX];
	if (statefile_path(path, sizeof path, dir, name) != 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat sb;
	int bad = fstat(fd, &sb) != 0 ? errno : !S_ISREG(sb.st_mode) ? EINVAL
								  : 0;
	if (bad) {
		close(fd);
		errno = bad;
		return -1;
	}
	if (st)
		*st = sb;
	size_t got = 0;
	while (got < size) {
		ssize_t r = io_read(fd, buf + got, size - got);
		if (r < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}
