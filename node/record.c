#include "node/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/id.h"
#include "node/protect.h"
#include "node/tree.h"
#include "schema/builtin.h"
#include "util/error.h"
#include "util/json.h"
#include "util/time.h"
#include "util/i18n.h"

const char *fs_kind_name(fs_kind kind)
{
	return kind == FS_KIND_ACTION ? "action" : kind == FS_KIND_SERVICE ? "service" : "erasure";
}

const char *fs_kind_folder(fs_kind kind)
{
	return kind == FS_KIND_ACTION ? "actions" : kind == FS_KIND_SERVICE ? "services"
									     : "erasures";
}

int fs_kind_parse(fs_kind *out, const char *name)
{
	if (strcmp(name, "action") == 0)
		*out = FS_KIND_ACTION;
	else if (strcmp(name, "service") == 0)
		*out = FS_KIND_SERVICE;
	else
		return fs_error_set(FS_EINVALID,
				    "unknown record kind '%s' (expected action or service)", name);
	return 0;
}

/* "cities/CITY/FOLDER/DIRS/ID.json", without printf: an audit makes two a record */
static int put_path(fs_buf *out, const char *city, fs_kind kind, const char *dirs, size_t n,
		    const char *id)
{
	fs_buf_puts(out, "cities/");
	fs_buf_puts(out, city);
	fs_buf_putc(out, '/');
	fs_buf_puts(out, fs_kind_folder(kind));
	fs_buf_putc(out, '/');
	fs_buf_put(out, dirs, n);
	fs_buf_putc(out, '/');
	fs_buf_puts(out, id);
	fs_buf_puts(out, ".json");
	return fs_buf_check(out);
}

int fs_record_path(fs_buf *out, const char *city, fs_kind kind, const char *id)
{
	static const unsigned char digit[] = { 3, 4, 5, 6, 7, 9, 10, 11 };
	char dirs[3 + 2 * sizeof(digit)];
	size_t n = 3;
	int rc;

	/* the folders are the id's own characters */
	if ((rc = fs_id_check(id)) < 0)
		return rc;
	/* The id begins with its time in hex (milliseconds): a folder per digit,
	 * down to 16 ms, keeps what one commit or push brings in a few trees and
	 * never rewrites a folder once its time is past, where folders from a hash
	 * made every new record four new trees, however many came at once
	 * (docs/node.md, "Layout in the tree"; docs/benchmarks.md). */
	memcpy(dirs, id, 3);
	for (size_t i = 0; i < sizeof(digit); i++) {
		dirs[n++] = '/';
		dirs[n++] = id[digit[i]];
	}
	return put_path(out, city, kind, dirs, n, id);
}

int fs_record_path_v1(fs_buf *out, const char *city, fs_kind kind, const char *id)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[crypto_generichash_BYTES_MIN];
	char dirs[7];
	int rc;

	if ((rc = fs_id_check(id)) < 0)
		return rc;

	crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), NULL, 0);
	dirs[0] = hex[h[0] >> 4];
	dirs[2] = hex[h[0] & 15];
	dirs[4] = hex[h[1] >> 4];
	dirs[6] = hex[h[1] & 15];
	dirs[1] = dirs[3] = dirs[5] = '/';
	return put_path(out, city, kind, dirs, sizeof(dirs), id);
}

/* ---- preparing input ------------------------------------------------------ */

static int set_string(cJSON *obj, const char *name, const char *value)
{
	return fs_json_set(obj, name, cJSON_CreateString(value));
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsArray(v)) return _("an array");
	if (cJSON_IsString(v)) return _("a string");
	if (cJSON_IsNumber(v)) return _("a number");
	if (cJSON_IsBool(v)) return _("a boolean");
	if (cJSON_IsNull(v)) return "null";
	return _("an object");
}

/* The node owns these: a person may repeat the stored value but not change it. */
static int check_owned(const cJSON *rec, const cJSON *old, const char *field, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	const char *was;

	if (!v)
		return 0;
	if (!old)
		return fs_error_set(FS_EINVALID,
				    "%s: /%s: set by the node; leave it out (to change a stored "
				    "record use 'fieldsync edit ID')", what, field);
	was = fs_json_string(old, field);
	if (!cJSON_IsString(v) || !was || strcmp(v->valuestring, was) != 0)
		return fs_error_set(FS_EINVALID, "%s: /%s: set by the node and cannot change "
				    "(stored: \"%s\")", what, field, was ? was : "");
	return 0;
}

