/*
 * stored.c - checking records as they arrive from elsewhere
 *
 * A node builds its records itself (record.c); a hub receives them inside
 * pushed commits and an auditor reads them from a clone, and neither can
 * trust the writer's software. Every rule the node follows when it writes is
 * checked again here from the bytes alone.
 */
#include "node/record.h"

#include <string.h>

#include "node/id.h"
#include "schema/builtin.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/json.h"

/* "cities/<city>/actions/<folders>/<id>.json" -> kind; the rest is checked against the id. */
static int kind_of(fs_kind *kind, const char *rest)
{
	if (strncmp(rest, "actions/", 8) == 0)
		*kind = FS_KIND_ACTION;
	else if (strncmp(rest, "services/", 9) == 0)
		*kind = FS_KIND_SERVICE;
	else if (strncmp(rest, "erasures/", 9) == 0)
		*kind = FS_KIND_ERASURE;
	else
		return -1;
	return 0;
}

int fs_record_check_stored(const char *city, const char *path, const char *data, size_t len)
{
	fs_buf canon = FS_BUF_INIT, want = FS_BUF_INIT;
	cJSON *rec = NULL;
	const char *rest, *schema, *id;
	fs_kind kind = FS_KIND_ACTION;
	size_t city_len = strlen(city);
	int rc = 0, is_city;

	/* "cities/<city>/", without a printf: this runs for every file an audit reads */
	if (strncmp(path, "cities/", 7) != 0 || strncmp(path + 7, city, city_len) != 0 ||
	    path[7 + city_len] != '/') {
		rc = fs_error_set(FS_EINVALID, "%s: outside cities/%s/, which is all city '%s' "
				  "may write", path, city, city);
		goto done;
	}
	rest = path + 7 + city_len + 1;
	is_city = strcmp(rest, "city.json") == 0;
	if (!is_city && kind_of(&kind, rest) < 0) {
		rc = fs_error_set(FS_EINVALID, "%s: not a place for a file (expected city.json, "
				  "actions/..., services/... or erasures/...)", path);
		goto done;
	}
	if (len > FS_RECORD_MAX_BYTES) {
		rc = fs_error_set(FS_ETOOBIG, "%s: %zu bytes, over the limit of %d bytes (1 MiB)",
				  path, len, FS_RECORD_MAX_BYTES);
		goto done;
	}
	if ((rc = fs_json_parse(&rec, data, len, path)) < 0)
		goto done;
	if (!cJSON_IsObject(rec)) {
		rc = fs_error_set(FS_EINVALID, "%s: expected a JSON object", path);
		goto done;
	}
	/* same content, same bytes: what makes records comparable across copies */
	if ((rc = fs_json_canonical(&canon, rec)) < 0)
		goto done;
	if (canon.size != len || memcmp(canon.ptr, data, len) != 0) {
		rc = fs_error_set(FS_EINVALID, "%s: not in canonical form (sorted keys, two-space "
				  "indent, one trailing newline)", path);
		goto done;
	}
	schema = fs_json_string(rec, "schema");
	if (is_city) {
		if (!schema || strncmp(schema, "city/", 5) != 0) {
			rc = fs_error_set(FS_EINVALID, "%s: /schema: expected a city schema such as "
					  "\"city/1\"", path);
			goto done;
		}
	} else if (!schema || strncmp(schema, fs_kind_name(kind), strlen(fs_kind_name(kind))) != 0 ||
		   schema[strlen(fs_kind_name(kind))] != '/') {
		rc = fs_error_set(FS_EINVALID, "%s: /schema: expected %s (the folder is %s), found "
				  "\"%s\"", path,
				  kind == FS_KIND_SERVICE ? _("a service schema") : _("an action schema"),
				  fs_kind_folder(kind), schema ? schema : "");
		goto done;
	}
	if ((rc = fs_schema_check(rec, path)) < 0)
		goto done;
	id = fs_json_string(rec, "id");
	if (is_city) {
		if (!id || strcmp(id, city) != 0)
			rc = fs_error_set(FS_EINVALID, "%s: /id: expected \"%s\", found \"%s\"", path,
					  city, id ? id : "");
		goto done;
	}
	if (!fs_json_string(rec, "city") || strcmp(fs_json_string(rec, "city"), city) != 0) {
		rc = fs_error_set(FS_EINVALID, "%s: /city: expected \"%s\" (the folder's city), "
				  "found \"%s\"", path, city, fs_json_string(rec, "city") ? fs_json_string(rec, "city") : "");
		goto done;
	}
	if (!id || !fs_id_valid(id)) {
		rc = fs_error_set(FS_EINVALID, "%s: /id: not a record id", path);
		goto done;
	}
	/* either layout (node/record.h); a record under the old one was written there first */
	if ((rc = fs_record_path_v1(&want, city, kind, id)) < 0 || (rc = fs_buf_check(&want)) < 0)
		goto done;
	if (strcmp(want.ptr, path) == 0)
		goto done;
	fs_buf_clear(&want);
	if ((rc = fs_record_path(&want, city, kind, id)) < 0 || (rc = fs_buf_check(&want)) < 0)
		goto done;
	if (strcmp(want.ptr, path) != 0)
		rc = fs_error_set(FS_EINVALID, "%s: record %s belongs at %s", path, id, want.ptr);
done:
	cJSON_Delete(rec);
	fs_buf_dispose(&canon);
	fs_buf_dispose(&want);
	return rc;
}

int fs_record_twin(fs_buf *out, const char *city, const char *path)
{
	fs_buf place = FS_BUF_INIT;
	char id[FS_ID_BYTES];
	const char *name = strrchr(path, '/');
	size_t plen = strlen("cities/") + strlen(city) + 1;
	fs_kind kind;
	int rc;

	if (strncmp(path, "cities/", 7) != 0 || strncmp(path + 7, city, strlen(city)) != 0 ||
	    path[plen - 1] != '/' || kind_of(&kind, path + plen) < 0 || !name ||
	    strlen(name + 1) != FS_ID_BYTES - 1 + 5)
		return FS_ENOTFOUND;
	memcpy(id, name + 1, FS_ID_BYTES - 1);
	id[FS_ID_BYTES - 1] = '\0';
	if (!fs_id_valid(id))
		return FS_ENOTFOUND;
	if ((rc = fs_record_path(&place, city, kind, id)) < 0 || (rc = fs_buf_check(&place)) < 0)
		goto done;
	if (strcmp(place.ptr, path) == 0) {
		fs_buf_clear(&place);
		if ((rc = fs_record_path_v1(&place, city, kind, id)) < 0 ||
		    (rc = fs_buf_check(&place)) < 0)
			goto done;
	}
	rc = fs_buf_put(out, place.ptr, place.size);
done:
	fs_buf_dispose(&place);
	return rc;
}
