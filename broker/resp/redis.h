/* redis.h — one non-blocking connection to a Redis server.
 *
 * The caller's event loop owns the waiting: it polls redis_fd() for
 * redis_events() and calls redis_ready() with what fired.  Commands are
 * queued (bounded) and pipelined; each reply goes, in order, to the
 * callback given with its command, from inside redis_ready(), never from
 * inside redis_command().  Nothing here blocks or prints: failures are
 * return values, and redis_error() says in one line what went wrong, for
 * the caller to log.
 *
 * Life: redis_open() starts a connect (TCP HOST:PORT or a UNIX socket
 * path) and, given a password, queues AUTH first.  When the connection
 * is lost (EOF, an error, a reply that is not RESP, AUTH refused) every
 * command still waiting gets its callback with reply NULL, in order, and
 * the link is closed: the caller decides when to open it again (its
 * backoff), so a Redis that is down costs one connect per try.
 *
 * Bounds: REDIS_PENDING_MAX commands in flight, REDIS_OUT_MAX bytes
 * queued to send (redis_command fails past either: the caller sheds or
 * waits), REDIS_IN_MAX bytes of one reply and REDIS_VALUES_MAX values in
 * it (past them the connection is dropped as broken: size XREAD's COUNT
 * so a reply fits). */
#ifndef NATTER_REDIS_H
#define NATTER_REDIS_H

#include "resp.h"

#include <stddef.h>
#include <sys/socket.h>

#define REDIS_PENDING_MAX 4096
#define REDIS_OUT_MAX (4 * 1024 * 1024)
#define REDIS_IN_MAX (4 * 1024 * 1024)
#define REDIS_VALUES_MAX 8192
#define REDIS_ERROR_MAX 160

/* The server's address, resolved once (redis_addr_parse, at start-up:
 * a host name may mean a DNS look-up, which blocks). */
struct redis_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[128]; /* as given, for messages */
};

/* "HOST:PORT", "[V6]:PORT", "HOST" (port 6379) or a path starting with
 * '/' (a UNIX socket).  0, or -1 with a one-line reason in why. */
int redis_addr_parse(struct redis_addr *a, const char *spec, char *why,
		     size_t whysize);

/* reply: the value (valid only during the call), or NULL when the
 * connection was lost before the reply came. */
typedef void (*redis_reply_fn)(void *ctx, const struct resp_value *reply);

enum redis_state { REDIS_CLOSED, REDIS_CONNECTING, REDIS_UP };

struct redis;

/* NULL when out of memory. */
struct redis *redis_new(void);
void redis_free(struct redis *r);
/* Starts connecting (a closed link only); password NULL for none.
 * 0, or -1 with redis_error() set (then it stays closed). */
int redis_open(struct redis *r, const struct redis_addr *a,
	       const char *password);
/* Closes now; commands waiting get their callbacks with NULL. */
void redis_close(struct redis *r, const char *why);
enum redis_state redis_state(const struct redis *r);
/* The descriptor to poll (-1 when closed) and for what (EV_IN, EV_OUT
 * of broker/evloop.h). */
int redis_fd(const struct redis *r);
unsigned redis_events(const struct redis *r);
/* Does the I/O events allow and runs the callbacks of the replies that
 * are complete.  Returns 0, or -1 when the link is now closed (the
 * reason in redis_error()). */
int redis_ready(struct redis *r, unsigned events);
/* Queues a command (any state but closed; sent once connected).  0, or
 * -1 when a bound is reached or the link is closed. */
int redis_command(struct redis *r, int argc, const char *const *argv,
		  const size_t *lens, redis_reply_fn fn, void *ctx);
/* Commands sent or queued whose replies have not come. */
size_t redis_pending(const struct redis *r);
/* The last failure, in one line ("" when none). */
const char *redis_error(const struct redis *r);

#endif
