/* transcript.c — appending chat lines to a file that can be rotated. */
#include "transcript.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

static int open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int transcript_open(struct transcript *t, const char *path)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
	t->path = path;
	if (!path)
		return 0;
	t->fd = open_path(path);
	if (t->fd < 0) {
		log_msg(LOG_ERR, "transcript %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void transcript_close(struct transcript *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* fd, just opened, takes the old file's place.  What was lost in the
 * old one is told now, as its story ends here; the new file starts
 * clean. */
static void replace_file(struct transcript *t, int fd)
{
	transcript_close(t);
	t->fd = fd;
	if (t->failing && t->lost)
		log_msg(LOG_NOTICE, "transcript %s: lines lost before the "
			"reopen: %lu", t->path, t->lost);
	t->failing = t->torn = 0;
	t->lost = 0;
	t->retry_at = 0;
}

int transcript_reopen(struct transcript *t)
{
	if (!t->path)
		return 0;
	int fd = open_path(t->path);
	if (fd < 0) {
		log_msg(LOG_ERR, "transcript %s: cannot reopen: %s; still "
			"writing to the file opened before, trying again",
			t->path, strerror(errno));
		t->retry_at = io_now_ms() + TRANSCRIPT_RETRY_S * 1000LL;
		return -1;
	}
	replace_file(t, fd);
	return 0;
}

/* A reopen that failed is tried again before a line, so an idle broker
 * never wakes for it; failures are quiet, as the first was logged. */
static void retry_reopen(struct transcript *t, long long now)
{
	if (!t->retry_at || now < t->retry_at)
		return;
	int fd = open_path(t->path);
	if (fd < 0) {
		t->retry_at = now + TRANSCRIPT_RETRY_S * 1000LL;
		return;
	}
	replace_file(t, fd);
	log_msg(LOG_NOTICE, "transcript %s: reopened", t->path);
}

/* Formatting a time costs; messages come many per second. */
static const char *stamp(struct transcript *t, time_t now)
{
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

/* Cuts the `done` bytes of a short write back off the file.  O_APPEND
 * put them at the end and left our offset just after them; a file
 * longer than that offset means another writer appended since, and the
 * cut would take its line: that is refused (EBUSY).  Between the check
 * and the cut another writer could still append: POSIX offers no way to
 * close that window short of a lock every writer takes. */
static int undo_partial(struct transcript *t, size_t done)
{
	struct stat st;
	off_t end = lseek(t->fd, 0, SEEK_CUR);
	if (end < 0 || fstat(t->fd, &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (st.st_size != end || end < (off_t)done) {
		errno = EBUSY;
		return -1;
	}
	int r;
	do
		r = ftruncate(t->fd, end - (off_t)done);
	while (r != 0 && errno == EINTR);
	return r;
}

/* The first failure of a run is logged, with what became of the part
 * written; the rest are counted. */
static void write_failed(struct transcript *t, ssize_t n, size_t len,
			 int undone, int err)
{
	t->lost++;
	if (t->failing)
		return;
	t->failing = 1;
	if (n < 0)
		log_msg(LOG_ERR, "transcript %s: %s; dropping lines until a "
			"write succeeds", t->path, strerror(err));
	else if (undone)
		log_msg(LOG_ERR, "transcript %s: short write (%zd of %zu "
			"bytes), removed; dropping lines until a write "
			"succeeds", t->path, n, len);
	else
		log_msg(LOG_ERR, "transcript %s: short write (%zd of %zu "
			"bytes) that could not be removed (%s); dropping "
			"lines until a write succeeds", t->path, n, len,
			err == EBUSY ? "another writer appended after it" :
			strerror(err));
}

/* line[0] is a spare byte, before the line proper: a newline, written
 * only while a fragment ends the file. */
static void write_line(struct transcript *t, char *line, size_t len)
{
	if (t->torn) {
		line[0] = '\n';
		len++;
	} else {
		line++;
	}
	ssize_t n;
	do
		n = write(t->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		if (t->failing)
			log_msg(LOG_NOTICE, "transcript %s: writing again; "
				"lines lost: %lu", t->path, t->lost);
		t->failing = t->torn = 0;
		t->lost = 0;
		return;
	}
	int err = errno, undone = 1;
	if (n > 0 && undo_partial(t, (size_t)n) != 0) {
		err = errno;
		undone = 0;
		/* The file ends with the fragment, unless another writer
		 * appended after it (EBUSY), whose line now ends it. */
		t->torn = err != EBUSY && line[n - 1] != '\n';
	}
	write_failed(t, n, len, undone, err);
}

void transcript_line(struct transcript *t, const char *room,
		     const char *fmt, ...)
{
	if (!t->path)
		return;
	retry_reopen(t, io_now_ms());
	time_t now = time(NULL);
	if (t->fd < 0)
		return;
	char buf[1 + LINE_MAX_BYTES]; /* buf[0]: see write_line */
	char *line = buf + 1;
	int n = snprintf(line, LINE_MAX_BYTES, "%s %s ", stamp(t, now), room);
	if (n < 0 || n >= LINE_MAX_BYTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, LINE_MAX_BYTES - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > LINE_MAX_BYTES - 1)
		len = LINE_MAX_BYTES - 1; /* cut: the newline is the last */
	line[len++] = '\n';
	write_line(t, buf, len);
}
