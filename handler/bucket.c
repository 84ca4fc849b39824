/* bucket.c — integer token bucket on a monotonic millisecond clock. */
#include "bucket.h"

void bucket_init(struct bucket *b, int burst, int rate, long long now_ms)
{
	b->cap_milli = (long long)(burst > 0 ? burst : 1) * 1000;
	b->milli = b->cap_milli;
	b->rate = rate > 0 ? rate : 0;
	b->last_ms = now_ms;
}

static void refill(struct bucket *b, long long now_ms)
{
	if (now_ms > b->last_ms) {
		b->milli += (now_ms - b->last_ms) * b->rate;
		if (b->milli > b->cap_milli)
			b->milli = b->cap_milli;
	}
	b->last_ms = now_ms;
}

long long bucket_take(struct bucket *b, long long now_ms)
{
	if (b->rate == 0)
		return 0;
	refill(b, now_ms);
	if (b->milli >= 1000) {
		b->milli -= 1000;
		return 0;
	}
	return (1000 - b->milli + b->rate - 1) / b->rate;
}

int bucket_full(struct bucket *b, long long now_ms)
{
	if (b->rate == 0)
		return 1;
	refill(b, now_ms);
	return b->milli >= b->cap_milli;
}
