/* listen.h — the listening sockets, from -l ADDR:PORT specifications.
 *
 * A specification is HOST:PORT, [IPV6]:PORT, HOST alone (port 4120),
 * or *:PORT / :PORT for every local address (IPv4 and IPv6).  HOST may
 * be a literal or a name; a name gets a listener for every address it
 * resolves to.  An IPv6 literal with a port needs its brackets. */
#ifndef NATTERD_LISTEN_H
#define NATTERD_LISTEN_H

#define LISTENERS_MAX 64  /* sockets in all; more is a start-up error */
#define LISTEN_BACKLOG 1024

struct listeners {
	int fd[LISTENERS_MAX];
	int n;
};

/* Opens, binds and listens on every address of every spec: non-blocking,
 * close-on-exec, SO_REUSEADDR, IPV6_V6ONLY.  Any failure is fatal
 * (nothing is left open): "cannot listen on ADDR: reason". */
void listeners_open(struct listeners *ls, const char *const *specs, int n);
/* Logs "listening on ADDR:PORT" for each socket, with the real port. */
void listeners_log(const struct listeners *ls);
void listeners_close(struct listeners *ls);

#endif
