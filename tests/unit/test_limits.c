/* test_limits.c — natterd's admission limits (supervisor/limits.c):
 * what a "source" is, the per-source session count (-p), the rate
 * bucket (-r), the loopback exemption (-A) and the session limit (-c).
 *
 * limits_admit looks only at the sockaddr it is given, so documentation
 * addresses (2001:db8::/32, 192.0.2.0/24) stand in for real peers: the
 * host's single IPv6 loopback address could never show /64 grouping.
 *
 * limits_init allocates a table once per process and has no inverse,
 * so each case runs in its own child: every case starts from a fresh
 * table, and none leaks one (check-asan runs these tests). */
#include "../../supervisor/config.h"
#include "../../supervisor/limits.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_storage ss;

/* A peer's address, for limits_admit; the text must parse. */
static const struct sockaddr *peer(const char *text)
{
	memset(&ss, 0, sizeof ss);
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(50000);
		if (inet_pton(AF_INET6, text, &in6->sin6_addr) != 1)
			abort();
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(50000);
		if (inet_pton(AF_INET, text, &in->sin_addr) != 1)
			abort();
	}
	return (const struct sockaddr *)&ss;
}

static struct {
	int source;
	unsigned retry;
} last;

/* One connection from text while 0 sessions are open, at now ms. */
static enum admission admit_at(const char *text, long long now)
{
	last.source = -2;
	last.retry = 0;
	return limits_admit(peer(text), 0, now, &last.source, &last.retry);
}

static enum admission admit(const char *text)
{
	return admit_at(text, 1000000);
}

/* limits_init with -c max, -p per, -r burst/seconds, and -A if loopback. */
static int setup(unsigned max, unsigned per, unsigned burst,
		 unsigned seconds, int loopback)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.max_sessions = max;
	cfg.max_per_source = per;
	cfg.rate_burst = burst;
	cfg.rate_seconds = seconds;
	cfg.limit_loopback = loopback;
	return limits_init(&cfg);
}

/* -p: IPv6 addresses share a source exactly when their first 64 bits
 * agree.  The pairs differ just on each side of bit 64, so a /48, /56
 * or /128 grouping fails one of them. */
static void v6_per_source(void)
{
	CHECK(setup(256, 2, 0, 0, 1) == 0);
	CHECK(admit("2001:db8:0:1::1") == ADMIT && last.source >= 0);
	int s = last.source;
	/* Another host (bit 64 and the last bit differ) in that /64. */
	CHECK(admit("2001:db8:0:1:8000::2") == ADMIT && last.source == s);
	CHECK(admit("2001:db8:0:1:ffff:ffff:ffff:ffff") == REFUSE_SOURCE);
	CHECK(last.retry == RETRY_BUSY_SECONDS && last.source == -1);
	CHECK(admit("2001:db8:0:1::1") == REFUSE_SOURCE);
	/* The neighbouring /64 (bit 63 differs) is a source of its own. */
	CHECK(admit("2001:db8:0:0::1") == ADMIT && last.source != s);
	CHECK(admit("2001:db8:0:3::1") == ADMIT && last.source != s);
	/* Released by one address, the slot is free for its whole /64. */
	limits_release(s);
	CHECK(admit("2001:db8:0:1::abcd") == ADMIT && last.source == s);
	CHECK(admit("2001:db8:0:1::1") == REFUSE_SOURCE);
}

/* -r 2/10: one bucket per /64, a token every 5 s. */
static void v6_rate(void)
{
	CHECK(setup(256, 0, 2, 10, 1) == 0);
	long long t = 5000000;
	CHECK(admit_at("2001:db8:a:b::1", t) == ADMIT);
	CHECK(admit_at("2001:db8:a:b::2", t) == ADMIT);
	CHECK(admit_at("2001:db8:a:b:1:2:3:4", t) == REFUSE_RATE);
	CHECK(last.retry == 5 && last.source == -1);
	CHECK(admit_at("2001:db8:a:c::1", t) == ADMIT);
	CHECK(admit_at("2001:db8:a:a::1", t) == ADMIT);
	/* The next token for 2001:db8:a:b::/64 is due at t + 5 s. */
	CHECK(admit_at("2001:db8:a:b::3", t + 4001) == REFUSE_RATE);
	CHECK(last.retry == 1);
	CHECK(admit_at("2001:db8:a:b::3", t + 5000) == ADMIT);
	CHECK(admit_at("2001:db8:a:b::1", t + 5000) == REFUSE_RATE);
	/* Idle for a whole period, it earns its full burst back. */
	t += 20000;
	CHECK(admit_at("2001:db8:a:b::4", t) == ADMIT);
	CHECK(admit_at("2001:db8:a:b::5", t) == ADMIT);
	CHECK(admit_at("2001:db8:a:b::6", t) == REFUSE_RATE);
}

