/* test_xhost_wire.c — presence across hosts' entries as read from
 * Redis (broker/xhost_wire.c): events and private lines taken when
 * every field is right, refused with a reason when one is not. */
#include "../../broker/xhost_wire.h"
#include "frame.h"
#include "unit.h"

#include <string.h>

static struct resp_value vals[2 * XWIRE_FIELDS_MAX + 2];

/* An array of bulk strings from NULL-terminated pairs. */
static struct resp_value *fields(const char *const *kv)
{
	static struct resp_value arr;
	size_t n = 0;
	for (; kv[n]; n++)
		vals[n] = (struct resp_value){ .type = RESP_BULK, .str = kv[n],
					       .len = strlen(kv[n]) };
	arr = (struct resp_value){ .type = RESP_ARRAY, .elem = vals, .n = n };
	return &arr;
}

static int event_ok(const char *const *kv, struct xev *ev)
{
	const char *why = NULL;
	int rc = xwire_event(fields(kv), ev, &why);
	return rc == 0 ? 1 : (why ? 0 : -1);
}

static void events(void)
{
	struct xev ev;
	const char *move[] = { "h", "vm-0123abcd", "k", "move", "n", "Ann",
			       "r", "dev", "o", "lobby", "extra", "x", NULL };
	CHECK(event_ok(move, &ev) == 1 && ev.kind == XEV_MOVE &&
	      ev.name.len == 3 && memcmp(ev.old.s, "lobby", 5) == 0);
	const char *dead[] = { "h", "vm-1", "k", "dead", "n", "", "r", "",
			       "o", "", NULL };
	CHECK(event_ok(dead, &ev) == 1 && ev.kind == XEV_DEAD);
	const char *named_dead[] = { "h", "vm-1", "k", "dead", "n", "ann",
				     "r", "", "o", "", NULL };
	CHECK(event_ok(named_dead, &ev) == 0);
	const char *no_name[] = { "h", "vm-1", "k", "join", "n", "", "r",
				  "lobby", "o", "", NULL };
	CHECK(event_ok(no_name, &ev) == 0);
	const char *bad_host[] = { "h", "vm/1", "k", "join", "n", "ann", "r",
				   "lobby", "o", "", NULL };
	CHECK(event_ok(bad_host, &ev) == 0);
	const char *kind[] = { "h", "vm-1", "k", "jump", "n", "ann", "r", "",
			       "o", "", NULL };
	CHECK(event_ok(kind, &ev) == 0);
	const char *missing[] = { "h", "vm-1", "k", "join", "n", "ann", "r",
				  "", NULL };
	CHECK(event_ok(missing, &ev) == 0);
	const char *twice[] = { "h", "vm-1", "h", "vm-2", "k", "join", "n",
				"ann", "r", "", "o", "", NULL };
	CHECK(event_ok(twice, &ev) == 0);
	const char *room[] = { "h", "vm-1", "k", "join", "n", "ann", "r",
			       "no room", "o", "", NULL };
	CHECK(event_ok(room, &ev) == 0);
}

static void messages(void)
{
	struct xmsg m;
	const char *why = NULL;
	const char *ok[] = { "f", "ann", "t", "bob", "i", "0a1b 7", "x",
			     "hello there", NULL };
	CHECK(xwire_msg(fields(ok), &m, &why) == 0 && m.text.len == 11);
	const char *esc[] = { "f", "ann", "t", "bob", "i", "", "x",
			      "a\033[2Jb", NULL };
	CHECK(xwire_msg(fields(esc), &m, &why) == -1 && why);
	const char *to[] = { "f", "ann", "t", "b b", "i", "", "x", "", NULL };
	CHECK(xwire_msg(fields(to), &m, &why) == -1);
	static char big[FRAME_TEXT_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	const char *longer[] = { "f", "ann", "t", "bob", "i", "", "x", big,
				 NULL };
	CHECK(xwire_msg(fields(longer), &m, &why) == -1);
}

static void people(void)
{
	struct xstr n, r;
	struct resp_value v = { .type = RESP_BULK, .str = "Ann lobby",
				.len = 9 };
	CHECK(xwire_person(&v, &n, &r) == 0 && n.len == 3 && r.len == 5);
	v.str = "Ann ";
	v.len = 4;
	CHECK(xwire_person(&v, &n, &r) == 0 && r.len == 0);
	v.str = "Ann";
	v.len = 3;
	CHECK(xwire_person(&v, &n, &r) == -1);
	v.str = "Ann lo bby";
	v.len = 10;
	CHECK(xwire_person(&v, &n, &r) == -1);
}

int main(void)
{
	events();
	messages();
	people();
	return UNIT_DONE();
}
