/* proxywait.c — see proxywait.h. */
#include "proxywait.h"
#include "addr.h"
#include "io.h"
#include "admit.h"
#include "launchers.h"
#include "log.h"
#include "proxy.h"
#include "ratelog.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct waiting {
	int fd;                  /* -1: free slot */
	int li;
	long long deadline;
	size_t have;             /* header bytes consumed so far */
	unsigned char buf[PROXY_HEADER_MAX];
	char peer[ADDR_TEXT_MAX];
};

static struct {
	proxywait_admit_fn *admit;
	struct waiting w[PROXY_WAIT_MAX];
	int n;                   /* slots in use */
	struct ratelog refusals;
} P = { .refusals = { "PROXY connections refused", REFUSALS_LOGGED_PER_S,
		      0, 0, 0 } };

void proxywait_init(proxywait_admit_fn *admit)
{
	P.admit = admit;
	P.refusals.window = io_now_ms();
	for (int i = 0; i < PROXY_WAIT_MAX; i++)
		P.w[i].fd = -1;
}

/* Closes fd with one line saying why (rate-bounded). */
static void refuse(int fd, const char *peer, const char *why, long long now)
{
	if (ratelog_take(&P.refusals, now))
		log_msg(LOG_NOTICE, "PROXY connection from %s refused: %s",
			peer, why);
	close(fd);
}

static void drop(struct waiting *w, const char *why, long long now)
{
	refuse(w->fd, w->peer, why, now);
	w->fd = -1;
	P.n--;
}

void proxywait_add(int fd, int li, const struct sockaddr *peer,
		   long long now)
{
	char text[ADDR_TEXT_MAX];
	addr_format(peer, text, sizeof text);
	if (!addr_is_loopback(peer)) {
		refuse(fd, text, "not from a trusted address (loopback)", now);
		return;
	}
	for (int i = 0; i < PROXY_WAIT_MAX; i++) {
		struct waiting *w = &P.w[i];
		if (w->fd >= 0)
			continue;
		*w = (struct waiting){ .fd = fd, .li = li,
				       .deadline = now + PROXY_WAIT_MS };
		memcpy(w->peer, text, sizeof w->peer);
		P.n++;
		return;
	}
	refuse(fd, text, "too many waiting for their header", now);
}

int proxywait_pollfds(struct pollfd *pfd)
{
	int k = 0;
	if (P.n == 0 || launchers_pick() < 0)
		return 0; /* a header read now could not be admitted */
	for (int i = 0; i < PROXY_WAIT_MAX; i++)
		if (P.w[i].fd >= 0)
			pfd[k++] = (struct pollfd){ .fd = P.w[i].fd,
						    .events = POLLIN };
	return k;
}

/* Consumes exactly n bytes already seen with MSG_PEEK. */
static int consume(struct waiting *w, size_t n)
{
	ssize_t r;
	do
		r = recv(w->fd, w->buf + w->have, n, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n)
		return -1;
	w->have += n;
	return 0;
}

/* The header's addresses, or the socket's own for LOCAL/UNKNOWN. */
static void admit_header(struct waiting *w, const struct proxy_header *h,
			 long long now)
{
	struct sockaddr_storage own;
	socklen_t len = sizeof own;
	int fd = w->fd, li = w->li;
	w->fd = -1;
	P.n--;
	if (!h->local) {
		P.admit(fd, li, (const struct sockaddr *)&h->src,
			(const struct sockaddr *)&h->dst, now);
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&own, &len) != 0) {
		refuse(fd, w->peer, strerror(errno), now);
		return;
	}
	P.admit(fd, li, (const struct sockaddr *)&own, NULL, now);
}

/* Reads what has come of w's header; admits or refuses once it can. */
static void step(struct waiting *w, long long now)
{
	struct proxy_header h;
	ssize_t got;
	do
		got = recv(w->fd, w->buf + w->have, sizeof w->buf - w->have,
			   MSG_PEEK | MSG_DONTWAIT);
	while (got < 0 && errno == EINTR);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (got <= 0) {
		drop(w, got == 0 ? "closed before its header" :
			strerror(errno), now);
		return;
	}
	int r = proxy_parse(w->buf, w->have + (size_t)got, &h);
	if (r < 0) {
		drop(w, "malformed or oversized header", now);
		return;
	}
	/* a whole header: its rest; a beginning: all of it (no byte
	 * after the header can be among what is there) */
	size_t take = r == 1 ? h.len - w->have : (size_t)got;
	if (consume(w, take) != 0) {
		drop(w, "header lost while read", now);
		return;
	}
	if (r == 1)
		admit_header(w, &h, now);
}

void proxywait_ready(const struct pollfd *pfd, int n, long long now)
{
	for (int k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		for (int i = 0; i < PROXY_WAIT_MAX; i++)
			if (P.w[i].fd == pfd[k].fd && launchers_pick() >= 0)
				step(&P.w[i], now);
	}
}

long long proxywait_due(long long now)
{
	long long due = ratelog_due(&P.refusals);
	if (due >= 0)
		due = due > now ? due - now : 0;
	for (int i = 0; i < PROXY_WAIT_MAX && P.n; i++) {
		long long t = P.w[i].deadline - now;
		if (P.w[i].fd >= 0 && (due < 0 || t < due))
			due = t < 0 ? 0 : t;
	}
	return due;
}

void proxywait_tick(long long now)
{
	for (int i = 0; i < PROXY_WAIT_MAX && P.n; i++)
		if (P.w[i].fd >= 0 && now >= P.w[i].deadline)
			drop(&P.w[i], "no complete header in time", now);
	ratelog_flush(&P.refusals, now);
}

void proxywait_forget(void)
{
	for (int i = 0; i < PROXY_WAIT_MAX; i++)
		if (P.w[i].fd >= 0) {
			close(P.w[i].fd);
			P.w[i].fd = -1;
		}
	P.n = 0;
}

int proxywait_idle(void)
{
	return P.n == 0;
}
