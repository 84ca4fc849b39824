/* seen.c — where accounts last left, for "what you missed" (seen.h). */
#include "seen.h"
#include "acctfile.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void lower(char *out, const char *in, size_t max)
{
	size_t i = 0;
	for (; in[i] && i < max; i++)
		out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] + 32) :
			 in[i];
	out[i] = '\0';
}

static void put(const struct seen_note *e, const char *dir)
{
	char buf[SEEN_FILE_MAX];
	int n = snprintf(buf, sizeof buf, "%s %" PRIu64 "\n", e->room,
			 e->seq);
	if (n < 0 || (size_t)n >= sizeof buf)
		return; /* cannot be: a room is at most ROOM_LEN_MAX */
	if (acctfile_write(dir, SEEN_SUB, e->name, buf, (size_t)n) != 0)
		log_msg(LOG_ERR, "cannot write %s/%s/%s: %s", dir, SEEN_SUB,
			e->name, strerror(errno));
}

/* Writes and drops the first k notes. */
static void put_first(struct seen *s, const char *dir, size_t k)
{
	for (size_t i = 0; i < k; i++)
		put(&s->pend[i], dir);
	memmove(s->pend, s->pend + k, (s->n - k) * sizeof s->pend[0]);
	s->n -= k;
}

void seen_note(struct seen *s, const char *dir, const char *name,
	       const char *room, uint64_t seq, long long now)
{
	char lname[NAME_LEN_MAX + 1];
	lower(lname, name, NAME_LEN_MAX);
	struct seen_note *e = NULL;
	for (size_t i = 0; i < s->n && !e; i++)
		if (strcmp(s->pend[i].name, lname) == 0)
			e = &s->pend[i];
	if (!e) {
		if (s->n == SEEN_PENDING_MAX)
			put_first(s, dir, 1);
		if (s->n == 0)
			s->due = now + SEEN_FLUSH_MS;
		e = &s->pend[s->n++];
		memcpy(e->name, lname, sizeof e->name);
	}
	lower(e->room, room, ROOM_LEN_MAX);
	e->seq = seq;
}

int seen_parse(const char *buf, size_t len, char *room, uint64_t *seq)
{
	const char *sp = memchr(buf, ' ', len);
	if (!sp || !room_valid(buf, (size_t)(sp - buf)))
		return -1;
	size_t i = (size_t)(sp - buf) + 1, digits = 0;
	uint64_t v = 0;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
		uint64_t d = (uint64_t)(buf[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (digits == 0 || i + 1 != len || buf[i] != '\n')
		return -1;
	memcpy(room, buf, (size_t)(sp - buf));
	room[sp - buf] = '\0';
	*seq = v;
	return 0;
}

int seen_lookup(const struct seen *s, const char *dir, const char *name,
		char *room, uint64_t *seq)
{
	char lname[NAME_LEN_MAX + 1], buf[SEEN_FILE_MAX];
	lower(lname, name, NAME_LEN_MAX);
	for (size_t i = s->n; i > 0; i--)
		if (strcmp(s->pend[i - 1].name, lname) == 0) {
			memcpy(room, s->pend[i - 1].room, ROOM_LEN_MAX + 1);
			*seq = s->pend[i - 1].seq;
			return 1;
		}
	ssize_t n = acctfile_read(dir, SEEN_SUB, lname, buf, sizeof buf);
	if (n < 0)
		log_msg(LOG_ERR, "cannot read %s/%s/%s: %s", dir, SEEN_SUB,
			lname, strerror(errno));
	if (n <= 0)
		return 0;
	if (seen_parse(buf, (size_t)n, room, seq) != 0) {
		log_msg(LOG_WARNING, "%s/%s/%s: not \"ROOM SEQ\"; ignored",
			dir, SEEN_SUB, lname);
		return 0;
	}
	return 1;
}

long long seen_flush(struct seen *s, const char *dir, long long now, int all)
{
	if (s->n && (all || now >= s->due)) {
		put_first(s, dir, all || s->n < SEEN_WRITES_PER_PASS ? s->n :
			  SEEN_WRITES_PER_PASS);
		s->due = now + SEEN_FLUSH_MS;
	}
	return s->n ? s->due : -1;
}
