/* transcript.c — appending chat lines to a file that can be rotated. */
#include "transcript.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

static int open_file(struct transcript *t)
{
	t->fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (t->fd < 0) {
		log_msg(LOG_ERR, "transcript %s: %s", t->path, strerror(errno));
		return -1;
	}
	return 0;
}

int transcript_open(struct transcript *t, const char *path)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
	t->path = path;
	if (!path)
		return 0;
	return open_file(t);
}

void transcript_close(struct transcript *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

void transcript_reopen(struct transcript *t)
{
	if (!t->path)
		return;
	transcript_close(t);
	if (open_file(t) == 0)
		t->failing = 0;
}

/* Formatting a time costs; messages come many per second. */
static const char *stamp(struct transcript *t)
{
	time_t now = time(NULL);
	if (now != t->stamp_time || !t->stamp[0]) {
		struct tm tm;
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(t->stamp, sizeof t->stamp, "%Y-%m-%dT%H:%M:%SZ",
			     &tm) == 0)
			snprintf(t->stamp, sizeof t->stamp, "@%lld",
				 (long long)now);
		t->stamp_time = now;
	}
	return t->stamp;
}

static void write_line(struct transcript *t, const char *line, size_t len)
{
	ssize_t n;
	do
		n = write(t->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		t->failing = 0;
		return;
	}
	if (!t->failing)
		log_msg(LOG_ERR, "transcript %s: %s", t->path,
			n < 0 ? strerror(errno) : "short write");
	t->failing = 1;
}

void transcript_line(struct transcript *t, const char *room,
		     const char *fmt, ...)
{
	if (t->fd < 0)
		return;
	char line[LINE_MAX_BYTES];
	int n = snprintf(line, sizeof line, "%s %s ", stamp(t), room);
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 1)
		len = sizeof line - 1; /* cut: the newline takes the last byte */
	line[len++] = '\n';
	write_line(t, line, len);
}
