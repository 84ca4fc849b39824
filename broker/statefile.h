/* statefile.h — small per-account files in the broker's state
 * directory (natter-broker -s, natterd -D): DIR/SUB/NAME, where NAME is
 * an account's name in lower case (names are letters, digits, '_' and
 * '-', so always a safe file name) and SUB says what the file holds
 * ("ignore", "mail").
 *
 * A file is replaced whole and atomically: written to NAME.tmp beside
 * it, fsync(2)ed, renamed over NAME, and the directory fsync(2)ed, so a
 * crash or power cut leaves the old file or the new one, never half of
 * one.  DIR is created (mkdir -p, the last component 0700) on the first
 * write, so a broker that never writes never makes it.  Reads are
 * bounded: a file longer than the caller's buffer is read in part (its
 * parser drops the cut last line).  Sync I/O: these are written only on
 * a person's command (rate-limited by their session), never per line
 * of chat. */
#ifndef NATTER_BROKER_STATEFILE_H
#define NATTER_BROKER_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Reads at most size bytes of DIR/SUB/NAME into buf.  Returns the
 * count (0 for a missing file), or -1 with errno (not a regular file,
 * unreadable). */
ssize_t statefile_read(const char *dir, const char *sub, const char *name,
		       char *buf, size_t size);
/* Replaces DIR/SUB/NAME with len bytes of data, as above; len 0
 * removes the file.  0, or -1 with errno. */
int statefile_write(const char *dir, const char *sub, const char *name,
		    const char *data, size_t len);

#endif
