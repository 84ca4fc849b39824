/* child.c — the fork-to-exec checklist for one connection. */
#include "child.h"
#include "addr.h"
#include "io.h"
#include "log.h"
#include "selfpipe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const int natterd_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, 0 };

void child_reset_signals(void)
{
	sigset_t none;
	selfpipe_reset(natterd_signals);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* fd onto 0 and 1, whatever number it has; then no other copy. */
static int child_fds(int fd)
{
	if (fd != 0 && dup2(fd, 0) != 0)
		return -1;
	if (fd != 1 && dup2(fd, 1) != 1)
		return -1;
	if (fd > 1 && close(fd) != 0)
		return -1;
	/* BSD accept(2) passes the listener's O_NONBLOCK on; handlers
	 * expect an ordinary blocking descriptor. */
	return io_set_nonblock(0, 0);
}

static int set_ucspi(const char *prefix, const struct sockaddr *sa)
{
	char ip[ADDR_TEXT_MAX], port[8], name[32];
	unsigned p;
	if (addr_ip_port(sa, ip, sizeof ip, &p) != 0)
		return -1;
	snprintf(port, sizeof port, "%u", p);
	snprintf(name, sizeof name, "TCP%sIP", prefix);
	if (setenv(name, ip, 1) != 0)
		return -1;
	snprintf(name, sizeof name, "TCP%sPORT", prefix);
	return setenv(name, port, 1);
}

static int child_env(const struct sockaddr *peer)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	if (getsockname(0, (struct sockaddr *)&local, &len) != 0)
		return -1;
	if (set_ucspi("REMOTE", peer) != 0 ||
	    set_ucspi("LOCAL", (struct sockaddr *)&local) != 0)
		return -1;
	return 0;
}

void child_exec(int fd, const struct sockaddr *peer, const char *path,
		char *const argv[])
{
	child_reset_signals();
	if (child_fds(fd) != 0 || child_env(peer) != 0) {
		log_msg(LOG_ERR, "setting up a session: %s", strerror(errno));
		_exit(111);
	}
	/* Every other descriptor of natterd is close-on-exec. */
	execv(path, argv);
	log_msg(LOG_ERR, "cannot run %s: %s", path, strerror(errno));
	_exit(111);
}
