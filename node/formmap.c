#include "node/formmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/keystore.h"
#include "schema/builtin.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/i18n.h"

struct fs_formmap {
	cJSON *doc;
	const cJSON *columns, *values, *constants, *protected_;
	const char *person;
};

/*
 * The fields a map may fill: service/1's own properties (the schema is the
 * one list of them), less what the node sets and what the map fills its own
 * way (the pseudonym, the sealed part).
 */
static int known_field(const char *name)
{
	static const char *const not_mapped[] = { "schema", "id",	"city",	    "created",
						  "updated", "person", "protected", NULL };
	const fs_schema_set *set;
	const cJSON *props;

	for (size_t i = 0; not_mapped[i]; i++)
		if (strcmp(not_mapped[i], name) == 0)
			return 0;
	if (fs_schema_builtin(&set) < 0) {
		fs_error_clear();
		return 0;
	}
	props = cJSON_GetObjectItemCaseSensitive(
		fs_schema_set_lookup(set, FS_SCHEMA_BASE "service-1.json"), "properties");
	return cJSON_GetObjectItemCaseSensitive(props, name) != NULL;
}

/* Is column `col` one of the personal ones (person, protected)? */
static int personal(const fs_formmap *m, const char *col)
{
	const cJSON *c;

	if (m->person && strcmp(m->person, col) == 0)
		return 1;
	cJSON_ArrayForEach(c, m->protected_)
		if (cJSON_IsString(c) && strcmp(c->valuestring, col) == 0)
			return 1;
	return 0;
}

static int check_strings(const cJSON *obj, const char *part, const char *what, int fields)
{
	const cJSON *c;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return fs_error_set(FS_EINVALID, "%s: /%s: expected an object", what, part);
	cJSON_ArrayForEach(c, obj) {
		if (fields && !known_field(c->string))
			return fs_error_set(FS_EINVALID, "%s: /%s/%s: not a field a map can fill "
					    "(a property of schema/service-1.json other than schema, "
					    "id, city, created, updated, person, protected)", what,
					    part, c->string);
		if (!cJSON_IsString(c) || !*c->valuestring)
			return fs_error_set(FS_EINVALID, "%s: /%s/%s: expected a column name", what,
					    part, c->string);
	}
	return 0;
}

int fs_formmap_parse(fs_formmap **out, const char *text, size_t len, const char *what)
{
	fs_formmap *m = fs_calloc(1, sizeof(*m));
	const cJSON *c, *v;
	int rc;

	*out = NULL;
	if (!m)
		return fs_error_set(FS_ENOMEM, "out of memory");
	if ((rc = fs_json_parse(&m->doc, text, len, what)) < 0)
		goto done;
	cJSON_ArrayForEach(c, m->doc) {
		if (strcmp(c->string, "columns") && strcmp(c->string, "values") &&
		    strcmp(c->string, "constants") && strcmp(c->string, "person") &&
		    strcmp(c->string, "protected")) {
			rc = fs_error_set(FS_EINVALID, "%s: /%s: unknown (expected columns, values, "
					  "constants, person, protected)", what, c->string);
			goto done;
		}
	}
	m->columns = cJSON_GetObjectItemCaseSensitive(m->doc, "columns");
	m->values = cJSON_GetObjectItemCaseSensitive(m->doc, "values");
	m->constants = cJSON_GetObjectItemCaseSensitive(m->doc, "constants");
	m->protected_ = cJSON_GetObjectItemCaseSensitive(m->doc, "protected");
	m->person = fs_json_string(m->doc, "person");
	if ((rc = check_strings(m->columns, "columns", what, 1)) < 0 ||
	    (rc = check_strings(m->constants, "constants", what, 1)) < 0 ||
	    (rc = check_strings(m->protected_, "protected", what, 0)) < 0)
		goto done;
	if (!m->person) {
		rc = fs_error_set(FS_EINVALID, "%s: /person: expected the column of the city's "
				  "local id of the person", what);
		goto done;
	}
	cJSON_ArrayForEach(c, m->values) {
		if (!known_field(c->string) || !cJSON_IsObject(c)) {
			rc = fs_error_set(FS_EINVALID, "%s: /values/%s: expected a field and an "
					  "object of its values", what, c->string);
			goto done;
		}
		cJSON_ArrayForEach(v, c)
			if (!cJSON_IsString(v)) {
				rc = fs_error_set(FS_EINVALID, "%s: /values/%s/%s: expected a string",
						  what, c->string, v->string);
				goto done;
			}
	}
	/* the rule that keeps personal columns out of plain fields */
	cJSON_ArrayForEach(c, m->columns)
		if (personal(m, c->valuestring)) {
			rc = fs_error_set(FS_EINVALID, "%s: /columns/%s: column '%s' is personal (person "
					  "or protected) and never goes into a plain field", what,
					  c->string, c->valuestring);
			goto done;
		}
	*out = m;
	m = NULL;
done:
	fs_formmap_free(m);
	return rc;
}

void fs_formmap_free(fs_formmap *m)
{
	if (!m)
		return;
	cJSON_Delete(m->doc);
	fs_free(m);
}

