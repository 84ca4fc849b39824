/* fuzz_telnet.c — libFuzzer harness for natter-session's input path:
 * the telnet parser (handler/telnet.c) feeding the line discipline
 * (handler/line.c), byte by byte, as session.c does.
 *
 * make fuzz runs it (make check replays tests/fuzz/corpus/telnet); or
 * build and run it alone (60 seconds):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       tests/fuzz/fuzz_telnet.c handler/telnet.c handler/line.c \
 *       -o build/fuzz_telnet
 *   mkdir -p build/fuzz-corpus
 *   build/fuzz_telnet -max_total_time=60 build/fuzz-corpus
 *
 * The first input byte chooses what natter-session did before the
 * bytes came (BINARY offered, echo offered or withdrawn), so those
 * states are reached too.  Checked besides memory safety: a line never
 * passes LINE_MAX_BYTES and is NUL-terminated when ready; every reply
 * is one 3-byte IAC command and never more than TELNET_REPLY_MAX; no
 * value comes out of telnet_feed but a byte, a line key or
 * TELNET_NONE; and the peer can never make us answer more often than
 * it asks (at most one reply per command it sends: no loop). */
#include "../../handler/line.h"
#include "../../handler/telnet.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
	if (!ok)
		abort();
}

static void start(struct telnet *t, uint8_t how)
{
	unsigned char out[TELNET_START_LEN];
	if (how & 1)
		check(telnet_start(t, out) == TELNET_START_LEN);
	if (how & 2)
		check(telnet_will_echo(t, out) == 3);
	if (how & 4)
		check(telnet_wont_echo(t, out) <= 3);
}

static void check_reply(const unsigned char *reply, size_t rl)
{
	check(rl == 0 || rl == 3);
	if (rl == 3)
		check(reply[0] == TELNET_IAC && reply[1] >= TELNET_WILL &&
		      reply[1] <= TELNET_DONT);
}

static void check_event(const struct line *l, enum line_event e)
{
	check(l->len <= LINE_MAX_BYTES);
	if (e == LINE_READY)
		check(l->buf[l->len] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct telnet t;
	static struct line l;
	size_t commands = 0, replies = 0;
	if (size == 0)
		return 0;
	telnet_init(&t);
	line_init(&l);
	start(&t, data[0]);
	for (size_t i = 1; i < size; i++) {
		unsigned char reply[TELNET_REPLY_MAX];
		size_t rl = 99;
		if (data[i] == TELNET_IAC)
			commands++;
		int c = telnet_feed(&t, data[i], reply, &rl);
		check_reply(reply, rl);
		replies += rl / 3;
		check(replies <= commands);
		check(c == TELNET_NONE || (c >= 0 && c <= 255) ||
		      c == LINE_KEY_ERASE || c == LINE_KEY_KILL ||
		      c == LINE_KEY_INTERRUPT);
		if (c == TELNET_NONE)
			continue;
		check_event(&l, line_feed(&l, c));
		if (data[0] & 8)
			(void)line_question_due(&l);
	}
	/* the end of input, as read_person does it */
	if (l.len > 0 && !l.ready)
		check_event(&l, line_feed(&l, '\n'));
	return 0;
}
