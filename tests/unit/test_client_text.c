/* test_client_text.c — natter's pure pieces for server text: UTF-8,
 * the telnet filter, the scrubber and the session's login watching. */
#include "../../client/cutf8.h"
#include "../../client/ctelnet.h"
#include "../../client/scrub.h"
#include "../../client/csess.h"
#include "../../client/client.h"
#include "../../client/password.h"
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int decode(const char *s, unsigned *cp)
{
	return cutf8_decode((const unsigned char *)s, strlen(s), cp);
}

static void utf8(void)
{
	unsigned cp = 0;
	CHECK(decode("A", &cp) == 1 && cp == 'A');
	CHECK(decode("\xc3\xa9", &cp) == 2 && cp == 0xe9);
	CHECK(decode("\xe4\xb8\xad", &cp) == 3 && cp == 0x4e2d);
	CHECK(decode("\xf0\x9f\x98\x80", &cp) == 4 && cp == 0x1f600);
	CHECK(decode("\xc0\xaf", &cp) == CUTF8_INVALID);     /* overlong */
	CHECK(decode("\xe0\x80\xaf", &cp) == CUTF8_INVALID); /* overlong */
	CHECK(decode("\xed\xa0\x80", &cp) == CUTF8_INVALID); /* surrogate */
	CHECK(decode("\xf4\x90\x80\x80", &cp) == CUTF8_INVALID); /* > max */
	CHECK(decode("\xe4\xb8", &cp) == CUTF8_INCOMPLETE);
	CHECK(decode("\xe4" "A", &cp) == CUTF8_INVALID);
	CHECK(cutf8_width(0x4e2d) == 2 && cutf8_width('a') == 1);
	CHECK(cutf8_width(0x301) == 0);
	CHECK(cutf8_columns("a\xe4\xb8\xad" "e\xcc\x81", 7) == 4);
	const char *s = "a\xc3\xa9z";
	CHECK(cutf8_prev(s, 3) == 1 && cutf8_next(s, 4, 1) == 3);
	/* Clusters: e + U+0301 + U+0308 is one character to a person. */
	const char *c = "ae\xcc\x81\xcc\x88z";
	CHECK(cutf8_next_cluster(c, 7, 1) == 6);
	CHECK(cutf8_prev_cluster(c, 7, 6) == 1);
	CHECK(cutf8_prev_cluster(c, 7, 1) == 0 && cutf8_next_cluster(c, 7, 6) == 7);
	/* A mark with no base before it is a character of its own. */
	CHECK(cutf8_next_cluster("\xcc\x81" "a", 3, 0) == 2);
	CHECK(cutf8_prev_cluster("\xcc\x81" "a", 3, 2) == 0);
	/* Wide: CJK, Hangul, fullwidth forms, emoji; zero: marks, ZWJ. */
	CHECK(cutf8_width(0xac00) == 2 && cutf8_width(0xff21) == 2);
	CHECK(cutf8_width(0x1f600) == 2 && cutf8_width(0x1f680) == 2);
	CHECK(cutf8_width(0x200d) == 0 && cutf8_width(0xfe0f) == 0);
	CHECK(cutf8_width(0xe9) == 1 && cutf8_width(0x3b1) == 1);
}

