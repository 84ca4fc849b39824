/* unit.h — the smallest test harness that reports what failed.
 *
 * Each CHECK prints "ok" or "FAIL" with its place; the runner counts
 * the lines, so every check is one test in the final tally. */
#ifndef NATTER_UNIT_H
#define NATTER_UNIT_H

#include <stdio.h>

static int unit_failed;

#define CHECK(cond) \
	do { \
		if (cond) { \
			printf("ok %s:%d %s\n", __FILE__, __LINE__, #cond); \
		} else { \
			printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); \
			unit_failed = 1; \
		} \
	} while (0)

#define UNIT_DONE() (fflush(stdout), unit_failed)

#endif
