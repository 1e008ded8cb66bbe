/*
 * builtin.h - the schemas shipped in schema/, compiled into the program
 *
 * tools/embed.c writes the JSON files of schema/ and schema/vocab/ into
 * the program at build time, so every node of one version validates the same
 * way. Each file is known as FS_SCHEMA_BASE "<its path under schema/>".
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

/*
 * "action/1" -> FS_SCHEMA_BASE "action-1.json". FS_EINVALID for a name not
 * of the form kind/N, or naming no shipped record schema (a record schema
 * is one whose "schema" property is that very name: "defs/1" is not one).
 */
int fs_schema_uri(fs_buf *out, const char *name);

/*
 * Validate a record against the schema its "schema" member names (a string
 * naming a shipped record schema). 0 if valid; FS_EINVALID with one line
 * per failure in the error message, "<what>: /pointer: expected X, found Y",
 * at most 20 lines and then "<what>: ... and N more problems". A missing,
 * non-string or unknown "schema" is one such line at /schema.
 */
int fs_schema_check(const cJSON *record, const char *what);

/*
 * The label of a code in a vocabulary, for display: ("priorities", "3",
 * "fr") -> "Protéger les personnes les plus vulnérables". A vocabulary's
 * "labels" maps each code to {"en": ..., "fr": ...}, or to a plain string
 * taken as English (countries.json). NULL if the vocabulary, the code or the
 * language has none. Borrowed, valid until fs_schema_builtin_shutdown().
 */
const char *fs_schema_label(const char *vocab, const char *code, const char *lang);

#endif
