#include "schema/builtin.h"

#include <stdio.h>
#include <string.h>

#include "util/embed.h"
#include "util/error.h"
#include "util/json.h"
#include "util/i18n.h"

/* build/gen/schema_data.c, made by tools/embed.c from the JSON files in schema/ */
extern const fs_embedded_file fs_schema_files[];

#define MAX_REPORTED 20
#define MAX_NAME 64

static fs_schema_set *builtin;

int fs_schema_builtin(const fs_schema_set **out)
{
	fs_schema_set *set = NULL;
	fs_buf uri = FS_BUF_INIT;
	int rc;

	*out = builtin;
	if (builtin)
		return 0;
	if ((rc = fs_schema_set_new(&set)) < 0)
		return rc;
	fs_schema_set_assert_formats(set, 1);
	for (const fs_embedded_file *f = fs_schema_files; f->name; f++) {
		fs_buf_clear(&uri);
		fs_buf_printf(&uri, FS_SCHEMA_BASE "%s", f->name);
		if ((rc = fs_buf_check(&uri)) < 0 ||
		    (rc = fs_schema_set_add(set, uri.ptr, f->data, f->size)) < 0) {
			/* a build that ships a broken schema must not validate anything */
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

/* "action/1" -> "action-1.json", or -1 if the name is not of the form kind/N */
static int file_name(char *file, size_t size, const char *name)
{
	const char *slash = strchr(name, '/');
	size_t kind;

	if (!slash || strlen(name) > MAX_NAME)
		return -1;
	kind = (size_t)(slash - name);
	if (kind == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz") != kind || !slash[1] ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1) || slash[1] == '0')
		return -1;
	snprintf(file, size, "%.*s-%s.json", (int)kind, name, slash + 1);
	return 0;
}

/* The record schemas shipped, for messages: "action/1, city/1, service/1". */
static void put_known(fs_buf *out, const fs_schema_set *set)
{
	size_t n = 0;

	for (const fs_embedded_file *f = fs_schema_files; f->name; f++) {
		char uri[256];
		const cJSON *c;
		snprintf(uri, sizeof(uri), FS_SCHEMA_BASE "%s#/properties/schema/const", f->name);
		c = fs_schema_set_lookup(set, uri);
		if (!cJSON_IsString(c))
			continue;
		fs_buf_printf(out, "%s%s", n++ ? ", " : "", c->valuestring);
	}
}

int fs_schema_uri(fs_buf *out, const char *name)
{
	const fs_schema_set *set;
	const cJSON *c;
	fs_buf uri = FS_BUF_INIT, known = FS_BUF_INIT, found = FS_BUF_INIT;
	char file[MAX_NAME + 8];
	int rc;

	fs_json_put_string(&found, name);
	if ((rc = fs_buf_check(&found)) < 0)
		goto done;
	if (file_name(file, sizeof(file), name) < 0) {
		rc = fs_error_set(FS_EINVALID, "expected the name of a schema such as \"action/1\", "
				  "found %s", found.ptr);
		goto done;
	}
	if ((rc = fs_schema_builtin(&set)) < 0)
		goto done;
	fs_buf_printf(&uri, FS_SCHEMA_BASE "%s#/properties/schema/const", file);
	if ((rc = fs_buf_check(&uri)) < 0)
		goto done;
	/* a record schema says which name it answers to; shared files (defs-1.json) do not */
	c = fs_schema_set_lookup(set, uri.ptr);
	if (!cJSON_IsString(c) || strcmp(c->valuestring, name) != 0) {
		put_known(&known, set);
		rc = fs_error_set(FS_EINVALID, "expected a schema this version of fieldsync knows (%s), "
				  "found %s", fs_buf_cstr(&known), found.ptr);
		goto done;
	}
	rc = fs_buf_printf(out, FS_SCHEMA_BASE "%s", file);
done:
	fs_buf_dispose(&uri);
	fs_buf_dispose(&known);
	fs_buf_dispose(&found);
	return rc;
}

/* "the number 5", "an array": what a "schema" member that is not a string holds */
static void put_kind(fs_buf *out, const cJSON *v)
{
	if (!v)
		fs_buf_puts(out, _("nothing"));
	else if (cJSON_IsNumber(v)) {
		fs_buf_puts(out, _("the number "));
		fs_json_put_number(out, v->valuedouble);
	} else if (cJSON_IsBool(v))
		fs_buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNull(v))
		fs_buf_puts(out, "null");
	else if (cJSON_IsArray(v))
		fs_buf_puts(out, _("an array"));
	else
		fs_buf_puts(out, _("an object"));
}

int fs_schema_check(const cJSON *record, const char *what)
{
	const fs_schema_set *set;
	fs_schema_report *report = NULL;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(record, "schema");
	fs_buf uri = FS_BUF_INIT, msg = FS_BUF_INIT;
	int rc;

	if (!cJSON_IsObject(record)) {
		put_kind(&msg, record);
		rc = fs_error_set(FS_EINVALID, "%s: expected a JSON object, found %s", what,
				  fs_buf_cstr(&msg));
		goto done;
	}
	if (!cJSON_IsString(name)) {
		put_kind(&msg, name);
		rc = fs_error_set(FS_EINVALID, "%s: /schema: expected the name of a schema such as "
				  "\"action/1\", found %s", what, fs_buf_cstr(&msg));
		goto done;
	}
	if ((rc = fs_schema_uri(&uri, name->valuestring)) < 0) {
		fs_error_prefix("%s: /schema", what);
		goto done;
	}
	if ((rc = fs_schema_builtin(&set)) < 0)
		goto done;
	rc = fs_schema_validate(set, uri.ptr, record, &report);
	if (rc == FS_EINVALID) {
		if ((rc = fs_schema_report_format(report, &msg, what, MAX_REPORTED)) < 0)
			goto done;
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

const char *fs_schema_label(const char *vocab, const char *code, const char *lang)
{
	const fs_schema_set *set;
	const cJSON *labels, *entry, *label;
	char uri[256];

	if (!vocab || !code || !lang || strspn(vocab, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(vocab) || strlen(vocab) > MAX_NAME || fs_schema_builtin(&set) < 0)
		return NULL;
	snprintf(uri, sizeof(uri), FS_SCHEMA_BASE "vocab/%s.json", vocab);
	/* "labels" is an annotation: the validator ignores it, so read it by hand */
	labels = cJSON_GetObjectItemCaseSensitive(fs_schema_set_lookup(set, uri), "labels");
	entry = cJSON_GetObjectItemCaseSensitive(labels, code);
	/* a plain string is English: countries.json names its codes for readers only */
	if (cJSON_IsString(entry))
		return strcmp(lang, "en") == 0 ? entry->valuestring : NULL;
	label = cJSON_GetObjectItemCaseSensitive(entry, lang);
	return cJSON_IsString(label) ? label->valuestring : NULL;
}
