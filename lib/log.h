/* log.h — one logging interface for every natter program.
 *
 * Messages go to stderr (foreground, tests, under a supervisor that
 * collects stderr) or to syslog (daemon mode, or a handler whose stderr
 * is the person's socket, as under inetd). */
#ifndef NATTER_LOG_H
#define NATTER_LOG_H

#include <syslog.h>

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

void log_init(const char *ident, enum log_target target);
enum log_target log_target(void);
/* level is a syslog priority: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO. */
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Closes and reopens syslog (SIGHUP); stderr needs nothing. */
void log_reopen(void);

#endif
