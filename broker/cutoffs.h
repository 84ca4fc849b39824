/* cutoffs.h — the people the broker cut off lately, so a cut-off is
 * final: a session frozen while it was cut (SIGSTOP) never read its
 * KICK, and when it runs again it sees only a lost broker and sends
 * REJOIN.  That REJOIN, from the same name and origin (address and
 * port: the same connection of the same person), is refused with the
 * reason, and the session ends.  A new log-in is not refused.
 *
 * Bounds: the last CUTOFFS_MAX cut-offs, each for CUTOFF_KEEP_MS; a
 * session frozen longer, or a broker restarted meanwhile, lets the
 * REJOIN through (documented in natter-session(8)). */
#ifndef NATTER_BROKER_CUTOFFS_H
#define NATTER_BROKER_CUTOFFS_H

#include <stddef.h>

#define CUTOFFS_MAX 256
#define CUTOFF_KEEP_MS (60LL * 60 * 1000)

/* Remembers that name from ip port was cut off at now. */
void cutoffs_note(const char *name, const char *ip, const char *port,
		  long long now);
/* 1 (and forgets it) when name (alen bytes) from ip port was cut off
 * within CUTOFF_KEEP_MS before now. */
int cutoffs_take(const char *name, size_t alen, const char *ip,
		 const char *port, long long now);

#endif
