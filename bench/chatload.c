/* chatload — fanout load generator for natter and for an IRC server.
 *
 * usage: chatload [-P natter|irc] [-m members] [-s senders] [-f n]
 *                 [-w window] [-r rate[,rate...] -d secs] [-j logins]
 *                 [-t secs] [-H secs] [-x prefix] [-A port2] host port
 *
 * Logs in `members` people (at most `logins` under way at once), all in
 * one room: natter's lobby (name at "ID: ", ready at the "-----Chatting
 * Room-----" line) or IRC channel #bench (NICK/USER, ready at the end of
 * NAMES; senders also OPER as bench/benchpw and set user mode +F, IRC's
 * relaxed flood protection).  The first `senders` members then send:
 *
 *   fast    (-f n)  n messages each, as fast as the server takes them,
 *                   with at most `window` messages not yet delivered to
 *                   everyone (so no queue on the server passes its bound);
 *   steady  (-r, -d) `rate` messages/s in all, for `secs` seconds; with
 *                   a list (at most RATES_MAX, comma-separated), one
 *                   steady phase per rate in turn (bench/scale.py's
 *                   ramp), each line with target=RATE.
 *
 * Each message is "zq7 SENDER SEQ NS" with NS the monotonic clock at the
 * send, so each delivery's latency is measured on arrival.  One line is
 * printed per phase, e.g.
 *
 *   phase=fast members=M senders=S sent=N expected=E delivered=D lost=L
 *   seconds=T rate=R p50_ms=X p99_ms=X max_ms=X
 *
 * where expected = sent * (members - 1) (nobody gets their own line) and
 * lost = expected - delivered after the deliveries stop (3 s without
 * one).  With -H, "phase=hold" is printed and the members stay logged in
 * (answering PINGs) until standard input ends or secs pass.
 * With -A, every second member (odd numbers, so half the senders too)
 * connects to port2 on the same host instead: one room on two natterd
 * hosts sharing a Redis, whose deliveries cross hosts.
 * Exit 0; 100 on bad usage; 111 when a system call fails; 1 when fewer
 * than all members logged in. */
#include <sys/epoll.h>

#include "bench.h"

#define PROG "chatload"
#define IN_CAP 16384
#define OUT_CAP 16384
#define MARK "zq7 "
#define QUIET_NS 3000000000LL	/* no delivery this long: the rest is lost */
#define RATES_MAX 8		/* steady rates in one -r list */

enum proto { P_NATTER, P_IRC };
enum mstate { M_IDLE, M_CONNECTING, M_PROMPT, M_JOINING, M_READY, M_DEAD };

struct member {
	int fd;
	int id;
	enum mstate st;
	int skipping;		/* discarding the rest of an over-long line */
	int want_out;		/* EPOLLOUT is on */
	size_t inlen, outlen;
	char in[IN_CAP];
	char out[OUT_CAP];
};

struct phase {
	int64_t t0, t_last;
	long sent;
	uint64_t per;		/* deliveries per message: members ready - 1 */
	uint64_t delivered;
	struct hist lat;
};

struct chat {
	enum proto proto;
	struct sockaddr_storage addr, addr2;
	socklen_t alen, alen2;	/* alen2 0: no -A */
	int ep;
	long nmembers, nsenders, logins, fast_n, window, rate, steady_s;
	long rates[RATES_MAX];	/* -r: rate is the one being run */
	int nrates;
	long hold_s;
	const char *prefix;
	int64_t deadline;
	struct member *m;
	long ready, dead, next;	/* next: first member not yet started */
	struct phase *ph;	/* the phase counting deliveries, or NULL */
	int stdin_open;
};

static void usage(void)
{
	fprintf(stderr, "usage: chatload [-P natter|irc] [-m members] "
	    "[-s senders] [-f n] [-w window] [-r rate[,rate...] -d secs] "
	    "[-j logins] "
	    "[-t secs] [-H secs] [-x prefix] [-A port2] host port\n");
	exit(100);
}

static void member_events(struct chat *ch, struct member *m, int out)
{
	struct epoll_event ev;

	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.ptr = m;
	if (epoll_ctl(ch->ep, EPOLL_CTL_MOD, m->fd, &ev) == -1)
		bench_die(PROG, "epoll_ctl");
	m->want_out = out;
}

