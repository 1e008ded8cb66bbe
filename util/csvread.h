/*
 * csvread.h - reading the CSV that form tools export
 *
 * KoboToolbox and ODK Central write CSV their own way: a UTF-8 byte order
 * mark or not, ';' or ',' between fields, CRLF or LF, fields quoted when
 * they hold the delimiter, a quote or a line break (quotes doubled), empty
 * cells as nothing. A record may span lines; each keeps the line it starts
 * on, for messages.
 */
#ifndef FS_CSVREAD_H
#define FS_CSVREAD_H

#include <stddef.h>

typedef struct fs_csv fs_csv;

/*
 * Parse `len` bytes. `delim` is ',' or ';', or 0 to take whichever of the
 * two the header line holds more of. FS_EINVALID, naming `what` and the line,
 * for a quote that never closes, text after a closing quote, or a record
 * with another number of fields than the header.
 */
int fs_csv_parse(fs_csv **out, const char *data, size_t len, char delim, const char *what);
void fs_csv_free(fs_csv *csv);

/* Records, the header included (record 0). */
size_t fs_csv_count(const fs_csv *csv);
size_t fs_csv_width(const fs_csv *csv);
/* Field `col` of record `row` (borrowed, NUL-terminated), and the line the record starts on. */
const char *fs_csv_field_at(const fs_csv *csv, size_t row, size_t col);
size_t fs_csv_line(const fs_csv *csv, size_t row);

#endif
