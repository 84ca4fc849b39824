/* listen.c — the listening sockets. */
#include "listen.h"
#include "addr.h"
#include "config.h"
#include "fatal.h"
#include "io.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HOST_MAX 256

struct spec {
	char host[HOST_MAX]; /* "" for every local address */
	char port[16];
};

/* Splits ADDR:PORT; see listen.h for the accepted forms. */
static void spec_parse(const char *s, struct spec *sp)
{
	const char *host = s, *port = DEFAULT_PORT, *colon;
	size_t hostlen = strlen(s);

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':'))
			fatal(EXIT_USAGE, "bad listen address '%s' (use [ipv6]:port)", s);
		host = s + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		hostlen = (size_t)(colon - s);
		port = colon + 1;
	}
	/* else: no colon, or an unbracketed IPv6 literal without a port */
	if (hostlen == 1 && host[0] == '*')
		hostlen = 0;
	if (hostlen >= sizeof sp->host || strlen(port) >= sizeof sp->port ||
	    !*port)
		fatal(EXIT_USAGE, "bad listen address '%s'", s);
	if (strspn(port, "0123456789") == strlen(port) &&
	    (strlen(port) > 5 || atol(port) > 65535))
		fatal(EXIT_USAGE, "bad port in '%s' (0 to 65535)", s);
	memcpy(sp->host, host, hostlen);
	sp->host[hostlen] = '\0';
	snprintf(sp->port, sizeof sp->port, "%s", port);
}

/* Binds one address; returns the socket, or -1 with errno set.
 * SO_KEEPALIVE and TCP_NODELAY are for the connections, which inherit
 * them where the system allows (see listen.h). */
static int listen_one(const struct addrinfo *ai)
{
	int one = 1, fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (io_set_nonblock(fd, 1) != 0 || io_set_cloexec(fd) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* A host name rather than a literal address (or every address). */
static int is_name(const char *host)
{
	struct in6_addr a6;
	return host[0] && inet_pton(AF_INET, host, &a6) != 1 &&
	       inet_pton(AF_INET6, host, &a6) != 1;
}

/* The errors of an address family or address this host lacks. */
int listen_unusable(int err)
{
	return err == EADDRNOTAVAIL || err == EAFNOSUPPORT;
}

/* A name's addresses may repeat (/etc/hosts); bind each once. */
static int seen_before(const struct addrinfo *first, const struct addrinfo *ai)
{
	for (; first != ai; first = first->ai_next)
		if (first->ai_addrlen == ai->ai_addrlen &&
		    memcmp(first->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
			return 1;
	return 0;
}

/* Adds a bound socket, with its address (the port is known only now,
 * for port 0).  Returns 0, or -1 with errno set. */
static int listener_add(struct listeners *ls, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int i = ls->n;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    addr_endpoint((struct sockaddr *)&ss, &ls->local[i]) != 0)
		return -1;
	ls->local_fixed[i] = !addr_is_any((struct sockaddr *)&ss);
	ls->opts_inherited[i] = -1;
	ls->proxy[i] = 0;
	ls->fd[i] = fd;
	ls->n++;
	return 0;
}

struct addrinfo *listen_lookup(const char *s, int socktype, int *named)
{
	struct spec sp;
	struct addrinfo hints, *res;
	spec_parse(s, &sp);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE;
	int err = getaddrinfo(sp.host[0] ? sp.host : NULL, sp.port, &hints, &res);
	if (err != 0)
		fatal(EXIT_USAGE, "cannot listen on %s: %s", s,
		      err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err));
	*named = is_name(sp.host);
	return res;
}

int listen_skip(const struct addrinfo *res, const struct addrinfo *ai)
{
	return (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
	       seen_before(res, ai);
}

static void listen_spec(struct listeners *ls, const char *s)
{
	struct addrinfo *res, *ai;
	int bound = 0, named, proxy = strncmp(s, "proxy:", 6) == 0;

	res = listen_lookup(proxy ? s + 6 : s, SOCK_STREAM, &named);
	for (ai = res; ai; ai = ai->ai_next) {
		char text[ADDR_TEXT_MAX];
		if (listen_skip(res, ai))
			continue;
		if (ls->n == LISTENERS_MAX) {
			listeners_close(ls);
			fatal(EXIT_USAGE, "too many listening addresses (at most %d)",
			      LISTENERS_MAX);
		}
		int fd = listen_one(ai);
		addr_format(ai->ai_addr, text, sizeof text);
		if (fd < 0 && named && listen_unusable(errno)) {
			/* "localhost" on a host without IPv6, say */
			log_msg(LOG_WARNING, "not listening on %s (from %s): %s",
				text, s, strerror(errno));
			continue;
		}
		if (fd < 0) {
			int saved = errno;
			freeaddrinfo(res);
			listeners_close(ls);
			errno = saved;
			fatal_errno(EXIT_TEMP, "cannot listen on %s", text);
		}
		if (listener_add(ls, fd) != 0) {
			int saved = errno;
			close(fd);
			freeaddrinfo(res);
			listeners_close(ls);
			errno = saved;
			fatal_errno(EXIT_TEMP, "getsockname %s", text);
		}
		ls->proxy[ls->n - 1] = proxy;
		bound++;
	}
	freeaddrinfo(res);
	if (bound == 0) {
		listeners_close(ls);
		fatal(EXIT_USAGE, "cannot listen on %s: no IPv4 or IPv6 address", s);
	}
}

int listeners_adopt(struct listeners *ls, int fd)
{
	if (ls->n == LISTENERS_MAX) {
		errno = EMFILE;
		return -1;
	}
	return listener_add(ls, fd);
}

void listeners_open(struct listeners *ls, const char *const *specs, int n)
{
	for (int i = 0; i < n; i++)
		listen_spec(ls, specs[i]);
}

void listeners_log(const struct listeners *ls)
{
	for (int i = 0; i < ls->n; i++) {
		const struct endpoint *e = &ls->local[i];
		int v6 = strchr(e->ip, ':') != NULL;
		log_msg(LOG_NOTICE, "listening on %s%s%s:%u%s", v6 ? "[" : "",
			e->ip, v6 ? "]" : "", e->port,
			ls->proxy[i] ? " (PROXY protocol, from loopback)" : "");
	}
}

void listeners_close(struct listeners *ls)
{
	for (int i = 0; i < ls->n; i++)
		close(ls->fd[i]);
	ls->n = 0;
}
