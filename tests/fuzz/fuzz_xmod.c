/* fuzz_xmod.c — libFuzzer harness for moderation across hosts' parser
 * of what it reads from Redis (broker/xmod_wire.c): the input is one
 * RESP reply, decoded by resp.c, then taken as an entry's field array
 * of the moderation stream, walked as an XREAD reply whose entries are
 * taken so, and as the merge's hashes (pairs taken as a ban and as a
 * mute and as a topic and as a takeover), and as the offline messages a take reads (broker/mailbox.c's
 * mailbox_values), and as an ignore list a log-in reads (broker/ignore.c's
 * ignore_strict).  Whatever decodes must keep xmod_wire.h's and
 * mailbox.h's promises: a host ID
 * of its alphabet, a ban whose key is its target's, valid names, the
 * bounds; a refusal says why.
 *
 * make fuzz runs it (make check replays tests/fuzz/corpus/xmod). */
#include "../../broker/store/store_stream.h"
#include "../../broker/ignore.h"
#include "../../broker/mailbox.h"
#include "../../broker/xmod_wire.h"
#include "names.h"

#include <stdlib.h>
#include <string.h>

#define ARENA 8192

static struct resp_value arena[ARENA];

static void values(const struct xstr *key, const struct xstr *val)
{
	struct ban b;
	struct xmute m;
	struct xkick k;
	char buf[XMOD_KEY_MAX], by[BAN_BY_MAX + 1], mv[XMOD_VALUE_MAX];
	if (xmodwire_ban(key, val, &b) == 0 &&
	    (xmodwire_ban_key(&b, buf) != key->len ||
	     memcmp(buf, key->s, key->len) != 0 ||
	     !name_valid(b.by, strlen(b.by)) ||
	     strlen(b.reason) > BAN_REASON_MAX))
		abort();
	if (xmodwire_mute(key, val, &m) == 0) {
		struct xstr again = { mv, xmodwire_mute_value(&m, mv) };
		struct xmute m2;
		if (!name_valid(m.name, strlen(m.name)) ||
		    !name_valid(m.by, strlen(m.by)) ||
		    strlen(m.dur) > XMOD_DUR_MAX ||
		    xmodwire_mute(key, &again, &m2) != 0 ||
		    m2.until != m.until)
			abort();
	}
	if (xmodwire_kick(key, val, &k) == 0 &&
	    (!name_valid(k.name, strlen(k.name)) ||
	     !name_valid(k.by, strlen(k.by)) ||
	     strlen(k.reason) > BAN_REASON_MAX))
		abort();
	if (xmodwire_by(val, by) == 0 && !name_valid(by, strlen(by)))
		abort();
	struct xtake tk, tk2;
	if (xmodwire_take(key, val, &tk) == 0) {
		struct xstr again = { mv, xmodwire_take_value(&tk, mv) };
		if (!name_valid(tk.name, strlen(tk.name)) ||
		    !xwire_host_ok(tk.host, strlen(tk.host)) ||
		    !xmodwire_ip_ok(tk.ip) || strlen(tk.ip) > XMOD_IP_MAX ||
		    xmodwire_take(key, &again, &tk2) != 0 ||
		    strcmp(tk2.ip, tk.ip) != 0 ||
		    strcmp(tk2.host, tk.host) != 0)
			abort();
	}
	struct xtopic t, t2;
	if (xmodwire_topic(key, val, &t) == 0) {
		struct xstr again = { mv, xmodwire_topic_value(&t, mv) };
		if (!room_valid(t.room, strlen(t.room)) ||
		    !name_valid(t.by, strlen(t.by)) ||
		    strlen(t.text) > MOD_TOPIC_MAX || strchr(t.text, '\t') ||
		    xmodwire_topic(key, &again, &t2) != 0 ||
		    strcmp(t2.text, t.text) != 0)
			abort();
		for (const char *c = t.text; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
	}
}

static void check(const struct resp_value *fields)
{
	struct xmod_entry e;
	const char *why = NULL;
	if (xmodwire_entry(fields, &e, &why) == 0) {
		if (!xwire_host_ok(e.host.s, e.host.len) ||
		    e.target.len == 0 || e.target.len >= XMOD_KEY_MAX ||
		    e.value.len > XMOD_VALUE_MAX ||
		    strlen(xmodwire_kind(e.kind)) < 3)
			abort();
		values(&e.target, &e.value);
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

/* Offline messages from a take: at most max, each a valid sender and
 * a clean text of 1 to FRAME_TEXT_MAX bytes; every element counted. */
static void mails(const struct resp_value *v)
{
	struct mail m[MAILBOX_MAX];
	char line[MAILBOX_LINE_MAX];
	size_t bad = 0, n = mailbox_values(v, m, MAILBOX_MAX, &bad);
	if (n > MAILBOX_MAX || (v->type == RESP_ARRAY && n < MAILBOX_MAX &&
				n + bad != v->n))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!name_valid(m[i].from, strlen(m[i].from)) ||
		    m[i].textlen == 0 || m[i].textlen > FRAME_TEXT_MAX ||
		    m[i].when < 0 || memchr(m[i].text, '\n', m[i].textlen) ||
		    memchr(m[i].text, '\t', m[i].textlen) ||
		    mailbox_line(&m[i], line, sizeof line) == 0)
			abort();
	}
}

/* An ignore list (GET's bulk string): all of it valid names, each
 * with its LF, no repeats, at most IGNORE_MAX, and formatted again it
 * is the same bytes; or refused with nothing kept. */
static void ignores(const struct resp_value *v)
{
	static struct ignores ig;
	static char out[IGNORE_FILE_MAX];
	if (v->type != RESP_BULK)
		return;
	if (ignore_strict(&ig, v->str, v->len) != 0) {
		if (ig.n != 0)
			abort();
		return;
	}
	if (ig.n > IGNORE_MAX)
		abort();
	for (size_t i = 0; i < ig.n; i++)
		if (!name_valid(ig.names[i], strlen(ig.names[i])))
			abort();
	size_t n = ignore_format(&ig, out, sizeof out);
	if (n != v->len || memcmp(out, v->str, n) != 0)
		abort();
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
	mails(v);
	ignores(v);
	for (size_t i = 0; v->type == RESP_ARRAY && i + 1 < v->n; i += 2) {
		const struct resp_value *k = &v->elem[i], *x = &v->elem[i + 1];
		if (k->type != RESP_BULK || x->type != RESP_BULK)
			continue;
		struct xstr key = { k->str, k->len }, val = { x->str, x->len };
		values(&key, &val);
	}
	return 0;
}
