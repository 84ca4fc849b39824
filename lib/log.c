/* log.c — stderr or syslog, chosen once at start. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "natter";
static enum log_target target = LOG_TO_STDERR;

void log_init(const char *ident, enum log_target to)
{
	log_ident = ident;
	target = to;
	if (target == LOG_TO_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
		int n = snprintf(line, sizeof line, "%s[%ld]: ", log_ident,
				 (long)getpid());
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
