#include "schema/format.h"

#include <ctype.h>
#include <string.h>

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* RFC 3339 full-date: YYYY-MM-DD with real month lengths and leap years. */
static int full_date(const char *s)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, max;

	if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return 0;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (m < 1 || m > 12)
		return 0;
	max = days[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
	return d >= 1 && d <= max;
}

/* RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); a leap second only at 23:59 UTC. */
static int full_time(const char *s)
{
	int h, m, sec, oh = 0, om = 0, sign = 0, utc_h, utc_m;
	const char *p = s;

	if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2) || p[5] != ':' || !digits(p + 6, 2))
		return 0;
	h = num(p, 2);
	m = num(p + 3, 2);
	sec = num(p + 6, 2);
	p += 8;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2) || p[3] != ':' || !digits(p + 4, 2))
			return 0;
		oh = num(p + 1, 2);
		om = num(p + 4, 2);
		if (oh > 23 || om > 59)
			return 0;
		p += 6;
	} else {
		return 0;
	}
	if (*p || h > 23 || m > 59 || sec > 60)
		return 0;
	if (sec == 60) {
		/* the leap second exists at 23:59:60 UTC only */
		utc_m = h * 60 + m - sign * (oh * 60 + om);
		utc_m = ((utc_m % 1440) + 1440) % 1440;
		utc_h = utc_m / 60;
		utc_m %= 60;
		if (utc_h != 23 || utc_m != 59)
			return 0;
	}
	return 1;
}

static int date_time(const char *s)
{
	if (strlen(s) < 20 || !full_date(s) || (s[10] != 'T' && s[10] != 't'))
		return 0;
	return full_time(s + 11);
}

int fs_format_check(const char *format, const char *value)
{
	if (strcmp(format, "date") == 0)
		return full_date(value) && strlen(value) == 10;
	if (strcmp(format, "date-time") == 0)
		return date_time(value);
	if (strcmp(format, "time") == 0)
		return full_time(value);
	return -1;
}
