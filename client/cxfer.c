/* cxfer.c — a transfer's child process (cxfer.h): connect, ask with
 * the token, skip the banner to the server's answer, then send the
 * file and half-close (PUT) or take it to the end of the stream and
 * answer DONE or FAIL (GET).  Blocking I/O is fine here: this process
 * has nothing else to do; the parent's life line is checked between
 * reads, so the transfer stops when natter does. */
#include "cxfer.h"
#include "cnet.h"
#include "crc32c.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct run {
	const struct cxfer *x;
	int sock;
	char *result;
	size_t size;
	char buf[CXFER_BUF];
	size_t have;       /* bytes in buf after the answer line (GET) */
};

static void say(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->result, r->size, fmt, ap);
	va_end(ap);
}

/* Whether the parent (natter) is gone: its life line at end of file. */
static int orphaned(const struct cxfer *x)
{
	struct pollfd p = { .fd = x->life, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

/* Waits until fd is readable, at most ms; 1 readable, 0 not (or the
 * parent went). */
static int wait_in(const struct cxfer *x, int fd, int ms)
{
	long long deadline = io_now_ms() + ms;
	for (;;) {
		long long left = deadline - io_now_ms();
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = x->life, .events = POLLIN } };
		int k = left > 0 ? poll(p, 2, (int)left) : 0;
		if (k < 0 && errno == EINTR)
			continue;
		return k > 0 && !p[1].revents && p[0].revents;
	}
}

/* Reads up to the server's answer line (after the banner, which may
 * hold anything: at most XFER_BANNER_MAX of it).  1 OK (size checked),
 * 0 refused or broken (said).  Bytes after the line stay in r->buf. */
static int server_answer(struct run *r)
{
	size_t start = 0; /* where the current line starts */
	r->have = 0;
	for (;;) {
		char *nl = memchr(r->buf + start, '\n', r->have - start);
		if (nl) {
			size_t len = (size_t)(nl - (r->buf + start));
			const char *l = r->buf + start;
			if (len > 0 && l[len - 1] == '\r')
				len--;
			uint64_t size;
			char why[XFER_LINE_MAX];
			int k = xfer_parse_reply(l, len, &size, why, sizeof why);
			start = (size_t)(nl + 1 - r->buf);
			if (k == 0) {
				say(r, "fail File %u: the server refused: %s",
				    r->x->id, why);
				return 0;
			}
			if (k == 1) {
				memmove(r->buf, r->buf + start, r->have - start);
				r->have -= start;
				if (size == r->x->size)
					return 1;
				say(r, "fail File %u: the server says %llu "
				    "bytes, not %llu", r->x->id,
				    (unsigned long long)size,
				    (unsigned long long)r->x->size);
				return 0;
			}
			continue;
		}
		if (start > 0) { /* keep only the unfinished line */
			memmove(r->buf, r->buf + start, r->have - start);
			r->have -= start;
			start = 0;
		}
		ssize_t n = -1;
		if (r->have < XFER_BANNER_MAX && wait_in(r->x, r->sock,
							 CXFER_ANSWER_MS))
			n = io_read(r->sock, r->buf + r->have,
				    XFER_BANNER_MAX - r->have);
		if (n <= 0) {
			say(r, "fail File %u: no answer from the server",
			    r->x->id);
			return 0;
		}
		r->have += (size_t)n;
	}
}

