/* banner.c — the greeting: the MOTD file, cleaned, or the default. */
#include "banner.h"
#include "log.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

static const char default_banner[] =
	"=====\r\n"
	"Hello! This is natter.\r\n"
	"Please, Log-In!\r\n"
	"=====\r\n";

/* Reads at most size bytes of path; returns the count or -1. */
static ssize_t read_bounded(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t got = 0;
	if (fd < 0)
		return -1;
	while (got < size) {
		ssize_t n = io_read(fd, buf + got, size - got);
		if (n < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* Cleans each line of the file and ends it with CR LF. */
static void send_lines(struct person *p, const char *buf, size_t len)
{
	static char clean[TEXT_CLEAN_MAX(BANNER_MAX) + 2];
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = text_clean(buf + start, end - start, clean,
				      sizeof clean - 2);
		memcpy(clean + n, "\r\n", 2);
		person_say(p, clean, n + 2);
		start = end + 1;
	}
}

void banner_send(struct person *p, const char *path)
{
	static char buf[BANNER_MAX];
	if (path && *path) {
		ssize_t n = read_bounded(path, buf, sizeof buf);
		if (n >= 0) {
			send_lines(p, buf, (size_t)n);
			return;
		}
		log_msg(LOG_WARNING, "MOTD %s: %s; using the default banner",
			path, strerror(errno));
	}
	person_sayz(p, default_banner);
}
