#include "node/export.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/csv.h"
#include "util/ascii.h"
#include "util/error.h"
#include "util/json.h"

typedef struct {
	const char *field, *hxl;
} column;

/*
 * The columns of each kind, in the order a person reads a record. HXL
 * hashtags from the HXL core (#activity, #loc, #country, #date, #sector,
 * #beneficiary, #org, #meta ...), attributes naming the field.
 */
static const column action_columns[] = {
	{ "id", "#activity+id" },
	{ "city", "#loc+code" },
	{ "country", "#country+code" },
	{ "title", "#activity+name" },
	{ "description", "#activity+description" },
	{ "start", "#date+start" },
	{ "end", "#date+end" },
	{ "commitment", "#activity+type+commitment" },
	{ "priorities", "#sector+priority+code" },
	{ "categories", "#sector+category+code" },
	{ "target_groups", "#beneficiary+type+targeted" },
	{ "partners", "#org+partner" },
	{ "status", "#status" },
	{ "mayor", "#contact+name+mayor" },
	{ "funding", "#meta+funding" },
	{ "figures", "#meta+figures" },
	{ "created", "#date+created" },
	{ "updated", "#date+updated" },
};

/* `protected` is ciphertext: no use in a table, and not for a spreadsheet. */
static const column service_columns[] = {
	{ "id", "#meta+id" },
	{ "city", "#loc+code" },
	{ "date", "#date" },
	{ "category", "#sector+service" },
	{ "person", "#beneficiary+code" },
	{ "population_group", "#beneficiary+type" },
	{ "sex", "#beneficiary+sex" },
	{ "age_band", "#beneficiary+age" },
	{ "nationality", "#beneficiary+nationality" },
	{ "action", "#activity+id" },
	{ "referred_to", "#org+referral" },
	{ "created", "#date+created" },
	{ "updated", "#date+updated" },
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

int fs_export_format_parse(fs_export_format *out, const char *name)
{
	if (strcmp(name, "csv") == 0)
		*out = FS_EXPORT_CSV;
	else if (strcmp(name, "ndjson") == 0)
		*out = FS_EXPORT_NDJSON;
	else if (strcmp(name, "hxl") == 0)
		*out = FS_EXPORT_HXL;
	else
		return fs_error_set(FS_EINVALID, "format '%s': expected csv, ndjson or hxl", name);
	return 0;
}

int fs_export_since_check(const char *since)
{
	/* YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ: a prefix of a timestamp */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = strlen(since), i;

	for (i = 0; i < n && i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !fs_ascii_isdigit((unsigned char)since[i]) : since[i] != shape[i])
			break;
	if (i == n && (n == 4 || n == 7 || n == 10 || n == sizeof(shape) - 1))
		return 0;
	return fs_error_set(FS_EINVALID, "--since '%s': expected YYYY, YYYY-MM, YYYY-MM-DD or "
			    "YYYY-MM-DDThh:mm:ssZ", since);
}

typedef struct {
	FILE *out;
	const fs_export_options *opts;
	const column *cols;
	size_t ncols, count;
	fs_buf row, cell;
	const char **cells;
} exporter;

/* One value as a cell: lists joined by "; ", objects as "name=value; ...". */
static int put_cell(fs_buf *cell, const cJSON *v)
{
	const cJSON *c;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return fs_buf_puts(cell, v->valuestring);
	if (cJSON_IsNumber(v))
		return fs_json_put_number(cell, v->valuedouble);
	if (cJSON_IsBool(v))
		return fs_buf_puts(cell, cJSON_IsTrue(v) ? "true" : "false");
	cJSON_ArrayForEach(c, v) {
		if (c != v->child)
			fs_buf_puts(cell, "; ");
		if (cJSON_IsObject(v))
			fs_buf_printf(cell, "%s=", c->string);
		if (cJSON_IsArray(c) || cJSON_IsObject(c))
			fs_json_compact(cell, c);
		else
			put_cell(cell, c);
	}
	return fs_buf_check(cell);
}

static int emit(exporter *x)
{
	if (fs_buf_check(&x->row) < 0)
		return FS_ENOMEM;
	if (fwrite(x->row.ptr, 1, x->row.size, x->out) != x->row.size)
		return fs_error_os("cannot write the export");
	fs_buf_clear(&x->row);
	return 0;
}

static int header(exporter *x)
{
	int rc;

	for (size_t i = 0; i < x->ncols; i++)
		x->cells[i] = x->cols[i].field;
	if ((rc = fs_csv_row(&x->row, x->cells, x->ncols)) < 0)
		return rc;
	if (x->opts->format == FS_EXPORT_HXL) {
		for (size_t i = 0; i < x->ncols; i++)
			x->cells[i] = x->cols[i].hxl;
		if ((rc = fs_csv_row(&x->row, x->cells, x->ncols)) < 0)
			return rc;
	}
	return emit(x);
}

static int one(const char *id, fs_kind kind, const char *data, size_t len, void *payload)
{
	exporter *x = payload;
	cJSON *rec = NULL;
	const char *updated;
	size_t *ends = NULL;
	int rc;

	(void)kind;
	/* damaged JSON, or memory that ran out: fs_json_parse_stored tells them apart */
	if ((rc = fs_json_parse_stored(&rec, data, len, "stored record")) < 0) {
		fs_error_prefix("record '%s'", id);
		goto done;
	}
	if (!cJSON_IsObject(rec)) {
		rc = fs_error_set(FS_EINVALID, "record '%s': stored JSON does not parse", id);
		goto done;
	}
	updated = fs_json_string(rec, "updated");
	if (x->opts->since && (!updated || strcmp(updated, x->opts->since) < 0))
		goto done;
	if (x->opts->format == FS_EXPORT_NDJSON) {
		if ((rc = fs_json_compact(&x->row, rec)) < 0 || (rc = fs_buf_putc(&x->row, '\n')) < 0)
			goto done;
	} else {
		/* the cells one after another in one buffer, NUL-separated */
		if (!(ends = fs_malloc(x->ncols * sizeof(*ends)))) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		fs_buf_clear(&x->cell);
		for (size_t i = 0; i < x->ncols; i++) {
			put_cell(&x->cell, cJSON_GetObjectItemCaseSensitive(rec, x->cols[i].field));
			fs_buf_putc(&x->cell, '\0');
			ends[i] = x->cell.size;
		}
		if ((rc = fs_buf_check(&x->cell)) < 0)
			goto done;
		for (size_t i = 0; i < x->ncols; i++)
			x->cells[i] = x->cell.ptr + (i ? ends[i - 1] : 0);
		if ((rc = fs_csv_row(&x->row, x->cells, x->ncols)) < 0)
			goto done;
	}
	if ((rc = emit(x)) == 0)
		x->count++;
done:
	fs_free(ends);
	cJSON_Delete(rec);
	return rc;
}

int fs_export(FILE *out, size_t *count, git_repository *repo, const git_tree *root,
	      const fs_export_options *opts)
{
	exporter x = { out, opts, NULL, 0, 0, FS_BUF_INIT, FS_BUF_INIT, NULL };
	int rc;

	*count = 0;
	if (opts->format != FS_EXPORT_NDJSON) {
		if (opts->kinds == FS_KIND_ACTION) {
			x.cols = action_columns;
			x.ncols = NCOLS(action_columns);
		} else if (opts->kinds == FS_KIND_SERVICE) {
			x.cols = service_columns;
			x.ncols = NCOLS(service_columns);
		} else {
			return fs_error_set(FS_EUSAGE, "a table holds one kind of record: name action "
					    "or service");
		}
		if (!(x.cells = fs_malloc(x.ncols * sizeof(*x.cells))))
			return fs_error_set(FS_ENOMEM, "out of memory");
		if ((rc = header(&x)) < 0)
			goto done;
	}
	if ((rc = fs_record_foreach_tree(repo, root, opts->city, opts->kinds, one, &x)) < 0)
		goto done;
	if (fflush(out) != 0)
		rc = fs_error_os("cannot write the export");
done:
	*count = x.count;
	fs_free(x.cells);
	fs_buf_dispose(&x.row);
	fs_buf_dispose(&x.cell);
	return rc;
}
