#include "sync/aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/tree.h"
#include "node/treediff.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/counter.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/json.h"

#define TABLE_FORMAT 1
#define UNKNOWN "unknown"

typedef struct {
	const char *const *columns;
	size_t n;          /* columns of the key */
	const char *count; /* the column of the count */
} table;

static const char *const action_columns[] = { "priority", "country", "year", "commitment" };
static const char *const service_columns[] = { "month", "category", "population_group", "sex",
					       "age_band" };
static const table actions_table = { action_columns, 4, "actions" };
static const table services_table = { service_columns, 5, "services" };

struct fs_aggregates {
	git_repository *repo;
	int threshold;
	fs_counter *actions;        /* exact, every city */
	git_tree *prev_aggregates, *prev_counts;
	git_treebuilder *services, *counts;
	fs_buf key, data;
};

/* ---- records to cells ------------------------------------------------------ */

/* A field as part of a key: a string without control characters, else "unknown". */
static const char *field(const char *s)
{
	if (!s || !*s)
		return UNKNOWN;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20)
			return UNKNOWN;
	return s;
}

/* The first `n` characters of `s` when it has them, into `out`. */
static const char *prefix(char *out, const char *s, size_t n)
{
	if (!s || strlen(s) < n)
		return UNKNOWN;
	memcpy(out, s, n);
	out[n] = '\0';
	return field(out);
}

static int make_key(fs_buf *key, const char *const *fields, size_t n)
{
	fs_buf_clear(key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fs_buf_putc(key, FS_COUNTER_SEP);
		fs_buf_puts(key, fields[i]);
	}
	return fs_buf_check(key);
}

typedef int (*count_fn)(fs_aggregates *a, fs_counter *c, const cJSON *rec, long long sign);

static int count_action(fs_aggregates *a, fs_counter *c, const cJSON *rec, long long sign)
{
	const cJSON *prios = cJSON_GetObjectItemCaseSensitive(rec, "priorities"), *p;
	char year[5];
	const char *f[4] = { NULL, field(fs_json_string(rec, "country")),
			     prefix(year, fs_json_string(rec, "start"), 4),
			     field(fs_json_string(rec, "commitment")) };
	int rc = 0;

	/* an action serving three priorities counts once under each */
	cJSON_ArrayForEach(p, prios) {
		char num[24];
		/* priorities are the report's numbers, 1 to 8 */
		if (cJSON_IsNumber(p) && fs_json_is_integer(p->valuedouble)) {
			snprintf(num, sizeof(num), "%lld", (long long)p->valuedouble);
			f[0] = num;
		} else {
			f[0] = field(cJSON_IsString(p) ? p->valuestring : NULL);
		}
		if ((rc = make_key(&a->key, f, 4)) < 0 ||
		    (rc = fs_counter_add(c, a->key.ptr, sign)) < 0)
			break;
	}
	return rc;
}

static int count_service(fs_aggregates *a, fs_counter *c, const cJSON *rec, long long sign)
{
	char month[8];
	const char *f[5] = { prefix(month, fs_json_string(rec, "date"), 7),
			     field(fs_json_string(rec, "category")),
			     field(fs_json_string(rec, "population_group")),
			     field(fs_json_string(rec, "sex")),
			     field(fs_json_string(rec, "age_band")) };
	int rc;

	if ((rc = make_key(&a->key, f, 5)) < 0)
		return rc;
	return fs_counter_add(c, a->key.ptr, sign);
}

typedef struct {
	fs_aggregates *a;
	fs_counter *c;
	count_fn count;
	const char *city;
} walk;

static int count_blob(walk *w, const git_oid *id, long long sign)
{
	git_blob *blob = NULL;
	cJSON *rec = NULL;
	int rc;

	if ((rc = git_blob_lookup(&blob, w->a->repo, id)) < 0)
		return fs_error_git(rc, "city '%s': cannot read record %s", w->city,
				    git_oid_tostr_s(id));
	if ((rc = fs_json_parse_stored(&rec, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
				       "stored record")) < 0)
		fs_error_prefix("city '%s': record %s", w->city, git_oid_tostr_s(id));
	else if (!cJSON_IsObject(rec))
		rc = fs_error_set(FS_EINVALID, "city '%s': record %s is not a JSON object",
				  w->city, git_oid_tostr_s(id));
	else
		rc = w->count(w->a, w->c, rec, sign);
	cJSON_Delete(rec);
	git_blob_free(blob);
	return rc;
}