static void member_kill(struct chat *ch, struct member *m, const char *why)
{
	if (m->st == M_DEAD)
		return;
	if (m->st != M_READY)
		fprintf(stderr, "%s: member %d: %s\n", PROG, m->id, why);
	if (m->st == M_READY)
		ch->ready--;
	m->st = M_DEAD;
	ch->dead++;
	(void)close(m->fd);
	m->fd = -1;
}

/* Writes what is queued; keeps EPOLLOUT on only while something is. */
static void member_flush(struct chat *ch, struct member *m)
{
	ssize_t n;

	while (m->outlen > 0) {
		n = io_write_some(m->fd, m->out, m->outlen, 1);
		if (n == -1) {
			member_kill(ch, m, "write failed");
			return;
		}
		if (n == 0)
			break;
		memmove(m->out, m->out + n, m->outlen - (size_t)n);
		m->outlen -= (size_t)n;
	}
	if ((m->outlen > 0) != m->want_out)
		member_events(ch, m, m->outlen > 0);
}

/* Queues and writes one line.  The queue's bound is never reached in a
 * healthy run (the fast phase's window keeps it small); when it is, the
 * member is dropped and its deliveries count as lost. */
static void member_send(struct chat *ch, struct member *m, const char *s,
    size_t n)
{
	if (m->st == M_DEAD)
		return;
	if (n > OUT_CAP - m->outlen) {
		member_kill(ch, m, "output queue full");
		return;
	}
	memcpy(m->out + m->outlen, s, n);
	m->outlen += n;
	if (!m->want_out)
		member_flush(ch, m);
}

static void member_sendf(struct chat *ch, struct member *m, const char *fmt,
    const char *a, const char *b)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, fmt, a, b);

	if (n > 0 && (size_t)n < sizeof buf)
		member_send(ch, m, buf, (size_t)n);
}

static void member_name(struct chat *ch, struct member *m, char *buf,
    size_t len)
{
	(void)snprintf(buf, len, "%s%d", ch->prefix, m->id);
}

static void member_ready(struct chat *ch, struct member *m)
{
	m->st = M_READY;
	ch->ready++;
}

/* A delivery: "... zq7 SENDER SEQ NS". */
static void delivery(struct chat *ch, const char *p, const char *end)
{
	long long v[3];
	char *e;
	int i;

	if (ch->ph == NULL)
		return;
	for (i = 0; i < 3; i++) {
		if (p >= end)
			return;
		v[i] = strtoll(p, &e, 10);
		if (e == p)
			return;
		p = e;
	}
	hist_add(&ch->ph->lat, bench_now_ns() - v[2]);
	ch->ph->delivered++;
	ch->ph->t_last = bench_now_ns();
}

static void irc_welcome(struct chat *ch, struct member *m)
{
	char nick[64];

	member_name(ch, m, nick, sizeof nick);
	if (m->id < ch->nsenders)
		member_sendf(ch, m, "OPER bench benchpw\r\nMODE %s +F\r\n%s",
		    nick, "");
	member_send(ch, m, "JOIN #bench\r\n", 13);
	m->st = M_JOINING;
}

/* One complete line from the server (NUL-terminated, no CR LF). */
static void member_line(struct chat *ch, struct member *m, char *line,
    size_t len)
{
	const char *p;

	if (m->st == M_READY) {
		p = bench_find(line, len, MARK, sizeof MARK - 1);
		if (p != NULL) {
			delivery(ch, p + sizeof MARK - 1, line + len);
			return;
		}
	}
	if (ch->proto == P_IRC) {
		if (strncmp(line, "PING ", 5) == 0)
			member_sendf(ch, m, "PONG %s\r\n%s", line + 5, "");
		else if (strncmp(line, "ERROR", 5) == 0)
			member_kill(ch, m, line);
		else if (m->st == M_PROMPT && strstr(line, " 001 ") != NULL)
			irc_welcome(ch, m);
		else if (m->st == M_PROMPT && strstr(line, " 433 ") != NULL)
			member_kill(ch, m, line);
		else if (m->st == M_JOINING && strstr(line, " 366 ") != NULL)
			member_ready(ch, m);
		return;
	}
	if (m->st == M_JOINING && strstr(line, "-----Chatting Room-----"))
		member_ready(ch, m);
	else if (m->st == M_JOINING && strncmp(line, "*** ", 4) == 0)
		member_kill(ch, m, line);
}

/* natter's prompt "ID: " has no newline after it, so it is looked for
 * in the partial input. */
