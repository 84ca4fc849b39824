/* transfer.c — a data connection: the request, the claim with the
 * broker, then meeting and relaying (transfer.h). */
#include "transfer.h"
#include "frame.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The broker answers at once; a claim that finds no broker (one being
 * restarted: it takes its offers back, offers_file.h) or loses it
 * before the answer is tried again every CLAIM_RETRY_MS, all within
 * CLAIM_WAIT_MS (natter waits CXFER_ANSWER_MS for the OK). */
#define CLAIM_WAIT_MS 10000
#define CLAIM_RETRY_MS 100

/* One line to the client: "NATTER-FILE/1 ERR why" (it skips the
 * banner up to a line starting with XFER_MAGIC). */
static void refuse(const char *why)
{
	char line[XFER_LINE_MAX];
	int n = snprintf(line, sizeof line, "\r\n%s ERR %s\r\n", XFER_MAGIC,
			 why);
	if (n > 0 && io_write_all(1, line, (size_t)n < sizeof line ?
				  (size_t)n : sizeof line - 1, 5000) != 0)
		log_msg(LOG_INFO, "file refusal not sent: %s", strerror(errno));
}

static int broker_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Reads one frame from fd into buf (FRAME_MAX), waiting until
 * deadline (io_now_ms).  0 with f set, or -1. */
static int read_frame(int fd, char *buf, struct frame *f,
		      long long deadline)
{
	size_t have = 0;
	for (;;) {
		int r = frame_decode(buf, have, f);
		if (r > 0)
			return frame_shape_ok(f) ? 0 : -1;
		if (r == FRAME_BAD || have == FRAME_MAX)
			return -1;
		long long left = deadline - io_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		ssize_t n = io_read(fd, buf + have, FRAME_MAX - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
}

/* The broker's OK: b=ID, text="SIZE KEY NAME".  0, or -1. */
static int take_ok(const struct frame *f, struct transfer *t)
{
	uint64_t id;
	const char *sp = memchr(f->text, ' ', f->textlen);
	if (f->type != FRAME_OK || xfer_parse_u64(f->b, f->blen, &id) != 0 ||
	    !sp || xfer_parse_u64(f->text, (size_t)(sp - f->text),
				  &t->size) != 0)
		return -1;
	size_t rest = f->textlen - (size_t)(sp + 1 - f->text);
	if (rest < XFER_TOKEN_LEN || !xfer_token_ok(sp + 1, XFER_TOKEN_LEN))
		return -1;
	memcpy(t->key, sp + 1, XFER_TOKEN_LEN);
	t->key[XFER_TOKEN_LEN] = '\0';
	t->id = (unsigned)id;
	return 0;
}

/* One try: the claim sent and the broker's answer read into f (buf
 * holds it).  0, or -1 with errno (no broker, or lost before it
 * answered). */
static int claim_once(const char *broker_path, const struct xfer_request *r,
		      char *buf, struct frame *f, long long deadline)
{
	int fd = broker_connect(broker_path);
	if (fd < 0)
		return -1;
	int n = frame_encode_str(buf, FRAME_XFER, 0,
				 r->role == XFER_PUT ? "put" : "get",
				 r->token, NULL);
	long long left = deadline - io_now_ms();
	int ok = n > 0 && left > 0 &&
		 io_write_all(fd, buf, (size_t)n, (int)left) == 0 &&
		 read_frame(fd, buf, f, deadline) == 0;
	int e = ok ? 0 : errno ? errno : EPIPE;
	close(fd);
	errno = e;
	return ok ? 0 : -1;
}

/* Claims r's token with the broker.  0 with t filled; 1 refused (the
 * client told why); -1 no broker (told too). */
static int claim(const char *broker_path, const struct xfer_request *r,
		 struct transfer *t)
{
	static char buf[FRAME_MAX];
	struct frame f;
	long long deadline = io_now_ms() + CLAIM_WAIT_MS;
	int ok, logged = 0;
	for (;;) {
		ok = claim_once(broker_path, r, buf, &f, deadline) == 0;
		if (ok || deadline - io_now_ms() <= CLAIM_RETRY_MS)
			break;
		if (!logged++)
			log_msg(LOG_INFO, "file transfer: no answer from the "
				"broker at %s (%s); trying again for %d s",
				broker_path, strerror(errno),
				CLAIM_WAIT_MS / 1000);
		(void)poll(NULL, 0, CLAIM_RETRY_MS); /* a restart's time */
	}
	if (ok && f.type == FRAME_OK && take_ok(&f, t) == 0)
		return 0;
	char why[FRAME_TEXT_MAX + 1];
	if (ok && f.type == FRAME_ERR)
		frame_field(why, sizeof why, f.text, f.textlen);
	else
		snprintf(why, sizeof why, "the server %s; try again later",
			 ok ? "could not check the transfer" :
			 "is not available");
	if (!ok)
		log_msg(LOG_WARNING, "file transfer: no broker at %s: %s",
			broker_path, strerror(errno));
	refuse(why);
	return ok ? 1 : -1;
}

int transfer_run(const char *broker_path, const char *peer,
		 const char *line, size_t len)
{
	struct xfer_request r;
	struct transfer t = { .peer = peer };
	char err[160];
	if (xfer_parse_request(line, len, &r) != 0) {
		log_msg(LOG_INFO, "file transfer from %s: a bad request", peer);
		refuse("a bad request");
		return 0;
	}
	t.role = r.role;
	int c = claim(broker_path, &r, &t);
	if (c != 0)
		return c < 0 ? 111 : 0;
	if (io_set_nonblock(0, 0) != 0 || io_set_nonblock(1, 0) != 0) {
		refuse("the server cannot set up the transfer");
		return 0;
	}
	/* Bulk work: the chat's sessions and broker go first on a busy
	 * CPU (a transfer at full speed must not hold up a room). */
	errno = 0;
	if (nice(TRANSFER_NICE) == -1 && errno != 0)
		log_msg(LOG_INFO, "file %u: nice: %s", t.id, strerror(errno));
	int other = transfer_meet(broker_path, &t, err, sizeof err);
	if (other == -2)
		return 0; /* the other half relays */
	if (other < 0) {
		log_msg(LOG_INFO, "file %u from %s: %s", t.id, peer, err);
		refuse(err);
		return 0;
	}
	transfer_relay(&t, other);
	return 0;
}
