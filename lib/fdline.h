/* fdline.h — one line from a descriptor, for passwords: read a byte at
 * a time so nothing past the line is taken from a shared descriptor. */
#ifndef NATTER_FDLINE_H
#define NATTER_FDLINE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads up to a LF (or the end of input) into buf, NUL-terminated, the
 * LF and a CR before it dropped.  A read interrupted by a signal is
 * retried unless *stop (may be NULL) has been set by a handler; on a
 * non-blocking descriptor it waits for data as a blocking read would.
 * Returns the line's length, or -1 with errno: EMSGSIZE when the line
 * does not fit in size - 1 bytes (the rest is left unread), EINTR when
 * stopped, or read(2)'s error.  buf is NUL-terminated even on error. */
ssize_t fdline_read(int fd, char *buf, size_t size,
		    volatile sig_atomic_t *stop);

#endif
