/* abspath.c — see abspath.h. */
#include "abspath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int abspath_make(char *out, size_t size, const char *path)
{
	char cwd[PATH_MAX];
	int n;
	if (path[0] == '/') {
		n = snprintf(out, size, "%s", path);
	} else {
		if (!getcwd(cwd, sizeof cwd))
			return -1;
		n = snprintf(out, size, "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