static void telnet(void)
{
	struct ctelnet t;
	unsigned char text[64], reply[66];
	size_t nt, nr;
	ctelnet_init(&t);
	/* WILL ECHO is accepted once; a repeat gets no answer. */
	const unsigned char will_echo[] = { 'P', 'W', 255, 251, 1, ':' };
	ctelnet_feed(&t, will_echo, sizeof will_echo, text, &nt, reply, &nr);
	CHECK(nt == 3 && !memcmp(text, "PW:", 3));
	CHECK(nr == 3 && reply[0] == 255 && reply[1] == 253 && reply[2] == 1);
	CHECK(t.remote_echo == 1);
	ctelnet_feed(&t, will_echo + 2, 3, text, &nt, reply, &nr);
	CHECK(nt == 0 && nr == 0);
	/* WONT ECHO turns it off, answered with DONT; split over calls. */
	const unsigned char wont_echo[] = { 255, 252, 1 };
	ctelnet_feed(&t, wont_echo, 2, text, &nt, reply, &nr);
	CHECK(nt == 0 && nr == 0 && t.remote_echo == 1);
	ctelnet_feed(&t, wont_echo + 2, 1, text, &nt, reply, &nr);
	CHECK(nr == 3 && reply[1] == 254 && reply[2] == 1);
	CHECK(t.remote_echo == 0);
	/* Other options are refused; DONT/WONT for what is off: silence. */
	const unsigned char other[] = { 255, 251, 3, 255, 253, 24, 255, 254,
					31, 255, 252, 3 };
	ctelnet_feed(&t, other, sizeof other, text, &nt, reply, &nr);
	CHECK(nt == 0 && nr == 6);
	CHECK(reply[1] == 254 && reply[2] == 3);  /* DONT SGA */
	CHECK(reply[4] == 252 && reply[5] == 24); /* WONT TTYPE */
	/* IAC IAC is a data byte; SB ... SE is skipped; NOP ignored. */
	const unsigned char misc[] = { 'a', 255, 255, 255, 250, 24, 1, 'x',
				       255, 240, 'b', 255, 241, 'c' };
	ctelnet_feed(&t, misc, sizeof misc, text, &nt, reply, &nr);
	CHECK(nt == 4 && !memcmp(text, "a\xff" "bc", 4) && nr == 0);
	unsigned char esc[8];
	const unsigned char data[] = { 'x', 255, 'y' };
	CHECK(ctelnet_escape(data, 3, esc) == 4 &&
	      !memcmp(esc, "x\xff\xffy", 4));
}

static size_t scrub_str(struct scrub *s, const char *in, char *out)
{
	size_t n = scrub_feed(s, (const unsigned char *)in, strlen(in), out);
	out[n] = '\0';
	return n;
}

