/* test_broker_transcript.c — what a short transcript write leaves when
 * it cannot simply be cut back off (tests/test_broker.py shows the cut
 * itself, end to end).  transcript.c is built in here with ftruncate
 * and fstat wrapped: the cut can fail, and another writer can append
 * at the worst moment, just before the broker looks.  A file size limit
 * (RLIMIT_FSIZE, SIGXFSZ ignored) cuts the writes short. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static int fake_ftruncate(int fd, off_t len);
static int fake_fstat(int fd, struct stat *st);
#define ftruncate fake_ftruncate
#define fstat fake_fstat
#include "../../broker/transcript.c"
#undef ftruncate
#undef fstat
#include "unit.h"

/* 64 bytes with its stamp and room; 41 of them end "[ann] : a line" */
#define LONG "a line of more than 41 bytes"

static char dir[] = "/tmp/natter-transcript-XXXXXX";
static char path[64];
static int truncate_errno;    /* ftruncate fails with this */
static const char *intruder;  /* appended by another writer, once */

static void limit(rlim_t size)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
		rl.rlim_cur = size;
		(void)setrlimit(RLIMIT_FSIZE, &rl);
	}
}

static int fake_ftruncate(int fd, off_t len)
{
	if (truncate_errno) {
		errno = truncate_errno;
		return -1;
	}
	return ftruncate(fd, len);
}

static int fake_fstat(int fd, struct stat *st)
{
	if (intruder) {
		struct rlimit rl;
		int other = open(path, O_WRONLY | O_APPEND);
		if (getrlimit(RLIMIT_FSIZE, &rl) == 0)
			limit(RLIM_INFINITY);
		if (other < 0 || write(other, intruder, strlen(intruder)) !=
		    (ssize_t)strlen(intruder))
			abort();
		limit(rl.rlim_cur);
		close(other);
		intruder = NULL;
	}
	return fstat(fd, st);
}

static size_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The file's text, or "" */
static const char *slurp(const char *p)
{
	static char buf[4096];
	int fd = open(p, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Text after the stamp of each line: "lobby [ann] : hi\n..." with the
 * stamps dropped, so the file can be compared whole. */
static const char *unstamped(void)
{
	static char out[4096];
	const char *in = slurp(path);
	size_t o = 0;
	while (*in && o < sizeof out - 1) {
		const char *z = strchr(in, 'Z');
		if (z && z - in == 19 && in[4] == '-' && z[1] == ' ')
			in = z + 2; /* a stamp begins the line */
		while (*in && o < sizeof out - 1) {
			out[o++] = *in;
			if (*in++ == '\n')
				break;
		}
	}
	out[o] = '\0';
	return out;
}

/* The cut fails: the fragment stays, and the next line, written
 * whole, starts on a line of its own. */
static void cut_fails(void)
{
	struct transcript t;
	CHECK(transcript_open(&t, path) == 0);
	transcript_line(&t, "lobby", "[ann] : %s", "one");
	size_t size = file_size(path);
	limit(size + 41);
	truncate_errno = EIO;
	transcript_line(&t, "lobby", "[ann] : %s", LONG);
	CHECK(t.torn && t.failing && t.lost == 1);
	CHECK(file_size(path) == size + 41);
	truncate_errno = 0;
	/* Room for part of the newline and the next line: that part is
	 * cut back off, and the fragment still wants its newline. */
	limit(size + 51);
	transcript_line(&t, "lobby", "[ann] : %s", "two");
	CHECK(t.torn && t.lost == 2 && file_size(path) == size + 41);
	limit(RLIM_INFINITY);
	transcript_line(&t, "lobby", "[ann] : %s", "three");
	CHECK(!t.torn && !t.failing && t.lost == 0);
	CHECK(strcmp(unstamped(), "lobby [ann] : one\n"
		     "lobby [ann] : a line\n"
		     "lobby [ann] : three\n") == 0);
	transcript_close(&t);
}

/* Another writer appended after the fragment: cutting would take its
 * line too, so the fragment stays (running into that line), and the
 * next line needs no newline before it. */
static void another_writer(void)
{
	struct transcript t;
	CHECK(truncate(path, 0) == 0);
	CHECK(transcript_open(&t, path) == 0);
	transcript_line(&t, "lobby", "[ann] : %s", "one");
	limit(file_size(path) + 41);
	intruder = "theirs\n";
	transcript_line(&t, "lobby", "[ann] : %s", LONG);
	CHECK(!t.torn && t.failing && t.lost == 1);
	limit(RLIM_INFINITY);
	transcript_line(&t, "lobby", "[ann] : %s", "three");
	CHECK(strcmp(unstamped(), "lobby [ann] : one\n"
		     "lobby [ann] : a linetheirs\n"
		     "lobby [ann] : three\n") == 0);
	transcript_close(&t);
}

/* A reopen that fails (a directory where the new file should be) keeps
 * the lines going to the file opened before; retries, when due, fail
 * quietly (main counts the log lines), and the first that works moves
 * the lines to the new file. */
static void reopen_fails_quietly(void)
{
	struct transcript t;
	char old[96];
	snprintf(old, sizeof old, "%s.1", path);
	CHECK(truncate(path, 0) == 0);
	CHECK(transcript_open(&t, path) == 0);
	CHECK(rename(path, old) == 0);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(transcript_reopen(&t) != 0);
	for (int i = 0; i < 2; i++) {
		t.retry_at = 1; /* due: the clock need not be waited for */
		transcript_line(&t, "lobby", "[ann] : %s", "old");
		CHECK(t.retry_at > 1); /* tried again, failed, put off */
	}
	CHECK(rmdir(path) == 0);
	t.retry_at = 1;
	transcript_line(&t, "lobby", "[ann] : %s", "new");
	CHECK(t.retry_at == 0);
	CHECK(strstr(slurp(old), "lobby [ann] : old\n") != NULL &&
	      strstr(slurp(old), "new") == NULL);
	CHECK(strstr(slurp(path), "lobby [ann] : new\n") != NULL);
	transcript_close(&t);
	unlink(old);
}

static unsigned count(const char *text, const char *what)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

int main(void)
{
	signal(SIGXFSZ, SIG_IGN);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/chat.log", dir);
	/* The log goes to a pipe: the file size limit would cut a file. */
	int logpipe[2], saved = dup(2);
	CHECK(pipe(logpipe) == 0 && saved >= 0 && dup2(logpipe[1], 2) == 2);
	log_init("test", LOG_TO_STDERR);
	cut_fails();
	another_writer();
	reopen_fails_quietly();
	dup2(saved, 2);
	close(logpipe[1]);
	static char log[4096];
	ssize_t n = read(logpipe[0], log, sizeof log - 1);
	log[n > 0 ? n : 0] = '\0';
	CHECK(strstr(log, "short write (41 of 64 bytes) that could not be "
		     "removed (Input/output error)") != NULL);
	CHECK(strstr(log, "short write (41 of 64 bytes) that could not be "
		     "removed (another writer appended after it)") != NULL);
	CHECK(strstr(log, "writing again; lines lost: 2") != NULL);
	CHECK(strstr(log, "writing again; lines lost: 1") != NULL);
	CHECK(count(log, "cannot reopen") == 1 && count(log, "reopened") == 1);
	unlink(path);
	rmdir(dir);
	return UNIT_DONE();
}
