#include "schema/builtin.h"

#include <stdio.h>
#include <string.h>

#include "util/embed.h"
#include "util/error.h"

/* build/gen/schema_data.c, made by tools/embed.c from the JSON files in schema/ */
extern const fs_embedded_file fs_schema_files[];

#define MAX_REPORTED 20

static fs_schema_set *builtin;

int fs_schema_builtin(const fs_schema_set **out)
{
	fs_schema_set *set = NULL;
	fs_buf uri = FS_BUF_INIT;
	int rc;

	if (builtin) {
		*out = builtin;
		return 0;
	}
	*out = NULL;
	if ((rc = fs_schema_set_new(&set)) < 0)
		return rc;
	fs_schema_set_assert_formats(set, 1);
	for (const fs_embedded_file *f = fs_schema_files; f->name; f++) {
		fs_buf_clear(&uri);
		fs_buf_printf(&uri, FS_SCHEMA_BASE "%s", f->name);
		if ((rc = fs_buf_check(&uri)) < 0 ||
		    (rc = fs_schema_set_add(set, uri.ptr, f->data, f->size)) < 0) {
			fs_error_prefix("shipped schema '%s'", f->name);
			goto done;
		}
	}
	builtin = set;
	set = NULL;
	*out = builtin;
done:
	fs_schema_set_free(set);
	fs_buf_dispose(&uri);
	return rc;
}

void fs_schema_builtin_shutdown(void)
{
	fs_schema_set_free(builtin);
	builtin = NULL;
}

int fs_schema_uri(fs_buf *out, const char *name)
{
	const char *slash = strchr(name, '/');
	char file[128];

	if (!slash || slash == name || strlen(name) > 64 || strchr(slash + 1, '/') ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz") != (size_t)(slash - name) ||
	    !slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return fs_error_set(FS_EINVALID, "'%s' is not a schema name (kind/version, such as "
				    "action/1)", name);
	snprintf(file, sizeof(file), "%.*s-%s.json", (int)(slash - name), name, slash + 1);
	for (const fs_embedded_file *f = fs_schema_files; f->name; f++)
		if (strcmp(f->name, file) == 0)
			return fs_buf_printf(out, FS_SCHEMA_BASE "%s", file);
	return fs_error_set(FS_EINVALID, "schema '%s' is not known to this version of fieldsync",
			    name);
}

int fs_schema_check(const cJSON *record, const char *what)
{
	const fs_schema_set *set;
	fs_schema_report *report = NULL;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(record, "schema");
	fs_buf uri = FS_BUF_INIT, msg = FS_BUF_INIT;
	int rc;

	if (!cJSON_IsObject(record))
		return fs_error_set(FS_EINVALID, "%s: expected a JSON object", what);
	if (!cJSON_IsString(name))
		return fs_error_set(FS_EINVALID, "%s: /schema: expected the name of a schema such as "
				    "\"action/1\", found %s", what, name ? "another type" : "nothing");
	if ((rc = fs_schema_uri(&uri, name->valuestring)) < 0) {
		fs_error_prefix("%s: /schema", what);
		goto done;
	}
	if ((rc = fs_schema_builtin(&set)) < 0)
		goto done;
	rc = fs_schema_validate(set, uri.ptr, record, &report);
	if (rc == FS_EINVALID) {
		fs_schema_report_format(report, &msg, what, MAX_REPORTED);
		/* one message, one line per failure, without the last newline */
		if (msg.size && msg.ptr[msg.size - 1] == '\n')
			msg.ptr[--msg.size] = '\0';
		rc = fs_error_set(FS_EINVALID, "%s", fs_buf_cstr(&msg));
	}
done:
	fs_schema_report_free(report);
	fs_buf_dispose(&uri);
	fs_buf_dispose(&msg);
	return rc;
}