/* "2024" ends no earlier than "2024-05": compare on the shorter of the two. */
static int check_dates(const cJSON *rec, const char *what)
{
	const char *start = fs_json_string(rec, "start"), *end = fs_json_string(rec, "end");
	size_t n;

	if (!start || !end)
		return 0;
	n = strlen(start) < strlen(end) ? strlen(start) : strlen(end);
	if (strncmp(end, start, n) < 0)
		return fs_error_set(FS_EINVALID,
				    "%s: /end: expected a date not before /start (\"%s\"), found \"%s\"",
				    what, start, end);
	return 0;
}

/*
 * Seal the plain protected part `*prot` of service `rec`, in place. On an
 * edit, the stored part given back as it is, or plain content equal to what
 * it holds, keeps the stored ciphertext: the same content is the same blob.
 */
static int protect(cJSON **prot, const cJSON *rec, const fs_node *node, const cJSON *old,
		   const char *what)
{
	const char *person = fs_json_string(rec, "person"), *id = fs_json_string(rec, "id");
	const cJSON *was = old ? cJSON_GetObjectItemCaseSensitive(old, "protected") : NULL;
	const char *was_person = old ? fs_json_string(old, "person") : NULL;
	int same_person = was_person && strcmp(was_person, person) == 0;
	cJSON *sealed = NULL, *opened = NULL;
	fs_keystore *ks;
	int rc, same;

	/* sealed for the person: kept only while the record stays that person's */
	if (was && same_person && cJSON_Compare(*prot, was, 1))
		return 0;
	if (fs_protect_is_sealed(*prot))
		return fs_error_set(FS_EINVALID, "%s: /protected: sealed, but not this record's "
				    "stored part for this person; give the fields in plain form (as "
				    "'fieldsync show' prints them) and the node seals them", what);
	if ((rc = fs_node_keystore(&ks, node)) < 0)
		return fs_error_prefix("%s: /protected", what);
	same = was && same_person &&
	       fs_protect_open(&opened, ks, fs_node_city(node), id, person, was) == 0 &&
	       cJSON_Compare(opened, *prot, 1);
	fs_json_delete_secure(opened);
	fs_error_clear();
	if (same)
		sealed = cJSON_Duplicate(was, 1);
	else if ((rc = fs_protect_seal(&sealed, ks, fs_node_city(node), id, person, *prot)) < 0)
		return fs_error_prefix("%s", what);
	if (!sealed)
		return fs_error_set(FS_ENOMEM, "out of memory");
	fs_json_delete_secure(*prot);
	*prot = sealed;
	return 0;
}

