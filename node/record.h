/*
 * record.h - the records of a node: actions and services
 *
 * A record is one canonical JSON file in folders made of its id's time
 * (fs_record_path below): a commit's records, made close together, share
 * their folders, each folder above the leaves holds at most 16 entries, and
 * no folder is rewritten once its time is past, so what a commit writes stays
 * small however large the node.
 *
 * The node sets "id", "city" (when absent), "created" and "updated"; the
 * person gives the rest, which must validate against the schema the record
 * names ("schema": "action/1", filled in when absent). A service's
 * "protected" part is given in plain form and sealed here (node/protect.h)
 * with the node's keystore.
 */
#ifndef FS_RECORD_H
#define FS_RECORD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "node/id.h"
#include "node/node.h"
#include "util/buf.h"

typedef enum {
	FS_KIND_ACTION = 1,
	FS_KIND_SERVICE = 2,
	FS_KIND_ERASURE = 4 /* written by forget only (node/forget.h) */
} fs_kind;

/* What people record and list; erasures are the node's own. */
#define FS_KIND_ALL (FS_KIND_ACTION | FS_KIND_SERVICE)

/* A record larger than this is refused: nothing a clerk types comes near it. */
#define FS_RECORD_MAX_BYTES (1024 * 1024)

const char *fs_kind_name(fs_kind kind);   /* "action" */
const char *fs_kind_folder(fs_kind kind); /* "actions" */

/* "action" / "service"; FS_EINVALID naming the word otherwise. */
int fs_kind_parse(fs_kind *out, const char *name);

/*
 * Where a new record `id` of `kind` goes (layout 2): cities/<city>/<kind>s/
 * <id[0..2]>/<id[3]>/<id[4]>/<id[5]>/<id[6]>/<id[7]>/<id[9]>/<id[10]>/<id[11]>/<id>.json,
 * the folders the hex digits of the id's time but the last: the records of
 * 16 ms share a folder.
 */
int fs_record_path(fs_buf *out, const char *city, fs_kind kind, const char *id);

/*
 * Where layout 1 (before 2026-12-05) put it: cities/<city>/<kind>s/a/b/c/d/<id>.json,
 * four hex digits of a BLAKE2b hash of the id. Such records are still read,
 * edited and removed in place and accepted by hubs and audits; nothing new is
 * written there.
 */
int fs_record_path_v1(fs_buf *out, const char *city, fs_kind kind, const char *id);

/*
 * Turn input text into a record ready to store: parse it, check the fields
 * the node owns, fill them in, validate it. `old` is the stored record when
 * editing, NULL when adding (then a new id is assigned). `what` names the
 * input in messages ("record", "line 12"). FS_EINVALID / FS_ETOOBIG with a
 * message on bad input.
 */
int fs_record_prepare(cJSON **out, const fs_node *node, fs_kind kind, const char *json,
		      size_t len, const cJSON *old, const char *what);

/* Validate, assign the id, write, commit (one signed commit). */
int fs_record_add(fs_node *node, fs_kind kind, const char *json, size_t len,
		  char id[FS_ID_BYTES]);

/* Replace record `id` (same kind); FS_EUNCHANGED when the content is the same. */
int fs_record_edit(fs_node *node, const char *id, const char *json, size_t len);

/* Remove record `id` from the head (its history stays). */
int fs_record_rm(fs_node *node, const char *id);

/* The stored bytes of record `id` at the head, and its kind (may be NULL). */
int fs_record_read(fs_buf *out, fs_kind *kind, const fs_node *node, const char *id);

/*
 * Check one file of a city's tree the way a hub or an auditor must: `path` is
 * "cities/<city>/city.json" or a record path, and `data` must be canonical
 * JSON that validates against the schema it names, of the kind its folder
 * says, for `city`, stored exactly where its id puts it. Anything else below
 * cities/<city>/ is refused. FS_EINVALID with "<path>: what is wrong".
 */
int fs_record_check_stored(const char *city, const char *path, const char *data, size_t len);

/*
 * The other layout's place for the record at `path` (a record path of
 * `city`), where the same record must not also be: FS_ENOTFOUND when `path`
 * is no record path.
 */
int fs_record_twin(fs_buf *out, const char *city, const char *path);

/* Called per record; a non-zero return stops the walk and is returned. */
typedef int (*fs_record_cb)(const char *id, fs_kind kind, const char *data, size_t len,
			    void *payload);

/* Every record of the node's city of the given kinds, in id (= creation) order. */
int fs_record_foreach(const fs_node *node, unsigned kinds, fs_record_cb cb, void *payload);

/*
 * Every record of the given kinds below a root tree (cities/<id>/...): city
 * by city in name order (`city` not NULL: that one only), each city's records
 * in id order. Memory follows the largest city, not the whole tree.
 */
int fs_record_foreach_tree(git_repository *repo, const git_tree *root, const char *city,
			   unsigned kinds, fs_record_cb cb, void *payload);

#endif
