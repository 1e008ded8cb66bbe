#include "node/id.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "util/error.h"
#include "util/time.h"

/* RFC 9562 method 1: rand_a is a counter, seeded at random each new millisecond. */
static long long last_ms = -1;
static unsigned last_counter;

int fs_id_new(char out[FS_ID_BYTES])
{
	unsigned char b[16];
	long long ms = fs_time_now_ms();
	unsigned counter;
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	if (sodium_init() < 0)
		return fs_error_set(FS_ERROR, "libsodium cannot start");
	randombytes_buf(b, sizeof(b));
	if (ms <= last_ms) {
		/* same millisecond or the clock went back: stay after the last id */
		ms = last_ms;
		counter = last_counter + 1;
		if (counter > 0xFFF) {
			ms++;
			counter = b[6] & 0x7F; /* leave room to count up */
		}
	} else {
		counter = ((unsigned)(b[6] & 0x07) << 8) | b[7]; /* below 0x800 */
	}
	last_ms = ms;
	last_counter = counter;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (counter >> 8));
	b[7] = (unsigned char)(counter & 0xFF);
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3F));
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
	return 0;
}

int fs_id_valid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-7xxx-Vxxx-xxxxxxxxxxxx";

	if (strlen(s) != FS_ID_BYTES - 1)
		return 0;
	for (size_t i = 0; i < FS_ID_BYTES - 1; i++) {
		char c = s[i], f = form[i];
		int is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		if ((f == 'x' && !is_hex) || (f == '-' && c != '-') || (f == '7' && c != '7') ||
		    (f == 'V' && c != '8' && c != '9' && c != 'a' && c != 'b'))
			return 0;
	}
	return 1;
}

int fs_id_check(const char *s)
{
	if (fs_id_valid(s))
		return 0;
	if (strchr(s, '/') || strstr(s, ".."))
		return fs_error_set(FS_EINVALID,
				    "record id '%s': ids never contain '/' or '..'", s);
	return fs_error_set(FS_EINVALID,
			    "record id '%s': not a record id (expected a UUIDv7 such as "
			    "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10)", s);
}

long long fs_id_time_ms(const char *id)
{
	long long ms = 0;

	for (int i = 0; i < 13; i++) {
		char c = id[i];
		if (c == '-')
			continue;
		ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return ms;
}
