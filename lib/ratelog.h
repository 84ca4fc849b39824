/* ratelog.h — a log line kind with a bound per second.
 *
 * A flood of refusals (connections, logins) must not fill the disk:
 * at most `per_second` lines of a kind reach the log in one second, the
 * rest are counted, and the count is logged once that second is over
 * ("N more <what>").  The caller keeps one struct ratelog per kind and
 * asks ratelog_due for when the count is owed, so an idle process still
 * logs it (from its loop's timers). */
#ifndef NATTER_RATELOG_H
#define NATTER_RATELOG_H

struct ratelog {
	const char *what;       /* "connections refused", "logins refused" */
	unsigned per_second;
	long long window;       /* io_now_ms() when this second began */
	unsigned logged, hidden;
};

/* 1 when one more line may be logged at now (the caller logs it), 0 when
 * it is counted instead.  Logs a finished second's count first. */
int ratelog_take(struct ratelog *r, long long now);
/* Logs the count of a second that is over, and starts a new one. */
void ratelog_flush(struct ratelog *r, long long now);
/* When ratelog_flush has a count to log, in io_now_ms() time; -1 when
 * it has none. */
long long ratelog_due(const struct ratelog *r);

#endif
