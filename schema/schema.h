/*
 * schema.h - JSON Schema (draft 2020-12 subset) validation over cJSON
 *
 * A schema set holds schema documents keyed by their absolute URI ($id);
 * "$ref" resolves across the documents of one set, so a record schema can
 * point at a vocabulary file ("vocab/countries.json") or at its own "$defs".
 *
 * Validation collects every failure, each with the JSON pointer of the value
 * in the instance, what the schema expected and what was found, so that a
 * person fixing a record sees all of its problems at once.
 */
#ifndef FS_SCHEMA_H
#define FS_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/buf.h"

typedef struct fs_schema_set fs_schema_set;
typedef struct fs_schema_report fs_schema_report;

typedef struct {
	const char *instance; /* JSON pointer into the instance: "/priorities/0", "" for the root */
	const char *schema;   /* keyword location in the schema: "<uri>#/properties/priorities/items" */
	const char *keyword;  /* the keyword that failed: "enum", "required", ... */
	const char *expected; /* in words: "one of 1, 2, 3, 4, 5, 6, 7, 8" */
	const char *found;    /* in words: "9", "a string", "nothing" */
} fs_schema_failure;

int fs_schema_set_new(fs_schema_set **out);
void fs_schema_set_free(fs_schema_set *set);

/*
 * Add a schema document. It is known by `uri` if given, else by its "$id"
 * (one of the two is needed); embedded "$id"s and "$anchor"s of subschemas
 * are registered too. A document that is not a valid schema for the
 * supported keywords is FS_EINVALID.
 */
int fs_schema_set_add(fs_schema_set *set, const char *uri, const char *json, size_t len);

/*
 * "format" is an annotation by default, as draft 2020-12 says. With this on,
 * the formats the validator knows (date, date-time, time, email) are asserted.
 */
void fs_schema_set_assert_formats(fs_schema_set *set, int on);

/*
 * The schema at an absolute URI (a document, "#/json/pointer" or "#anchor"
 * into one), borrowed from the set; NULL if there is none. For reading
 * annotations such as a vocabulary's "labels".
 */
const cJSON *fs_schema_set_lookup(const fs_schema_set *set, const char *uri);

/*
 * Validate `instance` against the schema at `uri` (a document URI, with an
 * optional "#fragment"). Returns 0 when valid (and *out is NULL), FS_EINVALID
 * with *out holding the failures, FS_ENOTFOUND for an unknown URI, or
 * FS_ERROR when the schema cannot be used (an unresolvable $ref, a loop, a
 * schema whose work explodes).
 *
 * Failures come in instance order. Where a value has the wrong type, the
 * type failure is the only one reported for that schema object; anyOf,
 * oneOf and not report one failure at the value, not their branches'. The
 * same words at the same place are reported once. At most 1000 failures are
 * kept; the report counts the rest.
 */
int fs_schema_validate(const fs_schema_set *set, const char *uri, const cJSON *instance,
		       fs_schema_report **out);

size_t fs_schema_report_count(const fs_schema_report *r);
const fs_schema_failure *fs_schema_report_get(const fs_schema_report *r, size_t i);
void fs_schema_report_free(fs_schema_report *r);

/*
 * Append one line per failure to `out`:
 *   "<prefix>: /priorities/0: expected one of 1, ..., 8, found 9\n"
 * (the root pointer is written as "/"). At most `max` lines (0 = no limit),
 * then "<prefix>: ... and N more problems" if there are more, counting
 * those past the 1000 kept.
 */
int fs_schema_report_format(const fs_schema_report *r, fs_buf *out, const char *prefix,
			    size_t max);

#endif
