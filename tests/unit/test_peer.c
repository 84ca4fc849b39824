/* test_peer.c — the broker's peer layer (broker/peer.h) on real UNIX
 * sockets: the order of its callbacks, a cut in the middle of a fanout
 * (the peer stays allocated, `gone` comes after), a cut-off peer that
 * gets its KICK and is closed, and one that does not take it in time;
 * many stalling at once log a bounded number of lines; writes paced
 * while many queues wait. */
#include "../../broker/peer.h"
#include "io.h"
#include "log.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define QUEUE_MAX 8192
#define BIG 2000          /* text bytes of one fanned-out frame */
#define ROUNDS 20         /* 40 KB each: past B's queue and socket */
#define EVENTS_MAX 64

struct tpeer {
	struct peer p;    /* first, as the chat layer has it */
	int id;
	int other;        /* the test's end of the socket pair */
};

/* What the callbacks saw, in order: "f<id>" a frame, "g<id><why>"
 * gone, "e" the end of a fanout. */
static char seen[256];
static struct tpeer *fanout_to[3];
static struct tpeer *target;   /* ME: one BIG frame to it */
static int handled;            /* ME frames handled */

static void note(const char *what)
{
	size_t n = strlen(seen);
	if (n + strlen(what) < sizeof seen)
		memcpy(seen + n, what, strlen(what) + 1);
}

static void on_frame(struct peer *p, const struct frame *f, void *arg)
{
	struct tpeer *t = (struct tpeer *)(void *)p;
	char buf[FRAME_MAX], text[BIG], what[8];
	(void)arg;
	if (f->type == FRAME_ME && target) {
		char one[FRAME_MAX], big[BIG];
		memset(big, 'y', sizeof big);
		int k = frame_encode(one, FRAME_MSG, 0, "a", 1, "r", 1, big,
				     sizeof big);
		peer_queue(&target->p, one, (size_t)k);
		handled++;
		return;
	}
	snprintf(what, sizeof what, "f%d", t->id);
	note(what);
	if (f->type != FRAME_SAY || !fanout_to[0])
		return;
	/* A fanout: the same frame to each, round after round.  One
	 * recipient cannot keep up; it is cut, but not freed, and its
	 * `gone` waits for the end of the fanout. */
	memset(text, 'x', sizeof text);
	int n = frame_encode(buf, FRAME_MSG, 0, "a", 1, "r", 1, text,
			     sizeof text);
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < 3; i++)
			peer_queue(&fanout_to[i]->p, buf, (size_t)n);
	note(fanout_to[0]->p.state == PEER_CUT ? "c" : "?");
	note("e");
}

static void on_gone(struct peer *p, enum peer_why why, void *arg)
{
	struct tpeer *t = (struct tpeer *)(void *)p;
	char what[8];
	(void)arg;
	snprintf(what, sizeof what, "g%d%c", t->id,
		 why == PEER_CLOSED ? 'C' : why == PEER_CUT_OFF ? 'K' : 'S');
	note(what);
}

static const struct peer_ops ops = { on_frame, on_gone };
static struct peers set;

static struct tpeer *add(int id, int small_sndbuf)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return NULL;
	if (small_sndbuf) {
		int one = 1;
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one,
				 sizeof one);
	}
	if (io_set_nonblock(sv[0], 1) != 0)
		return NULL;
	struct tpeer *t = (struct tpeer *)(void *)peer_new(&set, sv[0],
							    sizeof *t);
	if (!t)
		return NULL;
	t->id = id;
	t->other = sv[1];
	return t;
}

/* One pass of the broker's loop: wait, dispatch, settle, timers,
 * write. */
static void pump(int timeout_ms)
{
	struct ev evs[EVENTS_MAX];
	int n = evloop_wait(set.loop, evs, EVENTS_MAX, timeout_ms);
	for (int i = 0; i < n; i++)
		ev_dispatch(&evs[i]);
	if (set.high.head)
		peers_expire(&set, io_now_ms());
	peers_flush(&set, 16);
	peers_free_dead(&set);
}

