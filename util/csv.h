/*
 * csv.h - RFC 4180 output
 *
 * Fields are quoted only when they must be (a comma, a double quote, CR or
 * LF inside), quotes doubled, rows ended by CRLF, as RFC 4180 writes them and
 * as spreadsheets read them.
 */
#ifndef FS_CSV_H
#define FS_CSV_H

#include <stddef.h>

#include "util/buf.h"

/* Append one field (no separator). */
int fs_csv_field(fs_buf *out, const char *s);

/* Append a whole row: the fields, commas between, CRLF after. */
int fs_csv_row(fs_buf *out, const char *const *fields, size_t n);

#endif
