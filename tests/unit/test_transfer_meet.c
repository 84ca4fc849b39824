/* test_transfer_meet.c — the two data sessions of a transfer meeting
 * (handler/transfer_meet.c) with a stray connection to the meeting
 * place that sends nothing: the first half drops it after XFER_HAND_MS
 * and still meets the real second half, whose client socket it gets.
 *
 * Each half is a child process with its own "client" on fd 0 (a
 * socketpair whose far end the test holds), as natterd would give. */
#include "../../handler/transfer.h"
#include "io.h"
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/natter-meet-XXXXXX";
static char broker[64], place[100];
static const struct transfer t = { .role = XFER_PUT, .id = 1,
				   .key = "k3yk3yk3yk3yk3yk" };

/* A half in a child: fd 0 is client; the first half writes, on report,
 * what arrives on the socket it was handed ("got ..."), the second
 * "handed" once it handed its own over. */
static pid_t half(int client, int report)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	char err[256], buf[64];
	if (dup2(client, 0) != 0)
		_exit(2);
	int fd = transfer_meet(broker, &t, err, sizeof err);
	int n;
	if (fd == -2) {
		n = snprintf(buf, sizeof buf, "handed");
	} else if (fd >= 0) {
		ssize_t r = io_read(fd, buf + 4, sizeof buf - 5);
		memcpy(buf, "got ", 4);
		n = 4 + (r > 0 ? (int)r : 0);
	} else {
		n = snprintf(buf, sizeof buf, "failed: %.40s", err);
	}
	(void)!write(report, buf, (size_t)n);
	_exit(0);
}

/* The meeting place appears once the first half listens. */
static int wait_place(void)
{
	struct stat st;
	for (int i = 0; i < 500; i++) {
		if (stat(place, &st) == 0)
			return 0;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return -1;
}

/* What a half reported, waiting at most ms. */
static int report_of(int fd, char *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? 0 : -1;
}

int main(void)
{
	int c1[2], c2[2], r1[2], r2[2];
	char got[128];
	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(broker, sizeof broker, "%s/broker.sock", dir);
	snprintf(place, sizeof place, "%s/xfer-%s", dir, t.key);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, c1) == 0 &&
	      socketpair(AF_UNIX, SOCK_STREAM, 0, c2) == 0 &&
	      pipe(r1) == 0 && pipe(r2) == 0);
	pid_t first = half(c1[1], r1[1]);
	CHECK(wait_place() == 0);
	/* the stray: connects, sends nothing, stays */
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", place);
	int stray = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(stray, (struct sockaddr *)&sun, sizeof sun) == 0);
	/* the first half is now holding the stray's connection: the real
	 * second half comes only after it (the backlog keeps it) */
	pid_t second = half(c2[1], r2[1]);
	CHECK(report_of(r2[0], got, sizeof got, 5000) == 0);
	CHECK(strcmp(got, "handed") == 0);
	/* bytes from the second half's client reach the first half
	 * through the socket it was handed, the stray notwithstanding */
	CHECK(write(c2[0], "hello", 5) == 5);
	long long t0 = io_now_ms();
	CHECK(report_of(r1[0], got, sizeof got, 5000) == 0);
	CHECK(strcmp(got, "got hello") == 0);
	CHECK(io_now_ms() - t0 < XFER_HAND_MS + 2000);
	close(stray);
	kill(first, SIGKILL);
	kill(second, SIGKILL);
	waitpid(first, NULL, 0);
	waitpid(second, NULL, 0);
	unlink(place);
	rmdir(dir);
	return UNIT_DONE();
}
