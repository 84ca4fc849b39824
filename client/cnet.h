/* cnet.h — resolving a server's name and connecting to it. */
#ifndef NATTER_CNET_H
#define NATTER_CNET_H

#include <stddef.h>

/* How long one address may take to answer before the next is tried. */
#define CNET_CONNECT_TIMEOUT_MS 10000

/* Resolves host and port (a number or a service name) with
 * getaddrinfo, for family AF_INET, AF_INET6 or AF_UNSPEC, and tries
 * each address in turn.  Returns a connected, non-blocking,
 * close-on-exec socket, or -1 with a one-line reason in err. */
int cnet_connect(const char *host, const char *port, int family,
		 char *err, size_t errlen);

#endif
