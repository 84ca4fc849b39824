/* selfpipe.c — the classic self-pipe trick (D. J. Bernstein). */
#include "selfpipe.h"
#include "io.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipefd[2] = { -1, -1 };

static void on_signal(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	/* A full pipe already holds a wake-up; losing this byte is fine. */
	if (write(pipefd[1], &b, 1) < 0) {
		/* nothing to do in a handler */
	}
	errno = saved;
}

int selfpipe_init(const int *sigs)
{
	if (pipe(pipefd) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (io_set_nonblock(pipefd[i], 1) != 0 ||
		    io_set_cloexec(pipefd[i]) != 0)
			return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (; *sigs; sigs++)
		if (sigaction(*sigs, &sa, NULL) != 0)
			return -1;
	return pipefd[0];
}

unsigned selfpipe_drain(void)
{
	unsigned mask = 0;
	unsigned char buf[64];
	ssize_t n;
	while ((n = io_read(pipefd[0], buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] < 32)
				mask |= 1u << buf[i];
	return mask;
}

void selfpipe_reset(const int *sigs)
{
	for (; *sigs; sigs++)
		signal(*sigs, SIG_DFL);
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0) {
			close(pipefd[i]);
			pipefd[i] = -1;
		}
}
