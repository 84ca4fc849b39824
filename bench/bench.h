/* bench.h — small helpers shared by the load generators in bench/.
 *
 * Each bench/NAME.c is its own program (the Makefile builds one binary
 * per file), so what they share lives here as static functions.  Only
 * loopback targets are accepted: the load generators never send traffic
 * anywhere else. */
#ifndef NATTER_BENCH_H
#define NATTER_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

/* Nanoseconds from the monotonic clock (shared by every process on the
 * machine, so a time stamp written into a message can be compared). */
static inline int64_t bench_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void bench_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(111);
}

/* Raises the soft descriptor limit to the hard one: 1,000 members need
 * 1,000 sockets.  Returns the new soft limit. */
static inline long bench_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	return (long)rl.rlim_cur;
}

/* Fills *ss with host:port when host is a loopback address (127.0.0.0/8
 * or ::1).  Returns 0, or -1 with a reason in *why. */
static inline int bench_loopback_addr(const char *host, const char *port,
    struct sockaddr_storage *ss, socklen_t *len, const char **why)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char *end;
	long p;

	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535) {
		*why = "port must be 1 to 65535";
		return -1;
	}
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
			*why = "only loopback addresses (127.0.0.0/8, ::1)";
			return -1;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
			*why = "only loopback addresses (127.0.0.0/8, ::1)";
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof *s6;
		return 0;
	}
	*why = "not a numeric address";
	return -1;
}

/* A non-blocking socket with a connect(2) under way.  Returns the
 * descriptor, or -1 with errno set. */
static inline int bench_connect(const struct sockaddr_storage *ss,
    socklen_t len)
{
	int fd, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
		goto fail;
	if (connect(fd, (const struct sockaddr *)ss, len) == -1 &&
	    errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

/* Closes with a reset instead of a FIN, so the load generator's side
 * keeps no TIME_WAIT entry (thousands of them would use up the
 * ephemeral ports). */
static inline void bench_close_reset(int fd)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	(void)close(fd);
}

/* A latency histogram in microseconds: exact below 1,024 us, then 64
 * buckets per power of two (within 1.6 %), up to 2^40 us. */
#define HIST_EXACT 1024
#define HIST_SUB 64
#define HIST_BUCKETS (HIST_EXACT + 31 * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max_us;
	uint32_t n[HIST_BUCKETS];
};

static inline unsigned hist_bucket(uint64_t us)
{
	unsigned e;

	if (us < HIST_EXACT)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us);	/* 10 or more */
	if (e > 40)
		return HIST_BUCKETS - 1;
	return HIST_EXACT + (e - 10) * HIST_SUB +
	    (unsigned)((us >> (e - 6)) & (HIST_SUB - 1));
}

/* The middle of bucket b, in microseconds. */
static inline double hist_value(unsigned b)
{
	unsigned e, sub;

	if (b < HIST_EXACT)
		return b;
	e = (b - HIST_EXACT) / HIST_SUB + 10;
	sub = (b - HIST_EXACT) % HIST_SUB;
	return ((double)(HIST_SUB + sub) + 0.5) * (double)(1ull << (e - 6));
}

static inline void hist_add(struct hist *h, int64_t ns)
{
	uint64_t us = ns > 0 ? (uint64_t)ns / 1000 : 0;

	h->n[hist_bucket(us)]++;
	h->count++;
	if (us > h->max_us)
		h->max_us = us;
}

/* The p-th percentile (0 < p <= 100) in milliseconds; 0 when empty. */
static inline double hist_pct_ms(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	unsigned b;

	if (h->count == 0)
		return 0;
	want = (uint64_t)((double)h->count * p / 100.0);
	if (want < 1)
		want = 1;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h->n[b];
		if (seen >= want)
			return hist_value(b) / 1000.0;
	}
	return (double)h->max_us / 1000.0;
}

/* Where needle first occurs in hay, or NULL (memmem(3) is a GNU
 * extension, not POSIX). */
static inline const char *bench_find(const char *hay, size_t n,
    const char *needle, size_t k)
{
	const char *p = hay, *end = hay + n;

	if (k == 0 || k > n)
		return k == 0 ? hay : NULL;
	while ((p = memchr(p, needle[0], (size_t)(end - p) - k + 1)) != NULL) {
		if (memcmp(p, needle, k) == 0)
			return p;
		p++;
		if ((size_t)(end - p) < k)
			break;
	}
	return NULL;
}

/* Parses a non-negative decimal option argument, or exits 100. */
static inline long bench_num(const char *prog, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "%s: bad number %s (0 to %ld)\n", prog, s, max);
		exit(100);
	}
	return v;
}

#endif
