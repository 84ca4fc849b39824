/* fuzz_bans.c — libFuzzer harness for the bans and topics files'
 * readers (lib/bans.c, broker/moderation.c): files in the state
 * directory that natterd and the broker read, and an admin may edit.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_bans -max_total_time=60
 *
 * What must hold: at most BANS_MAX bans and MOD_TOPICS_MAX topics are
 * read; each has a valid target, a valid "by", a reason and a topic
 * within their bounds and free of control bytes; written again and
 * read back, the same bans and topics come out (a fixed point). */
#include "bans.h"
#include "../../broker/moderation.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct moderation m, again;
static char text[BANS_MAX * BAN_LINE_MAX];
static char text2[BANS_MAX * BAN_LINE_MAX];

static int clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void check_bans(const struct banlist *l)
{
	if (l->n > BANS_MAX)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		const struct ban *b = &l->v[i];
		if ((b->kind != BAN_NAME && b->kind != BAN_ADDR) ||
		    !name_valid(b->by, strlen(b->by)) ||
		    strlen(b->reason) > BAN_REASON_MAX || !clean(b->reason))
			abort();
		if (b->kind == BAN_NAME && !name_valid(b->name, strlen(b->name)))
			abort();
	}
}

static void check_topics(const struct moderation *t)
{
	if (t->ntopics > MOD_TOPICS_MAX)
		abort();
	for (size_t i = 0; i < t->ntopics; i++)
		if (strlen(t->topics[i].text) > MOD_TOPIC_MAX ||
		    !t->topics[i].text[0])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	banlist_parse(&m.bans, in, size);
	check_bans(&m.bans);
	size_t n = mod_bans_text(&m, 0, text, sizeof text);
	if (banlist_parse(&again.bans, text, n) != 0 ||
	    again.bans.n != m.bans.n)
		abort();
	size_t n2 = mod_bans_text(&again, 0, text2, sizeof text2);
	if (n2 != n || memcmp(text, text2, n) != 0)
		abort();
	mod_topics_parse(&m, in, size);
	check_topics(&m);
	n = mod_topics_text(&m, text, sizeof text);
	if (mod_topics_parse(&again, text, n) != 0 ||
	    again.ntopics != m.ntopics)
		abort();
	return 0;
}
