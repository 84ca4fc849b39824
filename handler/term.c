/* term.c — termios and file-status flags, always restored. */
#include "term.h"

#include <fcntl.h>
#include <termios.h>

static struct termios saved_tio;
static int tio_fd = -1;
static int flags_fd = -1, saved_flags;

int term_echo_off(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &saved_tio) != 0)
		return -1;
	t = saved_tio;
	t.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0)
		return -1;
	tio_fd = fd;
	return 0;
}

void term_echo_restore(void)
{
	if (tio_fd >= 0 && tcsetattr(tio_fd, TCSANOW, &saved_tio) == 0)
		tio_fd = -1;
}

int term_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	saved_flags = fl;
	flags_fd = fd;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void term_flags_restore(void)
{
	if (flags_fd >= 0 && fcntl(flags_fd, F_SETFL, saved_flags) == 0)
		flags_fd = -1;
}
