/* selfpipe.c — the classic self-pipe trick (D. J. Bernstein). */
#include "selfpipe.h"
#include "fdnew.h"
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

/* Installs sa for each signal in sigs, saving each old action on its
 * own stack frame (the list is short), so a failure part-way puts back
 * what the ones before it replaced.  0, or -1 with errno set. */
static int install(const int *sigs, const struct sigaction *sa)
{
	struct sigaction old;
	if (*sigs == 0)
		return 0;
	if (sigaction(*sigs, sa, &old) != 0)
		return -1;
	if (install(sigs + 1, sa) == 0)
		return 0;
	int saved = errno;
	(void)sigaction(*sigs, &old, NULL); /* it was valid a moment ago */
	errno = saved;
	return -1;
}

static void close_pipe(void)
{
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0) {
			close(pipefd[i]);
			pipefd[i] = -1;
		}
}

static int setup(const int *sigs)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return install(sigs, &sa);
}

/* On failure nothing is left behind: the pipe is closed and every
 * signal keeps the action it had. */
int selfpipe_init(const int *sigs)
{
	if (fdnew_pipe(pipefd) != 0)
		return -1;
	if (setup(sigs) == 0)
		return pipefd[0];
	int saved = errno;
	close_pipe();
	errno = saved;
	return -1;
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
	close_pipe();
}
