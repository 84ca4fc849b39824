/* bconn.c — the link to the broker: connect, send, read frames, lose,
 * retry.  Returns events; never calls up into the session. */
#include "bconn.h"
#include "fdnew.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void bconn_init(struct bconn *bc, const char *path, int retry_limit_s)
{
	bc->path = path;
	bc->retry_limit_s = retry_limit_s;
	bc->fd = -1;
	outq_init(&bc->out, BCONN_OUTQ_MAX);
}

int bconn_open(struct bconn *bc)
{
	struct sockaddr_un sun;
	size_t len = strlen(bc->path);
	if (len >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, bc->path, len + 1);
	/* Non-blocking before connect: a full backlog is a failed try
	 * (EAGAIN), retried later, never a hang. */
	int fd = fdnew_socket(AF_UNIX, SOCK_STREAM);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	bc->fd = fd;
	return 0;
}

int bconn_connected(const struct bconn *bc)
{
	return bc->fd >= 0;
}

int bconn_send(struct bconn *bc, uint8_t type, uint8_t flags, const char *a,
	       const char *b, const char *text, size_t textlen)
{
	char buf[FRAME_MAX];
	int n = frame_encode(buf, type, flags, a, a ? strlen(a) : 0, b,
			     b ? strlen(b) : 0, text, textlen);
	if (n < 0) {
		log_msg(LOG_ERR, "frame too long (type %u); not sent", type);
		return -1;
	}
	if (bc->fd < 0)
		return 0; /* reconnecting: LOGIN will re-announce us */
	if (outq_append(&bc->out, buf, (size_t)n) != 0) {
		bc->full = 1;
		return -1;
	}
	return 0;
}

int bconn_login(struct bconn *bc, const char *name, const char *room,
		int flags_in, const char *peer)
{
	uint8_t flags = (uint8_t)(NATTER_PROTOCOL_FLAGS(NATTER_PROTOCOL_VERSION)
				  | (flags_in & (FRAME_REJOIN | FRAME_ACCOUNT |
						 FRAME_OPERATOR)));
	return bconn_send(bc, FRAME_LOGIN, flags, name, room, peer,
			  strlen(peer));
}

size_t bconn_pending(const struct bconn *bc)
{
	return outq_pending(&bc->out);
}

short bconn_events(const struct bconn *bc)
{
	return (short)(POLLIN | (outq_pending(&bc->out) && !bc->out_broken ?
				 POLLOUT : 0));
}

/* A write fails also when the broker has cut this session off: it
 * closes right after sending its KICK, which may still be unread here.
 * So stop writing and let the reads run to the end of what the broker
 * sent: a KICK among it ends the session, the end of it without one
 * means a lost broker and reconnecting. */
void bconn_flush(struct bconn *bc)
{
	if (bc->fd < 0 || bc->out_broken ||
	    outq_flush(&bc->out, bc->fd, 1) >= 0)
		return;
	log_msg(LOG_WARNING, "writing to the broker: %s", strerror(errno));
	bc->out_broken = 1;
}

void bconn_close(struct bconn *bc)
{
	if (bc->fd >= 0 && close(bc->fd) != 0)
		log_msg(LOG_WARNING, "closing the broker socket: %s",
			strerror(errno));
	bc->fd = -1;
	bc->inlen = bc->inoff = 0;
	bc->out_broken = 0;
	outq_free(&bc->out);
	outq_init(&bc->out, BCONN_OUTQ_MAX);
}

/* Notes how much of the read buffer a read touched; a burst that went
 * past BCONN_KEEP schedules bconn_trim. */
static void touched(struct bconn *bc)
{
	if (bc->inlen > bc->in_high)
		bc->in_high = bc->inlen;
	/* the clock only when a trim is to be set: this runs on every
	 * read from the broker */
	if (bc->in_high > BCONN_KEEP && bc->trim_at == 0)
		bc->trim_at = io_now_ms() + BCONN_TRIM_AFTER_MS;
}

/* Moves the bytes not yet handed out to the front. */
static void compact(struct bconn *bc)
{
	memmove(bc->in, bc->in + bc->inoff, bc->inlen - bc->inoff);
	bc->inlen -= bc->inoff;
	bc->inoff = 0;
}

