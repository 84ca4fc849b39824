/* abspath.h — paths from the command line made absolute, since the
 * daemon works from / (and the broker reopens its transcript on SIGHUP
 * long after the start). */
#ifndef NATTERD_ABSPATH_H
#define NATTERD_ABSPATH_H

#include <stddef.h>

/* path if it is absolute, else the current directory, "/" and path;
 * the file need not exist.  Returns 0, or -1 with errno set
 * (ENAMETOOLONG if it does not fit in size bytes, getcwd's errors). */
int abspath_make(char *out, size_t size, const char *path);

#endif