/*
 * A record that differs between two trees: the old one counts -1, the new
 * one +1 (a changed record is both). Equal subtrees are skipped by id
 * (node/treediff.h), so the cost follows the change.
 */
static int count_path(const char *path, const git_tree_entry *old, const git_tree_entry *new_,
		      void *payload)
{
	walk *w = payload;
	int rc = 0;

	(void)path;
	if (old && git_tree_entry_type(old) == GIT_OBJECT_BLOB)
		rc = count_blob(w, git_tree_entry_id(old), -1);
	if (rc == 0 && new_ && git_tree_entry_type(new_) == GIT_OBJECT_BLOB)
		rc = count_blob(w, git_tree_entry_id(new_), +1);
	return rc;
}

/* The folder `name` of a city's subtree, or NULL. */
static int folder(git_tree **out, git_repository *repo, const git_tree *city, const char *name)
{
	const git_tree_entry *e = city ? git_tree_entry_byname(city, name) : NULL;
	int rc;

	*out = NULL;
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	rc = fs_tree_lookup(out, repo, git_tree_entry_id(e));
	return rc < 0 ? fs_error_git(rc, "cannot read '%s'", name) : 0;
}

static int diff_folder(walk *w, const git_tree *old, const git_tree *new_, const char *name)
{
	git_tree *a = NULL, *b = NULL;
	int rc;

	if ((rc = folder(&a, w->a->repo, old, name)) == 0 &&
	    (rc = folder(&b, w->a->repo, new_, name)) == 0 &&
	    !(a && b && git_oid_equal(git_tree_id(a), git_tree_id(b))))
		rc = fs_tree_diff(w->a->repo, a, b, count_path, w);
	if (rc == FS_EINVALID)
		fs_error_prefix("city '%s': %s", w->city, name);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

/* ---- tables as files ------------------------------------------------------- */

/*
 * {"format":1,"city":..,"suppress_below":..,"columns":[..],"rows":[
 * [..],
 * ]} with one row per line, and (csv_id not NULL) the same rows as CSV under
 * a header. With a threshold, counts below it read "<threshold". With
 * `hidden_ok`, a negative count -t is a cell a table already hid as "<t".
 */
static int write_table(fs_aggregates *a, git_oid *json_id, git_oid *csv_id, const table *t,
		       const fs_counter *c, const char *city, int threshold, int hidden_ok)
{
	const char **keys = NULL, *fields[8];
	fs_buf csv = FS_BUF_INIT;
	size_t n = 0;
	char count[32];
	int rc;

	if ((rc = fs_counter_keys(&keys, &n, c)) < 0)
		goto done;
	fs_buf_clear(&a->data);
	fs_buf_printf(&a->data, "{\"format\":%d,", TABLE_FORMAT);
	if (city) {
		fs_buf_puts(&a->data, "\"city\":");
		fs_json_put_string(&a->data, city);
		fs_buf_putc(&a->data, ',');
	}
	if (threshold)
		fs_buf_printf(&a->data, "\"suppress_below\":%d,", threshold);
	fs_buf_puts(&a->data, "\"columns\":[");
	for (size_t i = 0; i <= t->n; i++) {
		fields[i] = i < t->n ? t->columns[i] : t->count;
		fs_buf_puts(&a->data, i ? "," : "");
		fs_json_put_string(&a->data, fields[i]);
	}
	fs_buf_puts(&a->data, "],\"rows\":[");
	fs_csv_row(&csv, fields, t->n + 1);
	for (size_t k = 0; k < n; k++) {
		long long v = fs_counter_get(c, keys[k]);
		int hidden = v < threshold;
		char *p;
		if (v < 0 && !hidden_ok) {
			rc = city ? fs_error_set(FS_EINVALID, "%s of city %s: a count went below zero: "
						 "the previous aggregates do not match the records",
						 t->count, city)
				  : fs_error_set(FS_EINVALID, "%s: a count went below zero: the previous "
						 "aggregates do not match the records", t->count);
			goto done;
		}
		/* an uploaded "<t" stays hidden, under the larger of the two thresholds */
		if (v < 0)
			snprintf(count, sizeof(count), "<%lld", -v > threshold ? -v : (long long)threshold);
		else if (hidden)
			snprintf(count, sizeof(count), "<%d", threshold);
		else
			snprintf(count, sizeof(count), "%lld", v);
		/* split a copy of the key at its separators */
		fs_buf_clear(&a->key);
		if ((rc = fs_buf_puts(&a->key, keys[k])) < 0)
			goto done;
		p = a->key.ptr;
		for (size_t i = 0; i < t->n; i++) {
			fields[i] = p;
			p += strcspn(p, (char[]){ FS_COUNTER_SEP, 0 });
			if (*p)
				*p++ = '\0';
		}
		fields[t->n] = count;
		fs_buf_puts(&a->data, k ? ",\n[" : "\n[");
		for (size_t i = 0; i < t->n; i++) {
			fs_buf_puts(&a->data, i ? "," : "");
			fs_json_put_string(&a->data, fields[i]);
		}
		if (hidden)
			fs_buf_printf(&a->data, ",\"%s\"]", count);
		else
			fs_buf_printf(&a->data, ",%s]", count);
		if ((rc = fs_csv_row(&csv, fields, t->n + 1)) < 0)
			goto done;
	}
	fs_buf_puts(&a->data, n ? "\n]}\n" : "]}\n");
	if ((rc = fs_buf_check(&a->data)) < 0 || (rc = fs_buf_check(&csv)) < 0)
		goto done;
	if ((rc = git_blob_create_from_buffer(json_id, a->repo, a->data.ptr, a->data.size)) < 0 ||
	    (csv_id && (rc = git_blob_create_from_buffer(csv_id, a->repo, csv.ptr, csv.size)) < 0))
		rc = fs_error_git(rc, "cannot write the aggregates");
done:
	fs_free(keys);
	fs_buf_dispose(&csv);
	return rc;
}

/* Add the rows of a table file written by write_table (exact counts) to `c`. */
static int load_table(fs_aggregates *a, fs_counter *c, const table *t, const git_oid *id,
		      const char *what)
{
	git_blob *blob = NULL;
	cJSON *doc = NULL;
	const cJSON *rows, *row, *format;
	const char *fields[8];
	int rc;

	if ((rc = git_blob_lookup(&blob, a->repo, id)) < 0)
		return fs_error_git(rc, "cannot read %s", what);
	if ((rc = fs_json_parse(&doc, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
				what)) < 0)
		goto done;
	rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
	format = cJSON_GetObjectItemCaseSensitive(doc, "format");
	if (!cJSON_IsNumber(format) || format->valuedouble != TABLE_FORMAT || !cJSON_IsArray(rows))
		goto bad;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *v = row->child;
		size_t i = 0;
		for (; i < t->n && cJSON_IsString(v); i++, v = v->next)
			fields[i] = v->valuestring;
		if (i < t->n || !cJSON_IsNumber(v) || v->next || !fs_json_is_integer(v->valuedouble) ||
		    v->valuedouble < 1)
			goto bad;
		if ((rc = make_key(&a->key, fields, t->n)) < 0 ||
		    (rc = fs_counter_add(c, a->key.ptr, (long long)v->valuedouble)) < 0)
			goto done;
	}
	rc = 0;
	goto done;
bad:
	rc = fs_error_set(FS_EINVALID, "%s: expected format %d with rows of %zu fields and a "
			  "count", what, TABLE_FORMAT, t->n);
done:
	cJSON_Delete(doc);
	git_blob_free(blob);
	return rc;
}

