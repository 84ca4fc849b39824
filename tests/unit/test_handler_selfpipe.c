/* test_handler_selfpipe.c — the self-pipe natter-session (and natterd)
 * wait on: a signal becomes a readable byte, and a failed set-up leaves
 * no descriptor open and no signal's action changed. */
#include "../../lib/selfpipe.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* How many of the descriptors 0..255 are open. */
static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* Whether sig's action is h (SIG_DFL, SIG_IGN). */
static int action_is(int sig, void (*h)(int))
{
	struct sigaction sa;
	return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == h;
}

/* SIGKILL cannot be caught: sigaction fails on it, after the pipe is
 * made and SIGUSR1 and SIGUSR2 have their handler. */
static void failure_leaves_nothing(void)
{
	static const int sigs[] = { SIGUSR1, SIGUSR2, SIGKILL, 0 };
	CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR);
	CHECK(signal(SIGUSR2, SIG_DFL) != SIG_ERR);
	int before = open_fds();
	errno = 0;
	CHECK(selfpipe_init(sigs) == -1);
	CHECK(errno == EINVAL);
	CHECK(open_fds() == before);
	CHECK(action_is(SIGUSR1, SIG_IGN));
	CHECK(action_is(SIGUSR2, SIG_DFL));
	/* a failure with nothing yet installed: the same */
	static const int first[] = { SIGKILL, SIGUSR1, 0 };
	CHECK(selfpipe_init(first) == -1);
	CHECK(open_fds() == before);
	CHECK(action_is(SIGUSR1, SIG_IGN));
}

static void signal_becomes_a_byte(void)
{
	static const int sigs[] = { SIGUSR1, SIGUSR2, 0 };
	int before = open_fds();
	int fd = selfpipe_init(sigs);
	CHECK(fd >= 0);
	CHECK(open_fds() == before + 2);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK(selfpipe_drain() == 0);
	CHECK(raise(SIGUSR2) == 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK(poll(&p, 1, 5000) == 1);
	CHECK(selfpipe_drain() == 1u << SIGUSR2);
	selfpipe_reset(sigs);
	CHECK(open_fds() == before);
	CHECK(action_is(SIGUSR1, SIG_DFL));
}

int main(void)
{
	failure_leaves_nothing();
	signal_becomes_a_byte();
	return UNIT_DONE();
}