static void scrubbing(void)
{
	struct scrub s;
	char out[256];
	scrub_init(&s);
	scrub_str(&s, "hi\033[2Jthere\r\n", out);
	CHECK(strcmp(out, "hi^[[2Jthere\n") == 0);
	static const char crs[] = "a\rb\r\0c\nd\x7f\a\r\ne";
	size_t n = scrub_feed(&s, (const unsigned char *)crs, sizeof crs - 1,
			      out);
	CHECK(n == 11 && !memcmp(out, "a\nb\nc\nd^?\ne", 11));
	scrub_str(&s, "caf\xc3\xa9 \xe4\xb8\xad", out);
	CHECK(strcmp(out, "caf\xc3\xa9 \xe4\xb8\xad") == 0);
	/* A character split between reads is held, then completed. */
	scrub_str(&s, "x\xe4\xb8", out);
	CHECK(strcmp(out, "x") == 0);
	scrub_str(&s, "\xad" "y", out);
	CHECK(strcmp(out, "\xe4\xb8\xady") == 0);
	/* Bad bytes and C1 controls (here CSI, U+009B) become U+FFFD. */
	scrub_str(&s, "\xff" "A\xc2\x9b" "B\xe4Z", out);
	CHECK(strcmp(out, "\xef\xbf\xbd" "A\xef\xbf\xbd" "B\xef\xbf\xbdZ") == 0);
	/* So do bidi overrides and isolates; their neighbours stay. */
	scrub_str(&s, "a\xe2\x80\xae" "b\xe2\x81\xa9" "c\xe2\x80\xa9", out);
	CHECK(strcmp(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xe2\x80\xa9") == 0);
}

static void feed(struct csess *s, const char *text, struct outq *d)
{
	csess_input(s, (const unsigned char *)text, strlen(text), d);
}

static int shows(const struct outq *d, const char *text)
{
	size_t n = strlen(text);
	for (size_t i = 0; i + n <= d->len; i++)
		if (!memcmp(d->buf + d->head + i, text, n))
			return 1;
	return 0;
}

static int sent(const struct csess *s, const char *text)
{
	return shows(&s->to_server, text);
}

static void login_watch(void)
{
	struct csess s;
	struct outq d;
	outq_init(&d, 65536);
	csess_init(&s, -1, 0);
	s.auto_name = "ann";
	memcpy(s.password, "sesame", 7);
	s.have_password = 1;
	feed(&s, "=====\r\nHello\r\nID", &d);
	CHECK(shows(&d, "Hello\n") && s.partial[0] == 'I' && !sent(&s, "ann"));
	feed(&s, ": ", &d);
	CHECK(sent(&s, "ann\r\n") && shows(&d, "ID: ann\n"));
	feed(&s, "PW: \xff\xfb\x01", &d);
	CHECK(sent(&s, "sesame\r\n") && sent(&s, "\xff\xfd\x01"));
	CHECK(!shows(&d, "sesame") && s.have_password == 0);
	CHECK(s.password[0] == '\0');
	feed(&s, "\r\nLogin incorrect.\r\nID: ", &d);
	CHECK(s.login_failures == 1 && s.fatal == NATTER_EXIT_LOGIN);
	char msg[100];
	CHECK(csess_end_status(&s, 0, msg, sizeof msg) == NATTER_EXIT_LOGIN);
	csess_free(&s);

	csess_init(&s, -1, 0);
	feed(&s, "ID: ", &d);
	CHECK(s.id_prompts == 1 && outq_pending(&s.to_server) == 0);
	CHECK(csess_end_status(&s, 0, msg, sizeof msg) == NATTER_EXIT_LOGIN);
	feed(&s, "ann\r\nLog-in success!! [ann]\r\n", &d);
	CHECK(s.logged_in == 1);
	CHECK(csess_end_status(&s, 0, msg, sizeof msg) == NATTER_EXIT_OK);
	CHECK(csess_end_status(&s, 104, msg, sizeof msg) == NATTER_EXIT_LOST);
	CHECK(csess_send_line(&s, "/exit", 5) == 0 && s.user_ending);
	CHECK(csess_end_status(&s, 104, msg, sizeof msg) == NATTER_EXIT_OK);
	csess_free(&s);

	/* Leaving at ID: (^D or /exit) is a choice: status 0.  A script's
	 * input that ran out there is a login that never happened: 3. */
	csess_init(&s, -1, 0);
	feed(&s, "ID: ", &d);
	s.user_ending = 1;
	CHECK(csess_end_status(&s, 0, msg, sizeof msg) == NATTER_EXIT_LOGIN);
	s.person_left = 1;
	CHECK(csess_end_status(&s, 0, msg, sizeof msg) == NATTER_EXIT_OK);
	CHECK(msg[0] == '\0');
	csess_free(&s);

	/* Closed before any prompt: the server turned us away. */
	csess_init(&s, -1, 0);
	feed(&s, "*** Too many connections\r\n", &d);
	CHECK(csess_end_status(&s, 0, msg, sizeof msg) == NATTER_EXIT_LOST);
	/* A line without an end, longer than the partial buffer, is shown
	 * as a line of its own rather than lost. */
	char big[CSESS_PARTIAL_MAX + 100];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	feed(&s, big, &d);
	CHECK(s.npartial < CSESS_PARTIAL_MAX && s.npartial > 0);
	csess_free(&s);
	outq_free(&d);
}

static int late_fd = -1;

static void write_rest(int sig)
{
	(void)sig;
	if (write(late_fd, "ord\n", 4) != 4)
		_exit(2);
}

/* -P with a non-blocking descriptor whose writer is not done yet: the
 * read waits, as it would on a blocking one, instead of failing. */
static void password_nonblocking(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	CHECK(write(p[1], "passw", 5) == 5);
	late_fd = p[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = write_rest;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	char buf[32], err[100] = "";
	int r = password_from_fd(p[0], buf, sizeof buf, err, sizeof err);
	CHECK(r == 0 && strcmp(buf, "password") == 0);
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	password_nonblocking();
	utf8();
	telnet();
	scrubbing();
	login_watch();
	return UNIT_DONE();
}