/* ---- a services table sent up by a regional hub ----------------------------- */

/*
 * Read a city's services table as write_table wrote it with a threshold:
 * shown counts into `c` as they are, hidden ones ("<t") as -t. Strict: the
 * columns, the city, every field and the order of the rows, so that a table
 * is only ever taken in the one form a hub writes.
 */
/*
 * "<t" with t at or over the table's threshold (a cell a lower hub hid under
 * a higher threshold stays hidden under it): *t is set.
 */
static int hidden_at(long long *t, const char *s, int threshold)
{
	char *end;

	if (s[0] != '<' || s[1] < '1' || s[1] > '9')
		return 0;
	*t = strtoll(s + 1, &end, 10);
	return !*end && *t >= threshold && *t <= FS_AGGREGATE_THRESHOLD_MAX;
}

static int parse_table(fs_counter *c, fs_buf *key, const char *city, const char *data,
		       size_t len, const char *what)
{
	cJSON *doc = NULL;
	const cJSON *f, *t, *cols, *rows, *row, *col;
	const char *fields[8];
	char hidden[32];
	fs_buf prev = FS_BUF_INIT;
	size_t i;
	int rc, threshold;

	if (len > FS_AGGREGATE_TABLE_MAX_BYTES)
		return fs_error_set(FS_ETOOBIG, "%s: over %d bytes", what,
				    FS_AGGREGATE_TABLE_MAX_BYTES);
	if ((rc = fs_json_parse(&doc, data, len, what)) < 0)
		return rc;
	f = cJSON_GetObjectItemCaseSensitive(doc, "format");
	t = cJSON_GetObjectItemCaseSensitive(doc, "suppress_below");
	cols = cJSON_GetObjectItemCaseSensitive(doc, "columns");
	rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(cols) || !cJSON_IsNumber(f) ||
	    f->valuedouble != TABLE_FORMAT || !cJSON_IsArray(rows) ||
	    !fs_json_string(doc, "city") || strcmp(fs_json_string(doc, "city"), city) != 0 ||
	    !cJSON_IsNumber(t) || !fs_json_is_integer(t->valuedouble) || t->valuedouble < 1 ||
	    t->valuedouble > FS_AGGREGATE_THRESHOLD_MAX || cJSON_GetArraySize(doc) != 5) {
		rc = fs_error_set(FS_EINVALID, "%s: expected {\"format\": %d, \"city\": \"%s\", "
				  "\"suppress_below\", \"columns\", \"rows\"}", what, TABLE_FORMAT, city);
		goto done;
	}
	threshold = (int)t->valuedouble;
	snprintf(hidden, sizeof(hidden), "<%d", threshold);
	i = 0;
	cJSON_ArrayForEach(col, cols) {
		const char *want = i < services_table.n ? services_table.columns[i] : services_table.count;
		if (i > services_table.n || !cJSON_IsString(col) || strcmp(col->valuestring, want) != 0)
			break;
		i++;
	}
	if (i != services_table.n + 1 || cJSON_GetArraySize(cols) != (int)i) {
		rc = fs_error_set(FS_EINVALID, "%s: columns: expected month, category, "
				  "population_group, sex, age_band, services", what);
		goto done;
	}
	i = 0;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *v = cJSON_IsArray(row) ? row->child : NULL;
		size_t k = 0;
		long long hid = 0;
		i++;
		for (; k < services_table.n && cJSON_IsString(v) &&
		       field(v->valuestring) == v->valuestring; k++, v = v->next)
			fields[k] = v->valuestring;
		if (k < services_table.n || !v || v->next ||
		    !((cJSON_IsNumber(v) && fs_json_is_integer(v->valuedouble) &&
		       v->valuedouble >= threshold) ||
		      (cJSON_IsString(v) && hidden_at(&hid, v->valuestring, threshold)))) {
			rc = fs_error_set(FS_EINVALID, "%s: row %zu: expected five fields and a count of "
					  "%d or more, or \"%s\"", what, i, threshold, hidden);
			goto done;
		}
		if ((rc = make_key(key, fields, services_table.n)) < 0)
			goto done;
		if (prev.size && strcmp(prev.ptr, key->ptr) >= 0) {
			rc = fs_error_set(FS_EINVALID, "%s: row %zu: rows must be sorted, each once",
					  what, i);
			goto done;
		}
		fs_buf_clear(&prev);
		if ((rc = fs_buf_puts(&prev, key->ptr)) < 0 ||
		    (rc = fs_counter_add(c, key->ptr, cJSON_IsNumber(v) ? (long long)v->valuedouble
									 : -hid)) < 0)
			goto done;
	}
	rc = 0;
