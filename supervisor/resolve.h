/* resolve.h — natterd -N: each peer's host name, for the log and the
 * handler's TCPREMOTEHOST, found in the launchers (launcher.h), never
 * in natterd's loop.
 *
 * As tcpserver does it: the address's name (getnameinfo, reverse),
 * then that name's addresses (getaddrinfo, forward); the name counts
 * only if one of them is the peer's address, and only if it is a plain
 * host name (letters, digits, '-', '.', '_'; under RESOLVE_NAME_MAX
 * bytes).  Otherwise the handler gets no TCPREMOTEHOST at all.
 *
 * The bound: the C library's look-ups cannot be given a timeout, and a
 * slow resolver takes seconds.  So the launcher forks a resolver child
 * per connection, which does the look-ups and writes the name on a
 * pipe, and keeps serving its socket meanwhile; the handler is started
 * when the answer comes, or RESOLVE_TIMEOUT_MS after the launcher got
 * the connection, whichever is first (the resolver is then killed).
 * Several connections resolve at once, each with its own deadline, and
 * handlers start in the order the connections came (launchproto.h):
 * since the deadlines are in that order too, none waits longer than
 * RESOLVE_TIMEOUT_MS.  natterd keeps accepting while launchers resolve,
 * up to LAUNCHER_DEPTH unanswered connections a launcher. */
#ifndef NATTERD_RESOLVE_H
#define NATTERD_RESOLVE_H

#include <poll.h>
#include <sys/types.h>

#include "launchproto.h"

#define RESOLVE_TIMEOUT_MS 2000
#define RESOLVE_NAME_MAX 256    /* a DNS name is at most 253 bytes */
#define RESOLVE_PENDING_MAX 16  /* >= LAUNCHER_DEPTH: natterd never
				 * sends a launcher more unanswered */

/* natterd -N: called before the launchers are forked. */
void resolve_enable(void);
int resolve_enabled(void);

/* What a launcher does with a connection once its name is known (or
 * not: host NULL). */
typedef void resolve_done_fn(const struct launch_req *req, int fd,
			     const char *host, void *ctx);

/* Starts the look-up for connection fd (the launcher's sock is closed
 * in the resolver).  Returns 0, or -1 (queue full, no fork: logged)
 * when the caller should start it at once without a name. */
int resolve_begin(const struct launch_req *req, int fd, int sock,
		  long long now);
/* The resolvers' pipes to poll (at most RESOLVE_PENDING_MAX). */
int resolve_pollfds(struct pollfd *pfd);
/* Milliseconds until the first deadline, or -1 when nothing waits. */
int resolve_timeout(long long now);
/* After poll: reads the answers, then calls done, in order, for each
 * connection at the head that is answered or past its deadline. */
void resolve_ready(const struct pollfd *pfd, int n, long long now,
		   resolve_done_fn *done, void *ctx);
/* 1 if pid was a resolver (the launcher must not report it). */
int resolve_reaped(pid_t pid);

/* In the resolver (and unit tests): the confirmed name of ip ("::1",
 * "127.0.0.1") in name, 0; or -1 when it has none. */
int resolve_lookup(const char *ip, char *name, size_t size);
typedef int resolve_lookup_fn(const char *ip, char *name, size_t size);
/* The resolvers' look-up instead of resolve_lookup: for a unit test of
 * the bound with a resolver as slow as it likes. */
void resolve_use_lookup(resolve_lookup_fn *fn);

#endif