static void send_frame(struct tpeer *t, int type, const char *text)
{
	char buf[FRAME_MAX];
	int n = frame_encode_str(buf, (uint8_t)type, 0, NULL, NULL, text);
	CHECK(n > 0 && write(t->other, buf, (size_t)n) == n);
}

/* Reads the other end to EOF (waiting at most ~5 s); the type of the
 * last whole frame, or -1. */
static int read_to_eof(struct tpeer *t, char *last_text, size_t size)
{
	static char buf[1 << 20];
	size_t have = 0;
	int fd = t->other; /* t is freed once its KICK is out */
	long long end = io_now_ms() + 5000;
	for (;;) {
		pump(10);
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		if (n == 0)
			break;
		if (n > 0)
			have += (size_t)n;
		else if (errno != EAGAIN || io_now_ms() > end)
			return -1;
	}
	struct frame f;
	int type = -1;
	for (size_t off = 0; off < have;) {
		int k = frame_decode(buf + off, have - off, &f);
		if (k <= 0)
			return -1;
		type = f.type;
		frame_field(last_text, size, f.text, f.textlen);
		off += (size_t)k;
	}
	return type;
}

/* frame ... frame, then gone exactly once, and nothing after. */
static void callbacks_in_order(void)
{
	seen[0] = '\0';
	struct tpeer *a = add(1, 0);
	CHECK(a != NULL);
	send_frame(a, FRAME_WHO, NULL);
	send_frame(a, FRAME_ROOMS, NULL);
	send_frame(a, FRAME_WHO, NULL);
	close(a->other);
	for (int i = 0; i < 20 && !strstr(seen, "g"); i++)
		pump(100);
	CHECK(strcmp(seen, "f1f1f1g1C") == 0);
	pump(0);
	CHECK(set.count == 0);
}

static void cut_mid_fanout_then_kick(void)
{
	seen[0] = '\0';
	struct tpeer *sender = add(1, 0), *b = add(2, 1), *c = add(3, 0),
		     *d = add(4, 0);
	CHECK(sender && b && c && d);
	fanout_to[0] = b;
	fanout_to[1] = c;
	fanout_to[2] = d;
	send_frame(sender, FRAME_SAY, "go");
	for (int i = 0; i < 20 && !strstr(seen, "e"); i++)
		pump(100);
	fanout_to[0] = NULL;
	/* B was cut mid-fanout ("c") and its `gone` came after the end. */
	CHECK(strcmp(seen, "f1ceg2K") == 0);
	CHECK(b->p.state == PEER_DRAIN && c->p.state == PEER_OPEN &&
	      d->p.state == PEER_OPEN);
	CHECK(set.count == 4);
	/* B's reader wakes: all it was sent, then the KICK, then EOF. */
	char text[128] = "";
	int b_other = b->other; /* b is freed once its KICK is out */
	CHECK(read_to_eof(b, text, sizeof text) == FRAME_KICK);
	CHECK(strcmp(text, "You are too far behind; disconnected.") == 0);
	CHECK(set.count == 3);
	CHECK(strcmp(seen, "f1ceg2K") == 0); /* gone once, not again */
	close(b_other);
	/* Shutting down: `gone` once more for each open peer. */
	int others[3] = { sender->other, c->other, d->other };
	peers_close_all(&set);
	CHECK(strcmp(seen, "f1ceg2Kg4Sg3Sg1S") == 0);
	CHECK(set.count == 0);
	for (int i = 0; i < 3; i++)
		close(others[i]);
}

