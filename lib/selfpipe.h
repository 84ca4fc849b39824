/* selfpipe.h — signals turned into readable bytes, so a poll loop can
 * wait for signals and descriptors at once without a race. */
#ifndef NATTER_SELFPIPE_H
#define NATTER_SELFPIPE_H

/* Installs a handler for each signal in sigs (terminated by 0) that
 * writes the signal number into a non-blocking close-on-exec pipe.
 * Returns the read end, or -1 with errno set and nothing changed: no
 * descriptor left open, every signal's action as it was. */
int selfpipe_init(const int *sigs);
/* Reads every pending signal; returns a bit mask of (1u << signo). */
unsigned selfpipe_drain(void);
/* Restores default dispositions for sigs and closes the pipe: for a
 * child that is about to exec or to run something else. */
void selfpipe_reset(const int *sigs);

#endif
