/* child.c — the signals natterd catches; see child.h. */
#include "child.h"
#include "selfpipe.h"

#include <signal.h>
#include <stddef.h>

const int natterd_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR2,
				0 };
/* Stray signals whose default would end natterd and, with it, the
 * service (natterd(8) SIGNALS): ignored on purpose.  SIGPIPE too (a
 * refusal written to a closed socket); SIGXFSZ: a log past a file size
 * limit fails a write instead.  (SIGUSR2 is handled: the upgrade.) */
const int natterd_ignored[] = { SIGUSR1, SIGALRM, SIGVTALRM, SIGPROF,
#ifdef SIGIO
				SIGIO,
#endif
				SIGXFSZ, SIGPIPE, 0 };

void child_reset_signals(void)
{
	sigset_t none;
	selfpipe_reset(natterd_signals);
	/* Cannot fail with a valid signal number and disposition. */
	for (const int *s = natterd_ignored; *s; s++)
		(void)signal(*s, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}