/* Paces a sender to x->rate bytes a second (natter -L). */
static void pace(const struct cxfer *x, uint64_t sent, long long t0)
{
	if (x->rate <= 0)
		return;
	long long due = t0 + (long long)(sent * 1000 / (uint64_t)x->rate);
	long long ahead = due - io_now_ms();
	if (ahead > 0) {
		struct timespec ts = { ahead / 1000, (ahead % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

static void cxfer_put(struct run *r);
static void cxfer_get(struct run *r);

void cxfer_run(const struct cxfer *x, char *result, size_t size)
{
	static struct run r;
	char err[300], req[XFER_LINE_MAX];
	r.x = x;
	r.result = result;
	r.size = size;
	r.sock = cnet_connect(x->host, x->port, x->family, err, sizeof err);
	if (r.sock < 0) {
		say(&r, "fail File %u: %s", x->id, err);
		return;
	}
	int n = snprintf(req, sizeof req, "%s %s %s\r\n", XFER_MAGIC,
			 x->role == XFER_PUT ? "PUT" : "GET", x->token);
	if (io_set_nonblock(r.sock, 0) != 0 ||
	    io_write_all(r.sock, req, (size_t)n, CXFER_ANSWER_MS) != 0) {
		say(&r, "fail File %u: cannot ask the server: %s", x->id,
		    strerror(errno));
	} else if (server_answer(&r)) {
		if (x->role == XFER_PUT)
			cxfer_put(&r);
		else
			cxfer_get(&r);
	}
	close(r.sock);
}

/* The receiver's answer after our half-close, waiting at most ms:
 * "DONE SIZE CRC" or "FAIL why", into line (XFER_LINE_MAX).  Its
 * length, 0 when none came. */
static size_t read_answer(struct run *r, char *line, int ms)
{
	size_t have = 0;
	while (have < XFER_LINE_MAX - 1 && wait_in(r->x, r->sock, ms)) {
		ssize_t n = io_read(r->sock, line + have,
				    XFER_LINE_MAX - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		if (memchr(line, '\n', have))
			break;
	}
	line[have] = '\0';
	return strcspn(line, "\r\n");
}

/* What the receiver's answer says, against what was sent. */
static void judge(struct run *r, uint64_t sent, uint32_t crc, int ms)
{
	char line[XFER_LINE_MAX], why[XFER_LINE_MAX];
	uint64_t size;
	uint32_t theirs;
	size_t len = read_answer(r, line, ms);
	unsigned id = r->x->id;
	if (len > 0 && xfer_parse_done(line, len, &size, &theirs) == 0) {
		if (size == sent && theirs == crc && sent == r->x->size)
			say(r, "ok Sent %s (file %u): %llu bytes, CRC-32C "
			    "%08x, confirmed by the receiver.", r->x->name, id,
			    (unsigned long long)sent, crc);
		else
			say(r, "fail File %u: the receiver got %llu bytes "
			    "(CRC-32C %08x); %llu were sent (%08x).", id,
			    (unsigned long long)size, theirs,
			    (unsigned long long)sent, crc);
	} else if (len > 5 && memcmp(line, "FAIL ", 5) == 0) {
		size_t o = 0;
		for (size_t i = 5; i < len && o + 1 < sizeof why; i++)
			why[o++] = line[i] >= 0x20 && line[i] < 0x7f ?
				   line[i] : '?';
		why[o] = '\0';
		say(r, "fail File %u: the receiver failed: %s", id, why);
	} else {
		say(r, "fail File %u: the receiver did not confirm it (it "
		    "cancelled, or its connection was cut).", id);
	}
}

/* Sends the n bytes just read, which are at offset off of the file
 * and in r->buf: on Linux with sendfile(2) from the page cache (a copy
 * fewer), else written from r->buf.  A file changed in between shows as
 * a checksum that differs on the receiver's side.  0, or -1. */
static int send_chunk(struct run *r, size_t n, uint64_t off)
{
#ifdef __linux__
	off_t o = (off_t)off;
	size_t left = n;
	while (left > 0) {
		ssize_t k = sendfile(r->sock, r->x->file, &o, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EINVAL || errno == ENOSYS) && left == n)
			break; /* this file cannot: write it */
		if (k <= 0)
			return -1;
		left -= (size_t)k;
	}
	if (left == 0)
		return 0;
#else
	(void)off;
#endif
	return io_write_all(r->sock, r->buf, n, CXFER_ANSWER_MS);
}

static void cxfer_put(struct run *r)
{
	const struct cxfer *x = r->x;
	uint64_t sent = 0;
	uint32_t crc = 0;
	long long t0 = io_now_ms();
	size_t chunk = CXFER_BUF;
	/* bounds a blocked send (sendfile's, or a write's) */
	struct timeval tv = { CXFER_ANSWER_MS / 1000, 0 };
	if (setsockopt(r->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
		say(r, "fail File %u: cannot set up the connection", x->id);
		return;
	}
	if (x->rate > 0 && (size_t)x->rate / 10 < chunk)
		chunk = (size_t)x->rate / 10 > 512 ? (size_t)x->rate / 10 : 512;
	while (sent < x->size) {
		uint64_t left = x->size - sent;
		ssize_t n = orphaned(x) ? -2 : io_read(x->file, r->buf,
					left < chunk ? (size_t)left : chunk);
		if (n <= 0) {
			say(r, n == -2 ? "fail File %u: natter ended" :
			    n == 0 ? "fail File %u: the file shrank while "
			    "being sent" : "fail File %u: cannot read the file",
			    x->id);
			return;
		}
		crc = crc32c_update(crc, r->buf, (size_t)n);
		if (send_chunk(r, (size_t)n, sent) != 0) {
			judge(r, sent, crc, 1000); /* a FAIL may say why */
			if (strncmp(r->result, "fail File", 9) == 0 &&
			    strstr(r->result, "did not confirm"))
				say(r, "fail File %u: the connection broke after "
				    "%llu of %llu bytes.", x->id,
				    (unsigned long long)sent,
				    (unsigned long long)x->size);
			return;
		}
		sent += (uint64_t)n;
		pace(x, sent, t0);
	}
	if (shutdown(r->sock, SHUT_WR) != 0) {
		say(r, "fail File %u: shutdown: %s", x->id, strerror(errno));
		return;
	}
	judge(r, sent, crc, CXFER_ANSWER_MS);
}

/* A failed download: the part file goes, the sender hears why. */
static void get_failed(struct run *r, int fd, const char *part,
		       const char *why)
{
	char line[XFER_LINE_MAX];
	if (fd >= 0)
		close(fd);
	(void)unlinkat(r->x->dir, part, 0);
	int n = snprintf(line, sizeof line, "FAIL %s\r\n", why);
	(void)io_write_all(r->sock, line, (size_t)n, 5000);
	say(r, "fail File %u (%s): %s", r->x->id, r->x->name, why);
}

/* Links part to the first free name: NAME, "NAME (1)", ...  Never
 * replaces a file (link(2) fails on an existing name).  0, or -1. */
static int settle(const struct cxfer *x, const char *part, char *final,
		  size_t size)
{
	for (unsigned n = 0; n < 1000; n++) {
		if (fname_numbered(x->name, n, final, size) != 0)
			return -1;
		if (linkat(x->dir, part, x->dir, final, 0) == 0) {
			/* a part left behind is never under a final name */
			(void)unlinkat(x->dir, part, 0);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Takes the stream to its end into fd; the count, or -1 (why said). */
static int64_t take_stream(struct run *r, int fd, uint32_t *crc,
			   const char **why)
{
	uint64_t got = 0;
	for (;;) {
		if (r->have > 0) {
			if (got + r->have > r->x->size) {
				*why = "more bytes came than were offered";
				return -1;
			}
			if (io_write_all(fd, r->buf, r->have, -1) != 0) {
				*why = "cannot write the file";
				return -1;
			}
			*crc = crc32c_update(*crc, r->buf, r->have);
			got += r->have;
			r->have = 0;
		}
		if (orphaned(r->x)) {
			*why = "natter ended";
			return -1;
		}
		/* a whole buffer a call (fewer calls, larger writes);
		 * SO_RCVTIMEO (cxfer_get) bounds the wait */
		ssize_t n;
		do
			n = recv(r->sock, r->buf, CXFER_BUF, MSG_WAITALL);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return (int64_t)got;
		if (n < 0) {
			*why = errno == EAGAIN || errno == EWOULDBLOCK ?
			       "nothing came for a minute" :
			       "the connection broke";
			return -1;
		}
		r->have = (size_t)n;
	}
}

static void cxfer_get(struct run *r)
{
	const struct cxfer *x = r->x;
	char part[64], final[FNAME_MAX + 16], why[160], line[64];
	const char *err = NULL;
	uint32_t crc = 0;
	snprintf(part, sizeof part, CXFER_PART_FMT, x->id, (long)getpid());
	struct timeval tv = { CXFER_ANSWER_MS / 1000, 0 };
	if (setsockopt(r->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
		get_failed(r, -1, part, "cannot set up the connection");
		return;
	}
	int fd = openat(x->dir, part, O_WRONLY | O_CREAT | O_EXCL |
			O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		get_failed(r, -1, part, "cannot create a file in the "
			   "download directory");
		return;
	}
	int64_t got = take_stream(r, fd, &crc, &err);
	if (got >= 0 && (uint64_t)got != x->size) {
		snprintf(why, sizeof why, "it stopped after %lld of %llu bytes "
			 "(the sender cancelled, or its connection was cut)",
			 (long long)got, (unsigned long long)x->size);
		err = why;
	}
	if (!err) {
		if (close(fd) != 0)
			err = "cannot write the file";
		fd = -1;
	}
	if (!err && settle(x, part, final, sizeof final) != 0)
		err = "cannot name the file in the download directory";
	if (err) {
		get_failed(r, fd, part, err);
		return;
	}
	int n = snprintf(line, sizeof line, "DONE %lld %08x\r\n",
			 (long long)got, crc);
	if (io_write_all(r->sock, line, (size_t)n, CXFER_ANSWER_MS) != 0 ||
	    shutdown(r->sock, SHUT_WR) != 0)
		say(r, "ok Received %s (file %u) as %s/%s: %lld bytes, CRC-32C "
		    "%08x; the sender may not have heard.", x->name, x->id,
		    x->dirname, final, (long long)got, crc);
	else
		say(r, "ok Received %s (file %u) as %s/%s: %lld bytes, CRC-32C "
		    "%08x.", x->name, x->id, x->dirname, final, (long long)got,
		    crc);
}
