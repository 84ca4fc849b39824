/* test_handler_bconn.c — the broker link alone, against a real UNIX
 * socket the test opens and closes: the events it returns (frame, lost,
 * connected, gave up), its backoff, and its bounded queue. */
#include "../../handler/bconn.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[] = "/tmp/natter-bconn-XXXXXX";
static char path[64];

static int listen_at(const char *p)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", p);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, 4) != 0)
		return -1;
	return fd;
}

/* Waits (bounded) until bc's socket is readable. */
static void wait_readable(const struct bconn *bc)
{
	struct pollfd p = { .fd = bc->fd, .events = POLLIN };
	poll(&p, 1, 5000);
}

/* Reads one whole frame from the broker's side of the link. */
static int read_frame(int fd, char *buf, size_t size, struct frame *f)
{
	size_t got = 0;
	for (;;) {
		int used = frame_decode(buf, got, f);
		if (used != FRAME_NEED_MORE)
			return used;
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
}

/* Not there: the first loss begins an episode, each try doubles the
 * wait to its cap, and once the limit (10 s) passed a try gives up.
 * The clock is the caller's: no sleeping. */
static void backoff_and_give_up(void)
{
	struct bconn bc = { 0 };
	bconn_init(&bc, path, 10);
	CHECK(bconn_open(&bc) == -1 && errno == ENOENT);
	CHECK(!bconn_connected(&bc));
	CHECK(bconn_backoff(&bc, 1000) == 1);
	CHECK(bconn_retry_at(&bc) == 1000 + BCONN_RETRY_FIRST_MS);
	long long want[] = { 200, 400, 800, 1600, 2000, 2000 };
	long long now = 1100;
	int doubling = 1;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		CHECK(bconn_retry(&bc, now) == BCONN_NONE);
		doubling &= bconn_retry_at(&bc) == now + want[i];
		now = bconn_retry_at(&bc);
	}
	CHECK(doubling);
	CHECK(bconn_retry(&bc, 1000 + 9999) == BCONN_NONE);
	errno = 0;
	CHECK(bconn_retry(&bc, 1000 + 10000) == BCONN_GAVE_UP);
	CHECK(errno == ENOENT); /* why, for the log */
	/* The broker answered: a later loss is a new episode. */
	bconn_answered(&bc);
	CHECK(bconn_backoff(&bc, 9000) == 1);
	CHECK(bconn_retry_at(&bc) == 9000 + BCONN_RETRY_FIRST_MS);
	bconn_finish(&bc, 0);
}

/* The broker back: reconnected; then a bad frame is a loss too. */
static void bad_frame_is_lost(struct bconn *bc, int lfd)
{
	static const char bad[] = { 0, 2, (char)FRAME_MSG, 0, 9, 9 };
	struct frame f;
	CHECK(bconn_retry(bc, 200) == BCONN_CONNECTED);
	int peer = accept(lfd, NULL, NULL);
	CHECK(peer >= 0);
	CHECK(write(peer, bad, sizeof bad) == (ssize_t)sizeof bad);
	wait_readable(bc);
	CHECK(bconn_read(bc) == BCONN_NONE);
	CHECK(bconn_next(bc, &f) == BCONN_LOST);
	CHECK(!bconn_connected(bc));
	close(peer);
}

/* Connected: LOGIN goes out whole; frames come in one by one; the
 * broker closing is BCONN_LOST, and the link is closed. */
