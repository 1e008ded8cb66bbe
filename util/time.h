/* time.h - the clock, and RFC 3339 timestamps in UTC */
#ifndef FS_TIME_H
#define FS_TIME_H

#include <stdint.h>

#define FS_TIME_RFC3339_BYTES 21 /* "2026-11-24T10:00:00Z" and a NUL */

/* Seconds since the epoch. */
int64_t fs_time_now(void);

/* Milliseconds since the epoch (for record ids). */
int64_t fs_time_now_ms(void);

void fs_time_rfc3339(char out[FS_TIME_RFC3339_BYTES], int64_t t);

/* Parse "YYYY-MM-DDTHH:MM:SSZ"; 0 or FS_EINVALID. */
int fs_time_parse_rfc3339(int64_t *out, const char *s);

#endif
