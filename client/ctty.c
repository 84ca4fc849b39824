/* ctty.c — termios and descriptor flags, saved and put back. */
#include "ctty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio, raw_tio;
static int tty_fd = -1, tio_changed, raw_set;

static struct {
	int fd, flags, changed;
} saved_fl[2] = { { -1, 0, 0 }, { -1, 0, 0 } };

static int registered;

static void register_restore(void)
{
	if (!registered && atexit(ctty_restore) == 0)
		registered = 1;
}

int ctty_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (saved_fl[i].fd < 0) {
			saved_fl[i].fd = fd;
			saved_fl[i].flags = fl;
			break;
		}
	}
	register_restore();
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (saved_fl[i].fd == fd)
			saved_fl[i].changed = 1;
	return 0;
}

/* Saves fd's settings the first time, so ctty_restore can put them back. */
static int save_tio(int fd)
{
	if (tty_fd >= 0)
		return 0;
	if (tcgetattr(fd, &saved_tio) != 0)
		return -1;
	tty_fd = fd;
	register_restore();
	return 0;
}

int ctty_raw(int fd)
{
	if (save_tio(fd) != 0)
		return -1;
	raw_tio = saved_tio;
	raw_tio.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | ISTRIP);
	raw_tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
	raw_tio.c_cc[VMIN] = 1;
	raw_tio.c_cc[VTIME] = 0;
	raw_set = 1;
	return ctty_reraw();
}

int ctty_echo(int fd, int on)
{
	struct termios t;
	if (save_tio(fd) != 0 || tcgetattr(fd, &t) != 0)
		return -1;
	tcflag_t bits = ECHO | ECHONL;
	t.c_lflag &= ~bits;
	t.c_lflag |= on ? saved_tio.c_lflag & bits : ECHONL;
	/* TCSADRAIN, not TCSAFLUSH: what was typed ahead stays. */
	if (tcsetattr(fd, TCSADRAIN, &t) != 0)
		return -1;
	tio_changed = 1;
	return 0;
}

int ctty_reraw(void)
{
	if (!raw_set)
		return 0;
	if (tcsetattr(tty_fd, TCSADRAIN, &raw_tio) != 0)
		return -1;
	tio_changed = 1;
	for (int i = 0; i < 2; i++)
		if (saved_fl[i].fd >= 0 &&
		    fcntl(saved_fl[i].fd, F_SETFL,
			  saved_fl[i].flags | O_NONBLOCK) == 0)
			saved_fl[i].changed = 1;
	return 0;
}

void ctty_restore(void)
{
	/* Flags first, in reverse: when fds 0 and 1 share one open file
	 * description, the first saved (true original) value wins. */
	for (int i = 1; i >= 0; i--) {
		if (saved_fl[i].fd >= 0 && saved_fl[i].changed) {
			(void)fcntl(saved_fl[i].fd, F_SETFL, saved_fl[i].flags);
			saved_fl[i].changed = 0;
		}
	}
	if (tio_changed) {
		/* Nothing better to do on failure: we are leaving. */
		(void)tcsetattr(tty_fd, TCSADRAIN, &saved_tio);
		tio_changed = 0;
	}
}

int ctty_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}