/* The refill is exact, whatever SECONDS/BURST comes to: -r 2000/1 is
 * two tokens a millisecond (not one: a whole millisecond per token was
 * the old floor), and -r 3/10 is a token every 3333 1/3 ms, which adds
 * up over three tokens to exactly 10 s. */
static void rate_exact(void)
{
	CHECK(setup(256, 0, 2000, 1, 1) == 0);
	long long t = 7000000;
	int ok = 1;
	for (int i = 0; i < 2000; i++)
		ok &= admit_at("192.0.2.9", t) == ADMIT;
	CHECK(ok);
	CHECK(admit_at("192.0.2.9", t) == REFUSE_RATE && last.retry == 1);
	CHECK(admit_at("192.0.2.9", t + 1) == ADMIT);
	CHECK(admit_at("192.0.2.9", t + 1) == ADMIT);
	CHECK(admit_at("192.0.2.9", t + 1) == REFUSE_RATE);
	/* 1000 ms on: 2000 more, no fewer. */
	ok = 1;
	for (int i = 0; i < 2000; i++)
		ok &= admit_at("192.0.2.9", t + 1001) == ADMIT;
	CHECK(ok);
	CHECK(admit_at("192.0.2.9", t + 1001) == REFUSE_RATE);
}

static void rate_thirds(void)
{
	CHECK(setup(256, 0, 3, 10, 1) == 0);
	long long t = 9000000;
	for (int i = 0; i < 3; i++)
		CHECK(admit_at("192.0.2.7", t) == ADMIT);
	CHECK(admit_at("192.0.2.7", t) == REFUSE_RATE && last.retry == 4);
	CHECK(admit_at("192.0.2.7", t + 3333) == REFUSE_RATE);
	CHECK(admit_at("192.0.2.7", t + 3334) == ADMIT);
	CHECK(admit_at("192.0.2.7", t + 6666) == REFUSE_RATE);
	CHECK(admit_at("192.0.2.7", t + 6667) == ADMIT);
	/* The third token is due at t + 10 s exactly, not 1 ms early. */
	CHECK(admit_at("192.0.2.7", t + 9999) == REFUSE_RATE);
	CHECK(last.retry == 1);
	CHECK(admit_at("192.0.2.7", t + 10000) == ADMIT);
}

/* man/natterd.8: "A source is an IPv4 address": not its /24. */
static void v4_per_address(void)
{
	CHECK(setup(256, 1, 2, 10, 1) == 0);
	CHECK(admit("192.0.2.1") == ADMIT && last.source >= 0);
	int s = last.source;
	CHECK(admit("192.0.2.1") == REFUSE_SOURCE);
	CHECK(admit("192.0.2.2") == ADMIT && last.source != s);
	CHECK(admit("192.0.2.0") == ADMIT);
	CHECK(admit("198.51.100.1") == ADMIT);
	/* Its rate bucket is its own too: 192.0.2.1 has one token left. */
	limits_release(s);
	CHECK(admit("192.0.2.1") == ADMIT);
	limits_release(s);
	CHECK(admit("192.0.2.1") == REFUSE_RATE);
	CHECK(admit("192.0.2.3") == ADMIT);
}

/* addr.h: an IPv4 address mapped into IPv6 (a dual-stack listener's
 * view of an IPv4 peer) is the same source as the IPv4 address, and
 * does not join the ::ffff:0:0/64 "network" of every IPv4 peer. */
