/* password.c — the first line of a file or descriptor. */
#include "password.h"
#include "fdline.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int password_from_fd(int fd, char *buf, size_t size, char *err,
		     size_t errlen)
{
	if (fdline_read(fd, buf, size, NULL) >= 0)
		return 0;
	if (errno == EMSGSIZE)
		snprintf(err, errlen, "the password is longer than %zu bytes",
			 size - 1);
	else
		snprintf(err, errlen, "cannot read the password: %s",
			 strerror(errno));
	return -1;
}

int password_from_file(const char *path, char *buf, size_t size,
		       char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	int r = password_from_fd(fd, buf, size, err, errlen);
	if (close(fd) != 0 && r == 0) {
		snprintf(err, errlen, "cannot close %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return r;
}
