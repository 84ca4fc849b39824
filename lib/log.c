/* log.c — stderr or syslog, chosen once at start. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "natter";
static enum log_target target = LOG_TO_STDERR;
static int stamped = 1;

/* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is
 * the journal; a process whose stderr was redirected since (a child
 * given a file) sees a different inode and keeps its stamp. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char end;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, enum log_target to)
{
	const char *want = getenv("NATTER_LOG_TIME");
	log_ident = ident;
	target = to;
	stamped = !(want && strcmp(want, "0") == 0) && !stderr_is_journal();
	if (target == LOG_TO_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_stamped(void)
{
	return stamped;
}

/* The proleptic Gregorian date of a count of days since 1970-01-01
 * (H. Hinnant's civil_from_days: 400-year eras of 146,097 days, years
 * counted from March so that the leap day comes last). */
void log_civil(long long days, long long *year, unsigned *month,
	       unsigned *day)
{
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);          /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                    /* March = 0 */
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (long long)yoe + era * 400 + (*month <= 2);
}

/* By hand, not gmtime_r: glibc's reads /etc/localtime the first time
 * it runs, whatever zone is asked for, and every session is a new
 * process that logs as it starts (BENCHMARKS.md, session start). */
size_t log_time(char *buf, size_t size)
{
	struct timespec ts;
	if (size < LOG_TIME_MAX || clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    ts.tv_sec < 0)
		return 0;
	long long secs = (long long)ts.tv_sec, year;
	unsigned month, day, sod = (unsigned)(secs % 86400);
	log_civil(secs / 86400, &year, &month, &day);
	if (year > 9999)
		return 0;
	int n = snprintf(buf, size, "%04lld-%02u-%02uT%02u:%02u:%02u.%03ldZ",
			 year, month, day, sod / 3600, sod / 60 % 60, sod % 60,
			 (long)(ts.tv_nsec / 1000000));
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

enum log_target log_target(void)
{
	return target;
}

void log_reopen(void)
{
	if (target == LOG_TO_SYSLOG) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

/* One line per message, written with a single write(2) so lines from
 * the supervisor, broker and handlers sharing one stderr never interleave
 * mid-line.  A message longer than the buffer is cut and marked. */
void log_msg(int level, const char *fmt, ...)
{
	int saved = errno;
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	if (target == LOG_TO_SYSLOG) {
		char msg[900];
		vsnprintf(msg, sizeof msg, fmt, ap);
		syslog(level, "%s", msg);
	} else {
		char when[LOG_TIME_MAX];
		size_t t = stamped ? log_time(when, sizeof when) : 0;
		int n = snprintf(line, sizeof line, "%.*s%s%s[%ld]: ", (int)t,
				 when, t ? " " : "", log_ident, (long)getpid());
		if (n < 0)
			n = 0;
		int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
		size_t len;
		if (m < 0)
			m = 0;
		if ((size_t)n + (size_t)m >= sizeof line - 1) {
			len = sizeof line - 5;
			memcpy(line + len - 3, "...", 3);
		} else {
			len = (size_t)n + (size_t)m;
		}
		line[len++] = '\n';
		/* Logging must never fail the program; a lost log line is
		 * all that a failed write here can cost. */
		ssize_t w;
		do
			w = write(STDERR_FILENO, line, len);
		while (w < 0 && errno == EINTR);
	}
	va_end(ap);
	errno = saved;
}
