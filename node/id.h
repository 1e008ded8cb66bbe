/*
 * id.h - record ids
 *
 * A record id is a UUIDv7 (RFC 9562) in lower case: 48 bits of Unix time in
 * milliseconds, then random bits, so ids sort by creation time and two nodes
 * never need to agree on anything to stay unique. Within one process a
 * counter keeps ids strictly increasing even within one millisecond.
 */
#ifndef FS_ID_H
#define FS_ID_H

#define FS_ID_BYTES 37 /* 36 characters and a NUL */

int fs_id_new(char out[FS_ID_BYTES]);

/* Is `s` a well-formed record id? (so it can never hold '/' or "..") */
int fs_id_valid(const char *s);

/*
 * Check an id given by a person; FS_EINVALID with a message naming it
 * ("record id '../x': not a record id ...") if it is not one.
 */
int fs_id_check(const char *s);

/* The creation time (ms since the epoch) encoded in a valid id. */
long long fs_id_time_ms(const char *id);

#endif
