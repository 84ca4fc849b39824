/* child.c — the signals natterd catches; see child.h. */
#include "child.h"
#include "selfpipe.h"

#include <signal.h>
#include <stddef.h>

const int natterd_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR2,
				0 };

void child_reset_signals(void)
{
	sigset_t none;
	selfpipe_reset(natterd_signals);
	/* Cannot fail with a valid signal number and disposition. */
	(void)signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}
