/* acctfile.c — per-account files on lib/statefile (acctfile.h). */
#include "acctfile.h"
#include "names.h"
#include "statefile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* DIR/SUB in subdir and the name in lower case in lname (NAME_LEN_MAX
 * + 1 bytes).  0, or -1 with errno: EINVAL, ENAMETOOLONG. */
static int place(char *subdir, char *lname, const char *dir,
		 const char *sub, const char *name)
{
	size_t len = strlen(name);
	if (!name_valid(name, len)) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i <= len; i++)
		lname[i] = name[i] >= 'A' && name[i] <= 'Z' ?
			   (char)(name[i] + 32) : name[i];
	int n = snprintf(subdir, PATH_MAX, "%s/%s", dir, sub);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

ssize_t acctfile_read(const char *dir, const char *sub, const char *name,
		      char *buf, size_t size)
{
	char subdir[PATH_MAX], lname[NAME_LEN_MAX + 1];
	if (place(subdir, lname, dir, sub, name) != 0)
		return -1;
	return statefile_read(subdir, lname, buf, size, NULL);
}

/* mkdir -p dir, its last component 0700 (statefile_write makes SUB). */
static int dir_make(const char *dir)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "%s", dir);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int acctfile_write(const char *dir, const char *sub, const char *name,
		   const char *data, size_t len)
{
	char subdir[PATH_MAX], lname[NAME_LEN_MAX + 1], path[PATH_MAX];
	if (place(subdir, lname, dir, sub, name) != 0)
		return -1;
	if (len == 0) {
		if (statefile_path(path, sizeof path, subdir, lname) != 0)
			return -1;
		return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
	}
	if (dir_make(dir) != 0)
		return -1;
	return statefile_write(subdir, lname, data, len);
}
