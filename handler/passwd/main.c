/* natter-passwd — add or replace a user in natter's users file (see
 * natter-passwd(1) and natter-users(5)).
 *
 * Contract:
 *   natter-passwd [-f file] name
 *   The password is read twice without echo from the terminal on fd 0,
 *   or once from fd 0 (one line) when it is not a terminal.  Prompts
 *   and errors go to fd 2.  The file is $NATTER_USERS unless -f.
 *   exit 0 done; 1 the passwords differ, are empty or too long, or the
 *   file could not be written; 100 bad usage. */
#include "../users.h"
#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 256

static void usage(void)
{
	fprintf(stderr, "usage: natter-passwd [-f file] name\n");
	exit(100);
}

/* Reads one line from fd 0 into buf; 0, or -1 on end of input, or a
 * line that is too long (the rest is not read). */
static int read_line(char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c == '\n')
			break;
		if (n + 1 >= size)
			return -1;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

/* Prompts on fd 2 and reads a line with the terminal's echo off. */
static int read_hidden(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	if (tcgetattr(0, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
	fputs(prompt, stderr);
	fflush(stderr);
	if (tcsetattr(0, TCSAFLUSH, &quiet) != 0)
		return -1;
	int rc = read_line(buf, size);
	int saved = errno;
	tcsetattr(0, TCSAFLUSH, &old);
	fputs("\n", stderr);
	errno = saved;
	return rc;
}

static int get_password(char *pw, size_t size)
{
	char again[PASSWORD_MAX];
	if (!isatty(0)) {
		if (read_line(pw, size) != 0) {
			fprintf(stderr, "natter-passwd: password too long "
				"(at most %d bytes)\n", PASSWORD_MAX - 2);
			return -1;
		}
		return 0;
	}
	if (read_hidden("Password: ", pw, size) != 0 ||
	    read_hidden("Again: ", again, sizeof again) != 0) {
		fprintf(stderr, "natter-passwd: cannot read the password\n");
		return -1;
	}
	int same = strcmp(pw, again) == 0;
	memset(again, 0, sizeof again);
	if (!same) {
		fprintf(stderr, "natter-passwd: the passwords differ\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = getenv("NATTER_USERS");
	char pw[PASSWORD_MAX];
	int c;
	while ((c = getopt(argc, argv, "f:")) != -1) {
		if (c == 'f')
			file = optarg;
		else
			usage();
	}
	if (argc - optind != 1 || !file || !*file)
		usage();
	const char *name = argv[optind];
	if (!name_valid(name, strlen(name))) {
		fprintf(stderr, "natter-passwd: bad name \"%s\": names are 1 to "
			"16 letters, digits, _ or -\n", name);
		return 100;
	}
	if (get_password(pw, sizeof pw) != 0)
		return 1;
	if (pw[0] == '\0') {
		fprintf(stderr, "natter-passwd: empty password refused\n");
		return 1;
	}
	const char *hash = users_hash(pw);
	memset(pw, 0, sizeof pw);
	if (!hash) {
		fprintf(stderr, "natter-passwd: crypt: %s\n", strerror(errno));
		return 1;
	}
	if (users_set(file, name, hash) != 0) {
		fprintf(stderr, "natter-passwd: %s: %s\n", file, strerror(errno));
		return 1;
	}
	return 0;
}