done:
	fs_buf_dispose(&prev);
	cJSON_Delete(doc);
	return rc;
}

int fs_aggregates_check_table(const char *city, const char *data, size_t len, const char *what)
{
	fs_counter *c = NULL;
	fs_buf key = FS_BUF_INIT;
	int rc;

	if ((rc = fs_counter_new(&c)) == 0)
		rc = parse_table(c, &key, city, data, len, what);
	fs_counter_free(c);
	fs_buf_dispose(&key);
	return rc;
}

/* ---- the module -------------------------------------------------------------- */

static int sub(git_tree **out, git_repository *repo, const git_tree *tree, const char *path)
{
	git_tree_entry *e = NULL;
	int rc;

	*out = NULL;
	if (!tree || (rc = fs_tree_find(&e, tree, path)) < 0 || !e)
		return tree ? rc : 0;
	rc = git_tree_entry_type(e) == GIT_OBJECT_TREE
		     ? fs_tree_lookup(out, repo, git_tree_entry_id(e))
		     : fs_error_set(FS_EINVALID, "hub/%s is not a folder", path);
	git_tree_entry_free(e);
	return rc < 0 && rc != FS_EINVALID ? fs_error_git(rc, "cannot read hub/%s", path) : rc;
}

int fs_aggregates_new(fs_aggregates **out, git_repository *repo, const git_tree *prev_hub,
		      int threshold)
{
	fs_aggregates *a = fs_calloc(1, sizeof(*a));
	git_tree *services = NULL;
	int rc;

	*out = NULL;
	if (!a)
		return fs_error_set(FS_ENOMEM, "out of memory");
	a->repo = repo;
	a->threshold = threshold;
	if ((rc = fs_counter_new(&a->actions)) < 0 ||
	    (rc = sub(&a->prev_aggregates, repo, prev_hub, "aggregates")) < 0 ||
	    (rc = sub(&a->prev_counts, repo, prev_hub, "counts")) < 0 ||
	    (rc = sub(&services, repo, prev_hub, "aggregates/services")) < 0)
		goto done;
	if ((rc = git_treebuilder_new(&a->services, repo, services)) < 0 ||
	    (rc = git_treebuilder_new(&a->counts, repo, a->prev_counts)) < 0) {
		rc = fs_error_git(rc, "cannot build the aggregates");
		goto done;
	}
	if (a->prev_aggregates) {
		const git_tree_entry *e = git_tree_entry_byname(a->prev_aggregates, "actions.json");
		if (!e) {
			rc = fs_error_set(FS_EINVALID, "hub/aggregates/actions.json is missing");
			goto done;
		}
		if ((rc = load_table(a, a->actions, &actions_table, git_tree_entry_id(e),
				     "hub/aggregates/actions.json")) < 0)
			goto done;
	}
	*out = a;
	a = NULL;
done:
	git_tree_free(services);
	fs_aggregates_free(a);
	return rc;
}

