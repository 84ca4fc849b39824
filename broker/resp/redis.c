/* redis.c — one non-blocking connection to a Redis server (redis.h). */
#include "redis.h"

#include "../evloop.h"
#include "io.h"
#include "outq.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define REDIS_READ_CHUNK 65536

struct pending {
	redis_reply_fn fn;
	void *ctx;
};

struct redis {
	int fd;
	enum redis_state state;
	struct outq out;
	struct pending ring[REDIS_PENDING_MAX];
	size_t ring_head, ring_len;
	char *in;                 /* received, not yet a whole reply */
	size_t in_len, in_cap;
	struct resp_reader reader;
	struct resp_value *arena; /* REDIS_VALUES_MAX */
	int doomed;               /* close once this reply is handled */
	char error[REDIS_ERROR_MAX];
};

static void set_error(struct redis *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct redis *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
}

static int parse_unix(struct redis_addr *a, const char *spec, char *why,
		      size_t whysize)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->sa;
	size_t n = strlen(spec);
	if (n >= sizeof sun->sun_path) {
		snprintf(why, whysize, "socket path too long (%zu bytes, "
			 "at most %zu): %s", n, sizeof sun->sun_path - 1, spec);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, spec, n + 1);
	a->len = (socklen_t)sizeof *sun;
	return 0;
}

/* host and port out of "HOST:PORT", "[V6]:PORT" or "HOST". */
static int split_host(const char *spec, char *host, size_t hostsize,
		     const char **port)
{
	const char *colon;
	size_t hlen;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			return -1;
		hlen = (size_t)(close - spec - 1);
		spec++;
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(spec, ':');
		if (colon && strchr(spec, ':') != colon)
			return -1; /* a bare IPv6 address needs brackets */
		hlen = colon ? (size_t)(colon - spec) : strlen(spec);
	}
	if (hlen == 0 || hlen >= hostsize)
		return -1;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	*port = colon ? colon + 1 : "6379";
	return **port ? 0 : -1;
}

int redis_addr_parse(struct redis_addr *a, const char *spec, char *why,
		     size_t whysize)
{
	char host[256];
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	memset(a, 0, sizeof *a);
	snprintf(a->text, sizeof a->text, "%s", spec);
	if (spec[0] == '/')
		return parse_unix(a, spec, why, whysize);
	if (split_host(spec, host, sizeof host, &port) < 0) {
		snprintf(why, whysize, "%s: not HOST:PORT, [IPv6]:PORT or "
			 "a socket path", spec);
		return -1;
	}
	int err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		snprintf(why, whysize, "%s: %s", spec, gai_strerror(err));
		return -1;
	}
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct redis *redis_new(void)
{
	struct redis *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->arena = calloc(REDIS_VALUES_MAX, sizeof *r->arena);
	if (!r->arena) {
		free(r);
		return NULL;
	}
	r->fd = -1;
	outq_init(&r->out, REDIS_OUT_MAX);
	return r;
}

void redis_free(struct redis *r)
{
	if (!r)
		return;
	redis_close(r, "freed");
	outq_free(&r->out);
	free(r->in);
	free(r->arena);
	free(r);
}

/* The oldest waiting callback, taken off the ring. */
static struct pending take_pending(struct redis *r)
{
	struct pending p = r->ring[r->ring_head];
	r->ring_head = (r->ring_head + 1) % REDIS_PENDING_MAX;
	r->ring_len--;
	return p;
}

void redis_close(struct redis *r, const char *why)
{
	if (r->state == REDIS_CLOSED)
		return;
	if (why)
		set_error(r, "%s", why);
	close(r->fd);
	r->fd = -1;
	r->state = REDIS_CLOSED;
	outq_free(&r->out);
	r->in_len = 0;
	resp_reader_init(&r->reader);
	/* Callbacks may queue again only once reopened: the state is
	 * closed before any of them runs. */
	while (r->ring_len > 0) {
		struct pending p = take_pending(r);
		if (p.fn)
			p.fn(p.ctx, NULL);
	}
}

static void auth_reply(void *ctx, const struct resp_value *v)
{
	struct redis *r = ctx;
	if (v && v->type == RESP_ERROR) {
		set_error(r, "AUTH refused: %.*s", (int)(v->len > 100 ? 100 : v->len),
			  v->str);
		r->doomed = 1;
	}
}