static void natter_prompt(struct chat *ch, struct member *m)
{
	char name[64];

	if (bench_find(m->in, m->inlen, "ID: ", 4) == NULL)
		return;
	m->inlen = 0;
	member_name(ch, m, name, sizeof name);
	m->st = M_JOINING;
	member_sendf(ch, m, "%s\r\n%s", name, "");
}

/* Splits the input into lines; keeps a partial last line; discards a
 * line longer than IN_CAP (only long notices, never a delivery). */
static void member_lines(struct chat *ch, struct member *m)
{
	char *start = m->in, *end = m->in + m->inlen, *nl;
	size_t len;

	while (m->st != M_DEAD &&
	    (nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
		len = (size_t)(nl - start);
		if (len > 0 && start[len - 1] == '\r')
			len--;
		start[len] = '\0';
		if (!m->skipping)
			member_line(ch, m, start, len);
		m->skipping = 0;
		start = nl + 1;
	}
	if (m->st == M_DEAD)
		return;
	m->inlen = (size_t)(end - start);
	memmove(m->in, start, m->inlen);
	if (m->inlen == IN_CAP) {
		m->inlen = 0;
		m->skipping = 1;
	}
	if (ch->proto == P_NATTER && m->st == M_PROMPT)
		natter_prompt(ch, m);
}

static void member_connected(struct chat *ch, struct member *m)
{
	char nick[64];
	int err = 0;
	socklen_t el = sizeof err;

	if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 ||
	    err != 0) {
		errno = err;
		member_kill(ch, m, "connect failed");
		return;
	}
	m->st = M_PROMPT;
	member_events(ch, m, 0);
	if (ch->proto == P_IRC) {
		member_name(ch, m, nick, sizeof nick);
		member_sendf(ch, m, "NICK %s\r\nUSER %s 0 * :bench\r\n", nick,
		    nick);
	}
}

static void member_event(struct chat *ch, struct member *m, uint32_t ev)
{
	ssize_t n;

	if (m->st == M_CONNECTING) {
		member_connected(ch, m);
		if (m->st == M_DEAD || !(ev & EPOLLIN))
			return;
	}
	if ((ev & EPOLLOUT) && m->outlen > 0)
		member_flush(ch, m);
	if (m->st == M_DEAD || !(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(m->fd, m->in + m->inlen, IN_CAP - m->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		member_kill(ch, m, n == 0 ? "closed by server" : "read error");
		return;
	}
	m->inlen += (size_t)n;
	member_lines(ch, m);
}

/* Waits up to ms for events and handles them.  Returns 1 when standard
 * input (watched only while holding) has ended. */
static int poll_once(struct chat *ch, int ms)
{
	struct epoll_event evs[512];
	char buf[256];
	int i, n, eof = 0;

	n = epoll_wait(ch->ep, evs, 512, ms);
	if (n == -1 && errno != EINTR)
		bench_die(PROG, "epoll_wait");
	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == NULL) {
			if (read(0, buf, sizeof buf) <= 0)
				eof = 1;
			continue;
		}
		member_event(ch, evs[i].data.ptr, evs[i].events);
	}
	return eof;
}

static void member_start(struct chat *ch, struct member *m)
{
	struct epoll_event ev;

	if (ch->alen2 && m->id % 2)
		m->fd = bench_connect(&ch->addr2, ch->alen2);
	else
		m->fd = bench_connect(&ch->addr, ch->alen);
	if (m->fd == -1) {
		if (errno == EMFILE || errno == ENFILE)
			bench_die(PROG, "socket (raise the descriptor limit)");
		m->st = M_DEAD;
		ch->dead++;
		return;
	}
	m->st = M_CONNECTING;
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.ptr = m;
	if (epoll_ctl(ch->ep, EPOLL_CTL_ADD, m->fd, &ev) == -1)
		bench_die(PROG, "epoll_ctl");
	m->want_out = 1;
}

/* Logs everyone in, at most ch->logins under way at once; then waits
 * until the join notices stop (200 ms without input, at most 5 s). */
