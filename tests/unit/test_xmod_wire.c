/* test_xmod_wire.c — moderation across hosts' entries and values as
 * read from Redis (broker/xmod_wire.c): taken when every field is
 * right, refused (with a reason for an entry) when one is not; a ban's
 * key must be its line's target, a mute's value reads back as written;
 * a takeover names a host and an address, nothing else. */
#include "../../broker/xmod_wire.h"
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

static int entry_ok(const char *const *kv, struct xmod_entry *e)
{
	const char *why = NULL;
	int rc = xmodwire_entry(fields(kv), e, &why);
	return rc == 0 ? 1 : (why ? 0 : -1);
}

static struct xstr xs(const char *s)
{
	return (struct xstr){ s, strlen(s) };
}

static void entries(void)
{
	struct xmod_entry e;
	const char *ban[] = { "h", "vm-1", "k", "ban", "t", "bob", "v",
			      "ban\tbob\t0\tann\tflooding", "later", "x", NULL };
	CHECK(entry_ok(ban, &e) == 1 && e.kind == XM_BAN &&
	      e.target.len == 3 && e.value.len == 22);
	const char *kind[] = { "h", "vm-1", "k", "nuke", "t", "bob", "v", "",
			       NULL };
	CHECK(entry_ok(kind, &e) == 0);
	const char *host[] = { "h", "vm/1", "k", "kick", "t", "bob", "v", "a",
			       NULL };
	CHECK(entry_ok(host, &e) == 0);
	const char *missing[] = { "h", "vm-1", "k", "kick", "t", "bob", NULL };
	CHECK(entry_ok(missing, &e) == 0);
	const char *twice[] = { "h", "vm-1", "k", "kick", "t", "bob", "t",
				"cy", "v", "ann\t", NULL };
	CHECK(entry_ok(twice, &e) == 0);
	const char *esc[] = { "h", "vm-1", "k", "ban", "t", "bob", "v",
			      "ban\tbob\t0\tann\t\x1b[2J", NULL };
	CHECK(entry_ok(esc, &e) == 0);
	const char *tab_t[] = { "h", "vm-1", "k", "kick", "t", "b\tob", "v",
				"ann\t", NULL };
	CHECK(entry_ok(tab_t, &e) == 0);
	const char *no_t[] = { "h", "vm-1", "k", "kick", "t", "", "v",
			       "ann\t", NULL };
	CHECK(entry_ok(no_t, &e) == 0);
	const char *odd[] = { "h", "vm-1", "k", NULL };
	CHECK(entry_ok(odd, &e) == 0);
	CHECK(strcmp(xmodwire_kind(XM_UNMUTE), "unmute") == 0);
}

static void bans(void)
{
	struct ban b;
	char key[XMOD_KEY_MAX];
	struct xstr line = xs("ban\tBob\t1900000000\tann\tflooding");
	CHECK(xmodwire_ban(&(struct xstr){ "bob", 3 }, &line, &b) == 0 &&
	      b.until == 1900000000 && strcmp(b.reason, "flooding") == 0);
	CHECK(xmodwire_ban_key(&b, key) == 3 && strcmp(key, "bob") == 0);
	struct xstr wrong = xs("cy");
	CHECK(xmodwire_ban(&wrong, &line, &b) == -1);
	struct xstr net = xs("ban\t192.0.2.0/24\t0\tnatterctl\t");
	struct xstr nkey = xs("192.0.2.0/24");
	CHECK(xmodwire_ban(&nkey, &net, &b) == 0 && b.kind == BAN_ADDR);
	struct xstr bad = xs("ban\tbob\tsoon\tann\tx");
	CHECK(xmodwire_ban(&(struct xstr){ "bob", 3 }, &bad, &b) == -1);
}

static void mutes(void)
{
	struct xmute m, m2;
	char v[XMOD_VALUE_MAX];
	struct xstr name = xs("bob"), val = xs("1900000000\tann\t1h");
	CHECK(xmodwire_mute(&name, &val, &m) == 0 && m.until == 1900000000 &&
	      strcmp(m.by, "ann") == 0 && strcmp(m.dur, "1h") == 0);
	struct xstr again = { v, xmodwire_mute_value(&m, v) };
	CHECK(xmodwire_mute(&name, &again, &m2) == 0 && m2.until == m.until &&
	      strcmp(m2.dur, "1h") == 0);
	struct xstr upper = xs("Bob");
	CHECK(xmodwire_mute(&upper, &val, &m) == -1);
	struct xstr nodur = xs("0\tann\t"), baddur = xs("0\tann\tsoon"),
		    short_ = xs("0\tann"), extra = xs("0\tann\t1h\tx"),
		    noun = xs("\tann\t");
	CHECK(xmodwire_mute(&name, &nodur, &m) == 0 && m.until == 0);
	CHECK(xmodwire_mute(&name, &baddur, &m) == -1);
	CHECK(xmodwire_mute(&name, &short_, &m) == -1);
	CHECK(xmodwire_mute(&name, &extra, &m) == -1);
	CHECK(xmodwire_mute(&name, &noun, &m) == -1);
}

static void kicks(void)
{
	struct xkick k;
	char by[BAN_BY_MAX + 1];
	struct xstr name = xs("bob"), val = xs("ann\tbe nice");
	CHECK(xmodwire_kick(&name, &val, &k) == 0 &&
	      strcmp(k.by, "ann") == 0 && strcmp(k.reason, "be nice") == 0);
	struct xstr tabs = xs("ann\tbe\tnice"), noby = xs("\tx");
	CHECK(xmodwire_kick(&name, &tabs, &k) == -1);
	CHECK(xmodwire_kick(&name, &noby, &k) == -1);
	struct xstr ok = xs("natterctl"), bad = xs("no one");
	CHECK(xmodwire_by(&ok, by) == 0 && strcmp(by, "natterctl") == 0);
	CHECK(xmodwire_by(&bad, by) == -1);
}

