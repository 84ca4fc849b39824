/* pidfile.h — a pid file held with an fcntl(2) lock.
 *
 * The lock, not the file's existence, says natterd runs: a file left
 * by a crash is simply taken over, and a second natterd refuses to
 * start while the first holds the lock. */
#ifndef NATTERD_PIDFILE_H
#define NATTERD_PIDFILE_H

#include <stddef.h>

/* The default: /run/natterd.pid for root, else
 * $XDG_RUNTIME_DIR/natterd.pid, else /tmp/natterd-UID.pid. */
void pidfile_default(char *buf, size_t len);
/* Creates or opens path, locks it and writes our pid; fatal on error
 * ("already running (pid N holds PATH)"). */
void pidfile_take(const char *path);
/* Removes the pid file (or, if its directory is not ours to write
 * after dropping root, empties it) and releases the lock. */
void pidfile_release(void);
/* Closes the descriptor only: for a child that must not hold it. */
void pidfile_forget(void);

#endif
