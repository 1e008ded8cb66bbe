/*
 * fuzz_record.c - a record as the hub receives it: parse, schema, storage
 *
 * The input is the blob a city pushes. It is checked as the record at the
 * path its own id and schema name (so valid records reach every schema
 * check), and at a fixed path. Whatever the hub accepts is in canonical form
 * and valid against its schema.
 */
#include <string.h>

#include "node/record.h"
#include "schema/builtin.h"
#include "tests/fuzz/fuzz.h"
#include "util/error.h"
#include "util/json.h"

/* The path a record would be stored at, from its own members. */
static int path_of(fs_buf *out, const cJSON *rec, int v1)
{
	const char *id = fs_json_string(rec, "id"), *city = fs_json_string(rec, "city");
	const char *schema = fs_json_string(rec, "schema");
	fs_kind kind = FS_KIND_ACTION;

	if (!id || !city || !schema)
		return -1;
	if (strncmp(schema, "service/", 8) == 0)
		kind = FS_KIND_SERVICE;
	else if (strncmp(schema, "erasure/", 8) == 0)
		kind = FS_KIND_ERASURE;
	return (v1 ? fs_record_path_v1 : fs_record_path)(out, city, kind, id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	fs_buf path = FS_BUF_INIT, canon = FS_BUF_INIT, old = FS_BUF_INIT;
	cJSON *rec = NULL;
	const char *city;
	int valid;

	fs_record_check_stored("tunis", "cities/tunis/services/0/0/0/0/x.json", text, size);
	fs_error_clear();
	if (fs_json_parse(&rec, text, size, "record") < 0 || !cJSON_IsObject(rec))
		goto done;
	valid = fs_schema_check(rec, "record") == 0;
	fs_error_clear();
	if (path_of(&path, rec, 0) < 0 || fs_buf_check(&path) < 0 ||
	    path_of(&old, rec, 1) < 0 || fs_buf_check(&old) < 0 || fs_json_canonical(&canon, rec) < 0)
		goto done;
	city = fs_json_string(rec, "city");
	if (fs_record_check_stored(city, path.ptr, text, size) == 0) {
		/* accepted: exactly the canonical bytes of a valid record */
		FUZZ_ASSERT(valid);
		FUZZ_ASSERT(canon.size == size && memcmp(canon.ptr, text, size) == 0);
		/* a history written before layout 2 holds it at its layout-1 place */
		FUZZ_ASSERT(fs_record_check_stored(city, old.ptr, text, size) == 0);
	}
	fs_error_clear();
	/* and never by another city */
	if (strcmp(city, "quito") != 0)
		FUZZ_ASSERT(fs_record_check_stored("quito", path.ptr, canon.ptr, canon.size) < 0);
done:
	fs_error_clear();
	cJSON_Delete(rec);
	fs_buf_dispose(&path);
	fs_buf_dispose(&old);
	fs_buf_dispose(&canon);
	return 0;
}
