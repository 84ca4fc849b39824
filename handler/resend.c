/* resend.c — lines kept until acknowledged (resend.h). */
#include "resend.h"

#include <stdlib.h>
#include <string.h>

uint64_t resend_add(struct resend *r, uint8_t type, uint8_t flags,
		    const char *to, const char *text, size_t len)
{
	if (r->n == RESEND_MAX)
		return 0;
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	if (len)
		memcpy(copy, text, len);
	struct sent *s = &r->q[(r->head + r->n++) % RESEND_MAX];
	*s = (struct sent){ .no = ++r->last_no, .type = type, .flags = flags,
			    .text = copy, .len = len };
	if (to) {
		size_t tl = strlen(to);
		if (tl > NAME_LEN_MAX)
			tl = NAME_LEN_MAX;
		memcpy(s->to, to, tl);
		s->to[tl] = '\0';
	}
	return s->no;
}

void resend_ack(struct resend *r, uint64_t no)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sent *s = &r->q[(r->head + i) % RESEND_MAX];
		if (s->no == no)
			s->acked = 1;
	}
	while (r->n && r->q[r->head].acked) {
		free(r->q[r->head].text);
		r->q[r->head].text = NULL;
		r->head = (r->head + 1) % RESEND_MAX;
		r->n--;
	}
}

int resend_full(const struct resend *r)
{
	return r->n == RESEND_MAX;
}

const struct sent *resend_at(const struct resend *r, size_t i)
{
	const struct sent *s = &r->q[(r->head + i) % RESEND_MAX];
	return i < r->n && !s->acked ? s : NULL;
}
