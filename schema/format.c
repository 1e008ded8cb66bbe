#include "schema/format.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/ascii.h"

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!fs_ascii_isdigit((unsigned char)s[i]))
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
		if (!fs_ascii_isdigit((unsigned char)*p))
			return 0;
		while (fs_ascii_isdigit((unsigned char)*p))
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

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
static int hostname(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (fs_ascii_isalnum((unsigned char)c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Dotted-quad IPv4 without leading zeros. */
static int ipv4(const char *s, size_t len)
{
	int parts = 0;
	size_t i = 0;

	while (parts < 4) {
		size_t start = i;
		int v = 0;
		while (i < len && fs_ascii_isdigit((unsigned char)s[i]) && i - start < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return 0;
		if (++parts < 4) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == len;
}

/*
 * RFC 5321 mailbox: a dot-atom or quoted local part, then a host name or an
 * address literal ([192.0.2.1], [IPv6:2001:db8::1]).
 */
static int email(const char *s)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *at, *domain;
	size_t dlen;

	if (*s == '"') {
		const char *p = s + 1;
		for (; *p && *p != '"'; p++)
			if (*p == '\\' && !*++p)
				return 0;
		if (*p != '"' || p[1] != '@')
			return 0;
		at = p + 1;
	} else {
		int prev_dot = 1;
		const char *p = s;
		for (; *p && *p != '@'; p++) {
			if (*p == '.') {
				if (prev_dot)
					return 0;
				prev_dot = 1;
			} else if (fs_ascii_isalnum((unsigned char)*p) || ((unsigned char)*p < 0x80 &&
								  strchr(atext, *p))) {
				prev_dot = 0;
			} else {
				return 0;
			}
		}
		if (*p != '@' || prev_dot)
			return 0;
		at = p;
	}
	if (at - s > 64)
		return 0;
	domain = at + 1;
	dlen = strlen(domain);
	if (dlen > 2 && domain[0] == '[' && domain[dlen - 1] == ']') {
		char addr[64];
		unsigned char bin[16];
		if (strncmp(domain + 1, "IPv6:", 5) != 0)
			return ipv4(domain + 1, dlen - 2);
		if (dlen - 7 >= sizeof(addr))
			return 0;
		memcpy(addr, domain + 6, dlen - 7);
		addr[dlen - 7] = '\0';
		return inet_pton(AF_INET6, addr, bin) == 1;
	}
	return hostname(domain, dlen);
}

int fs_format_check(const char *format, const char *value)
{
	if (strcmp(format, "date") == 0)
		return full_date(value) && strlen(value) == 10;
	if (strcmp(format, "date-time") == 0)
		return date_time(value);
	if (strcmp(format, "time") == 0)
		return full_time(value);
	if (strcmp(format, "email") == 0)
		return email(value);
	return -1;
}
