/* log.h — one logging interface for every natter program.
 *
 * Messages go to stderr (foreground, tests, under a supervisor that
 * collects stderr) or to syslog (daemon mode, or a handler whose stderr
 * is the person's socket, as under inetd).
 *
 * A line on stderr starts with the time, RFC 3339 in UTC to the
 * millisecond ("2025-11-22T09:15:02.345Z natterd[812]: ..."), so a log
 * redirected to a file says when.  The time is left out where the
 * collector adds its own: when stderr is the systemd journal (the
 * device and inode in $JOURNAL_STREAM are stderr's, see systemd.exec(5))
 * or when NATTER_LOG_TIME=0. */
#ifndef NATTER_LOG_H
#define NATTER_LOG_H

#include <stddef.h>
#include <syslog.h>

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

void log_init(const char *ident, enum log_target target);
/* Whether stderr lines carry the time (decided by log_init). */
int log_stamped(void);
/* Writes the RFC 3339 UTC time of now into buf (at least LOG_TIME_MAX
 * bytes): "YYYY-MM-DDThh:mm:ss.mmmZ".  Returns its length, 0 if the
 * clock cannot be read. */
#define LOG_TIME_MAX 32
size_t log_time(char *buf, size_t size);
/* Year, month (1-12) and day (1-31) of the proleptic Gregorian
 * calendar for days since 1970-01-01 (negative: before). */
void log_civil(long long days, long long *year, unsigned *month,
	       unsigned *day);
enum log_target log_target(void);
/* level is a syslog priority: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO. */
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Closes and reopens syslog (SIGHUP); stderr needs nothing. */
void log_reopen(void);

#endif
