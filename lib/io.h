/* io.h — read/write helpers that handle short counts, EINTR and EAGAIN. */
#ifndef NATTER_IO_H
#define NATTER_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all of buf, waiting with poll(2) when the descriptor is
 * non-blocking and full, at most timeout_ms in all (-1: no limit).
 * Returns 0, or -1 with errno set (ETIMEDOUT when the time ran out). */
int io_write_all(int fd, const void *buf, size_t len, int timeout_ms);
/* read(2) that retries on EINTR. */
ssize_t io_read(int fd, void *buf, size_t len);
/* A read for an event loop, with skalibs' sanitize_read convention:
 * returns bytes read (> 0), 0 when there is nothing now (EAGAIN), or
 * -1 when the stream is over: errno EPIPE at end of file, else the
 * read's error.  Retries EINTR. */
ssize_t io_read_some(int fd, void *buf, size_t len);
int io_set_nonblock(int fd, int on);
int io_set_cloexec(int fd);
/* Milliseconds from a monotonic clock. */
long long io_now_ms(void);
/* Writes without blocking: send(MSG_DONTWAIT|MSG_NOSIGNAL) on a socket,
 * plain write(2) otherwise.  Returns bytes written, 0 when the descriptor
 * is full (EAGAIN), -1 on error. */
ssize_t io_write_some(int fd, const void *buf, size_t len, int is_socket);
int io_is_socket(int fd);

#endif
