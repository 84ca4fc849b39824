/* test_moderation.c — bans, mutes and topics as pure state
 * (lib/bans.h, broker/moderation.h), and the files' text read back. */
#include "unit.h"
#include "bans.h"
#include "../../broker/moderation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static struct moderation m, back;
static char buf[BANS_MAX * BAN_LINE_MAX];

static long long dur(const char *s)
{
	long long v = -1;
	return ban_duration(s, strlen(s), &v) == 0 ? v : -1;
}

static void durations(void)
{
	CHECK(dur("5s") == 5);
	CHECK(dur("10m") == 600);
	CHECK(dur("2h") == 7200);
	CHECK(dur("7d") == 7 * 86400);
	CHECK(dur("366d") == BAN_DURATION_MAX);
	CHECK(dur("367d") == -1);
	CHECK(dur("0s") == -1);
	CHECK(dur("10") == -1);
	CHECK(dur("m") == -1);
	CHECK(dur("1x") == -1);
	CHECK(dur("-1m") == -1);
	CHECK(dur("99999999999999999999d") == -1);
}

static int target(const char *s, struct ban *b)
{
	memset(b, 0, sizeof *b);
	return ban_target(s, strlen(s), b);
}

static void targets(void)
{
	struct ban b;
	char t[BAN_TARGET_TEXT_MAX];
	CHECK(target("ann", &b) == 0 && b.kind == BAN_NAME);
	CHECK(target("192.0.2.7", &b) == 0 && b.kind == BAN_ADDR &&
	      b.prefix == 32);
	CHECK(target("192.0.2.7/24", &b) == 0 && b.prefix == 24);
	ban_target_text(&b, t, sizeof t);
	CHECK(strcmp(t, "192.0.2.0/24") == 0);
	CHECK(target("2001:db8::1", &b) == 0 && b.prefix == 64);
	ban_target_text(&b, t, sizeof t);
	CHECK(strcmp(t, "2001:db8::/64") == 0);
	CHECK(target("2001:db8::1/128", &b) == 0 && b.prefix == 128);
	CHECK(target("::ffff:10.0.0.1", &b) == 0 && b.family == AF_INET);
	CHECK(target("192.0.2.7/33", &b) == -1);
	CHECK(target("192.0.2.7/", &b) == -1);
	CHECK(target("192.0.2.7/-1", &b) == -1);
	CHECK(target("2001:db8::1/129", &b) == -1);
	CHECK(target("not a name", &b) == -1);
	CHECK(target("ann\x1b", &b) == -1);
	CHECK(target("", &b) == -1);
}

static void matching(void)
{
	struct ban b;
	memset(&m, 0, sizeof m);
	target("192.0.2.0/24", &b);
	b.until = 100;
	CHECK(banlist_add(&m.bans, &b) == 0);
	target("2001:db8:1:2::5", &b);
	b.until = 0;
	CHECK(banlist_add(&m.bans, &b) == 0);
	target("Ann", &b);
	CHECK(banlist_add(&m.bans, &b) == 0);
	CHECK(banlist_find_ip(&m.bans, "192.0.2.200", 50) != NULL);
	CHECK(banlist_find_ip(&m.bans, "::ffff:192.0.2.1", 50) != NULL);
	CHECK(banlist_find_ip(&m.bans, "192.0.2.200", 100) == NULL); /* over */
	CHECK(banlist_find_ip(&m.bans, "192.0.3.1", 50) == NULL);
	CHECK(banlist_find_ip(&m.bans, "2001:db8:1:2:ffff::1", 50) != NULL);
	CHECK(banlist_find_ip(&m.bans, "2001:db8:1:3::1", 50) == NULL);
	CHECK(banlist_find_ip(&m.bans, "local", 50) == NULL);
	CHECK(banlist_find_name(&m.bans, "ANN", 3, 50) != NULL);
	CHECK(banlist_find_name(&m.bans, "bob", 3, 50) == NULL);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, "192.0.2.9", &sin.sin_addr);
	CHECK(banlist_find_sa(&m.bans, (struct sockaddr *)&sin, 99) != NULL);
	/* the same target replaces; removal; expiry */
	target("192.0.2.1/24", &b);
	b.until = 0;
	CHECK(banlist_add(&m.bans, &b) == 0 && m.bans.n == 3);
	CHECK(banlist_find_ip(&m.bans, "192.0.2.200", 1000) != NULL);
	CHECK(banlist_remove(&m.bans, &b) == 1 && m.bans.n == 2);
	CHECK(banlist_remove(&m.bans, &b) == 0);
	target("10.0.0.1", &b);
	b.until = 5;
	banlist_add(&m.bans, &b);
	CHECK(banlist_expire(&m.bans, 5) == 1 && m.bans.n == 2);
	/* bounded: BANS_MAX, then refused */
	struct banlist *l = &back.bans;
	l->n = 0;
	for (unsigned i = 0; i < BANS_MAX; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.%u.%u.1", i / 256, i % 256);
		target(ip, &b);
		CHECK(banlist_add(l, &b) == 0);
	}
	CHECK(banlist_add(l, &b) == 0); /* a replacement still fits */
	target("11.0.0.1", &b);
	CHECK(banlist_add(l, &b) == -1 && l->n == BANS_MAX);
}

