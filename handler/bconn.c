/* bconn.c — the connection to the broker: connect, send, lose, retry. */
#include "session.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int bconn_connect(const char *path)
{
	struct sockaddr_un sun;
	size_t len = strlen(path);
	if (len >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	/* Non-blocking before connect: a full backlog is a failed try
	 * (EAGAIN), retried later, never a hang. */
	if (io_set_cloexec(fd) != 0 || io_set_nonblock(fd, 1) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int bconn_send(struct session *s, uint8_t type, uint8_t flags, const char *a,
	       const char *b, const char *text, size_t textlen)
{
	char buf[FRAME_MAX];
	int n = frame_encode(buf, type, flags, a, a ? strlen(a) : 0, b,
			     b ? strlen(b) : 0, text, textlen);
	if (n < 0) {
		log_msg(LOG_ERR, "frame too long (type %u); not sent", type);
		return -1;
	}
	if (s->bfd < 0)
		return 0; /* reconnecting: LOGIN will re-announce us */
	if (outq_append(&s->bout, buf, (size_t)n) != 0) {
		session_end(s, EXIT_TEMP, "broker too far behind");
		return -1;
	}
	return 0;
}

/* Enters (or continues) a reconnect episode: the first try after
 * RECONNECT_FIRST_MS, doubling to RECONNECT_MAX_MS, giving up the
 * configured limit (-R) after the episode began. */
static void reconnect_later(struct session *s)
{
	long long now = io_now_ms();
	if (s->rc_give_up == 0) {
		s->rc_backoff = RECONNECT_FIRST_MS;
		s->rc_give_up = now + s->cfg->reconnect_limit_s * 1000LL;
	}
	s->rc_next = now + s->rc_backoff;
	s->rc_backoff *= 2;
	if (s->rc_backoff > RECONNECT_MAX_MS)
		s->rc_backoff = RECONNECT_MAX_MS;
	s->st = ST_RECONNECT;
}

void bconn_login(struct session *s)
{
	if (s->bfd < 0) {
		reconnect_later(s);
		return;
	}
	const char *text = s->cfg->peer;
	if (bconn_send(s, FRAME_LOGIN, (uint8_t)(NATTER_PROTOCOL_FLAGS(
		       NATTER_PROTOCOL_VERSION) | (s->joined ? FRAME_REJOIN : 0)),
		       s->name, s->room, text, strlen(text)) == 0) {
		s->st = ST_WAIT_LOGIN;
		s->awaiting = FRAME_LOGIN;
		s->reply_deadline = io_now_ms() + REPLY_WAIT_MS;
	}
}

static void bconn_close(struct session *s)
{
	if (s->bfd >= 0 && close(s->bfd) != 0)
		log_msg(LOG_WARNING, "closing the broker socket: %s",
			strerror(errno));
	s->bfd = -1;
	s->binlen = 0;
	s->bout_broken = 0;
	outq_free(&s->bout);
	outq_init(&s->bout, BROKER_OUTQ_MAX);
}

void bconn_lost(struct session *s)
{
	bconn_close(s);
	if (s->kicked) {
		session_end(s, EXIT_OK, "kicked by the broker");
		return;
	}
	if (s->st == ST_ID || s->st == ST_PW || s->st == ST_DELAY)
		return; /* reconnected when the LOGIN is due */
	if (s->rc_give_up == 0) {
		log_msg(LOG_WARNING, "lost the broker; reconnecting");
		if (s->joined)
			session_notice(s, "Lost contact with the chat service; "
				       "reconnecting (messages may have been "
				       "missed).");
	}
	chat_reply_lost(s);
	reconnect_later(s);
}

void bconn_retry(struct session *s, long long now)
{
	int fd = bconn_connect(s->cfg->broker_path);
	if (fd >= 0) {
		s->bfd = fd;
		log_msg(LOG_INFO, "connected to the broker again");
		bconn_login(s);
		return;
	}
	if (now >= s->rc_give_up) {
		log_msg(LOG_ERR, "no broker at %s: %s", s->cfg->broker_path,
			strerror(errno));
		session_notice(s, "The chat service is unavailable; try again "
			       "later.");
		session_end(s, EXIT_TEMP, "broker unavailable");
		return;
	}
	reconnect_later(s);
}

void bconn_touched(struct session *s)
{
	if (s->binlen > s->bin_high)
		s->bin_high = s->binlen;
	/* the clock only when a trim is to be set: this runs on every
	 * read from the broker */
	if (s->bin_high > BIN_KEEP && s->bin_trim_at == 0)
		s->bin_trim_at = io_now_ms() + BIN_TRIM_AFTER_MS;
}

void bconn_trim(struct session *s)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t keep = s->binlen > BIN_KEEP ? s->binlen : BIN_KEEP;
	uintptr_t from = (uintptr_t)(s->bin + keep);
	uintptr_t to = (uintptr_t)(s->bin + sizeof s->bin);
	s->bin_trim_at = 0;
	s->bin_high = s->binlen;
	if (page <= 0)
		return;
	from = (from + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	to &= ~(uintptr_t)(page - 1);
#ifdef MADV_DONTNEED
	/* Linux frees the pages at once (they read back as zeros, which is
	 * fine: nothing past binlen is kept); elsewhere it is a hint. */
	if (from < to && madvise((void *)from, to - from, MADV_DONTNEED) != 0)
		log_msg(LOG_WARNING, "madvise: %s", strerror(errno));
#endif
}
