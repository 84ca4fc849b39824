/* acctfile.h — small per-account files in the broker's state directory
 * (natter-broker -s, natterd -D): DIR/SUB/NAME, where NAME is an
 * account's name in lower case (names are letters, digits, '_' and
 * '-', so always a safe file name) and SUB says what the file holds
 * ("ignore", "mail").
 *
 * Files are written and read by lib/statefile.h: replaced whole and
 * atomically (a temporary file beside, fsync, rename, fsync of the
 * directory), read with a bound (a longer file is read in part: its
 * parser drops the cut last line).  DIR is made (mkdir -p, the last
 * component 0700) on the first write, so a broker that never writes
 * never makes it.  Sync I/O: written only on a person's command
 * (rate-limited by their session), never per line of chat. */
#ifndef NATTER_BROKER_ACCTFILE_H
#define NATTER_BROKER_ACCTFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Reads at most size bytes of DIR/SUB/NAME into buf.  Returns the
 * count (0 for a missing file), or -1 with errno (EINVAL: a bad name
 * or not a regular file). */
ssize_t acctfile_read(const char *dir, const char *sub, const char *name,
		      char *buf, size_t size);
/* Replaces DIR/SUB/NAME with len bytes of data; len 0 removes it.
 * 0, or -1 with errno. */
int acctfile_write(const char *dir, const char *sub, const char *name,
		   const char *data, size_t len);

#endif
