/* sockdir.h — the broker's listening socket and the private directory
 * that holds it. */
#ifndef NATTER_BROKER_SOCKDIR_H
#define NATTER_BROKER_SOCKDIR_H

#include <sys/types.h>

/* What identifies the socket we bound, so we remove only our own. */
struct sockdir_bound {
	dev_t dev;
	ino_t ino;
};

/* Makes sure the socket's directory exists (creating it and missing
 * parents with mode 0700), is not a symbolic link, belongs to the
 * effective uid and grants nothing to group or others (else refused),
 * removes a stale socket (one nobody listens on; a live one
 * is refused), then binds to a temporary name beside path (".nb" and
 * our pid, refused if it does not fit in sun_path), listens, and only
 * then links it to path, so that path never names a socket that
 * refuses connections; the temporary name is removed whether it
 * succeeds or fails.  A socket that appears at path meanwhile is left alone
 * (SOCKDIR_BUSY).  Returns the non-blocking
 * close-on-exec listening descriptor, or with the reason logged
 * SOCKDIR_REFUSED (the path or its directory will not do: fix the
 * configuration) or SOCKDIR_BUSY (another broker listens there, or a
 * resource ran out: it may pass). */
#define SOCKDIR_REFUSED (-1)
#define SOCKDIR_BUSY (-2)
int sockdir_listen(const char *path, struct sockdir_bound *bound);

/* Removes path if it is still the socket described by bound. */
void sockdir_unlink(const char *path, const struct sockdir_bound *bound);

/* Removes the temporary name a broker of that pid, now gone, may have
 * left beside path (killed between binding and linking). */
void sockdir_forget_temp(const char *path, pid_t pid);

#endif