void fs_aggregates_free(fs_aggregates *a)
{
	if (!a)
		return;
	fs_counter_free(a->actions);
	git_tree_free(a->prev_aggregates);
	git_tree_free(a->prev_counts);
	git_treebuilder_free(a->services);
	git_treebuilder_free(a->counts);
	fs_buf_dispose(&a->key);
	fs_buf_dispose(&a->data);
	fs_free(a);
}

/*
 * Put a city's files in place: its services table (json, csv) and its exact
 * counts, or none (`exact` NULL: a city sent up as a table has none).
 */
static int put_city(fs_aggregates *a, const char *city, const git_oid *exact,
		    const git_oid *json, const git_oid *csv)
{
	fs_buf name = FS_BUF_INIT;
	int rc;

	fs_buf_printf(&name, "%s.json", city);
	if ((rc = fs_buf_check(&name)) < 0)
		goto done;
	if ((exact ? git_treebuilder_insert(NULL, a->counts, name.ptr, exact, GIT_FILEMODE_BLOB)
		   : git_treebuilder_get(a->counts, name.ptr)
			     ? git_treebuilder_remove(a->counts, name.ptr) : 0) < 0 ||
	    git_treebuilder_insert(NULL, a->services, name.ptr, json, GIT_FILEMODE_BLOB) < 0)
		goto fail;
	fs_buf_clear(&name);
	fs_buf_printf(&name, "%s.csv", city);
	if ((rc = fs_buf_check(&name)) < 0)
		goto done;
	if (git_treebuilder_insert(NULL, a->services, name.ptr, csv, GIT_FILEMODE_BLOB) < 0)
		goto fail;
	rc = 0;
	goto done;
fail:
	rc = fs_error_git(-1, "city '%s': cannot write its aggregates", city);
done:
	fs_buf_dispose(&name);
	return rc;
}

/* Write a city's files from its exact counts. */
static int write_city(fs_aggregates *a, const char *city, const fs_counter *c)
{
	git_oid json, csv, exact;
	int rc;

	if ((rc = write_table(a, &exact, NULL, &services_table, c, city, 0, 0)) < 0 ||
	    (rc = write_table(a, &json, &csv, &services_table, c, city, a->threshold, 0)) < 0)
		return rc;
	return put_city(a, city, &exact, &json, &csv);
}

