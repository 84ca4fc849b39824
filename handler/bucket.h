/* bucket.h — a token bucket: how fast a person may send lines. */
#ifndef NATTER_BUCKET_H
#define NATTER_BUCKET_H

struct bucket {
	long long milli;     /* tokens x 1000 */
	long long cap_milli; /* burst x 1000 */
	long long rate;      /* tokens per second; 0 = no limit */
	long long last_ms;   /* when milli was last brought up to date */
};

void bucket_init(struct bucket *b, int burst, int rate, long long now_ms);
/* Takes one token.  Returns 0 when taken, else the milliseconds until
 * one is available (nothing taken). */
long long bucket_take(struct bucket *b, long long now_ms);
/* 1 when the bucket has refilled to its burst (the episode is over). */
int bucket_full(struct bucket *b, long long now_ms);

#endif
