/*
 * export.h - records out as CSV, NDJSON or HXL-tagged CSV
 *
 * Streams: each record is read, written and forgotten, so memory follows the
 * largest city's list of ids, not the number of records. CSV is RFC 4180
 * with a header row (lists joined by "; ", figures as "name=value; ..."),
 * HXL is the same with a row of HXL hashtags under the header, NDJSON is
 * every record whole, one canonical compact JSON object per line (the
 * lossless form).
 */
#ifndef FS_EXPORT_H
#define FS_EXPORT_H

#include <stdio.h>

#include <git2.h>

#include "node/record.h"

typedef enum {
	FS_EXPORT_CSV = 1,
	FS_EXPORT_NDJSON,
	FS_EXPORT_HXL
} fs_export_format;

typedef struct {
	fs_export_format format;
	unsigned kinds;    /* CSV and HXL: exactly one kind */
	const char *city;  /* NULL: every city of the tree */
	const char *since; /* NULL, or records updated at or after: YYYY[-MM[-DD[Thh:mm:ssZ]]] */
} fs_export_options;

/* "csv", "ndjson", "hxl"; FS_EINVALID naming the word otherwise. */
int fs_export_format_parse(fs_export_format *out, const char *name);

/* Check a --since value; FS_EINVALID saying what is expected. */
int fs_export_since_check(const char *since);

/*
 * Write the records below `root` (a tree holding cities/<id>/...) to `out`.
 * *count is the number of records written. FS_EIO when `out` fails.
 */
int fs_export(FILE *out, size_t *count, git_repository *repo, const git_tree *root,
	      const fs_export_options *opts);

#endif
