/* outq.c — bounded, compacting output buffer. */
#include "outq.h"
#include "io.h"

#include <stdlib.h>
#include <string.h>

void outq_init(struct outq *q, size_t max)
{
	memset(q, 0, sizeof *q);
	q->max = max;
}

void outq_free(struct outq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->head = q->len = q->cap = 0;
}

static int reserve(struct outq *q, size_t need)
{
	if (q->head + q->len + need <= q->cap)
		return 0;
	if (q->head > 0) {
		memmove(q->buf, q->buf + q->head, q->len);
		q->head = 0;
		if (q->len + need <= q->cap)
			return 0;
	}
	size_t cap = q->cap ? q->cap : 4096;
	while (cap < q->len + need)
		cap *= 2;
	char *p = realloc(q->buf, cap);
	if (!p)
		return -1;
	q->buf = p;
	q->cap = cap;
	return 0;
}

int outq_append_slack(struct outq *q, const void *data, size_t len,
		      size_t slack)
{
	if (q->len + len > q->max + slack)
		return -1;
	if (reserve(q, len) != 0)
		return -1;
	memcpy(q->buf + q->head + q->len, data, len);
	q->len += len;
	return 0;
}

int outq_append(struct outq *q, const void *data, size_t len)
{
	return outq_append_slack(q, data, len, 0);
}

int outq_flush(struct outq *q, int fd, int is_socket)
{
	while (q->len > 0) {
		ssize_t n = io_write_some(fd, q->buf + q->head, q->len,
					  is_socket);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		q->head += (size_t)n;
		q->len -= (size_t)n;
	}
	q->head = 0;
	/* Give back memory after a burst, so an idle session stays small. */
	if (q->cap > 16384) {
		free(q->buf);
		q->buf = NULL;
		q->cap = 0;
	}
	return 1;
}