static void files(void)
{
	struct ban b;
	memset(&m, 0, sizeof m);
	target("192.0.2.0/24", &b);
	b.until = 2000000000;
	snprintf(b.by, sizeof b.by, "bob");
	snprintf(b.reason, sizeof b.reason, "spam, and more spam");
	banlist_add(&m.bans, &b);
	target("cy", &b);
	b.until = 10; /* over at 20: not written */
	banlist_add(&m.bans, &b);
	target("dee", &b);
	b.until = 0;
	snprintf(b.by, sizeof b.by, "natterctl"); /* the reason empty */
	banlist_add(&m.bans, &b);
	size_t n = mod_bans_text(&m, 20, buf, sizeof buf);
	CHECK(strstr(buf, "ban\t192.0.2.0/24\t2000000000\tbob\tspam, and "
		      "more spam\n") == buf);
	CHECK(banlist_parse(&back.bans, buf, n) == 0 && back.bans.n == 2);
	CHECK(banlist_find_name(&back.bans, "dee", 3, 30) != NULL);
	CHECK(banlist_find_ip(&back.bans, "192.0.2.3", 30) != NULL);
	CHECK(strcmp(back.bans.v[0].reason, "spam, and more spam") == 0);
	const char bad[] = "# comment\nban\tann\t0\tbob\n"
			   "ban\tann\tx\tbob\tr\n"
			   "ban\tann\t0\tb b\tr\n"
			   "ban\t1.2.3.4/99\t0\tbob\tr\n"
			   "ban\tann\t0\tbob\tbell\a\n"
			   "bam\tann\t0\tbob\tr\n"
			   "ban\tok\t0\tbob\tfine\n"
			   "ban\tcut\t0\tbob\tno LF";
	CHECK(banlist_parse(&back.bans, bad, sizeof bad - 1) == 8);
	CHECK(back.bans.n == 1 && strcmp(back.bans.v[0].name, "ok") == 0);
}

static void mutes_and_topics(void)
{
	memset(&m, 0, sizeof m);
	CHECK(mod_mute(&m, "ann", 100) == 0);
	CHECK(mod_muted(&m, "ANN", 99) != NULL);
	CHECK(mod_muted(&m, "ann", 100) == NULL);
	CHECK(mod_mute(&m, "bob", 0) == 0 && mod_muted(&m, "bob", 1LL << 40));
	CHECK(mod_unmute(&m, "Bob") == 1 && !mod_muted(&m, "bob", 1));
	CHECK(mod_unmute(&m, "bob") == 0);
	CHECK(mod_topic_set(&m, "lobby", "bob", "welcome", 7) == 0);
	CHECK(mod_topic(&m, "LOBBY") &&
	      strcmp(mod_topic(&m, "lobby")->text, "welcome") == 0);
	CHECK(mod_topic_set(&m, "x", "ann", "a\tb", 3) == 0);
	size_t n = mod_topics_text(&m, buf, sizeof buf);
	CHECK(mod_topics_parse(&back, buf, n) == 1); /* its tab: skipped */
	CHECK(back.ntopics == 1 && mod_topic(&back, "lobby"));
	CHECK(mod_topic_set(&m, "lobby", "bob", "", 0) == 0 &&
	      !mod_topic(&m, "lobby"));
	char longtext[MOD_TOPIC_MAX + 50];
	memset(longtext, 'x', sizeof longtext);
	CHECK(mod_topic_set(&m, "y", "bob", longtext, sizeof longtext) == 0);
	CHECK(strlen(mod_topic(&m, "y")->text) == MOD_TOPIC_MAX);
}

int main(void)
{
	durations();
	targets();
	matching();
	files();
	mutes_and_topics();
	return UNIT_DONE();
}
