/* outq.h — a bounded output queue for one non-blocking descriptor.
 *
 * Appends never block and never grow past the bound: outq_append fails
 * and the caller decides (the broker cuts off a handler that is that far
 * behind, a handler ends a session whose person stopped reading). */
#ifndef NATTER_OUTQ_H
#define NATTER_OUTQ_H

#include <stddef.h>

struct outq {
	char *buf;
	size_t head, len, cap, max;
};

/* max: the bound in bytes.  Memory is allocated as needed, up to max. */
void outq_init(struct outq *q, size_t max);
void outq_free(struct outq *q);
/* 0, or -1 when the data would take the queue past its bound (nothing
 * is appended then) or memory ran out. */
int outq_append(struct outq *q, const void *data, size_t len);
/* Like outq_append but may use `slack` bytes past the bound: for a last
 * word (the reason a connection is being cut) when the queue is full. */
int outq_append_slack(struct outq *q, const void *data, size_t len,
		      size_t slack);
/* Writes as much as the descriptor takes.  Returns 1 when the queue is
 * empty, 0 when data remains (wait for POLLOUT), -1 on a write error. */
int outq_flush(struct outq *q, int fd, int is_socket);
static inline size_t outq_pending(const struct outq *q) { return q->len; }

#endif
