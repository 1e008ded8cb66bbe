/*
 * json.h - strict JSON input and canonical JSON output
 *
 * Records are signed and replicated, so the bytes on disk must be a function
 * of the content alone: keys sorted by their UTF-8 bytes, two-space indent,
 * integers without exponent, one trailing newline. The same record is always
 * the same git blob.
 *
 * Input is checked against RFC 8259 before cJSON sees it (cJSON accepts
 * invalid UTF-8, leading zeros and duplicate keys), so a malformed document
 * is refused with its line and column.
 */
#ifndef FS_JSON_H
#define FS_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/buf.h"

/* Nesting deeper than this is refused: no record needs it. */
#define FS_JSON_MAX_DEPTH 64

/*
 * Parse `len` bytes of JSON text into a new cJSON tree (free it with
 * cJSON_Delete). `what` names the input in the error message, e.g.
 * "record on line 3". Returns FS_EINVALID with line and column on bad input.
 */
int fs_json_parse(cJSON **out, const char *data, size_t len, const char *what);

/*
 * The same for JSON read back from the repository, which was checked when it
 * was written: cJSON alone, as fast as it goes; only when that fails, the
 * strict parse above, which tells damaged JSON (FS_EINVALID) from a failed
 * allocation (FS_ENOMEM), or succeeds when memory came back meanwhile.
 */
int fs_json_parse_stored(cJSON **out, const char *data, size_t len, const char *what);

/*
 * Set member `name` of `obj` to `v`, in the place of the member of that name
 * if there is one. `v` belongs to obj afterwards, or is deleted: FS_ENOMEM.
 * (cJSON 1.7.15's cJSON_ReplaceItemInObject puts v in without a name when
 * copying the name fails, and says it succeeded.)
 */
int fs_json_set(cJSON *obj, const char *name, cJSON *v);

/* The string member `name` of `obj` (borrowed), or NULL when absent or not a string. */
const char *fs_json_string(const cJSON *obj, const char *name);

/*
 * cJSON_Delete after wiping every key and string of `item` (NULL is fine):
 * for trees that held a person's protected fields in plain text.
 */
void fs_json_delete_secure(cJSON *item);

/* Append the canonical form of `item` (with trailing newline) to `out`. */
int fs_json_canonical(fs_buf *out, const cJSON *item);

/* The same on one line, without any whitespace or newline (for NDJSON). */
int fs_json_compact(fs_buf *out, const cJSON *item);

/* Append `s` as a JSON string literal, quotes included. */
int fs_json_put_string(fs_buf *out, const char *s);

/* Append the canonical text of a number (shortest form that round-trips). */
int fs_json_put_number(fs_buf *out, double v);

/* Is the number an integer that a double holds exactly (|v| <= 2^53)? */
int fs_json_is_integer(double v);

#endif