int redis_open(struct redis *r, const struct redis_addr *a,
	       const char *password)
{
	if (r->state != REDIS_CLOSED)
		return 0;
	r->error[0] = '\0';
	r->doomed = 0;
	resp_reader_init(&r->reader);
	outq_init(&r->out, REDIS_OUT_MAX);
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_error(r, "%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	if (a->sa.ss_family != AF_UNIX) {
		int one = 1;
		/* Small commands must not wait for Nagle. */
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
			(void)0; /* only slower: not a failure */
	}
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0 &&
	    errno != EINPROGRESS && errno != EINTR) {
		set_error(r, "%s: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	r->fd = fd;
	r->state = REDIS_CONNECTING;
	if (password) {
		const char *argv[] = { "AUTH", password };
		if (redis_command(r, 2, argv, (size_t[]){ 4, strlen(password) },
				  auth_reply, r) < 0) {
			redis_close(r, "AUTH does not fit");
			return -1;
		}
	}
	return 0;
}

enum redis_state redis_state(const struct redis *r)
{
	return r->state;
}

int redis_fd(const struct redis *r)
{
	return r->fd;
}

unsigned redis_events(const struct redis *r)
{
	if (r->state == REDIS_CLOSED)
		return 0;
	if (r->state == REDIS_CONNECTING || outq_pending(&r->out) > 0)
		return EV_IN | EV_OUT;
	return EV_IN;
}

size_t redis_pending(const struct redis *r)
{
	return r->ring_len;
}

const char *redis_error(const struct redis *r)
{
	return r->error;
}

int redis_command(struct redis *r, int argc, const char *const *argv,
		  const size_t *lens, redis_reply_fn fn, void *ctx)
{
	char small[4096];
	size_t need = 16;
	if (r->state == REDIS_CLOSED || r->ring_len == REDIS_PENDING_MAX ||
	    argc <= 0 || argc > RESP_ARGS_MAX)
		return -1;
	for (int i = 0; i < argc; i++)
		need += 32 + lens[i];
	char *buf = need <= sizeof small ? small : malloc(need);
	if (!buf)
		return -1;
	long n = resp_encode(buf, need, argc, argv, lens);
	int rc = n < 0 ? -1 : outq_append(&r->out, buf, (size_t)n);
	if (buf != small)
		free(buf);
	if (rc < 0)
		return -1;
	r->ring[(r->ring_head + r->ring_len) % REDIS_PENDING_MAX] =
	    (struct pending){ fn, ctx };
	r->ring_len++;
	return 0;
}

/* CONNECTING and the socket says writable: did the connect work? */
static int finish_connect(struct redis *r)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		set_error(r, "connect: %s", strerror(err));
		return -1;
	}
	r->state = REDIS_UP;
	return 0;
}

/* Reads what is there; -1 when the stream ended or failed. */
static int read_in(struct redis *r)
{
	if (r->in_cap - r->in_len < REDIS_READ_CHUNK) {
		size_t cap = r->in_cap ? r->in_cap * 2 : 2 * REDIS_READ_CHUNK;
		if (cap > REDIS_IN_MAX + REDIS_READ_CHUNK)
			cap = REDIS_IN_MAX + REDIS_READ_CHUNK;
		if (cap - r->in_len < REDIS_READ_CHUNK / 2) {
			set_error(r, "a reply longer than %d bytes",
				  REDIS_IN_MAX);
			return -1;
		}
		char *p = realloc(r->in, cap);
		if (!p) {
			set_error(r, "out of memory for a reply");
			return -1;
		}
		r->in = p;
		r->in_cap = cap;
	}
	ssize_t n = io_read_some(r->fd, r->in + r->in_len,
				 r->in_cap - r->in_len);
	if (n < 0) {
		set_error(r, "%s", errno == EPIPE ? "the server closed the "
			  "connection" : strerror(errno));
		return -1;
	}
	r->in_len += (size_t)n;
	return 0;
}

/* Hands every complete reply to its callback; -1 on a broken stream. */
static int dispatch(struct redis *r)
{
	size_t used = 0;
	int rc = 0;
	while (used < r->in_len && !r->doomed) {
		long n = resp_scan(&r->reader, r->in + used, r->in_len - used,
				   REDIS_VALUES_MAX);
		if (n == RESP_NEED_MORE)
			break;
		if (n == RESP_BAD || r->ring_len == 0) {
			set_error(r, n == RESP_BAD ? "a reply that is not RESP"
				  : "a reply to no command");
			rc = -1;
			break;
		}
		struct resp_value *v = resp_decode(r->in + used, (size_t)n,
						   r->arena);
		struct pending p = take_pending(r);
		if (p.fn)
			p.fn(p.ctx, v);
		if (r->state == REDIS_CLOSED)
			return -1; /* the callback closed the link */
		used += (size_t)n;
		resp_reader_init(&r->reader);
	}
	if (r->doomed) {
		r->doomed = 0;
		rc = -1;
	}
	memmove(r->in, r->in + used, r->in_len - used);
	r->in_len -= used;
	if (r->reader.pos > r->in_len)
		resp_reader_init(&r->reader);
	return rc;
}

int redis_ready(struct redis *r, unsigned events)
{
	if (r->state == REDIS_CLOSED)
		return -1;
	if (r->state == REDIS_CONNECTING) {
		if (!(events & (EV_OUT | EV_ERR)))
			return 0;
		if (finish_connect(r) < 0)
			goto lost;
	}
	if ((events & (EV_OUT | EV_ERR)) &&
	    outq_flush(&r->out, r->fd, 1) < 0) {
		set_error(r, "write: %s", strerror(errno));
		goto lost;
	}
	if (events & (EV_IN | EV_ERR)) {
		if (read_in(r) < 0 || dispatch(r) < 0)
			goto lost;
	}
	return 0;
lost:
	redis_close(r, NULL);
	return -1;
}
