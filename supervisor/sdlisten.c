/* sdlisten.c — see sdlisten.h. */
#include "sdlisten.h"
#include "exitcode.h"
#include "fatal.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A decimal number in [1, max] from the whole of s, or 0. */
static long env_number(const char *s, long max)
{
	char *end;
	if (!s || !*s)
		return 0;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno || *end || v < 1 || v > max ? 0 : v;
}

/* fd is a listening TCP socket: fatal otherwise, naming it. */
static void check_listener(int fd)
{
	int type = 0, listening = 0;
	socklen_t tl = sizeof type, ll = sizeof listening;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		fatal_errno(EXIT_USAGE, "socket activation: descriptor %d", fd);
	if (type != SOCK_STREAM || !listening ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		fatal(EXIT_USAGE, "socket activation: descriptor %d is not a "
		      "listening TCP socket (natterd takes Accept=no "
		      "ListenStream= sockets only)", fd);
}

int sdlisten_adopt(struct listeners *ls)
{
	long pid = env_number(getenv("LISTEN_PID"), 0x7fffffffL);
	long n = env_number(getenv("LISTEN_FDS"), LISTENERS_MAX);
	const char *fds = getenv("LISTEN_FDS");
	int mine = pid == (long)getpid();
	int bad = n == 0 && fds && strcmp(fds, "0") != 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!mine)
		return 0;
	if (bad)
		fatal(EXIT_USAGE, "socket activation: bad LISTEN_FDS (1 to %d)",
		      LISTENERS_MAX);
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		check_listener(fd);
		if (io_set_nonblock(fd, 1) != 0 || io_set_cloexec(fd) != 0 ||
		    listeners_adopt(ls, fd) != 0)
			fatal_errno(EXIT_TEMP, "socket activation: descriptor %d",
				    fd);
	}
	return (int)n;
}