/* The header index of column `name`: exact, or a unique last segment after '/' or '-'. */
static int column(size_t *out, const fs_csv *csv, const char *name, const char *what)
{
	size_t n = strlen(name), found = 0;

	for (size_t i = 0; i < fs_csv_width(csv); i++)
		if (strcmp(fs_csv_field_at(csv, 0, i), name) == 0) {
			*out = i;
			return 0;
		}
	for (size_t i = 0; i < fs_csv_width(csv); i++) {
		const char *h = fs_csv_field_at(csv, 0, i);
		size_t hn = strlen(h);
		if (hn > n && strcmp(h + hn - n, name) == 0 && (h[hn - n - 1] == '/' ||
								 h[hn - n - 1] == '-')) {
			*out = i;
			found++;
		}
	}
	if (found == 1)
		return 0;
	return found ? fs_error_set(FS_EINVALID, "%s: column '%s' names more than one column of the "
				   "header", what, name)
		     : fs_error_set(FS_EINVALID, "%s: column '%s' is not in the header", what, name);
}

/* A form's date or date-time ("2026-11-20T10:00:00.000+01:00") as the date it names. */
static void date_only(char *s)
{
	if (strlen(s) > 10 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' '))
		s[10] = '\0';
}

static int one_row(cJSON *rec, const fs_formmap *m, const fs_csv *csv, size_t row,
		   const size_t *cols, const size_t *pcols, size_t person_col, fs_keystore *ks,
		   const char *what)
{
	char pseudonym[FS_PERSON_HEX_BYTES], label[64];
	const cJSON *c;
	cJSON *prot = NULL;
	size_t i = 0;
	int rc = 0;

	cJSON_ArrayForEach(c, m->constants)
		if (!cJSON_AddStringToObject(rec, c->string, c->valuestring))
			return fs_error_set(FS_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, m->columns) {
		char *v = fs_strdup(fs_csv_field_at(csv, row, cols[i++]));
		const cJSON *map = cJSON_GetObjectItemCaseSensitive(m->values, c->string);
		const char *to;
		if (!v)
			return fs_error_set(FS_ENOMEM, "out of memory");
		if (strcmp(c->string, "date") == 0)
			date_only(v);
		to = map ? fs_json_string(map, v) : NULL;
		/* an empty cell is no value: the schema says whether one was needed */
		if (*v && !cJSON_AddStringToObject(rec, c->string, to ? to : v))
			rc = fs_error_set(FS_ENOMEM, "out of memory");
		fs_free(v);
		if (rc < 0)
			return rc;
	}
	if (*fs_csv_field_at(csv, row, person_col)) {
		snprintf(label, sizeof(label), _("%s: line %zu: column '%s'"), what,
			 fs_csv_line(csv, row), m->person);
		if ((rc = fs_keystore_pseudonym(ks, pseudonym, fs_csv_field_at(csv, row,
										person_col))) < 0)
			return fs_error_prefix("%s", label);
		if (!cJSON_AddStringToObject(rec, "person", pseudonym))
			return fs_error_set(FS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(c, m->protected_) {
		const char *v = fs_csv_field_at(csv, row, pcols[i++]);
		if (!*v)
			continue;
		if ((!prot && !(prot = cJSON_AddObjectToObject(rec, "protected"))) ||
		    !cJSON_AddStringToObject(prot, c->string, v))
			return fs_error_set(FS_ENOMEM, "out of memory");
	}
	return 0;
}

int fs_formmap_apply(fs_buf *out, size_t **lines, size_t *n, const fs_formmap *m,
		     const fs_csv *csv, const fs_node *node, const char *what)
{
	size_t ncols = (size_t)cJSON_GetArraySize(m->columns),
	       nprot = (size_t)cJSON_GetArraySize(m->protected_), person_col = 0, i;
	size_t *cols = fs_calloc(ncols + 1, sizeof(*cols)), *pcols = fs_calloc(nprot + 1, sizeof(*pcols));
	size_t rows = fs_csv_count(csv) - 1;
	fs_keystore *ks;
	const cJSON *c;
	int rc = 0;

	*lines = NULL;
	*n = 0;
	if (!cols || !pcols || !(*lines = fs_calloc(rows + 1, sizeof(**lines)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	i = 0;
	cJSON_ArrayForEach(c, m->columns)
		if ((rc = column(&cols[i++], csv, c->valuestring, what)) < 0)
			goto done;
	i = 0;
	cJSON_ArrayForEach(c, m->protected_)
		if ((rc = column(&pcols[i++], csv, c->valuestring, what)) < 0)
			goto done;
	if ((rc = column(&person_col, csv, m->person, what)) < 0 ||
	    (rc = fs_node_keystore(&ks, node)) < 0)
		goto done;
	for (size_t row = 1; row <= rows; row++) {
		cJSON *rec = cJSON_CreateObject();
		if (!rec) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = one_row(rec, m, csv, row, cols, pcols, person_col, ks, what)) == 0 &&
		    (rc = fs_json_compact(out, rec)) == 0)
			rc = fs_buf_putc(out, '\n');
		fs_json_delete_secure(rec);
		if (rc < 0)
			goto done;
		(*lines)[(*n)++] = fs_csv_line(csv, row);
	}
done:
	if (rc < 0) {
		fs_free(*lines);
		*lines = NULL;
		*n = 0;
	}
	fs_free(cols);
	fs_free(pcols);
	return rc;
}