/* A cut-off peer that never reads is closed when its time is up. */
static void drain_expires(void)
{
	seen[0] = '\0';
	struct tpeer *b = add(5, 1);
	CHECK(b != NULL);
	int b_other = b ? b->other : -1; /* b is freed below */
	peer_cut(&b->p, "testing");
	CHECK(b->p.state == PEER_CUT && strcmp(seen, "") == 0);
	peers_settle(&set);
	CHECK(b->p.state == PEER_DRAIN && strcmp(seen, "g5K") == 0);
	long long due = peers_next_deadline(&set);
	CHECK(due > 0);
	peers_expire(&set, due - 1);
	CHECK(b->p.state == PEER_DRAIN);
	peers_expire(&set, due);
	CHECK(b->p.state == PEER_DEAD && strcmp(seen, "g5K") == 0);
	CHECK(peers_next_deadline(&set) == -1);
	peers_free_dead(&set);
	CHECK(set.count == 0);
	close(b_other);
}

/* Reads what waits at t's end; the number of bytes. */
static size_t read_some(struct tpeer *t)
{
	static char buf[1 << 16];
	size_t got = 0;
	ssize_t n;
	while ((n = read(t->other, buf, sizeof buf)) > 0)
		got += (size_t)n;
	return got;
}

/* Backpressure: a sender whose frames take a queue past high water is
 * read no more (its frames wait) until that queue drains below low
 * water; then the rest are handled, and nobody is cut off.  A reader
 * that stops reading holds the sender only hold_ms, then it holds
 * nobody and is cut off at its bound. */
static void senders_held_until_the_reader_drains(void)
{
	char burst[10 * 16];
	size_t blen = 0;
	struct tpeer *s = add(6, 0), *r = add(7, 1);
	CHECK(s && r);
	CHECK(io_set_nonblock(r->other, 1) == 0);
	target = r;
	handled = 0;
	for (int i = 0; i < 10; i++) {
		int n = frame_encode_str(burst + blen, FRAME_ME, 0, NULL, NULL,
					 "x");
		blen += (size_t)n;
	}
	CHECK(write(s->other, burst, blen) == (ssize_t)blen);
	for (int i = 0; i < 20 && !s->p.held_by; i++)
		pump(10);
	CHECK(s->p.held_by == &r->p);
	CHECK(handled > 0 && handled < 10);
	CHECK(s->p.partial_len > 0);      /* the rest waits, undecoded */
	int at_hold = handled;
	pump(10);
	CHECK(handled == at_hold);        /* held: not read */
	for (int i = 0; i < 500 && handled < 10; i++) {
		read_some(r);
		pump(1);
	}
	CHECK(handled == 10);
	CHECK(!s->p.held_by && r->p.state == PEER_OPEN);
	while (read_some(r) > 0 || peer_above_high(&r->p))
		pump(1);

	/* A held sender that hangs up is read to its end (a hang-up is
	 * reported whatever is asked: ignored, it would spin the loop). */
	struct tpeer *h = add(8, 0);
	CHECK(h != NULL);
	handled = 0;
	seen[0] = '\0';
	CHECK(write(h->other, burst, blen) == (ssize_t)blen);
	for (int i = 0; i < 20 && !h->p.held_by; i++)
		pump(10);
	CHECK(h->p.held_by == &r->p && handled < 10);
	close(h->other);
	long long t0 = io_now_ms();
	for (int i = 0; i < 10; i++)
		pump(10);
	CHECK(handled == 10 && strcmp(seen, "g8C") == 0);
	CHECK(io_now_ms() - t0 >= 50); /* it waited: no spinning */
	for (int i = 0; i < 500 && peer_above_high(&r->p); i++) {
		read_some(r);
		pump(1);
	}
	while (read_some(r) > 0)
		pump(1);

	/* Now r reads nothing: after hold_ms it holds nobody. */
	set.hold_ms = 50;
	handled = 0;
	CHECK(write(s->other, burst, blen) == (ssize_t)blen);
	for (int i = 0; i < 100 && handled < 10; i++)
		pump(10);
	CHECK(handled == 10);
	CHECK(r->p.stalled || r->p.state != PEER_OPEN);
	CHECK(!s->p.held_by);
	target = NULL;
	set.hold_ms = PEER_HOLD_MS;
	int others[2] = { s->other, r->other };
	peers_close_all(&set);
	close(others[0]);
	close(others[1]);
}

