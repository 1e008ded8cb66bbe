/*
 * builtin.h - the schemas shipped in schema/, compiled into the program
 */
#ifndef FS_SCHEMA_BUILTIN_H
#define FS_SCHEMA_BUILTIN_H

#include <cjson/cJSON.h>

#include "schema/schema.h"
#include "util/buf.h"

#define FS_SCHEMA_BASE "https://fieldsync.invalid/schema/"

/* The shipped schemas, loaded once on first use with format assertion on. Borrowed. */
int fs_schema_builtin(const fs_schema_set **out);

/* Free it (for leak checkers at exit). */
void fs_schema_builtin_shutdown(void);

/* "action/1" -> FS_SCHEMA_BASE "action-1.json"; FS_EINVALID for a name not shipped. */
int fs_schema_uri(fs_buf *out, const char *name);

/*
 * Validate a record against the schema its "schema" member names. 0 if
 * valid; FS_EINVALID with one line per failure in the error message:
 * "<what>: /pointer: expected X, found Y".
 */
int fs_schema_check(const cJSON *record, const char *what);

#endif