static void login_all(struct chat *ch)
{
	int64_t t0 = bench_now_ns(), quiet_end;

	while (ch->ready + ch->dead < ch->nmembers &&
	    bench_now_ns() < ch->deadline) {
		while (ch->next < ch->nmembers &&
		    ch->next - ch->ready - ch->dead < ch->logins)
			member_start(ch, &ch->m[ch->next++]);
		(void)poll_once(ch, 50);
	}
	printf("phase=login members=%ld ready=%ld failed=%ld seconds=%.3f\n",
	    ch->nmembers, ch->ready, ch->nmembers - ch->ready,
	    (double)(bench_now_ns() - t0) / 1e9);
	fflush(stdout);
	quiet_end = bench_now_ns() + 5000000000LL;
	while (bench_now_ns() < quiet_end && bench_now_ns() < ch->deadline) {
		struct epoll_event ev;

		if (epoll_wait(ch->ep, &ev, 1, 200) == 0)
			break;
		(void)poll_once(ch, 0);
	}
}

static void send_message(struct chat *ch, long seq)
{
	struct member *m = &ch->m[seq % ch->nsenders];
	char buf[128];
	int n;

	n = snprintf(buf, sizeof buf, "%s%s%d %ld %lld\r\n",
	    ch->proto == P_IRC ? "PRIVMSG #bench :" : "", MARK, m->id, seq,
	    (long long)bench_now_ns());
	member_send(ch, m, buf, (size_t)n);
	ch->ph->sent++;
}

static void phase_report(struct chat *ch, const char *name)
{
	char target[32] = "";
	struct phase *p = ch->ph;
	uint64_t expect = (uint64_t)p->sent * p->per;
	double el = (double)(p->t_last - p->t0) / 1e9;

	if (strcmp(name, "steady") == 0)
		(void)snprintf(target, sizeof target, " target=%ld", ch->rate);
	printf("phase=%s members=%llu senders=%ld sent=%ld expected=%llu "
	    "delivered=%llu lost=%llu seconds=%.3f rate=%.1f p50_ms=%.3f "
	    "p99_ms=%.3f max_ms=%.3f%s\n", name,
	    (unsigned long long)p->per + 1, ch->nsenders,
	    p->sent, (unsigned long long)expect,
	    (unsigned long long)p->delivered,
	    (unsigned long long)(expect > p->delivered ?
	    expect - p->delivered : 0), el,
	    el > 0 ? (double)p->delivered / el : 0.0,
	    hist_pct_ms(&p->lat, 50), hist_pct_ms(&p->lat, 99),
	    (double)p->lat.max_us / 1000.0, target);
	fflush(stdout);
}

/* Waits for the last deliveries: until all arrived, none came for
 * QUIET_NS, or the run's time is up. */
static void drain(struct chat *ch)
{
	uint64_t expect = (uint64_t)ch->ph->sent * ch->ph->per;

	while (ch->ph->delivered < expect && bench_now_ns() < ch->deadline &&
	    bench_now_ns() - ch->ph->t_last < QUIET_NS)
		(void)poll_once(ch, 50);
}

static void phase_start(struct chat *ch, struct phase *p)
{
	memset(p, 0, sizeof *p);
	p->t0 = p->t_last = bench_now_ns();
	p->per = (uint64_t)(ch->ready - 1);
	ch->ph = p;
}

static void phase_fast(struct chat *ch, struct phase *p)
{
	long total = ch->fast_n * ch->nsenders;
	uint64_t per, cap;

	phase_start(ch, p);
	per = p->per;
	cap = (uint64_t)ch->window * per;
	while (p->sent < total && bench_now_ns() < ch->deadline) {
		while (p->sent < total &&
		    (uint64_t)p->sent * per - p->delivered < cap)
			send_message(ch, p->sent);
		(void)poll_once(ch, 10);
		if (bench_now_ns() - p->t_last > QUIET_NS)
			break;	/* deliveries stopped: the rest is lost */
	}
	drain(ch);
	phase_report(ch, "fast");
}

static void phase_steady(struct chat *ch, struct phase *p)
{
	long total = ch->rate * ch->steady_s;
	int64_t due, now;
	int ms;

	phase_start(ch, p);
	while (p->sent < total && (now = bench_now_ns()) < ch->deadline) {
		due = p->t0 + (int64_t)(p->sent * (1000000000.0 / ch->rate));
		if (due <= now) {
			send_message(ch, p->sent);
			continue;
		}
		ms = (int)((due - now + 999999) / 1000000);
		(void)poll_once(ch, ms);
	}
	drain(ch);
	phase_report(ch, "steady");
}

