/* peer.c — the person's address, from the environment or the socket. */
#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* An address or port as the environment may carry it: hex digits,
 * dots, colons and '%' (an IPv6 zone), at most 46 bytes. */
static int plain(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 46)
		return 0;
	return strspn(s, "0123456789abcdefABCDEF.:%") == n;
}

/* "address port" always fits: nothing is cut from what is logged. */
_Static_assert(46 + 1 + 5 < PEER_MAX, "PEER_MAX too small");

/* A port: 1 to 5 decimal digits. */
static int port_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 5 && strspn(s, "0123456789") == n;
}

static int from_env(char *out, size_t size, const char *ipvar,
		    const char *portvar)
{
	const char *ip = getenv(ipvar);
	const char *port = portvar ? getenv(portvar) : NULL;
	if (!plain(ip))
		return 0;
	if (port_ok(port))
		snprintf(out, size, "%s %s", ip, port);
	else
		snprintf(out, size, "%s", ip);
	return 1;
}

static int from_socket(char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char ip[INET6_ADDRSTRLEN];
	unsigned port;
	if (getpeername(0, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		if (!inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip))
			return 0;
		port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		if (!inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip))
			return 0;
		port = ntohs(sin6->sin6_port);
	} else {
		return 0;
	}
	snprintf(out, size, "%s %u", ip, port);
	return 1;
}

/* ssh's "client-ip client-port server-port" (a forced command, or
 * `ssh host natter-session`): the first two words. */
static int from_ssh(char *out, size_t size)
{
	const char *v = getenv("SSH_CLIENT");
	char ip[47], port[47];
	size_t iplen, portlen;
	if (!v)
		return 0;
	iplen = strcspn(v, " ");
	if (iplen == 0 || iplen >= sizeof ip || v[iplen] != ' ')
		return 0;
	portlen = strcspn(v + iplen + 1, " ");
	if (portlen == 0 || portlen >= sizeof port)
		return 0;
	memcpy(ip, v, iplen);
	ip[iplen] = '\0';
	memcpy(port, v + iplen + 1, portlen);
	port[portlen] = '\0';
	if (!plain(ip) || strspn(port, "0123456789") != portlen)
		return 0;
	snprintf(out, size, "%s %s", ip, port);
	return 1;
}

void peer_describe(char *out, size_t size)
{
	/* A supervisor's variable first, then the socket itself; SSH_CLIENT
	 * only after both, since a server started from an ssh login
	 * passes it on to every handler it runs. */
	if (from_env(out, size, "TCPREMOTEIP", "TCPREMOTEPORT") ||
	    from_env(out, size, "REMOTE_ADDR", "REMOTE_PORT") ||
	    from_env(out, size, "REMOTE_HOST", NULL) ||
	    from_socket(out, size) || from_ssh(out, size))
		return;
	snprintf(out, size, "local");
}
