/* test_files.c — file sharing's pure parts: the CRC-32C (known values,
 * incremental equals whole), name cleaning (fname.h: nothing offered
 * can name a path outside the download directory), the numbered names
 * that avoid overwriting, the lines of lib/xferproto.h, and the
 * broker's offers table (bounds, tokens, expiry) and its file form
 * (what a restarted broker takes back). */
#include "unit.h"
#include "crc32c.h"
#include "fname.h"
#include "xferproto.h"
#include "../../broker/offers.h"
#include "../../broker/offers_file.h"

#include <stdlib.h>
#include <string.h>

static int cleans_to(const char *in, size_t len, const char *want)
{
	char out[FNAME_MAX + 1];
	size_t n = fname_clean(in, len, out, sizeof out);
	return n == strlen(want) && strcmp(out, want) == 0;
}

static void test_crc(void)
{
	static unsigned char big[100003];
	CHECK(crc32c("123456789", 9) == 0xE3069283u);
	CHECK(crc32c("", 0) == 0);
	CHECK(crc32c("a", 1) == 0xC1D04330u);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8));
	uint32_t whole = crc32c(big, sizeof big), part = 0;
	for (size_t i = 0; i < sizeof big; i += 4097)
		part = crc32c_update(part, big + i, sizeof big - i < 4097 ?
				     sizeof big - i : 4097);
	CHECK(part == whole);
	/* one byte at a time agrees with 8 at a time */
	part = 0;
	for (size_t i = 0; i < 1000; i++)
		part = crc32c_update(part, big + i, 1);
	CHECK(part == crc32c(big, 1000));
	/* the tables agree with the CPU's instruction, where it is used */
	CHECK(crc32c_soft(0, "123456789", 9) == 0xE3069283u);
	CHECK(crc32c_soft(0, big, sizeof big) == whole);
	/* lengths around the three-stream blocks (3 x 2048 bytes) */
	static const size_t lens[] = { 6143, 6144, 6145, 12288, 12301,
				       99999 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		CHECK(crc32c_soft(0xdeadbeefu, big + 1, lens[i]) ==
		      crc32c_update(0xdeadbeefu, big + 1, lens[i]));
	for (size_t n = 0; n < 40; n++)
		CHECK(crc32c_soft(0x12345678u, big + n, n * 3) ==
		      crc32c_update(0x12345678u, big + n, n * 3));
}

static void test_names(void)
{
	char longname[4096], out[FNAME_MAX + 1];
	CHECK(cleans_to("report.pdf", 10, "report.pdf"));
	CHECK(cleans_to("../../etc/passwd", 16, "passwd"));
	CHECK(cleans_to("/x", 2, "x"));
	CHECK(cleans_to("C:\\Users\\a\\boot.ini", 19, "boot.ini"));
	CHECK(cleans_to("..", 2, "_."));
	CHECK(cleans_to(".", 1, "_"));
	CHECK(cleans_to(".bashrc", 7, "_bashrc"));
	CHECK(cleans_to("a\x1b[2Jb", 6, "a_[2Jb"));
	CHECK(cleans_to("a\nb\rc\x7f", 6, "a_b_c_"));
	CHECK(cleans_to("  spaced  ", 10, "spaced"));
	CHECK(cleans_to("caf\xc3\xa9.txt", 9, "caf\xc3\xa9.txt"));
	CHECK(cleans_to("bad\xc3(.txt", 9, "bad_(.txt"));
	CHECK(cleans_to("\xed\xa0\x80", 3, "___")); /* a surrogate */
	CHECK(cleans_to("a\0b", 3, "a_b"));
	CHECK(fname_clean("", 0, out, sizeof out) == 0);
	CHECK(fname_clean("dir/", 4, out, sizeof out) == 0);
	CHECK(fname_clean("   ", 3, out, sizeof out) == 0);
	CHECK(fname_clean("x", 1, out, FNAME_MAX) == 0); /* out too small */
	memset(longname, 'y', sizeof longname);
	CHECK(fname_clean(longname, sizeof longname, out, sizeof out) ==
	      FNAME_MAX && strlen(out) == FNAME_MAX);
	/* a cut never splits a character */
	for (size_t i = 0; i + 1 < sizeof longname; i += 2)
		memcpy(longname + i, "\xc3\xa9", 2);
	size_t n = fname_clean(longname, sizeof longname, out, sizeof out);
	CHECK(n == FNAME_MAX && ((unsigned char)out[n - 1] & 0xc0) == 0x80);
	CHECK(fname_is_clean("report.pdf", 10));
	CHECK(!fname_is_clean("../x", 4));
	CHECK(!fname_is_clean(".x", 2));
	CHECK(!fname_is_clean("", 0));
	CHECK(fname_numbered("report.pdf", 0, out, sizeof out) == 0 &&
	      !strcmp(out, "report.pdf"));
	CHECK(fname_numbered("report.pdf", 1, out, sizeof out) == 0 &&
	      !strcmp(out, "report (1).pdf"));
	CHECK(fname_numbered("archive.tar.gz", 12, out, sizeof out) == 0 &&
	      !strcmp(out, "archive.tar (12).gz"));
	CHECK(fname_numbered("README", 2, out, sizeof out) == 0 &&
	      !strcmp(out, "README (2)"));
	CHECK(fname_numbered("_bashrc", 3, out, sizeof out) == 0 &&
	      !strcmp(out, "_bashrc (3)"));
	CHECK(fname_numbered("report.pdf", 1, out, 8) == -1);
}

