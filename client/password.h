/* password.h — where an unattended login's password comes from: a
 * file (-p), a descriptor (-P) or NATTER_PASSWORD; never argv, which
 * any user can read with ps(1). */
#ifndef NATTER_PASSWORD_H
#define NATTER_PASSWORD_H

#include <stddef.h>

#define PASSWORD_ENV "NATTER_PASSWORD"

/* Reads the first line of fd (without its line end) into buf, which
 * holds size bytes with the NUL.  0, or -1 with a reason in err: a
 * read error, or a line that does not fit. */
int password_from_fd(int fd, char *buf, size_t size, char *err,
		     size_t errlen);
/* The same for a file's path. */
int password_from_file(const char *path, char *buf, size_t size,
		       char *err, size_t errlen);

#endif
