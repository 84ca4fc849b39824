/* sockdir.h — the broker's listening socket and the private directory
 * that holds it. */
#ifndef NATTER_BROKER_SOCKDIR_H
#define NATTER_BROKER_SOCKDIR_H

#include <sys/types.h>

/* What identifies the socket we bound, so we remove only our own, and
 * the lock that makes it ours. */
struct sockdir_bound {
	dev_t dev;
	ino_t ino;
	int lockfd;	/* path".lock", locked; -1 where it cannot be */
};

/* Makes sure the socket's directory exists (creating it and missing
 * parents with mode 0700), is not a symbolic link, belongs to the
 * effective uid and grants nothing to group or others (else refused);
 * takes a write lock on path".lock" beside the socket (made with mode
 * 0600, never removed), held until the process exits or
 * sockdir_release, and gives up without touching path if another
 * broker holds it (where the file cannot be opened or locked, it warns
 * and goes on without); removes a stale socket (one nobody listens on; a
 * live one is refused), then binds to a temporary name beside path
 * (".nb" and our pid, refused if it does not fit in sun_path), listens,
 * and only then links it to path, so that path never names a socket
 * that refuses connections; the temporary name is removed whether it
 * succeeds or fails.  A socket that appears at path meanwhile (put
 * there by something that does not lock) is left alone (SOCKDIR_BUSY).
 * Returns the non-blocking close-on-exec listening descriptor, or with
 * the reason logged and the lock released SOCKDIR_REFUSED (the path or
 * its directory will not do: fix the configuration) or SOCKDIR_BUSY
 * (another broker runs there, or a resource ran out: it may pass).
 * Nothing else in the process may open path".lock": closing any
 * descriptor of it drops the lock. */
#define SOCKDIR_REFUSED (-1)
#define SOCKDIR_BUSY (-2)
int sockdir_listen(const char *path, struct sockdir_bound *bound);

/* Removes path if it is still the socket described by bound, then
 * releases the lock. */
void sockdir_release(const char *path, struct sockdir_bound *bound);

/* Fills buf with the name of path's lock file (path".lock");
 * -1 if it does not fit in size. */
int sockdir_lock_name(char *buf, size_t size, const char *path);

/* Removes path's lock file if no broker holds it and no socket is at
 * path: for a start-up failure that removes the directory it made. */
void sockdir_forget_lock(const char *path);

/* Removes path if it is still the socket (dev, ino) of a broker that
 * is gone, for the process that ran it: under the lock (not taken
 * when another broker holds it: path is that one's now), so no broker
 * can put its socket there between the check and the unlink. */
void sockdir_remove_dead(const char *path, dev_t dev, ino_t ino);

/* Removes the temporary name a broker of that pid, now gone, may have
 * left beside path (killed between binding and linking).  The lock
 * does not make it needless: it covers path, while ".nb<pid>" names
 * are shared by every socket in the directory, so the next broker on
 * path cannot tell that one from another path's. */
void sockdir_forget_temp(const char *path, pid_t pid);

#endif
