/* test_protocol.c — the broker's protocol version check and shape
 * check, on its chat layer over real UNIX sockets: a LOGIN of a version
 * it does not serve gets exactly one ERR (FATAL, with the broker's
 * version) and the connection is closed; version 3 alone is served
 * (the room log's); a frame of the wrong shape closes the connection
 * without an answer. */
#include "../../broker/chat.h"
#include "io.h"
#include "log.h"
#include "unit.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EVENTS_MAX 16

static struct peers set;
static struct chat chat;

static void pump(int timeout_ms)
{
	struct ev evs[EVENTS_MAX];
	int n = evloop_wait(set.loop, evs, EVENTS_MAX, timeout_ms);
	for (int i = 0; i < n; i++)
		ev_dispatch(&evs[i]);
	peers_flush(&set, 16);
	peers_free_dead(&set);
}

/* A handler's end of a new connection, or -1. */
static int connect_one(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	if (io_set_nonblock(sv[0], 1) != 0 || !chat_accept(&chat, sv[0])) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

static int send_frame(int fd, int type, int flags, const char *a,
		      const char *b, const char *text)
{
	char buf[FRAME_MAX];
	int n = frame_encode_str(buf, (uint8_t)type, (uint8_t)flags, a, b,
				 text);
	return n > 0 && write(fd, buf, (size_t)n) == n ? 0 : -1;
}

struct got {
	int n, eof;
	struct frame first;
	char first_text[256];
};

/* Reads what the broker sends until EOF or `want` frames came (at
 * most ~5 s). */
static void collect(int fd, struct got *g, int want)
{
	static char buf[65536];
	size_t have = 0;
	long long end = io_now_ms() + 5000;
	memset(g, 0, sizeof *g);
	while (!g->eof && io_now_ms() < end) {
		pump(10);
		ssize_t n = io_read_some(fd, buf + have, sizeof buf - have);
		if (n < 0)
			g->eof = 1;
		else
			have += (size_t)n;
		size_t off = 0;
		struct frame f;
		int k;
		g->n = 0;
		while ((k = frame_decode(buf + off, have - off, &f)) > 0) {
			if (g->n++ == 0) {
				g->first = f;
				frame_field(g->first_text,
					    sizeof g->first_text, f.text,
					    f.textlen);
			}
			off += (size_t)k;
		}
		if (want && g->n >= want)
			break;
	}
}

static void unserved_version_gets_one_err(void)
{
	struct got g;
	int fd = connect_one();
	CHECK(fd >= 0);
	/* A WHO right behind it is never answered. */
	CHECK(send_frame(fd, FRAME_LOGIN, NATTER_PROTOCOL_FLAGS(4), "ann",
			 NULL, "192.0.2.1 7") == 0);
	CHECK(send_frame(fd, FRAME_WHO, 0, NULL, NULL, NULL) == 0);
	collect(fd, &g, 0);
	CHECK(g.eof && g.n == 1 && g.first.type == FRAME_ERR);
	CHECK(g.first.flags == (FRAME_LAST | FRAME_FATAL |
				NATTER_PROTOCOL_FLAGS(NATTER_PROTOCOL_VERSION)));
	CHECK(strcmp(g.first_text, "natter-session speaks protocol 4; this "
		     "broker speaks 3: restart the session.") == 0);
	CHECK(presence_find(&chat.pres, "ann", 3) == NULL);
	close(fd);
}

static void served_versions(void)
{
	static const int flags[] = { NATTER_PROTOCOL_FLAGS(3),
				     NATTER_PROTOCOL_FLAGS(3) | FRAME_REJOIN,
				     NATTER_PROTOCOL_FLAGS(3) | FRAME_ACCOUNT,
				     NATTER_PROTOCOL_FLAGS(3) | FRAME_ACCOUNT |
				     FRAME_REJOIN };
	char name[16];
	for (int i = 0; i < (int)(sizeof flags / sizeof flags[0]); i++) {
		struct got g;
		int fd = connect_one();
		snprintf(name, sizeof name, "v%d", i);
		CHECK(fd >= 0 && send_frame(fd, FRAME_LOGIN, flags[i], name,
					    NULL, "local") == 0);
		collect(fd, &g, 1);
		CHECK(!g.eof && g.n >= 1 && g.first.type == FRAME_OK);
		CHECK(NATTER_PROTOCOL_OF(g.first.flags) ==
		      NATTER_PROTOCOL_VERSION);
		CHECK(presence_find(&chat.pres, name, 2) != NULL);
		close(fd);
		for (int k = 0; k < 100 && presence_find(&chat.pres, name, 2);
		     k++)
			pump(10);
		CHECK(presence_find(&chat.pres, name, 2) == NULL);
	}
}

/* One bad shape per handler-to-broker type, after a good LOGIN. */
static void bad_shapes_close(void)
{
	static const struct {
		int type, flags;
		const char *a, *b, *text;
	} bad[] = {
		{ FRAME_LOGIN, FRAME_FATAL, "z", NULL, NULL },
		{ FRAME_PRIV, FRAME_REJOIN, "ann", NULL, "hi" },
		{ FRAME_AWAY, 0, "x", NULL, "lunch" },
		{ FRAME_IGNORE, 0, NULL, NULL, "x" },
		{ FRAME_UNIGNORE, 0, NULL, NULL, NULL },
		{ FRAME_SAY, 0, "x", NULL, "hi" },
		{ FRAME_SAY, 0, NULL, NULL, "no number" },
		{ FRAME_PRIV, 0, "ann", "1x", "a number that is not" },
		{ FRAME_JOIN, 0, NULL, "x", "twenty" },
		{ FRAME_HISTORY, 0, NULL, NULL, "-1" },
		{ FRAME_ME, 0, NULL, "x", "waves" },
		{ FRAME_PRIV, 0, NULL, NULL, "to nobody" },
		{ FRAME_JOIN, 0, NULL, NULL, NULL },
		{ FRAME_WHO, 0, NULL, NULL, "x" },
		{ FRAME_ROOMS, FRAME_REJOIN, NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct got g;
		int fd = connect_one();
		int login = bad[i].type != FRAME_LOGIN;
		CHECK(fd >= 0);
		if (login) {
			CHECK(send_frame(fd, FRAME_LOGIN, FRAME_REJOIN |
					 NATTER_PROTOCOL_FLAGS(3), "s", NULL,
					 "local") == 0);
			collect(fd, &g, 2); /* OK, LIVE */
			CHECK(g.n == 2 && g.first.type == FRAME_OK);
		}
		CHECK(send_frame(fd, bad[i].type, bad[i].flags, bad[i].a,
				 bad[i].b, bad[i].text) == 0);
		collect(fd, &g, 0);
		CHECK(g.eof && g.n == 0);
		CHECK(presence_find(&chat.pres, "s", 1) == NULL);
		close(fd);
	}
}

int main(void)
{
	log_init("test_protocol", LOG_TO_STDERR);
	struct evloop *loop = evloop_new();
	CHECK(loop != NULL);
	if (!loop)
		return UNIT_DONE();
	peers_init(&set, loop, 65536, &chat_peer_ops, &chat);
	CHECK(chat_init(&chat, &set, NULL, NULL, 1) == 0); /* no history */
	unserved_version_gets_one_err();
	served_versions();
	bad_shapes_close();
	peers_close_all(&set);
	chat_free(&chat);
	evloop_free(loop);
	return UNIT_DONE();
}
