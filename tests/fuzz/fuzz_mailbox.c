/* fuzz_mailbox.c — libFuzzer harness for the files the broker keeps
 * per account in its state directory (a disk may hold anything): the
 * offline mailbox (broker/mailbox.c) and the ignore list
 * (broker/ignore.c).
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_mailbox -max_total_time=60
 *
 * What must hold: each message parsed has a valid sender, a text of 1
 * to FRAME_TEXT_MAX bytes without control bytes, and at most
 * MAILBOX_MAX are found; written out again and parsed, the same
 * messages come back.  The ignore list holds at most IGNORE_MAX valid,
 * distinct names, and its file form parses to itself. */
#include "../../broker/ignore.h"
#include "../../broker/mailbox.h"
#include "names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct collect {
	char *out;
	size_t len, size, n;
};

static void check_one(const struct mail *m, void *arg)
{
	struct collect *c = arg;
	if (!name_valid(m->from, strlen(m->from)) || m->textlen == 0 ||
	    m->textlen > FRAME_TEXT_MAX || m->when < 0)
		abort();
	for (size_t i = 0; i < m->textlen; i++) {
		unsigned char ch = (unsigned char)m->text[i];
		if (ch < 0x20 || ch == 0x7f)
			abort();
	}
	size_t n = mailbox_line(m, c->out + c->len, c->size - c->len);
	if (n == 0)
		abort(); /* MAILBOX_FILE_MAX holds MAILBOX_MAX lines */
	c->len += n;
	c->n++;
}

static void mailbox(const char *data, size_t size)
{
	static char out[MAILBOX_FILE_MAX], again[MAILBOX_FILE_MAX];
	struct collect c = { out, 0, sizeof out, 0 };
	size_t n = mailbox_parse(data, size, check_one, &c);
	if (n != c.n || n > MAILBOX_MAX)
		abort();
	struct collect c2 = { again, 0, sizeof again, 0 };
	if (mailbox_parse(out, c.len, check_one, &c2) != n ||
	    c2.len != c.len || memcmp(out, again, c.len) != 0)
		abort();
}

static void ignores(const char *data, size_t size)
{
	static struct ignores ig, ig2;
	static char out[IGNORE_FILE_MAX];
	size_t n = ignore_parse(&ig, data, size);
	if (n > IGNORE_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *a = ig.names[i];
		if (!name_valid(a, strlen(a)))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(a, ig.names[j]) == 0)
				abort();
	}
	size_t len = ignore_format(&ig, out, sizeof out);
	if (ignore_parse(&ig2, out, len) != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strcmp(ig.names[i], ig2.names[i]) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mailbox((const char *)data, size);
	ignores((const char *)data, size);
	return 0;
}
