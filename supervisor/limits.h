/* limits.h — who may connect now: sessions in all, sessions per
 * source, and a connection rate per source.
 *
 * The rate is a token bucket (kept as its "theoretical arrival time",
 * GCRA): a source may open BURST connections at once, then one every
 * SECONDS/BURST seconds; an idle source earns its burst back.  A
 * refused connection costs nothing, so a source that keeps hammering
 * is let in again as soon as its bucket has a token.
 *
 * Sources are remembered in a table of at least 1024 entries and
 * twice the session limit.  When it is full, the least recently seen
 * source without an open session is forgotten (losing only its rate
 * history); as the table is larger than the session limit, such a
 * source always exists, so a new source is never refused for room. */
#ifndef NATTERD_LIMITS_H
#define NATTERD_LIMITS_H

#include <sys/socket.h>

#define RETRY_BUSY_SECONDS 10  /* the retry hint when a count is full */

enum admission {
	ADMIT = 0,
	REFUSE_FULL,      /* max sessions in all */
	REFUSE_SOURCE,    /* max sessions from this source */
	REFUSE_RATE,      /* connecting too often */
};

struct config;

/* Returns 0, or -1 when memory ran out. */
int limits_init(const struct config *cfg);
/* Decides on a connection from sa while `sessions` are open.  On ADMIT,
 * *source is the source's entry (or -1 if untracked) and its session
 * count has been raised: call limits_release(*source) when the session
 * ends.  On a refusal, *retry_s is the number of seconds to suggest. */
enum admission limits_admit(const struct sockaddr *sa, unsigned sessions,
			    long long now_ms, int *source, unsigned *retry_s);
void limits_release(int source);
/* A session admitted by the natterd this one took over from (upgrade):
 * counted against its source again, whatever the limits say now.
 * Returns its entry, or -1 if untracked. */
int limits_adopt(const struct sockaddr *sa, long long now_ms);
/* Why, for the log: "too many connections"...; "server busy" for
 * ADMIT (a handler that could not be started). */
const char *limits_reason(enum admission why);
/* The one-line message (ending CRLF) for a refusal:
 * "natterd: REASON; try again in N seconds". */
int limits_message(char *buf, size_t len, enum admission why,
		   unsigned retry_s);

#endif