/* Load city's exact counts from the previous tree into `c` (nothing when it has none). */
static int load_city(fs_aggregates *a, fs_counter *c, const char *city)
{
	fs_buf name = FS_BUF_INIT;
	const git_tree_entry *e;
	int rc;

	fs_buf_printf(&name, "%s.json", city);
	if ((rc = fs_buf_check(&name)) < 0)
		goto done;
	e = a->prev_counts ? git_tree_entry_byname(a->prev_counts, name.ptr) : NULL;
	fs_buf_clear(&name);
	fs_buf_printf(&name, "hub/counts/%s.json", city);
	if (e && (rc = fs_buf_check(&name)) == 0)
		rc = load_table(a, c, &services_table, git_tree_entry_id(e), name.ptr);
done:
	fs_buf_dispose(&name);
	return rc;
}

/*
 * A city sent up by a regional hub without its service records: its table
 * (FS_UPLINK_TABLE) is its services table here, hidden cells kept hidden and
 * small counts hidden under this hub's threshold; it has no exact counts.
 */
static int take_table(fs_aggregates *a, const char *city, const git_tree_entry *e)
{
	fs_counter *c = NULL;
	git_blob *blob = NULL;
	git_oid json, csv;
	fs_buf what = FS_BUF_INIT;
	int rc;

	fs_buf_printf(&what, "cities/%s/aggregates/services.json", city);
	if ((rc = fs_buf_check(&what)) < 0 || (rc = fs_counter_new(&c)) < 0)
		goto done;
	if ((rc = git_blob_lookup(&blob, a->repo, git_tree_entry_id(e))) < 0) {
		rc = fs_error_git(rc, "cannot read %s", what.ptr);
		goto done;
	}
	if ((rc = parse_table(c, &a->key, city, git_blob_rawcontent(blob),
			      (size_t)git_blob_rawsize(blob), what.ptr)) == 0 &&
	    (rc = write_table(a, &json, &csv, &services_table, c, city, a->threshold, 1)) == 0)
		rc = put_city(a, city, NULL, &json, &csv);
done:
	git_blob_free(blob);
	fs_counter_free(c);
	fs_buf_dispose(&what);
	return rc;
}

int fs_aggregates_city(fs_aggregates *a, const char *city, const git_tree *old,
		       const git_tree *new_)
{
	fs_counter *services = NULL;
	walk w = { a, a->actions, count_action, city };
	git_tree_entry *sent = NULL;
	int rc;

	if ((rc = diff_folder(&w, old, new_, "actions")) < 0)
		goto done;
	/* records win over a table: a city that has them is counted here */
	if (!git_tree_entry_byname(new_, "services")) {
		if ((rc = fs_tree_find(&sent, new_, "aggregates/services.json")) < 0)
			goto done;
		if (sent) {
			rc = take_table(a, city, sent);
			goto done;
		}
	}
	if ((rc = fs_counter_new(&services)) < 0 ||
	    (old && (rc = load_city(a, services, city)) < 0))
		goto done;
	w.c = services;
	w.count = count_service;
	if ((rc = diff_folder(&w, old, new_, "services")) < 0)
		goto done;
	rc = write_city(a, city, services);
done:
	git_tree_entry_free(sent);
	fs_counter_free(services);
	return rc;
}

int fs_aggregates_write(fs_aggregates *a, git_treebuilder *hub)
{
	git_treebuilder *aggr = NULL;
	git_oid json, csv, id;
	int rc;

	if ((rc = write_table(a, &json, &csv, &actions_table, a->actions, NULL, 0, 0)) < 0)
		return rc;
	if ((rc = git_treebuilder_new(&aggr, a->repo, NULL)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, aggr, "actions.json", &json, GIT_FILEMODE_BLOB)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, aggr, "actions.csv", &csv, GIT_FILEMODE_BLOB)) < 0 ||
	    (rc = git_treebuilder_write(&id, a->services)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, aggr, "services", &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(&id, aggr)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, hub, "aggregates", &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(&id, a->counts)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, hub, "counts", &id, GIT_FILEMODE_TREE)) < 0)
		rc = fs_error_git(rc, "cannot write the aggregates");
	git_treebuilder_free(aggr);
	return rc;
}