static void test_lines(void)
{
	struct xfer_request r;
	struct xfer_event e;
	uint64_t size;
	uint32_t crc;
	char msg[64];
	const char *tok = "0123456789abcdef0123456789abcdef";
	char line[128];
	snprintf(line, sizeof line, "NATTER-FILE/1 PUT %s", tok);
	CHECK(xfer_parse_request(line, strlen(line), &r) == 0 &&
	      r.role == XFER_PUT && !strcmp(r.token, tok));
	snprintf(line, sizeof line, "NATTER-FILE/1 GET %s", tok);
	CHECK(xfer_parse_request(line, strlen(line), &r) == 0 &&
	      r.role == XFER_GET);
	snprintf(line, sizeof line, "NATTER-FILE/1 GET %s ", tok);
	CHECK(xfer_parse_request(line, strlen(line), &r) == -1);
	snprintf(line, sizeof line, "NATTER-FILE/1 GET %.31s", tok);
	CHECK(xfer_parse_request(line, strlen(line), &r) == -1);
	CHECK(xfer_parse_request("NATTER-FILE/1 DEL x", 19, &r) == -1);
	CHECK(!xfer_is_request("ann", 3));
	CHECK(xfer_parse_done("DONE 5 0a1b2c3d", 15, &size, &crc) == 0 &&
	      size == 5 && crc == 0x0a1b2c3d);
	CHECK(xfer_parse_done("DONE 5 0A1B2C3D", 15, &size, &crc) == -1);
	CHECK(xfer_parse_done("DONE -5 0a1b2c3d", 16, &size, &crc) == -1);
	CHECK(xfer_parse_done("DONE 5", 6, &size, &crc) == -1);
	CHECK(xfer_parse_reply("NATTER-FILE/1 OK 12", 19, &size, msg,
			       sizeof msg) == 1 && size == 12);
	CHECK(xfer_parse_reply("NATTER-FILE/1 ERR no\x1b", 21, &size, msg,
			       sizeof msg) == 0 && !strcmp(msg, "no?"));
	CHECK(xfer_parse_u64("18446744073709551615", 20, &size) == -1);
	snprintf(line, sizeof line, "get 7 %s 1200 report (1).pdf", tok);
	CHECK(xfer_parse_event(line, strlen(line), &e) == 0 && e.id == 7 &&
	      e.size == 1200 && !strcmp(e.name, "report (1).pdf"));
	snprintf(line, sizeof line, "get 7 %s 1200 ../x", tok);
	CHECK(xfer_parse_event(line, strlen(line), &e) == -1);
	snprintf(line, sizeof line, "offered 3 %s", tok);
	CHECK(xfer_parse_event(line, strlen(line), &e) == 0 && e.id == 3);
	CHECK(xfer_parse_event("gone 0", 6, &e) == -1);
	CHECK(xfer_parse_event("refused", 7, &e) == 0);
	CHECK(xfer_parse_event("refused x", 9, &e) == -1);
	xfer_size_text(0, msg, sizeof msg);
	CHECK(!strcmp(msg, "0 bytes"));
	xfer_size_text(1234567, msg, sizeof msg);
	CHECK(!strcmp(msg, "1.2 MB"));
	xfer_size_text(999999, msg, sizeof msg);
	CHECK(!strcmp(msg, "1.0 MB"));
}

static void test_offers(void)
{
	static struct offers os;
	struct offer *o, *first = NULL;
	offers_init(&os, 0);
	for (int i = 0; i < OFFERS_PER_PERSON; i++) {
		CHECK(offers_add(&os, "ann", "bob", "f", 1, 1000, &o) ==
		      OFFERS_ADDED);
		if (!first)
			first = o;
	}
	CHECK(offers_add(&os, "Ann", "bob", "f", 1, 1000, &o) ==
	      OFFERS_PERSON_FULL);
	CHECK(offers_add(&os, "cy", "bob", "f", 1, 1000, &o) == OFFERS_ADDED);
	CHECK(strlen(o->token) == XFER_TOKEN_LEN &&
	      xfer_token_ok(o->token, XFER_TOKEN_LEN) &&
	      strcmp(o->token, o->gtoken) != 0 &&
	      strcmp(o->token, first->token) != 0);
	/* a token works only once accepted, and only for its role */
	CHECK(!offers_by_token(&os, XFER_PUT, o->token, XFER_TOKEN_LEN));
	o->state = OFFER_ACCEPTED;
	CHECK(offers_by_token(&os, XFER_PUT, o->token, XFER_TOKEN_LEN) == o);
	CHECK(!offers_by_token(&os, XFER_GET, o->token, XFER_TOKEN_LEN));
	CHECK(offers_by_token(&os, XFER_GET, o->gtoken, XFER_TOKEN_LEN) == o);
	CHECK(offers_due(&os) == 1000 + OFFER_OPEN_MS);
	CHECK(!offers_expired(&os, 999 + OFFER_OPEN_MS));
	size_t n = 0;
	while ((o = offers_expired(&os, 1000 + OFFER_OPEN_MS))) {
		offers_remove(&os, o);
		n++;
	}
	CHECK(n == OFFERS_PER_PERSON + 1 && offers_due(&os) == -1);
	for (int i = 0; i < OFFERS_MAX; i++) {
		char from[16];
		snprintf(from, sizeof from, "p%d", i);
		CHECK(offers_add(&os, from, "bob", "f", 1, 0, &o) ==
		      OFFERS_ADDED);
	}
	CHECK(offers_add(&os, "late", "bob", "f", 1, 0, &o) == OFFERS_FULL);
}