int fs_record_prepare(cJSON **out, const fs_node *node, fs_kind kind, const char *json,
		      size_t len, const cJSON *old, const char *what)
{
	char id[FS_ID_BYTES], now[FS_TIME_RFC3339_BYTES], want[32];
	cJSON *rec = NULL, *prot = NULL;
	const cJSON *v;
	const char *s;
	int rc;

	*out = NULL;
	if (len > FS_RECORD_MAX_BYTES)
		return fs_error_set(FS_ETOOBIG, "%s: %zu bytes, over the limit of %d bytes (1 MiB)",
				    what, len, FS_RECORD_MAX_BYTES);
	if ((rc = fs_json_parse(&rec, json, len, what)) < 0)
		return rc;
	if (!cJSON_IsObject(rec)) {
		rc = fs_error_set(FS_EINVALID, "%s: expected a JSON object, found %s", what,
				  json_type_name(rec));
		goto done;
	}
	/* the kind the command names must be the kind the record says it is */
	snprintf(want, sizeof(want), "%s/", fs_kind_name(kind));
	v = cJSON_GetObjectItemCaseSensitive(rec, "schema");
	if (!v) {
		snprintf(want, sizeof(want), "%s/1", fs_kind_name(kind));
		if ((rc = set_string(rec, "schema", want)) < 0)
			goto done;
	} else if (!cJSON_IsString(v) || strncmp(v->valuestring, want, strlen(want)) != 0) {
		rc = fs_error_set(FS_EINVALID, "%s: /schema: expected %s such as \"%s1\", found %s%s%s",
				  what, kind == FS_KIND_SERVICE ? _("a service schema") : _("an action schema"),
				  want,
				  cJSON_IsString(v) ? "\"" : json_type_name(v),
				  cJSON_IsString(v) ? v->valuestring : "",
				  cJSON_IsString(v) ? "\"" : "");
		goto done;
	}
	if ((rc = check_owned(rec, old, "id", what)) < 0 ||
	    (rc = check_owned(rec, old, "created", what)) < 0)
		goto done;
	v = cJSON_GetObjectItemCaseSensitive(rec, "city");
	if (v && (!cJSON_IsString(v) || strcmp(v->valuestring, fs_node_city(node)) != 0)) {
		rc = fs_error_set(FS_EINVALID,
				  "%s: /city: this node records for city \"%s\", found %s%s%s", what,
				  fs_node_city(node), cJSON_IsString(v) ? "\"" : json_type_name(v),
				  cJSON_IsString(v) ? v->valuestring : "", cJSON_IsString(v) ? "\"" : "");
		goto done;
	}
	/* sealed once the rest is valid: the person it is sealed for must be */
	if (kind == FS_KIND_SERVICE)
		prot = cJSON_DetachItemFromObjectCaseSensitive(rec, "protected");
	fs_time_rfc3339(now, fs_time_now());
	if (old) {
		s = fs_json_string(old, "id");
		if ((rc = set_string(rec, "id", s ? s : "")) < 0 ||
		    (rc = set_string(rec, "created", (s = fs_json_string(old, "created")) ? s : now)) < 0)
			goto done;
	} else {
		if ((rc = fs_id_new(id)) < 0 || (rc = set_string(rec, "id", id)) < 0 ||
		    (rc = set_string(rec, "created", now)) < 0)
			goto done;
	}
	if ((rc = set_string(rec, "updated", now)) < 0 ||
	    (rc = set_string(rec, "city", fs_node_city(node))) < 0)
		goto done;
	if ((rc = fs_schema_check(rec, what)) < 0)
		goto done;
	if (prot) {
		if ((rc = protect(&prot, rec, node, old, what)) < 0)
			goto done;
		if (!cJSON_AddItemToObject(rec, "protected", prot)) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		prot = NULL;
	}
	if (kind == FS_KIND_ACTION && (rc = check_dates(rec, what)) < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	cJSON_Delete(rec);
	fs_json_delete_secure(prot);
	return rc;
}

/* ---- reading ------------------------------------------------------------- */

static int head_tree(git_tree **out, const fs_node *node)
{
	git_commit *head = NULL;
	int rc;

	*out = NULL;
	if ((rc = fs_node_head(&head, node)) < 0)
		return rc;
	if ((rc = git_commit_tree(out, head)) < 0)
		rc = fs_error_git(rc, "node '%s': cannot read the head tree", fs_node_dir(node));
	git_commit_free(head);
	return rc;
}

/*
 * Find record `id` in `tree`: its kind, blob id and path (either layout: a
 * record stays where it was first written). FS_ENOTFOUND if absent.
 */
static int locate(fs_kind *kind, git_oid *blob, fs_buf *path, git_tree *tree,
		  const fs_node *node, const char *id)
{
	static const fs_kind kinds[] = { FS_KIND_ACTION, FS_KIND_SERVICE, FS_KIND_ERASURE };
	int rc = FS_ENOTFOUND;

	for (size_t i = 0; i < 6 && rc == FS_ENOTFOUND; i++) {
		git_tree_entry *e = NULL;
		fs_buf_clear(path);
		if ((rc = (i % 2 ? fs_record_path_v1 : fs_record_path)(path, fs_node_city(node),
								       kinds[i / 2], id)) < 0 ||
		    (rc = fs_buf_check(path)) < 0)
			break;
		/* out of memory is not "no such record" */
		if ((rc = fs_tree_find(&e, tree, path->ptr)) < 0)
			break;
		if (!e) {
			rc = FS_ENOTFOUND;
			continue;
		}
		*kind = kinds[i / 2];
		git_oid_cpy(blob, git_tree_entry_id(e));
		git_tree_entry_free(e);
	}
	if (rc == FS_ENOTFOUND)
		fs_error_set(FS_ENOTFOUND, "record '%s': no such record in node '%s'", id,
			     fs_node_city(node));
	return rc;
}

static int read_blob(fs_buf *out, git_repository *repo, const git_oid *id)
{
	git_blob *blob = NULL;
	int rc;

	if ((rc = git_blob_lookup(&blob, repo, id)) < 0)
		return fs_error_git(rc, "cannot read blob %s", git_oid_tostr_s(id));
	rc = fs_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return rc;
}

/* Record `id` at the head: its bytes, kind and path. */
static int read_record(fs_buf *out, fs_kind *kind, fs_buf *path, const fs_node *node,
		       const char *id)
{
	git_tree *tree = NULL;
	git_oid blob;
	int rc;

	if ((rc = fs_id_check(id)) < 0)
		return rc;
	if ((rc = head_tree(&tree, node)) < 0)
		return rc;
	if ((rc = locate(kind, &blob, path, tree, node, id)) == 0)
		rc = read_blob(out, fs_node_repo(node), &blob);
	git_tree_free(tree);
	return rc;
}

int fs_record_read(fs_buf *out, fs_kind *kind, const fs_node *node, const char *id)
{
	fs_buf path = FS_BUF_INIT;
	fs_kind k;
	int rc;

	if ((rc = read_record(out, &k, &path, node, id)) == 0 && kind)
		*kind = k;
	fs_buf_dispose(&path);
	return rc;
}

/* ---- writing ------------------------------------------------------------- */

/* `path`: where the record is, or NULL for a new record's place */
static int store(fs_node *node, fs_kind kind, const char *path, const cJSON *rec,
		 const char *verb)
{
	fs_buf data = FS_BUF_INIT, place = FS_BUF_INIT, msg = FS_BUF_INIT;
	const char *id = fs_json_string(rec, "id");
	git_tree_update upd;
	int rc;

	memset(&upd, 0, sizeof(upd));
	if ((rc = fs_json_canonical(&data, rec)) < 0 ||
	    (!path && (rc = fs_record_path(&place, fs_node_city(node), kind, id)) < 0) ||
	    (rc = fs_buf_printf(&msg, "%s %s %s\n", verb, fs_kind_name(kind), id)) < 0)
		goto done;
	upd.action = GIT_TREE_UPDATE_UPSERT;
	upd.filemode = GIT_FILEMODE_BLOB;
	upd.path = path ? path : place.ptr;
	if ((rc = fs_node_write_blob(node, &upd.id, data.ptr, data.size)) < 0)
		goto done;
	rc = fs_node_commit(node, &upd, 1, msg.ptr, NULL);
done:
	fs_buf_dispose(&data);
	fs_buf_dispose(&place);
	fs_buf_dispose(&msg);
	return rc;
}

int fs_record_add(fs_node *node, fs_kind kind, const char *json, size_t len,
		  char id[FS_ID_BYTES])
{
	cJSON *rec = NULL;
	int rc;

	if ((rc = fs_record_prepare(&rec, node, kind, json, len, NULL, _("record"))) < 0)
		return rc;
	if ((rc = store(node, kind, NULL, rec, "add")) == 0)
		snprintf(id, FS_ID_BYTES, "%s", fs_json_string(rec, "id"));
	cJSON_Delete(rec);
	return rc;
}

int fs_record_edit(fs_node *node, const char *id, const char *json, size_t len)
{
	fs_buf stored = FS_BUF_INIT, what = FS_BUF_INIT, path = FS_BUF_INIT;
	cJSON *old = NULL, *rec = NULL, *updated;
	fs_kind kind;
	int rc;

	if ((rc = read_record(&stored, &kind, &path, node, id)) < 0)
		goto done;
	if ((rc = fs_json_parse(&old, stored.ptr, stored.size, _("stored record"))) < 0)
		goto done;
	fs_buf_printf(&what, "record '%s'", id);
	if ((rc = fs_buf_check(&what)) < 0 ||
	    (rc = fs_record_prepare(&rec, node, kind, json, len, old, what.ptr)) < 0)
		goto done;
	/* same content but for the time stamp: nothing to record */
	updated = cJSON_GetObjectItemCaseSensitive(old, "updated");
	if (updated && cJSON_IsString(updated)) {
		cJSON *probe = cJSON_Duplicate(rec, 1);
		if (!probe) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = set_string(probe, "updated", updated->valuestring)) == 0)
			rc = cJSON_Compare(probe, old, 1);
		cJSON_Delete(probe);
		if (rc < 0)
			goto done;
		if (rc) {
			rc = fs_error_set(FS_EUNCHANGED, "record '%s': no change", id);
			goto done;
		}
	}
	rc = store(node, kind, path.ptr, rec, "edit");
done:
	cJSON_Delete(old);
	cJSON_Delete(rec);
	fs_buf_dispose(&stored);
	fs_buf_dispose(&what);
	fs_buf_dispose(&path);
	return rc;
}

int fs_record_rm(fs_node *node, const char *id)
{
	fs_buf path = FS_BUF_INIT, msg = FS_BUF_INIT;
	git_tree *tree = NULL;
	git_tree_update upd;
	git_oid blob;
	fs_kind kind;
	int rc;

	memset(&upd, 0, sizeof(upd));
	if ((rc = fs_id_check(id)) < 0 || (rc = head_tree(&tree, node)) < 0 ||
	    (rc = locate(&kind, &blob, &path, tree, node, id)) < 0 ||
	    (rc = fs_buf_printf(&msg, "rm %s %s\n", fs_kind_name(kind), id)) < 0)
		goto done;
	upd.action = GIT_TREE_UPDATE_REMOVE;
	upd.path = path.ptr;
	rc = fs_node_commit(node, &upd, 1, msg.ptr, NULL);
done:
	git_tree_free(tree);
	fs_buf_dispose(&path);
	fs_buf_dispose(&msg);
	return rc;
}
