/* test_handler_person.c — the person module alone, on a socket pair
 * standing for fds 0 and 1: lines in (telnet answered, a last line
 * without its end kept), the bounded output and its overflow flag.
 *
 * The checks run while fd 1 is the socket, so their results are kept
 * and printed once fd 1 is the runner's again. */
#include "../../handler/person.h"
#include "../../lib/io.h"
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOTES_MAX 64
struct note { int ok, line; const char *what; };
static struct note notes[NOTES_MAX];
static int nnotes;

#define NOTE(cond) \
	do { \
		if (nnotes < NOTES_MAX) \
			notes[nnotes++] = (struct note){ !!(cond), __LINE__, \
							 #cond }; \
	} while (0)

static int saved0, saved1, other;

/* fds 0 and 1 become one end of a socket pair; `other` the far end. */
static int swap_in(void)
{
	int sv[2];
	fflush(stdout);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	saved0 = dup(0);
	saved1 = dup(1);
	if (saved0 < 0 || saved1 < 0 || dup2(sv[0], 0) < 0 ||
	    dup2(sv[0], 1) < 0)
		return -1;
	close(sv[0]);
	other = sv[1];
	/* as a real session's may be: a read finds nothing, not a wait */
	return io_set_nonblock(0, 1);
}

static void swap_out(void)
{
	dup2(saved0, 0);
	dup2(saved1, 1);
	close(saved0);
	close(saved1);
	close(other);
	for (int i = 0; i < nnotes; i++) {
		printf("%s %s:%d %s\n", notes[i].ok ? "ok" : "FAIL", __FILE__,
		       notes[i].line, notes[i].what);
		if (!notes[i].ok)
			unit_failed = 1;
	}
	nnotes = 0;
}

static void wait_input(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	poll(&p, 1, 5000);
}

static void lines_in(void)
{
	static struct person p;
	size_t len;
	unsigned char got[16];
	CHECK(swap_in() == 0);
	person_init(&p);
	NOTE(p.in_sock && p.out_sock && !p.in_tty);
	NOTE(person_wants_input(&p));
	person_read(&p, "test"); /* nothing there yet: no end of file */
	NOTE(!p.in_eof && person_feed(&p) == PERSON_IDLE);
	/* a line, a telnet DO 99 (refused), half of another line */
	static const char in[] = "hello\r\n\xff\xfd\x63wor";
	NOTE(write(other, in, sizeof in - 1) == (ssize_t)sizeof in - 1);
	wait_input();
	person_read(&p, "test");
	NOTE(!person_wants_input(&p));
	NOTE(person_feed(&p) == PERSON_LINE);
	char *line = person_line(&p, &len);
	NOTE(len == 5 && memcmp(line, "hello", 5) == 0);
	NOTE(person_feed(&p) == PERSON_LINE); /* still pending */
	person_line_done(&p);
	NOTE(person_feed(&p) == PERSON_IDLE);
	NOTE(person_flush(&p) == 0 && outq_pending(&p.out) == 0);
	NOTE(read(other, got, sizeof got) == 3 && got[0] == 0xff &&
	     got[1] == 0xfc && got[2] == 0x63); /* IAC WONT 99 */
	/* the end of input: the unended line still counts */
	NOTE(shutdown(other, SHUT_WR) == 0);
	wait_input();
	person_read(&p, "test");
	NOTE(p.in_eof && !person_input_over(&p));
	NOTE(person_feed(&p) == PERSON_LINE);
	line = person_line(&p, &len);
	NOTE(len == 3 && memcmp(line, "wor", 3) == 0);
	person_line_done(&p);
	NOTE(person_input_over(&p) && !person_wants_input(&p));
	person_finish(&p, 0);
	swap_out();
}

/* Output past PERSON_OUTQ_MAX: refused, the flag set, and from then on
 * nothing more is queued or written, even what would fit. */
static void overflow_flag(void)
{
	static struct person p;
	static char chunk[64 * 1024];
	CHECK(swap_in() == 0);
	person_init(&p);
	memset(chunk, 'x', sizeof chunk);
	int ok = 1;
	for (size_t i = 0; i < PERSON_OUTQ_MAX / sizeof chunk; i++)
		ok &= person_say(&p, chunk, sizeof chunk) == 0;
	NOTE(ok && !p.overflow);
	NOTE(outq_pending(&p.out) == PERSON_OUTQ_MAX);
	NOTE(person_say(&p, "y", 1) == -1);
	NOTE(p.overflow && !p.out_failed);
	NOTE(outq_pending(&p.out) == PERSON_OUTQ_MAX);
	/* a flush writes nothing: the person is no longer read to */
	NOTE(person_flush(&p) == 0);
	NOTE(outq_pending(&p.out) == PERSON_OUTQ_MAX);
	p.out.len = 0; /* even with room again, nothing is taken */
	NOTE(person_say(&p, "z", 1) == -1 && outq_pending(&p.out) == 0);
	person_finish(&p, 0);
	swap_out();
}

/* fd 1 closed by the far end: the flush fails once, the flag is set. */
static void output_fails(void)
{
	static struct person p;
	CHECK(swap_in() == 0);
	person_init(&p);
	close(other);
	other = -1;
	person_sayz(&p, "bye\r\n");
	NOTE(person_flush(&p) == -1 && p.out_failed && !p.overflow);
	NOTE(person_say(&p, "x", 1) == -1);
	NOTE(person_flush(&p) == 0); /* not tried again */
	person_finish(&p, 0);
	swap_out();
}

/* Cut off: the line whose start is out is ended, the rest dropped,
 * and the reason comes on a line of its own, past the bound too. */
static void last_word(void)
{
	static struct person p;
	static char line[1000];
	CHECK(swap_in() == 0);
	person_init(&p);
	memset(line, 'x', sizeof line - 2);
	memcpy(line + sizeof line - 2, "\r\n", 2);
	while (person_say(&p, line, sizeof line) == 0)
		;
	NOTE(p.overflow);
	p.out.head += 10; /* as if ten bytes of the first line were out */
	p.out.len -= 10;
	person_last_word(&p, "You are too far behind; disconnected.");
	NOTE(!p.overflow);
	const char *want = "*** You are too far behind; disconnected.\r\n";
	NOTE(p.out.len == sizeof line - 10 + strlen(want));
	NOTE(memcmp(p.out.buf + p.out.head + sizeof line - 10, want,
		    strlen(want)) == 0);
	NOTE(person_flush(&p) == 0);
	person_finish(&p, 0);
	swap_out();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	lines_in();
	overflow_flag();
	output_fails();
	last_word();
	return UNIT_DONE();
}