static void topics(void)
{
	struct xtopic t, t2;
	char buf[XMOD_VALUE_MAX];
	struct xstr room = xs("lobby"), val = xs("ann\tWelcome, be kind");
	CHECK(xmodwire_topic(&room, &val, &t) == 0 &&
	      strcmp(t.room, "lobby") == 0 && strcmp(t.by, "ann") == 0 &&
	      strcmp(t.text, "Welcome, be kind") == 0);
	struct xstr again = { buf, xmodwire_topic_value(&t, buf) };
	CHECK(xmodwire_topic(&room, &again, &t2) == 0 &&
	      strcmp(t2.text, t.text) == 0);
	struct xstr cleared = xs("ann\t"), upper = xs("Lobby"),
		    tab = xs("ann\ta\tb"), ctl = xs("ann\ta\x1b[2J"),
		    noby = xs("\tx"), badroom = xs("lob by");
	CHECK(xmodwire_topic(&room, &cleared, &t) == 0 && t.text[0] == '\0');
	CHECK(xmodwire_topic(&upper, &val, &t) == -1);
	CHECK(xmodwire_topic(&badroom, &val, &t) == -1);
	CHECK(xmodwire_topic(&room, &tab, &t) == -1);
	CHECK(xmodwire_topic(&room, &ctl, &t) == -1);
	CHECK(xmodwire_topic(&room, &noby, &t) == -1);
	char big[MOD_TOPIC_MAX + 8];
	memset(big, 'x', sizeof big);
	memcpy(big, "ann\t", 4);
	struct xstr at = { big, 4 + MOD_TOPIC_MAX },
		    past = { big, 5 + MOD_TOPIC_MAX };
	CHECK(xmodwire_topic(&room, &at, &t) == 0);
	CHECK(xmodwire_topic(&room, &past, &t) == -1);
	static const char *const entry[] = { "h", "host-a", "k", "topic",
		"t", "lobby", "v", "ann\tx", NULL };
	struct xmod_entry e;
	CHECK(entry_ok(entry, &e) == 1 && e.kind == XM_TOPIC);
}

static void takeovers(void)
{
	struct xtake t, t2;
	char buf[XMOD_VALUE_MAX];
	struct xstr name = xs("bob"), val = xs("vm-2\t192.0.2.7");
	CHECK(xmodwire_take(&name, &val, &t) == 0 &&
	      strcmp(t.name, "bob") == 0 && strcmp(t.host, "vm-2") == 0 &&
	      strcmp(t.ip, "192.0.2.7") == 0);
	struct xstr again = { buf, xmodwire_take_value(&t, buf) };
	CHECK(xmodwire_take(&name, &again, &t2) == 0 &&
	      strcmp(t2.host, t.host) == 0 && strcmp(t2.ip, t.ip) == 0);
	struct xstr v6 = xs("vm-2\t2001:db8::1"), unknown = xs("vm-2\t?"),
		    noip = xs("vm-2\t"), nohost = xs("\t192.0.2.7"),
		    badhost = xs("vm/2\t192.0.2.7"), badip = xs("vm-2\tlocal"),
		    esc = xs("vm-2\t\x1b[2J"), extra = xs("vm-2\t1.2.3.4\tx"),
		    notab = xs("vm-2"), upper = xs("Bob");
	CHECK(xmodwire_take(&name, &v6, &t) == 0);
	CHECK(xmodwire_take(&name, &unknown, &t) == 0 &&
	      strcmp(t.ip, "?") == 0);
	CHECK(xmodwire_take(&name, &noip, &t) == -1);
	CHECK(xmodwire_take(&name, &nohost, &t) == -1);
	CHECK(xmodwire_take(&name, &badhost, &t) == -1);
	CHECK(xmodwire_take(&name, &badip, &t) == -1);
	CHECK(xmodwire_take(&name, &esc, &t) == -1);
	CHECK(xmodwire_take(&name, &extra, &t) == -1);
	CHECK(xmodwire_take(&name, &notab, &t) == -1);
	CHECK(xmodwire_take(&upper, &val, &t) == -1);
	char big[XMOD_IP_MAX + 8];
	memset(big, '1', sizeof big);
	memcpy(big, "vm-2\t", 5);
	struct xstr at = { big, 5 + XMOD_IP_MAX },
		    past = { big, 6 + XMOD_IP_MAX };
	CHECK(xmodwire_take(&name, &at, &t) == 0);
	CHECK(xmodwire_take(&name, &past, &t) == -1);
	static const char *const entry[] = { "h", "vm-2", "k", "takeover",
		"t", "bob", "v", "vm-2\t192.0.2.7", NULL };
	struct xmod_entry e;
	CHECK(entry_ok(entry, &e) == 1 && e.kind == XM_TAKEOVER &&
	      strcmp(xmodwire_kind(e.kind), "takeover") == 0);
	static const char *const near[] = { "h", "vm-2", "k", "takeovers",
		"t", "bob", "v", "vm-2\t192.0.2.7", NULL };
	CHECK(entry_ok(near, &e) == 0);
}

int main(void)
{
	entries();
	bans();
	mutes();
	kicks();
	topics();
	takeovers();
	return UNIT_DONE();
}
