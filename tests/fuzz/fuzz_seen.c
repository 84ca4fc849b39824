/* fuzz_seen.c — libFuzzer harness for where an account last left
 * (DIR/seen/NAME, broker/seen.c): a disk may hold anything.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_seen -max_total_time=60
 *
 * What must hold: a file read is a valid room and a number, and
 * written out again ("ROOM SEQ\n") it fits and is no longer than what
 * was read (the same bytes but for leading zeros). */
#include "../../broker/seen.h"
#include "names.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char room[ROOM_LEN_MAX + 1], again[SEEN_FILE_MAX];
	uint64_t seq;
	if (size > SEEN_FILE_MAX) /* acctfile_read's bound */
		size = SEEN_FILE_MAX;
	if (seen_parse((const char *)data, size, room, &seq) != 0)
		return 0;
	if (!room_valid(room, strlen(room)))
		abort();
	int n = snprintf(again, sizeof again, "%s %" PRIu64 "\n", room, seq);
	if (n < 0 || (size_t)n >= sizeof again)
		abort();
	/* leading zeros read as the number: the same up to them */
	if ((size_t)n > size)
		abort();
	return 0;
}