enum bconn_event bconn_read(struct bconn *bc)
{
	if (bc->fd < 0)
		return BCONN_NONE;
	compact(bc);
	ssize_t n = io_read_some(bc->fd, bc->in + bc->inlen,
				 sizeof bc->in - bc->inlen);
	if (n > 0) {
		bc->inlen += (size_t)n;
		touched(bc);
	}
	if (n >= 0)
		return BCONN_NONE;
	if (errno != EPIPE)
		log_msg(LOG_WARNING, "reading the broker: %s", strerror(errno));
	bconn_close(bc);
	return BCONN_LOST;
}

enum bconn_event bconn_next(struct bconn *bc, struct frame *f)
{
	if (bc->fd < 0)
		return BCONN_NONE;
	int used = frame_decode(bc->in + bc->inoff, bc->inlen - bc->inoff, f);
	if (used == FRAME_NEED_MORE) {
		compact(bc);
		return BCONN_NONE;
	}
	if (used == FRAME_BAD) {
		log_msg(LOG_ERR, "bad frame from the broker");
		bconn_close(bc);
		return BCONN_LOST;
	}
	bc->inoff += (size_t)used;
	return BCONN_FRAME;
}

int bconn_backoff(struct bconn *bc, long long now)
{
	int begins = bc->rc_give_up == 0;
	if (begins) {
		bc->rc_backoff = BCONN_RETRY_FIRST_MS;
		bc->rc_give_up = now + bc->retry_limit_s * 1000LL;
	}
	bc->rc_next = now + bc->rc_backoff;
	bc->rc_backoff *= 2;
	if (bc->rc_backoff > BCONN_RETRY_MAX_MS)
		bc->rc_backoff = BCONN_RETRY_MAX_MS;
	return begins;
}

long long bconn_retry_at(const struct bconn *bc)
{
	return bc->rc_next;
}

/* The limit counts from the first loss until the broker answers, not
 * until a connect works: a broker that takes connections but never
 * answers (its descriptors used up, they wait in its backlog) must not
 * get LOGIN again and again for ever.  A broker that is back when the
 * limit is reached is still taken, unless it took one already in this
 * episode without answering. */
enum bconn_event bconn_retry(struct bconn *bc, long long now)
{
	if (bconn_open(bc) == 0) {
		if (bc->rc_connected && now >= bc->rc_give_up) {
			bconn_close(bc);
			errno = ETIMEDOUT; /* it connects, it never answers */
			return BCONN_GAVE_UP;
		}
		bc->rc_connected = 1;
		log_msg(LOG_INFO, "connected to the broker again");
		return BCONN_CONNECTED;
	}
	if (now >= bc->rc_give_up)
		return BCONN_GAVE_UP;
	bconn_backoff(bc, now);
	return BCONN_NONE;
}

void bconn_answered(struct bconn *bc)
{
	bc->rc_give_up = 0;
	bc->rc_connected = 0;
}

long long bconn_trim_at(const struct bconn *bc)
{
	return bc->trim_at;
}

void bconn_trim(struct bconn *bc)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t keep = bc->inlen > BCONN_KEEP ? bc->inlen : BCONN_KEEP;
	uintptr_t from = (uintptr_t)(bc->in + keep);
	uintptr_t to = (uintptr_t)(bc->in + sizeof bc->in);
	bc->trim_at = 0;
	bc->in_high = bc->inlen;
	if (page <= 0)
		return;
	from = (from + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	to &= ~(uintptr_t)(page - 1);
#ifdef MADV_DONTNEED
	/* Linux frees the pages at once (they read back as zeros, which is
	 * fine: nothing past inlen is kept); elsewhere it is a hint. */
	if (from < to && madvise((void *)from, to - from, MADV_DONTNEED) != 0)
		log_msg(LOG_WARNING, "madvise: %s", strerror(errno));
#endif
}

void bconn_finish(struct bconn *bc, int ms)
{
	long long deadline = io_now_ms() + ms;
	while (bc->fd >= 0 && outq_flush(&bc->out, bc->fd, 1) == 0) {
		long long left = deadline - io_now_ms();
		struct pollfd p = { .fd = bc->fd, .events = POLLOUT };
		if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
			break;
	}
	if (bc->fd >= 0)
		close(bc->fd);
	bc->fd = -1;
	outq_free(&bc->out);
}