static void frames_then_lost(void)
{
	static struct bconn bc;
	char buf[FRAME_MAX];
	struct frame f;
	int lfd = listen_at(path);
	CHECK(lfd >= 0);
	bconn_init(&bc, path, 30);
	CHECK(bconn_backoff(&bc, 0) == 1);
	CHECK(bconn_retry(&bc, 100) == BCONN_CONNECTED);
	int peer = accept(lfd, NULL, NULL);
	CHECK(peer >= 0);
	CHECK(bconn_login(&bc, "ann", "lobby", 1, "127.0.0.1 4000") == 0);
	CHECK(bconn_events(&bc) & POLLOUT);
	bconn_flush(&bc);
	CHECK(bconn_pending(&bc) == 0);
	CHECK(read_frame(peer, buf, sizeof buf, &f) > 0);
	CHECK(f.type == FRAME_LOGIN && (f.flags & FRAME_REJOIN) &&
	      NATTER_PROTOCOL_OF(f.flags) == NATTER_PROTOCOL_VERSION);
	CHECK(f.alen == 3 && memcmp(f.a, "ann", 3) == 0);
	CHECK(f.blen == 5 && memcmp(f.b, "lobby", 5) == 0);
	CHECK(f.textlen == 14 && memcmp(f.text, "127.0.0.1 4000", 14) == 0);

	/* two frames and half of a third, in one write */
	char out[3 * FRAME_MAX];
	int n1 = frame_encode_str(out, FRAME_OK, FRAME_MARKS_LAST, NULL, NULL,
				  NULL);
	int n2 = frame_encode_str(out + n1, FRAME_MSG, 0, "bob", "lobby",
				  "hi");
	int n3 = frame_encode_str(out + n1 + n2, FRAME_INFO, 0, NULL, NULL,
				  "later");
	CHECK(write(peer, out, (size_t)(n1 + n2 + n3 / 2)) ==
	      n1 + n2 + n3 / 2);
	wait_readable(&bc);
	CHECK(bconn_read(&bc) == BCONN_NONE);
	CHECK(bconn_next(&bc, &f) == BCONN_FRAME && f.type == FRAME_OK);
	CHECK(bconn_next(&bc, &f) == BCONN_FRAME && f.type == FRAME_MSG &&
	      f.textlen == 2);
	CHECK(bconn_next(&bc, &f) == BCONN_NONE);
	CHECK(write(peer, out + n1 + n2 + n3 / 2, (size_t)(n3 - n3 / 2)) ==
	      n3 - n3 / 2);
	wait_readable(&bc);
	CHECK(bconn_read(&bc) == BCONN_NONE);
	CHECK(bconn_next(&bc, &f) == BCONN_FRAME && f.type == FRAME_INFO &&
	      f.textlen == 5 && memcmp(f.text, "later", 5) == 0);
	CHECK(bconn_next(&bc, &f) == BCONN_NONE);

	close(peer);
	wait_readable(&bc);
	CHECK(bconn_read(&bc) == BCONN_LOST);
	CHECK(!bconn_connected(&bc) && bc.fd == -1);
	/* not connected: a frame is dropped quietly (LOGIN re-announces) */
	CHECK(bconn_send(&bc, FRAME_SAY, 0, NULL, NULL, "x", 1) == 0);
	CHECK(bconn_pending(&bc) == 0);

	CHECK(bconn_backoff(&bc, 0) == 0); /* still the same episode */
	bad_frame_is_lost(&bc, lfd);
	close(lfd);
	unlink(path);
	bconn_finish(&bc, 0);
}

/* A broker that reads nothing: the queue stops at its bound, the
 * frame that would pass it is refused and the flag says so. */
static void queue_bounded(void)
{
	static struct bconn bc;
	char text[FRAME_TEXT_MAX];
	int lfd = listen_at(path);
	CHECK(lfd >= 0);
	bconn_init(&bc, path, 30);
	CHECK(bconn_open(&bc) == 0);
	memset(text, 'x', sizeof text);
	int refused = 0;
	size_t frames = 0;
	while (!refused && frames < 1000) {
		refused = bconn_send(&bc, FRAME_SAY, 0, NULL, NULL, text,
				     sizeof text) != 0;
		frames += !refused;
	}
	CHECK(refused && bc.full);
	CHECK(bconn_pending(&bc) <= BCONN_OUTQ_MAX);
	CHECK(bconn_pending(&bc) + FRAME_HDR + 2 + sizeof text >
	      BCONN_OUTQ_MAX);
	CHECK(frames == BCONN_OUTQ_MAX / (FRAME_HDR + 2 + sizeof text));
	/* a frame too long for the protocol: refused, the queue not full */
	struct bconn other = { 0 };
	bconn_init(&other, path, 30);
	char name[FRAME_FIELD_MAX + 2];
	memset(name, 'n', FRAME_FIELD_MAX + 1);
	name[FRAME_FIELD_MAX + 1] = '\0';
	CHECK(bconn_send(&other, FRAME_SAY, 0, name, NULL, NULL, 0) == -1);
	CHECK(!other.full);
	bconn_finish(&bc, 0);
	close(lfd);
	unlink(path);
}

/* A broker that takes connections but never answers (out of
 * descriptors: they wait in its backlog): connecting works every time,
 * yet the episode's limit still ends the tries, instead of LOGIN
 * being sent again and again for ever. */
static void connects_but_never_answers(void)
{
	int lfd = listen_at(path);
	struct bconn bc = { 0 };
	CHECK(lfd >= 0);
	bconn_init(&bc, path, 10);
	CHECK(bconn_backoff(&bc, 0) == 1);
	CHECK(bconn_retry(&bc, 100) == BCONN_CONNECTED);
	bconn_close(&bc);  /* no answer in time: lost again */
	CHECK(bconn_backoff(&bc, 5000) == 0);
	CHECK(bconn_retry(&bc, 5100) == BCONN_CONNECTED);
	bconn_close(&bc);
	CHECK(bconn_backoff(&bc, 10000) == 0);
	CHECK(bconn_retry(&bc, 10100) == BCONN_GAVE_UP);
	CHECK(!bconn_connected(&bc));
	bconn_finish(&bc, 0);
	close(lfd);
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/broker", dir);
	backoff_and_give_up();
	frames_then_lost();
	queue_bounded();
	connects_but_never_answers();
	rmdir(dir);
	return UNIT_DONE();
}