static void hold(struct chat *ch)
{
	struct epoll_event ev;
	int64_t end = bench_now_ns() + (int64_t)ch->hold_s * 1000000000;

	ch->ph = NULL;
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	/* a regular file or /dev/null cannot be watched: hold for secs */
	if (epoll_ctl(ch->ep, EPOLL_CTL_ADD, 0, &ev) == -1 && errno != EPERM)
		bench_die(PROG, "epoll_ctl (stdin)");
	printf("phase=hold members=%ld\n", ch->ready);
	fflush(stdout);
	while (bench_now_ns() < end && !poll_once(ch, 200))
		;
}

/* -r RATE[,RATE...]: up to RATES_MAX steady rates, run in turn. */
static void parse_rates(struct chat *ch, char *list)
{
	char *tok, *save = NULL;

	ch->nrates = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (ch->nrates == RATES_MAX)
			usage();
		ch->rates[ch->nrates++] = bench_num(PROG, tok, 10000000);
	}
	if (ch->nrates == 0)
		usage();
	ch->rate = ch->rates[0];
}

static void parse_args(struct chat *ch, int argc, char **argv)
{
	const char *why, *port2 = NULL;
	int c;

	while ((c = getopt(argc, argv, "P:m:s:f:w:r:d:j:t:H:x:A:")) != -1) {
		switch (c) {
		case 'P':
			if (strcmp(optarg, "irc") != 0 &&
			    strcmp(optarg, "natter") != 0)
				usage();
			ch->proto = optarg[0] == 'i' ? P_IRC : P_NATTER;
			break;
		case 'm': ch->nmembers = bench_num(PROG, optarg, 100000); break;
		case 's': ch->nsenders = bench_num(PROG, optarg, 100000); break;
		case 'f': ch->fast_n = bench_num(PROG, optarg, 10000000); break;
		case 'w': ch->window = bench_num(PROG, optarg, 100000); break;
		case 'r': parse_rates(ch, optarg); break;
		case 'd': ch->steady_s = bench_num(PROG, optarg, 3600); break;
		case 'j': ch->logins = bench_num(PROG, optarg, 100000); break;
		case 't': ch->deadline = bench_num(PROG, optarg, 3600); break;
		case 'H': ch->hold_s = bench_num(PROG, optarg, 3600); break;
		case 'x': ch->prefix = optarg; break;
		case 'A': port2 = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || ch->nmembers < 2 || ch->nsenders < 1 ||
	    ch->nsenders > ch->nmembers || ch->window < 1 || ch->logins < 1 ||
	    strlen(ch->prefix) > 8)
		usage();
	if (bench_loopback_addr(argv[optind], argv[optind + 1], &ch->addr,
	    &ch->alen, &why) == -1) {
		fprintf(stderr, "%s: %s: %s\n", PROG, argv[optind], why);
		exit(100);
	}
	if (port2 && bench_loopback_addr(argv[optind], port2, &ch->addr2,
	    &ch->alen2, &why) == -1) {
		fprintf(stderr, "%s: %s: %s\n", PROG, port2, why);
		exit(100);
	}
}

int main(int argc, char **argv)
{
	struct chat ch;
	struct phase fast, steady;
	long i;
	int k;

	memset(&ch, 0, sizeof ch);
	ch.proto = P_NATTER;
	ch.nmembers = 100;
	ch.nsenders = 10;
	ch.window = 100;
	ch.logins = 64;
	ch.deadline = 120;
	ch.prefix = "u";
	parse_args(&ch, argc, argv);
	ch.deadline = bench_now_ns() + ch.deadline * 1000000000;
	if (bench_raise_nofile() < ch.nmembers + 16) {
		fprintf(stderr, "%s: descriptor limit below %ld\n", PROG,
		    ch.nmembers + 16);
		return 111;
	}
	if ((ch.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		bench_die(PROG, "epoll_create1");
	if ((ch.m = calloc((size_t)ch.nmembers, sizeof *ch.m)) == NULL)
		bench_die(PROG, "calloc");
	for (i = 0; i < ch.nmembers; i++) {
		ch.m[i].id = (int)i;
		ch.m[i].fd = -1;
	}
	login_all(&ch);
	if (ch.ready == ch.nmembers) {
		if (ch.fast_n > 0)
			phase_fast(&ch, &fast);
		for (k = 0; k < ch.nrates && ch.steady_s > 0; k++) {
			ch.rate = ch.rates[k];
			if (ch.rate > 0)
				phase_steady(&ch, &steady);
		}
		if (ch.hold_s > 0)
			hold(&ch);
		i = 0;
	} else {
		i = 1;
	}
	free(ch.m);	/* the kernel closes the sockets */
	return (int)i;
}