static void v4_mapped(void)
{
	CHECK(setup(256, 1, 0, 0, 1) == 0);
	CHECK(admit("192.0.2.1") == ADMIT);
	int s = last.source;
	CHECK(admit("::ffff:192.0.2.1") == REFUSE_SOURCE);
	CHECK(admit("::ffff:192.0.2.2") == ADMIT && last.source != s);
	CHECK(admit("192.0.2.2") == REFUSE_SOURCE);
	limits_release(s);
	CHECK(admit("::ffff:192.0.2.1") == ADMIT && last.source == s);
	CHECK(admit("192.0.2.1") == REFUSE_SOURCE);
	/* Not the IPv4-compatible form, nor the /64 that holds it. */
	CHECK(admit("::c000:201") == ADMIT && last.source != s);
}

/* Without -A loopback is untracked; with it each loopback address is
 * a source like any other (::1 and the whole of 127.0.0.0/8). */
static void loopback(int limit)
{
	CHECK(setup(256, 1, 1, 10, limit) == 0);
	const char *lo[] = { "127.0.0.1", "127.1.2.3", "::1",
			     "::ffff:127.0.0.1" };
	for (size_t i = 0; i < sizeof lo / sizeof lo[0]; i++) {
		if (i == 3 && limit) {
			/* With -A, mapped 127.0.0.1 is 127.0.0.1 (open). */
			CHECK(admit(lo[i]) == REFUSE_SOURCE);
			continue;
		}
		CHECK(admit(lo[i]) == ADMIT &&
		      (limit ? last.source >= 0 : last.source == -1));
		CHECK(admit(lo[i]) == (limit ? REFUSE_SOURCE : ADMIT));
	}
	/* A non-loopback neighbour is limited either way. */
	CHECK(admit("128.0.0.1") == ADMIT && last.source >= 0);
	CHECK(admit("128.0.0.1") == REFUSE_SOURCE);
	CHECK(admit("2001:db8::1") == ADMIT && last.source >= 0);
	CHECK(admit("2001:db8::1") == REFUSE_SOURCE);
}

static void loopback_exempt(void)
{
	loopback(0);
}

static void loopback_limited(void)
{
	loopback(1);
}

/* limits_release gives the slot back, once: a second release (or one
 * of -1, an untracked connection) must not raise the limit. */
static void release(void)
{
	CHECK(setup(256, 1, 0, 0, 1) == 0);
	CHECK(admit("2001:db8::1") == ADMIT);
	int s = last.source;
	CHECK(admit("2001:db8::1") == REFUSE_SOURCE);
	limits_release(s);
	CHECK(admit("2001:db8::1") == ADMIT && last.source == s);
	limits_release(s);
	limits_release(s);
	limits_release(-1);
	CHECK(admit("2001:db8::1") == ADMIT);
	CHECK(admit("2001:db8::1") == REFUSE_SOURCE);
}

/* -c: at max sessions every source is refused, loopback too, and the
 * refusal costs the source no token; a per-source refusal neither. */
static void full(void)
{
	CHECK(setup(3, 1, 2, 10, 0) == 0);
	int src = -2;
	unsigned retry = 0;
	const char *who[] = { "192.0.2.9", "2001:db8::9", "127.0.0.1", "::1" };
	for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
		CHECK(limits_admit(peer(who[i]), 3, 0, &src, &retry) ==
		      REFUSE_FULL);
		CHECK(retry == RETRY_BUSY_SECONDS && src == -1);
		CHECK(limits_admit(peer(who[i]), 4, 0, &src, &retry) ==
		      REFUSE_FULL);
	}
	CHECK(limits_admit(peer("192.0.2.9"), 2, 0, &src, &retry) == ADMIT);
	int s = src;
	CHECK(limits_admit(peer("192.0.2.9"), 2, 0, &src, &retry) ==
	      REFUSE_SOURCE);
	limits_release(s);
	/* Two tokens in all: the refusals above took none. */
	CHECK(limits_admit(peer("192.0.2.9"), 2, 0, &src, &retry) == ADMIT);
	limits_release(s);
	CHECK(limits_admit(peer("192.0.2.9"), 2, 0, &src, &retry) ==
	      REFUSE_RATE);
}

