/*
 * utf8.h - UTF-8 checks shared by the JSON reader and the schema validator
 */
#ifndef FS_UTF8_H
#define FS_UTF8_H

#include <stddef.h>

/*
 * Length (1-4) of the well-formed UTF-8 sequence at the start of `p`, or 0 if
 * it is not one (overlong forms, surrogates and values past U+10FFFF are not).
 */
size_t fs_utf8_valid_prefix(const unsigned char *p, size_t len);

/* Is the whole of `s` (len bytes) well-formed UTF-8? */
int fs_utf8_valid(const char *s, size_t len);

/* Number of code points in a well-formed NUL-terminated UTF-8 string. */
size_t fs_utf8_length(const char *s);

/*
 * `n` hex digits (1..7: the XXXX of a \uXXXX escape, the HH of \xHH) to a
 * number: 0, or -1 if they are not all hex digits.
 */
int fs_hex_digits(const char *p, int n, unsigned *out);
#define fs_hex4(p, out) fs_hex_digits((p), 4, (out))

#endif
