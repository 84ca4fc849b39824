/* notify.c — see notify.h.  The datagram goes out on a socket opened
 * for it and closed at once: natterd sends two or three in its life,
 * and no descriptor is kept for a launcher to inherit. */
#include "notify.h"
#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

static struct {
	char name[SUN_PATH_MAX + 1]; /* as given: "/run/..." or "@name" */
	struct sockaddr_un sun;
	socklen_t len;              /* 0: nothing to notify */
	int warned;
} N;

/* The address for name: a path is NUL-terminated in sun_path; an
 * abstract name has a NUL first and its length in len, no NUL after. */
static int notify_address(const char *name)
{
	size_t n = strlen(name);
	if (n < 2 || (name[0] != '/' && name[0] != '@')) {
		errno = EINVAL;
		return -1;
	}
	if (n >= SUN_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&N.sun, 0, sizeof N.sun);
	N.sun.sun_family = AF_UNIX;
	memcpy(N.sun.sun_path, name, n);
	if (name[0] == '@') {
		N.sun.sun_path[0] = '\0';
		N.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		N.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int notify_init(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	int rc = 0;
	N.len = 0;
	N.name[0] = '\0';
	if (name && *name) {
		size_t n = strlen(name);
		if (n >= sizeof N.name) {
			errno = ENAMETOOLONG;
			rc = -1;
		} else {
			memcpy(N.name, name, n + 1);
			rc = notify_address(N.name);
		}
		if (rc != 0)
			log_msg(LOG_WARNING, "NOTIFY_SOCKET %.*s: %s", 200,
				name, strerror(errno));
	}
	unsetenv("NOTIFY_SOCKET");
	return rc;
}

const char *notify_socket_name(void)
{
	return N.len ? N.name : NULL;
}

int notify_send(const char *state)
{
	size_t n = strlen(state);
	if (N.len == 0)
		return 0;
	if (n > NOTIFY_STATE_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t w = -1;
	if (fd >= 0) {
		do
			w = sendto(fd, state, n, MSG_NOSIGNAL,
				   (struct sockaddr *)&N.sun, N.len);
		while (w < 0 && errno == EINTR);
		int saved = errno;
		close(fd);
		errno = saved;
	}
	if (w == (ssize_t)n)
		return 0;
	if (w >= 0)
		errno = EMSGSIZE; /* a datagram is sent whole or not at all */
	if (!N.warned++)
		log_msg(LOG_WARNING, "cannot notify %s: %s", N.name,
			strerror(errno));
	return -1;
}