/* Pacing: with pace_min peers or more, a queue written less than
 * pace_ms ago waits for its turn (set.pace_due); with fewer peers, or
 * from low water up, it goes at once, and so does an idle one. */
static void writes_paced_while_many_wait(void)
{
	char one[FRAME_MAX], big[BIG];
	struct tpeer *a = add(20, 0), *b = add(21, 0);
	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK(io_set_nonblock(a->other, 1) == 0 &&
	      io_set_nonblock(b->other, 1) == 0);
	int n = frame_encode_str(one, FRAME_MSG, 0, "a", "r", "hi");
	CHECK(n > 0);
	set.pace_ms = 60000; /* far from any machine's stall */
	set.pace_min = 2;
	a->p.written = b->p.written = io_now_ms() - set.pace_ms;
	peer_queue(&a->p, one, (size_t)n);
	peer_queue(&b->p, one, (size_t)n);
	long long t0 = io_now_ms();
	peers_flush(&set, 16); /* idle ones: at once */
	CHECK(read_some(a) == (size_t)n && read_some(b) == (size_t)n);
	peer_queue(&a->p, one, (size_t)n);
	peer_queue(&b->p, one, (size_t)n);
	CHECK(peers_flush(&set, 16) == 0); /* written just now: paced */
	CHECK(read_some(a) == 0 && read_some(b) == 0);
	CHECK(set.pace_due >= t0 + set.pace_ms &&
	      set.pace_due <= io_now_ms() + set.pace_ms);
	set.pace_min = set.count + 1; /* fewer peers than that: at once */
	CHECK(peers_flush(&set, 16) == 1);
	CHECK(read_some(a) == (size_t)n && read_some(b) == (size_t)n);
	set.pace_min = 2;
	memset(big, 'y', sizeof big);
	int k = frame_encode(one, FRAME_MSG, 0, "a", 1, "r", 1, big,
			     sizeof big);
	peer_queue(&a->p, one, (size_t)k); /* a past low water */
	peer_queue(&a->p, one, (size_t)k);
	frame_encode_str(one, FRAME_MSG, 0, "a", "r", "hi");
	peer_queue(&b->p, one, (size_t)n);
	peers_flush(&set, 16);
	CHECK(read_some(a) == 2 * (size_t)k && read_some(b) == 0);
	b->p.written -= set.pace_ms; /* its turn comes */
	CHECK(peers_flush(&set, 16) == 1);
	CHECK(read_some(b) > 0);
	set.pace_ms = PEER_PACE_MS;
	set.pace_min = PEER_PACE_MIN;
	int others[2] = { a->other, b->other };
	peers_close_all(&set);
	close(others[0]);
	close(others[1]);
}

/* A queue cut short by a full socket, behind a paced one: once its
 * socket drains the loop learns it once, not at every wait until the
 * turn comes (level-triggered EV_OUT, a busy loop of up to pace_ms). */
