/* paths.h — where the broker's socket lives unless told otherwise. */
#ifndef NATTER_PATHS_H
#define NATTER_PATHS_H

#include <stddef.h>

/* The environment variable natterd sets for its handlers. */
#define BROKER_ENV "NATTER_BROKER"

/* Beside the socket, the file a broker locks while it runs (never
 * removed, broker/sockdir.h): a session that finds it but no socket
 * knows a broker served there and is being restarted. */
#define BROKER_LOCK_SUFFIX ".lock"

/* The default broker socket path:
 *   uid 0:                 /run/natter/broker.sock
 *   $XDG_RUNTIME_DIR set:  $XDG_RUNTIME_DIR/natter/broker.sock
 *   otherwise:             /tmp/natter-UID/broker.sock
 * Returns 0, or -1 when it does not fit in size bytes. */
int broker_default_path(char *buf, size_t size);
/* The path a handler uses: opt if given, else $NATTER_BROKER, else the
 * default.  Returns 0 or -1 (too long). */
int broker_path(char *buf, size_t size, const char *opt);

#endif
