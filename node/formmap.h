/*
 * formmap.h - service records from a form tool's CSV export
 *
 * Cities already collect data with KoboToolbox or ODK Collect. A map (JSON)
 * says which column becomes which field of a service record:
 *
 *   {"columns":   {"date": "visit_date", "category": "service", ...},
 *    "values":    {"category": {"sante": "health"}, "sex": {"f": "female"}},
 *    "constants": {"population_group": "refugee"},
 *    "person":    "case_number",
 *    "protected": {"name": "full_name", "phone": "phone"}}
 *
 * "person" names the column of the city's local id: it becomes the
 * pseudonym (keystore), never the id itself. "protected" names the columns
 * sealed with the person's key. A column named there may not be named in
 * "columns" too, and a column no part of the map names is never read: what
 * identifies a person cannot reach a record's plain fields by accident.
 * A column is the header's text, or its last segment after '/' (Kobo's
 * groups) or '-' (ODK's), when that is unique.
 */
#ifndef FS_FORMMAP_H
#define FS_FORMMAP_H

#include <stddef.h>

#include "node/node.h"
#include "util/buf.h"
#include "util/csvread.h"

typedef struct fs_formmap fs_formmap;

/* Read the map `text` (`what` names it in messages). FS_EINVALID for anything off. */
int fs_formmap_parse(fs_formmap **out, const char *text, size_t len, const char *what);
void fs_formmap_free(fs_formmap *map);

/*
 * One compact JSON line per record of `csv` (after its header) into `out`,
 * and the CSV line each came from into `*lines` (malloc'd, `*n` of them).
 * Pseudonyms come from the node's keystore. FS_EINVALID when a column of the
 * map is not in the header (or not unique); values are checked later, as
 * any record's, against the schema.
 */
int fs_formmap_apply(fs_buf *out, size_t **lines, size_t *n, const fs_formmap *map,
		     const fs_csv *csv, const fs_node *node, const char *what);

#endif