static void writable_behind_a_paced_queue_wakes_once(void)
{
	char one[FRAME_MAX], big[BIG];
	struct ev evs[EVENTS_MAX];
	struct tpeer *a = add(22, 0), *b = add(23, 1);
	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK(io_set_nonblock(a->other, 1) == 0 &&
	      io_set_nonblock(b->other, 1) == 0);
	set.pace_ms = 60000;
	set.pace_min = 2;
	memset(big, 'z', sizeof big);
	int k = frame_encode(one, FRAME_MSG, 0, "a", 1, "r", 1, big,
			     sizeof big);
	b->p.written = io_now_ms() - set.pace_ms;
	for (int i = 0; i < 3; i++) /* more than its small buffer takes */
		peer_queue(&b->p, one, (size_t)k);
	peers_flush(&set, 16); /* b's socket takes only part of it */
	CHECK(outq_pending(&b->p.out) > 0);
	int n = frame_encode_str(one, FRAME_MSG, 0, "a", "r", "hi");
	a->p.written = io_now_ms();
	peer_queue(&a->p, one, (size_t)n); /* a: dirty first, and paced */
	CHECK(read_some(b) > 0); /* b's socket drains */
	int woke = evloop_wait(set.loop, evs, EVENTS_MAX, 1000);
	for (int i = 0; i < woke; i++)
		ev_dispatch(&evs[i]);
	CHECK(woke == 1 && b->p.writable);
	CHECK(peers_flush(&set, 16) == 0); /* a's turn is not yet: b waits */
	CHECK(evloop_wait(set.loop, evs, EVENTS_MAX, 0) == 0);
	set.pace_min = set.count + 1; /* the turn, and b is written */
	peers_flush(&set, 16);
	CHECK(read_some(b) > 0 && read_some(a) == (size_t)n);
	set.pace_ms = PEER_PACE_MS;
	set.pace_min = PEER_PACE_MIN;
	int others[2] = { a->other, b->other };
	peers_close_all(&set);
	close(others[0]);
	close(others[1]);
}

/* How many times needle occurs in hay. */
static int occurs(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Many handlers stalling at once (thousands of sessions descheduled on
 * a loaded machine) log PEER_STALL_LOGS "is not reading" lines in a
 * second, then one line with the rest's count, not one line each. */
static void stalls_logged_at_a_bound(void)
{
	enum { N = PEER_STALL_LOGS * 3 };
	static char text[65536];
	struct tpeer *r[N];
	char one[FRAME_MAX], big[BIG];
	memset(big, 'z', sizeof big);
	int k = frame_encode(one, FRAME_MSG, 0, "a", 1, "r", 1, big,
			     sizeof big);
	char path[] = "/tmp/test_peer_log.XXXXXX";
	int logfd = mkstemp(path), saved = dup(2);
	CHECK(k > 0 && logfd >= 0 && saved >= 0);
	(void)unlink(path);
	fflush(stderr);
	CHECK(dup2(logfd, 2) == 2);
	/* a fresh second (drain_expires ran the clock ahead) */
	set.stalls.window = 0;
	set.stalls.logged = set.stalls.hidden = 0;
	set.hold_ms = 20;
	for (int i = 0; i < N; i++) {
		r[i] = add(100 + i, 1);
		CHECK(r[i] != NULL);
		for (int j = 0; r[i] && j < 20 && !peer_above_high(&r[i]->p);
		     j++)
			peer_queue(&r[i]->p, one, (size_t)k);
	}
	long long t0 = io_now_ms();
	while (io_now_ms() - t0 < 60)
		pump(10);

	peers_expire(&set, io_now_ms() + 2100); /* that second is over */
	fflush(stderr);
	CHECK(dup2(saved, 2) == 2);
	ssize_t got = pread(logfd, text, sizeof text - 1, 0);
	CHECK(got > 0);
	text[got > 0 ? got : 0] = '\0';
	CHECK(occurs(text, "is not reading") == PEER_STALL_LOGS);
	CHECK(occurs(text, "20 more handlers not reading") == 1);
	set.hold_ms = PEER_HOLD_MS;
	for (int i = 0; i < N; i++)
		if (r[i])
			close(r[i]->other);
	peers_close_all(&set);
	close(logfd);
	close(saved);
}

int main(void)
{
	log_init("test_peer", LOG_TO_STDERR);
	struct evloop *loop = evloop_new();
	CHECK(loop != NULL);
	if (!loop)
		return UNIT_DONE();
	peers_init(&set, loop, QUEUE_MAX, &ops, NULL);
	callbacks_in_order();
	cut_mid_fanout_then_kick();
	drain_expires();
	senders_held_until_the_reader_drains();
	stalls_logged_at_a_bound();
	writes_paced_while_many_wait();
	writable_behind_a_paced_queue_wakes_once();
	evloop_free(loop);
	return UNIT_DONE();
}