/* Neither -p nor -r: nothing is tracked, only -c counts. */
static void untracked(void)
{
	CHECK(setup(2, 0, 0, 0, 1) == 0);
	int ok = 1;
	for (int i = 0; i < 100; i++)
		if (admit("192.0.2.1") != ADMIT || last.source != -1)
			ok = 0;
	CHECK(ok);
	int src;
	unsigned retry;
	CHECK(limits_admit(peer("192.0.2.1"), 2, 0, &src, &retry) ==
	      REFUSE_FULL);
}

/* The i-th of the many sources table_full churns through. */
static const char *churned(int i)
{
	static char text[32];
	snprintf(text, sizeof text, "198.18.%d.%d", i / 256, i % 256);
	return text;
}

/* The table (1024 entries for -c 4) overflows: no new source is
 * refused for room, the least recently seen idle source is forgotten,
 * and a source with a session open never is. */
static void table_full(void)
{
	CHECK(setup(4, 1, 1, 3600, 1) == 0);
	int src;
	unsigned retry;
	CHECK(limits_admit(peer("2001:db8:ffff::1"), 0, 0, &src, &retry) ==
	      ADMIT);
	int ok = 1;
	for (int i = 0; i < 3000; i++) {
		if (limits_admit(peer(churned(i)), 1, 1 + i, &src,
				 &retry) != ADMIT)
			ok = 0;
		limits_release(src);
	}
	CHECK(ok);
	/* Left: the open one and the last 1023, 1977 to 2999, each with
	 * its one token spent for an hour. */
	long long now = 5000;
	CHECK(limits_admit(peer("2001:db8:ffff::2"), 1, now, &src, &retry) ==
	      REFUSE_SOURCE);
	CHECK(limits_admit(peer(churned(2998)), 1, now, &src, &retry) ==
	      REFUSE_RATE);
	CHECK(limits_admit(peer(churned(1977)), 1, now, &src, &retry) ==
	      REFUSE_RATE);
	/* Forgotten, and with it the rate history; coming back, 1976
	 * pushes out the least recently seen, 1978. */
	CHECK(limits_admit(peer(churned(1976)), 1, now, &src, &retry) ==
	      ADMIT);
	CHECK(limits_admit(peer(churned(1979)), 1, now, &src, &retry) ==
	      REFUSE_RATE);
	CHECK(limits_admit(peer(churned(1978)), 1, now, &src, &retry) ==
	      ADMIT);
	CHECK(limits_admit(peer(churned(0)), 1, now, &src, &retry) == ADMIT);
}

static void messages(void)
{
	char buf[128];
	CHECK(limits_message(buf, sizeof buf, REFUSE_FULL, 10) > 0 &&
	      strcmp(buf, "natterd: too many connections; "
		     "try again in 10 seconds\r\n") == 0);
	CHECK(limits_message(buf, sizeof buf, REFUSE_RATE, 1) > 0 &&
	      strcmp(buf, "natterd: connecting too often from your address; "
		     "try again in 1 second\r\n") == 0);
	CHECK(strcmp(limits_reason(REFUSE_SOURCE),
		     "too many connections from your address") == 0);
}

/* Runs one case in a child with fresh limits; a child that dies or
 * exits non-zero fails the test. */
static void run(const char *name, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		unit_failed = 1;
		return;
	}
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(unit_failed);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			unit_failed = 1;
			return;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
			printf("FAIL %s: child status %#x\n", name, st);
		unit_failed = 1;
	}
}

int main(void)
{
	run("v6_per_source", v6_per_source);
	run("v6_rate", v6_rate);
	run("rate_exact", rate_exact);
	run("rate_thirds", rate_thirds);
	run("v4_per_address", v4_per_address);
	run("v4_mapped", v4_mapped);
	run("loopback_exempt", loopback_exempt);
	run("loopback_limited", loopback_limited);
	run("release", release);
	run("full", full);
	run("untracked", untracked);
	run("table_full", table_full);
	messages();
	return UNIT_DONE();
}
