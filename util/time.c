#include "util/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/error.h"

int64_t fs_time_now(void)
{
	return (int64_t)time(NULL);
}

int64_t fs_time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fs_time_rfc3339(char out[FS_TIME_RFC3339_BYTES], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, FS_TIME_RFC3339_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int fs_time_parse_rfc3339(int64_t *out, const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, se, n = 0;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 20)
		return fs_error_set(FS_EINVALID, "'%s' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = (int64_t)timegm(&tm);
	return 0;
}
