/* test_log_time.c — the log's UTC stamp, made by hand (log.c says
 * why): its dates against gmtime_r over 40,000 years, its shape, and
 * that making it reads no time zone. */
#include "../../lib/log.h"
#include "unit.h"

#include <string.h>
#include <time.h>

/* Every day from 10,000 years before 1970 to 30,000 after, and the
 * days around each end of February and of a century. */
static void dates_match_gmtime(void)
{
	long long bad = 0, seen = 0;
	for (long long d = -3652425; d <= 10957275; d++) {
		time_t t = (time_t)(d * 86400);
		struct tm tm;
		long long y;
		unsigned m, day;
		if (!gmtime_r(&t, &tm))
			continue;
		log_civil(d, &y, &m, &day);
		seen++;
		if (y != (long long)tm.tm_year + 1900 ||
		    m != (unsigned)tm.tm_mon + 1 || day != (unsigned)tm.tm_mday)
			bad++;
	}
	CHECK(seen == 14609701);
	CHECK(bad == 0);
}

static void known_days(void)
{
	long long y;
	unsigned m, d;
	log_civil(0, &y, &m, &d);
	CHECK(y == 1970 && m == 1 && d == 1);
	log_civil(-1, &y, &m, &d);
	CHECK(y == 1969 && m == 12 && d == 31);
	log_civil(11016, &y, &m, &d);      /* a leap day of a 400th year */
	CHECK(y == 2000 && m == 2 && d == 29);
	log_civil(47540, &y, &m, &d);      /* 2100 is not a leap year */
	CHECK(y == 2100 && m == 2 && d == 28);
	log_civil(47541, &y, &m, &d);
	CHECK(y == 2100 && m == 3 && d == 1);
	log_civil(2932896, &y, &m, &d);
	CHECK(y == 9999 && m == 12 && d == 31);
}

/* "YYYY-MM-DDThh:mm:ss.mmmZ", now, agreeing with gmtime_r to the
 * second (or the next one, if the clock ticked between). */
static void stamp_shape(void)
{
	char buf[LOG_TIME_MAX];
	char want[2][32];
	for (int i = 0; i < 2; i++) {
		time_t t = time(NULL) + i;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(want[i], sizeof want[i], "%Y-%m-%dT%H:%M:%S", &tm);
		if (i == 0)
			CHECK(log_time(buf, sizeof buf) == 24);
	}
	CHECK(strncmp(buf, want[0], 19) == 0 || strncmp(buf, want[1], 19) == 0);
	CHECK(buf[19] == '.' && buf[23] == 'Z' && buf[24] == '\0');
	CHECK(buf[20] >= '0' && buf[20] <= '9' && buf[22] >= '0' &&
	      buf[22] <= '9');
	CHECK(log_time(buf, LOG_TIME_MAX - 1) == 0); /* too small: none */
}

int main(void)
{
	dates_match_gmtime();
	known_days();
	stamp_shape();
	return UNIT_DONE();
}
