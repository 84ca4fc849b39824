/* client.c — how both modes end. */
#include "client.h"
#include "ctty.h"
#include "io.h"

#include <stdio.h>

/* How long the last output may take to drain at exit. */
#define END_WRITE_TIMEOUT_MS 5000

int client_end(struct outq *display, int status, const char *msg)
{
	/* Written while fd 1 is still non-blocking, so a reader that has
	 * stopped reading costs at most the timeout, not a hang; the
	 * terminal's output settings are the same raw or not. */
	if (outq_pending(display) > 0 &&
	    io_write_all(1, display->buf + display->head, outq_pending(display),
			 END_WRITE_TIMEOUT_MS) != 0 &&
	    status == NATTER_EXIT_OK)
		status = NATTER_EXIT_LOST;
	ctty_restore();
	outq_free(display);
	if (msg && msg[0])
		fprintf(stderr, "%s\n", msg);
	return status;
}

int client_end_session(struct csess *s, struct outq *display, int err,
		       int signo)
{
	char msg[200];
	if (signo)
		return client_end(display, NATTER_EXIT_SIGNAL + signo, "");
	int status = csess_end_status(s, err, msg, sizeof msg);
	return client_end(display, status, msg);
}
