/* fuzz_xhost.c — libFuzzer harness for presence across hosts' parser
 * of what it reads from Redis (broker/xhost_wire.c): the input is one
 * RESP reply, decoded by resp.c, then taken as an event's and as a
 * private line's field array, and walked as an XREAD reply whose
 * entries are taken both ways, and its pairs as a snapshot's away
 * marks.  Every entry that decodes must keep
 * xhost_wire.h's promises (a host ID of its alphabet, valid names and
 * rooms, the bounds, no control byte); a refusal says why.
 *
 * make fuzz runs it (make check replays tests/fuzz/corpus/xhost). */
#include "../../broker/store/store_stream.h"
#include "../../broker/xhost_wire.h"
#include "frame.h"
#include "names.h"

#include <stdlib.h>
#include <string.h>

#define ARENA 8192

static struct resp_value arena[ARENA];

static void no_controls(const struct xstr *s)
{
	for (size_t i = 0; i < s->len; i++)
		if ((unsigned char)s->s[i] < 0x20 || s->s[i] == 0x7f)
			abort();
}

static void check(const struct resp_value *fields)
{
	struct xev ev;
	struct xmsg m;
	const char *why = NULL;
	if (xwire_event(fields, &ev, &why) == 0) {
		int whole = ev.kind == XEV_RESET || ev.kind == XEV_DEAD;
		if (!xwire_host_ok(ev.host.s, ev.host.len) ||
		    (!whole && !name_valid(ev.name.s, ev.name.len)) ||
		    (whole && ev.name.len) ||
		    (ev.room.len && !room_valid(ev.room.s, ev.room.len)) ||
		    (ev.old.len && !room_valid(ev.old.s, ev.old.len)) ||
		    strlen(xwire_kind(ev.kind)) < 4 ||
		    ev.away.len > AWAY_TEXT_MAX)
			abort();
		no_controls(&ev.away);
	} else if (!why) {
		abort();
	}
	why = NULL;
	if (xwire_msg(fields, &m, &why) == 0) {
		if (!name_valid(m.from.s, m.from.len) ||
		    !name_valid(m.to.s, m.to.len) || m.id.len > XWIRE_ID_MAX ||
		    m.text.len > FRAME_TEXT_MAX)
			abort();
		no_controls(&m.id);
		no_controls(&m.text);
	} else if (!why) {
		abort();
	}
}

static void on_entry(void *ctx, const struct resp_value *key,
		     const struct stream_id *id,
		     const struct resp_value *fields)
{
	(void)ctx;
	(void)key;
	(void)id;
	check(fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_reader rd;
	const char *buf = (const char *)data;
	resp_reader_init(&rd);
	long n = resp_scan(&rd, buf, size, ARENA);
	if (n <= 0)
		return 0;
	struct resp_value *v = resp_decode(buf, (size_t)n, arena);
	(void)stream_walk_read(v, on_entry, NULL);
	check(v);
	for (size_t i = 0; v->type == RESP_ARRAY && i < v->n; i++) {
		struct xstr name, room;
		if (xwire_person(&v->elem[i], &name, &room) == 0 &&
		    (!name_valid(name.s, name.len) ||
		     (room.len && !room_valid(room.s, room.len))))
			abort();
	}
	for (size_t i = 0; v->type == RESP_ARRAY && i + 1 < v->n; i += 2) {
		struct xstr name, msg;
		if (xwire_away(&v->elem[i], &v->elem[i + 1], &name, &msg) == 0) {
			if (!name_valid(name.s, name.len) || msg.len == 0 ||
			    msg.len > AWAY_TEXT_MAX)
				abort();
			no_controls(&msg);
		}
	}
	return 0;
}
