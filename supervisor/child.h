/* child.h — the signals natterd catches, and how a child of natterd
 * puts them back.  (A handler is started by launch.h, which resets
 * every signal natterd does not leave at its default; the broker is
 * forked, calls child_reset_signals and execs natter-broker.) */
#ifndef NATTERD_CHILD_H
#define NATTERD_CHILD_H

/* The signals natterd catches, 0-terminated (for selfpipe). */
extern const int natterd_signals[];
/* The signals natterd ignores (0-terminated): reset in its children. */
extern const int natterd_ignored[];

/* Puts back what natterd changed about signals: the caught ones and
 * SIGPIPE to their defaults, the self-pipe closed, an empty mask. */
void child_reset_signals(void);

#endif
