/* fdline.h — one line from a descriptor, for passwords: read a byte at
 * a time so nothing past the line is taken from a shared descriptor. */
#ifndef NATTER_FDLINE_H
#define NATTER_FDLINE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* What ends a wait for the line early.  The caller's handlers for its
 * stop signals only set *flag; the caller keeps those signals blocked,
 * and wait_mask is the mask to wait with, the signals unblocked.  So a
 * stop signal can arrive only during fdline_read's waits, and one that
 * came before the call or while a byte was being read is pending until
 * the next wait: none is lost. */
struct fdline_stop {
	volatile sig_atomic_t *flag;
	const sigset_t *wait_mask;
};

/* Reads up to a LF (or the end of input) into buf, NUL-terminated, the
 * LF and a CR before it dropped; on a non-blocking descriptor it waits
 * for data as a blocking read would.
 *
 * stop NULL: a read interrupted by a signal is retried.
 * stop given: before each byte *stop->flag is checked, then fd is
 * waited for with pselect(2) under *stop->wait_mask, then one byte is
 * read.  The read does not block, as fd was readable (a terminal in
 * canonical mode is readable once a whole line is typed; a pipe, or a
 * terminal in non-canonical mode, once a byte has come), unless the
 * input went in between (another reader of fd took it, or the terminal
 * flushed it, as it does at ^Z): then a blocking fd waits for more,
 * the stop signals held until it comes, while a non-blocking one says
 * EAGAIN and the wait, which takes them, goes on; so give a terminal
 * opened anew with O_NONBLOCK, whose flag no other process shares.
 * fd must be below FD_SETSIZE.
 *
 * Returns the line's length, or -1 with errno: EMSGSIZE when the line
 * does not fit in size - 1 bytes (what follows the first byte that did
 * not fit is left unread), EINTR when stopped (nothing more is read),
 * EINVAL when stop is given and fd is FD_SETSIZE or more, or read(2)'s,
 * poll(2)'s or pselect(2)'s error.
 * buf is NUL-terminated even on error, holding what was read. */
ssize_t fdline_read(int fd, char *buf, size_t size,
		    const struct fdline_stop *stop);

#endif
