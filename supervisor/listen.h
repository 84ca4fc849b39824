/* listen.h — the listening sockets, from -l ADDR:PORT specifications.
 *
 * A specification is HOST:PORT, [IPV6]:PORT, HOST alone (port 4120),
 * or *:PORT / :PORT for every local address (IPv4 and IPv6).  HOST may
 * be a literal or a name; a name gets a listener for every address it
 * resolves to.  An IPv6 literal with a port needs its brackets.
 * "proxy:" before any of these marks its listeners for the PROXY
 * protocol (proxywait.h). */
#ifndef NATTERD_LISTEN_H
#define NATTERD_LISTEN_H

#include <sys/socket.h>

#include "addr.h"

#define LISTENERS_MAX 64  /* sockets in all; more is a start-up error */
#define LISTEN_BACKLOG 1024

struct listeners {
	int fd[LISTENERS_MAX];
	int n;
	/* The address each is bound to; a connection to a listener on one
	 * address has that as its local end, so only a listener on every
	 * address (fixed 0) needs getsockname per connection. */
	struct endpoint local[LISTENERS_MAX];
	int local_fixed[LISTENERS_MAX];
	/* Whether accepted sockets inherit SO_KEEPALIVE and TCP_NODELAY
	 * from their listener (Linux and the BSDs do; POSIX does not say):
	 * -1 not known yet, learnt from the first connection. */
	int opts_inherited[LISTENERS_MAX];
	int proxy[LISTENERS_MAX];  /* connections start with a PROXY header */
};

/* Opens, binds and listens on every address of every spec: non-blocking,
 * close-on-exec, SO_REUSEADDR, IPV6_V6ONLY, SO_KEEPALIVE, TCP_NODELAY.
 * Any failure is fatal (nothing is left open): "cannot listen on ADDR:
 * reason".  Adds to what ls holds (zeroed, or adopted listeners). */
void listeners_open(struct listeners *ls, const char *const *specs, int n);
/* The addresses of spec s (the forms above, without "proxy:") for
 * socktype (SOCK_STREAM, SOCK_DGRAM), for freeaddrinfo; *named is 1
 * when its host is a name.  A bad spec or a failed lookup is fatal. */
struct addrinfo;
struct addrinfo *listen_lookup(const char *s, int socktype, int *named);
/* 1 for an address of res to leave out: not IPv4 or IPv6, or one
 * already seen (a name's addresses may repeat). */
int listen_skip(const struct addrinfo *res, const struct addrinfo *ai);
/* 1 for a bind error that means this host lacks that address or
 * family ("localhost" without IPv6): a warning for a name, not fatal. */
int listen_unusable(int err);
/* Adds fd, a listening socket opened by someone else (socket
 * activation, the upgrade): 0, or -1 with errno set (EMFILE: full). */
int listeners_adopt(struct listeners *ls, int fd);
/* Logs "listening on ADDR:PORT" for each socket, with the real port. */
void listeners_log(const struct listeners *ls);
void listeners_close(struct listeners *ls);
/* accept(2) on listener i: the connection close-on-exec and blocking,
 * with SO_KEEPALIVE and TCP_NODELAY (a failure to set them is logged,
 * not fatal).  Returns the descriptor, or -1 with accept's errno. */
int listener_accept(struct listeners *ls, int i, struct sockaddr *peer,
		    socklen_t *len);
/* The local end of connection fd, accepted on listener i.  Returns 0,
 * or -1 with errno set. */
int listener_local(const struct listeners *ls, int i, int fd,
		   struct endpoint *local);

#endif