/* Written out and read back (by a broker started later: other clocks),
 * the offers are the same, each restored; a damaged file loses only
 * its damaged lines. */
static void test_offers_file(void)
{
	static struct offers os, back;
	static char buf[OFFERS_FILE_MAX];
	struct offer *o, *a, *b;
	offers_init(&os, 5000);
	CHECK(offers_add(&os, "ann", "bob", "my report (1).pdf", 123, 100, &a)
	      == OFFERS_ADDED);
	CHECK(a->expires == 5100); /* -O's time, not OFFER_OPEN_MS */
	CHECK(offers_add(&os, "cy", "ann", "x", 9, 100, &b) == OFFERS_ADDED);
	b->state = OFFER_ACCEPTED;
	b->claimed = XFER_PUT;
	b->expires = 100 + 60000;
	long n = offers_format(&os, buf, sizeof buf, 1100, 1700000000000LL);
	char small[50];
	CHECK(n > 0 && offers_format(&os, small, sizeof small, 1100, 0) == -1);
	offers_init(&back, 3000);
	/* 1 s later by the wall, another monotonic clock */
	CHECK(offers_parse(&back, buf, (size_t)n, 50, 1700000001000LL) == 0);
	CHECK(back.live == 2);
	o = offers_by_id(&back, a->id);
	CHECK(o && o->state == OFFER_OPEN && o->restored &&
	      o->back_by == 50 + OFFERS_BACK_MS && !strcmp(o->token, a->token)
	      && !strcmp(o->gtoken, a->gtoken) && !strcmp(o->from, "ann") &&
	      !strcmp(o->to, "bob") && o->size == 123 &&
	      !strcmp(o->name, "my report (1).pdf"));
	CHECK(o && o->expires == 50 + 3000); /* 4 s left, at most -O's 3 */
	o = offers_by_id(&back, b->id);
	CHECK(o && o->state == OFFER_ACCEPTED && o->claimed == XFER_PUT &&
	      o->expires == 50 + 58000);
	/* restored: looked at when its people should be back */
	CHECK(offers_due(&back) == 50 + OFFERS_BACK_MS);
	CHECK(!offers_expired(&back, 50 + 3000));
	CHECK(offers_expired(&back, 50 + OFFERS_BACK_MS));
	/* ids go on after the restored ones */
	CHECK(offers_add(&back, "dee", "ann", "y", 1, 60, &o) == OFFERS_ADDED
	      && o->id > b->id);
	/* damage: each bad line is skipped, the good ones kept */
	static const char bad[] =
		"natter-offers 1\nnext 40\n"
		"offer 7 open 0 5 1 0123456789abcdef0123456789abcdef "
		"0123456789abcdef0123456789abcdef ann bob ok.txt\n"
		"offer 7 open 0 5 1 0123456789abcdef0123456789abcdef "
		"0123456789abcdef0123456789abcdef ann bob again.txt\n"
		"offer 8 open 1 5 1 0123456789abcdef0123456789abcdef "
		"0123456789abcdef0123456789abcdef ann bob claimed.txt\n"
		"offer 9 open 0 5 1 0123456789ABCDEF0123456789abcdef "
		"0123456789abcdef0123456789abcdef ann bob upper.txt\n"
		"offer 10 open 0 5 1 0123456789abcdef0123456789abcdef "
		"0123456789abcdef0123456789abcdef ann bob ../x\n"
		"offer 11 open 0 5 1 0123456789abcdef0123456789abcdef "
		"0123456789abcdef0123456789abcdef a/n bob x\n"
		"offer 0 open 0 5 1 0123456789abcdef0123456789abcdef "
		"0123456789abcdef0123456789abcdef ann bob zero\n"
		"offer 12 open 0 5 1\ngarbage\n";
	offers_init(&back, 0);
	CHECK(offers_parse(&back, bad, sizeof bad - 1, 0, 1) == 8);
	CHECK(back.live == 1 && offers_by_id(&back, 7) &&
	      offers_by_id(&back, 7)->expires == 0 && back.next_id == 40);
}

int main(void)
{
	test_crc();
	test_names();
	test_lines();
	test_offers();
	test_offers_file();
	return UNIT_DONE();
}
