#include "sync/merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/tree.h"
#include "sync/aggregate.h"
#include "sync/check.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

#define HEADS_FILE "unified.json"
#define CITY_REFS FS_CITY_REF_PREFIX
/* a city id is a slug of at most 64 characters (city/1) */
#define CITY_BYTES 128

/* The parts of a tree this file reads: "cities", "hub" (either may be missing). */
typedef struct {
	git_tree *cities, *hub;
} parts;

static void parts_dispose(parts *p)
{
	git_tree_free(p->cities);
	git_tree_free(p->hub);
	memset(p, 0, sizeof(*p));
}

/* The subtree `name` of `tree` (may be NULL), or NULL without an error when there is none. */
static int subtree(git_tree **out, git_repository *repo, const git_tree *tree, const char *name)
{
	const git_tree_entry *e = tree ? git_tree_entry_byname(tree, name) : NULL;
	int rc;

	*out = NULL;
	if (!e)
		return 0;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return fs_error_set(FS_EINVALID, "'%s' is not a folder", name);
	rc = fs_tree_lookup(out, repo, git_tree_entry_id(e));
	return rc < 0 ? fs_error_git(rc, "cannot read '%s'", name) : 0;
}

static int split_tree(parts *out, git_repository *repo, const git_tree *tree)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = subtree(&out->cities, repo, tree, "cities")) < 0 ||
	    (rc = subtree(&out->hub, repo, tree, "hub")) < 0)
		parts_dispose(out);
	return rc;
}

static int split(parts *out, git_repository *repo, const git_commit *c)
{
	git_tree *tree = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = git_commit_tree(&tree, c)) < 0)
		return fs_error_git(rc, "commit %s: cannot read its tree", git_oid_tostr_s(git_commit_id(c)));
	rc = split_tree(out, repo, tree);
	git_tree_free(tree);
	return rc;
}

/*
 * hub/unified.json of a unified tree's hub part, parsed; an empty map for the
 * first merge. *format is the merge format it was written with (0: no merge
 * yet), *threshold the suppression threshold of its aggregates.
 */
static int read_heads(cJSON **out, int *format, int *threshold, git_repository *repo,
		      const git_tree *hub)
{
	const git_tree_entry *e = hub ? git_tree_entry_byname(hub, HEADS_FILE) : NULL;
	git_blob *blob = NULL;
	const cJSON *f, *t;
	int rc;

	*out = NULL;
	*format = 0;
	*threshold = 0;
	if (!hub) {
		*out = cJSON_CreateObject();
		if (!*out || !cJSON_AddObjectToObject(*out, "cities")) {
			cJSON_Delete(*out);
			*out = NULL;
			return fs_error_set(FS_ENOMEM, "out of memory");
		}
		return 0;
	}
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return fs_error_set(FS_EINVALID, "hub/%s is missing", HEADS_FILE);
	if ((rc = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0)
		return fs_error_git(rc, "hub/%s", HEADS_FILE);
	rc = fs_json_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			   "hub/" HEADS_FILE);
	git_blob_free(blob);
	if (rc < 0)
		return rc;
	f = cJSON_GetObjectItemCaseSensitive(*out, "format");
	t = cJSON_GetObjectItemCaseSensitive(*out, "suppress_below");
	/* format 1 had no aggregates: the next merge counts every city afresh */
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "cities")) && cJSON_IsNumber(f) &&
	    (f->valuedouble == 1 ||
	     (f->valuedouble == FS_MERGE_FORMAT && cJSON_IsNumber(t) && t->valuedouble >= 1 &&
	      t->valuedouble <= FS_AGGREGATE_THRESHOLD_MAX && fs_json_is_integer(t->valuedouble)))) {
		*format = (int)f->valuedouble;
		*threshold = *format == FS_MERGE_FORMAT ? (int)t->valuedouble : 0;
		return 0;
	}
	cJSON_Delete(*out);
	*out = NULL;
	return fs_error_set(FS_EINVALID, "hub/%s: expected format 1 or %d with \"cities\" (and "
			    "\"suppress_below\")", HEADS_FILE, FS_MERGE_FORMAT);
}

static int set_head(cJSON *map, const char *name, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	cJSON_DeleteItemFromObjectCaseSensitive(map, name);
	/* a head missing from the map would be a city missing from the merge */
	return cJSON_AddStringToObject(map, name, hex) ? 0 : fs_error_set(FS_ENOMEM, "out of memory");
}

/* Is `id` what `map[name]` says? */
static int head_is(const cJSON *map, const char *name, const git_oid *id)
{
	const char *hex = fs_json_string(map, name);
	git_oid have;

	return hex && git_oid_fromstr(&have, hex) == 0 && git_oid_equal(&have, id);
}

/*
 * What a parent other than the first is: a city's commit (its tree holds
 * cities/<id>/ and nothing else: `city` is set) or the hub's (hub/ only).
 */
static int classify(char city[CITY_BYTES], git_tree **part, git_repository *repo,
		    const git_commit *c)
{
	git_tree *tree = NULL;
	parts p = { NULL, NULL };
	int rc;

	city[0] = '\0';
	*part = NULL;
	if ((rc = git_commit_tree(&tree, c)) < 0 || (rc = split_tree(&p, repo, tree)) < 0)
		goto done;
	if (p.cities && !p.hub && git_tree_entrycount(tree) == 1 &&
	    git_tree_entrycount(p.cities) == 1 &&
	    git_tree_entry_type(git_tree_entry_byindex(p.cities, 0)) == GIT_OBJECT_TREE) {
		const char *id = git_tree_entry_name(git_tree_entry_byindex(p.cities, 0));
		if (strlen(id) >= CITY_BYTES) {
			rc = fs_error_set(FS_EINVALID, "commit %s: city id too long",
					  git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		strcpy(city, id);
		rc = subtree(part, repo, p.cities, id);
	} else if (p.hub && !p.cities && git_tree_entrycount(tree) == 1) {
		*part = p.hub;
		p.hub = NULL;
	} else {
		rc = fs_error_set(FS_EINVALID, "commit %s is neither a city's (cities/<id>/ only) "
				  "nor the hub's (hub/ only)", git_oid_tostr_s(git_commit_id(c)));
	}
done:
	if (rc < 0 && rc != FS_EINVALID)
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(git_commit_id(c)));
	parts_dispose(&p);
	git_tree_free(tree);
	return rc;
}

/* Every city of a fresh aggregate counted from nothing. */
static int count_all(fs_aggregates *agg, git_repository *repo, const git_oid *cities_id)
{
	git_tree *cities = NULL, *city = NULL;
	int rc;

	if ((rc = fs_tree_lookup(&cities, repo, cities_id)) < 0)
		return fs_error_git(rc, "cannot read the unified tree");
	for (size_t i = 0; i < git_tree_entrycount(cities); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(cities, i));
		if ((rc = subtree(&city, repo, cities, name)) < 0 ||
		    (rc = fs_aggregates_city(agg, name, NULL, city)) < 0)
			break;
		git_tree_free(city);
		city = NULL;
	}
	git_tree_free(city);
	git_tree_free(cities);
	return rc;
}

/*
 * The unified tree of a merge of `parents` into `prev` (NULL for the first
 * merge): each parent replaces its own part, and the aggregates follow the
 * cities that changed. The one function both the merge and its check run.
 * When `log` is not NULL, a line "<part> <commit>" per parent is appended to
 * it (the merge's message).
 */
static int derive(git_oid *out, size_t *ncities, fs_buf *log, git_repository *repo,
		  const git_commit *prev, git_commit *const *parents, size_t n, int threshold)
{
	parts base = { NULL, NULL };
	cJSON *heads = NULL, *cities, *seen = cJSON_CreateObject();
	git_treebuilder *cb = NULL, *hb = NULL, *root = NULL;
	git_tree *hub = NULL, *part = NULL, *old = NULL;
	fs_aggregates *agg = NULL;
	fs_buf json = FS_BUF_INIT;
	git_oid id, cities_id;
	char city[CITY_BYTES];
	int rc, format, prev_threshold, fresh;

	if (prev && (rc = split(&base, repo, prev)) < 0)
		goto done;
	if ((rc = read_heads(&heads, &format, &prev_threshold, repo, base.hub)) < 0)
		goto done;
	/*
	 * Aggregates build on the previous ones, unless there are none (format
	 * 1) or they were written with another threshold: then every city is
	 * counted afresh (a threshold changes rarely).
	 */
	fresh = format != FS_MERGE_FORMAT || prev_threshold != threshold;
	if ((rc = fs_aggregates_new(&agg, repo, fresh ? NULL : base.hub, threshold)) < 0)
		goto done;
	cities = cJSON_GetObjectItemCaseSensitive(heads, "cities");
	if ((rc = git_treebuilder_new(&cb, repo, base.cities)) < 0) {
		rc = fs_error_git(rc, "cannot build the unified tree");
		goto done;
	}
	hub = base.hub;
	base.hub = NULL;
	for (size_t i = 0; i < n; i++) {
		const git_oid *pid = git_commit_id(parents[i]);
		if ((rc = classify(city, &part, repo, parents[i])) < 0)
			goto done;
		if (log)
			fs_buf_printf(log, "%s %s\n", city[0] ? city : "hub", git_oid_tostr_s(pid));
		if (!city[0]) {
			git_tree_free(hub);
			hub = part;
			part = NULL;
			if ((rc = set_head(heads, "hub", pid)) < 0)
				goto done;
			continue;
		}
		if (seen && cJSON_GetObjectItemCaseSensitive(seen, city)) {
			rc = fs_error_set(FS_EINVALID, "two heads of city '%s' in one merge", city);
			goto done;
		}
		if (!seen || !cJSON_AddTrueToObject(seen, city)) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = git_treebuilder_insert(NULL, cb, city, git_tree_id(part),
						 GIT_FILEMODE_TREE)) < 0) {
			rc = fs_error_git(rc, "city '%s'", city);
			goto done;
		}
		/* fresh aggregates count every city below, changed or not */
		if (!fresh &&
		    ((rc = subtree(&old, repo, base.cities, city)) < 0 ||
		     (!(old && git_oid_equal(git_tree_id(old), git_tree_id(part))) &&
		      (rc = fs_aggregates_city(agg, city, old, part)) < 0)))
			goto done;
		git_tree_free(old);
		git_tree_free(part);
		old = part = NULL;
		if ((rc = set_head(cities, city, pid)) < 0)
			goto done;
	}
	if (!hub) {
		rc = fs_error_set(FS_EINVALID, "no hub/ part: the hub's head is not among the parents");
		goto done;
	}
	if ((rc = git_treebuilder_write(&cities_id, cb)) < 0) {
		rc = fs_error_git(rc, "cannot write the unified tree");
		goto done;
	}
	if (fresh && (rc = count_all(agg, repo, &cities_id)) < 0)
		goto done;
	/* the map in canonical form, so that the same heads are the same blob */
	cJSON_DeleteItemFromObjectCaseSensitive(heads, "format");
	cJSON_DeleteItemFromObjectCaseSensitive(heads, "suppress_below");
	if (!cJSON_AddNumberToObject(heads, "format", FS_MERGE_FORMAT) ||
	    !cJSON_AddNumberToObject(heads, "suppress_below", threshold)) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = fs_json_canonical(&json, heads)) < 0)
		goto done;
	if ((rc = git_treebuilder_new(&hb, repo, hub)) < 0 ||
	    (rc = git_blob_create_from_buffer(&id, repo, json.ptr, json.size)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, hb, HEADS_FILE, &id, GIT_FILEMODE_BLOB)) < 0) {
		rc = fs_error_git(rc, "cannot write the unified tree");
		goto done;
	}
	if ((rc = fs_aggregates_write(agg, hb)) < 0)
		goto done;
	if ((rc = git_treebuilder_new(&root, repo, NULL)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, root, "cities", &cities_id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(&id, hb)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, root, "hub", &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(out, root)) < 0) {
		rc = fs_error_git(rc, "cannot write the unified tree");
		goto done;
	}
	*ncities = git_treebuilder_entrycount(cb);
	rc = 0;
done:
	fs_aggregates_free(agg);
	git_treebuilder_free(cb);
	git_treebuilder_free(hb);
	git_treebuilder_free(root);
	git_tree_free(hub);
	git_tree_free(part);
	git_tree_free(old);
	parts_dispose(&base);
	cJSON_Delete(heads);
	cJSON_Delete(seen);
	fs_buf_dispose(&json);
	return rc;
}

/* ---- the public branch ---------------------------------------------------- */

/* A city's public part: city.json and actions/, nothing else. */
static int public_city(git_oid *out, git_repository *repo, const git_tree *city)
{
	static const char *const keep[] = { "actions", "city.json" };
	git_treebuilder *b = NULL;
	int rc;

	if ((rc = git_treebuilder_new(&b, repo, NULL)) < 0)
		goto done;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const git_tree_entry *e = git_tree_entry_byname(city, keep[i]);
		if (e && (rc = git_treebuilder_insert(NULL, b, keep[i], git_tree_entry_id(e),
						      git_tree_entry_filemode(e))) < 0)
			goto done;
	}
	rc = git_treebuilder_write(out, b);
done:
	git_treebuilder_free(b);
	return rc;
}

/*
 * The public tree of the unified tree `unified`. Cities whose subtree is the
 * one `prev_unified` had keep their public part from `prev_public` by id.
 */
static int derive_public(git_oid *out, git_repository *repo, const git_commit *unified,
			 const git_commit *prev_unified, const git_commit *prev_public)
{
	parts u = { NULL, NULL }, pu = { NULL, NULL }, pp = { NULL, NULL };
	git_treebuilder *cb = NULL, *hb = NULL, *root = NULL;
	git_tree *city = NULL;
	git_oid id;
	int rc;

	if ((rc = split(&u, repo, unified)) < 0 ||
	    (prev_unified && prev_public && ((rc = split(&pu, repo, prev_unified)) < 0 ||
					     (rc = split(&pp, repo, prev_public)) < 0)))
		goto done;
	if ((rc = git_treebuilder_new(&cb, repo, NULL)) < 0)
		goto fail;
	for (size_t i = 0; u.cities && i < git_tree_entrycount(u.cities); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(u.cities, i);
		const char *name = git_tree_entry_name(e);
		const git_tree_entry *was = pu.cities ? git_tree_entry_byname(pu.cities, name) : NULL;
		const git_tree_entry *pub = pp.cities ? git_tree_entry_byname(pp.cities, name) : NULL;
		if (was && pub && git_oid_equal(git_tree_entry_id(was), git_tree_entry_id(e))) {
			git_oid_cpy(&id, git_tree_entry_id(pub));
		} else {
			if ((rc = fs_tree_lookup(&city, repo, git_tree_entry_id(e))) < 0 ||
			    (rc = public_city(&id, repo, city)) < 0)
				goto fail;
			git_tree_free(city);
			city = NULL;
		}
		if ((rc = git_treebuilder_insert(NULL, cb, name, &id, GIT_FILEMODE_TREE)) < 0)
			goto fail;
	}
	/*
	 * hub/ without the map of heads (cities cannot fetch those commits
	 * anyway) and without the exact counts, which small groups would show
	 */
	if ((rc = git_treebuilder_new(&hb, repo, u.hub)) < 0 ||
	    (git_treebuilder_get(hb, HEADS_FILE) && (rc = git_treebuilder_remove(hb, HEADS_FILE)) < 0) ||
	    (git_treebuilder_get(hb, "counts") && (rc = git_treebuilder_remove(hb, "counts")) < 0) ||
	    (rc = git_treebuilder_new(&root, repo, NULL)) < 0 ||
	    (rc = git_treebuilder_write(&id, cb)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, root, "cities", &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(&id, hb)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, root, "hub", &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(out, root)) < 0)
		goto fail;
	rc = 0;
	goto done;
fail:
	rc = fs_error_git(rc, "cannot write the public tree");
done:
	git_tree_free(city);
	git_treebuilder_free(cb);
	git_treebuilder_free(hb);
	git_treebuilder_free(root);
	parts_dispose(&u);
	parts_dispose(&pu);
	parts_dispose(&pp);
	return rc;
}

/* ---- merging ---------------------------------------------------------------- */

/* A ref's commit, or NULL without an error when the ref does not exist. */
static int head(git_commit **out, git_oid *id, git_repository *repo, const char *ref)
{
	int rc = git_reference_name_to_id(id, repo, ref);

	*out = NULL;
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = git_commit_lookup(out, repo, id);
	return rc < 0 ? fs_error_git(rc, "cannot read %s", ref) : 0;
}

typedef struct {
	git_commit **v;
	size_t n, cap;
} commits;

static int push_commit(commits *c, git_commit *commit)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		git_commit **v = fs_realloc(c->v, cap * sizeof(*v));
		if (!v) {
			git_commit_free(commit);
			return fs_error_set(FS_ENOMEM, "out of memory");
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = commit;
	return 0;
}

static void commits_dispose(commits *c)
{
	for (size_t i = 0; i < c->n; i++)
		git_commit_free(c->v[i]);
	fs_free(c->v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every city head that is not the one `heads` names, in ref order (the parents after the first). */
static int changed_heads(commits *out, git_repository *repo, const cJSON *heads)
{
	const cJSON *cities = cJSON_GetObjectItemCaseSensitive(heads, "cities"), *e;
	git_strarray names = { NULL, 0 };
	unsigned long failures = fs_alloc_failures();
	int rc;

	if ((rc = git_reference_list(&names, repo)) < 0) {
		rc = fs_error_git(rc, "cannot list the hub's refs");
		goto done;
	}
	/* libgit2 leaves out the refs it failed to read, and succeeds: a merge without some cities */
	if (fs_alloc_failures() != failures) {
		rc = fs_error_set(FS_ENOMEM, "cannot list the hub's refs: out of memory");
		goto done;
	}
	/* git_reference_list sorts nothing: take the cities' refs in name order */
	if (names.count)
		qsort(names.strings, names.count, sizeof(char *), by_name);
	for (size_t i = 0; i < names.count; i++) {
		const char *name = names.strings[i];
		git_commit *c = NULL;
		git_oid id;
		if (strncmp(name, CITY_REFS, strlen(CITY_REFS)) != 0)
			continue;
		if ((rc = git_reference_name_to_id(&id, repo, name)) < 0 ||
		    (rc = git_commit_lookup(&c, repo, &id)) < 0) {
			rc = fs_error_git(rc, "%s", name);
			goto done;
		}
		if (head_is(cities, name + strlen(CITY_REFS), &id)) {
			git_commit_free(c);
			continue;
		}
		if ((rc = push_commit(out, c)) < 0)
			goto done;
	}
	/* a merge never drops a city: one whose branch is gone stops the merge */
	cJSON_ArrayForEach(e, cities) {
		char ref_name[256];
		git_oid id;
		snprintf(ref_name, sizeof(ref_name), CITY_REFS "%s", e->string);
		if (git_reference_name_to_id(&id, repo, ref_name) < 0) {
			rc = fs_error_set(FS_EINVALID, "city '%s' is in the unified dataset but its "
					  "branch %s is gone; a merge never drops a city (restore "
					  "the branch)", e->string, ref_name);
			goto done;
		}
	}
	rc = 0;
done:
	git_strarray_dispose(&names);
	return rc;
}

static int update_public(fs_node *hub, fs_merge_result *res, git_commit *unified,
			 git_commit *prev_unified)
{
	git_repository *repo = fs_node_repo(hub);
	git_commit *prev = NULL;
	git_tree *prev_tree = NULL;
	git_oid prev_id, tree;
	int rc;

	if ((rc = head(&prev, &prev_id, repo, FS_PUBLIC_REF)) < 0 ||
	    (rc = derive_public(&tree, repo, unified, prev_unified, prev)) < 0)
		goto done;
	if (prev && (rc = git_commit_tree(&prev_tree, prev)) < 0) {
		rc = fs_error_git(rc, "cannot read %s", FS_PUBLIC_REF);
		goto done;
	}
	if (prev_tree && git_oid_equal(git_tree_id(prev_tree), &tree)) {
		git_oid_cpy(&res->public_, &prev_id);
		goto done;
	}
	rc = fs_node_commit_tree(hub, FS_PUBLIC_REF, prev ? &prev_id : NULL, &tree,
				 (const git_commit **)&prev, prev ? 1 : 0,
				 "public: every city's actions and the aggregates, no service records\n", &res->public_);
	res->public_made = rc == 0;
done:
	git_tree_free(prev_tree);
	git_commit_free(prev);
	return rc;
}

/* The setting fieldsync.suppressBelow: counts below it are shown as "<N". */
static int suppress_below(int *out, fs_node *hub)
{
	git_config *cfg = NULL;
	int64_t v = FS_AGGREGATE_THRESHOLD;
	int rc;

	if ((rc = git_repository_config_snapshot(&cfg, fs_node_repo(hub))) < 0)
		return fs_error_git(rc, "cannot read the hub's settings");
	rc = git_config_get_int64(&v, cfg, "fieldsync.suppressBelow");
	git_config_free(cfg);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return fs_error_set(FS_EINVALID, "setting fieldsync.suppressBelow: not a number");
	if (v < 1 || v > FS_AGGREGATE_THRESHOLD_MAX)
		return fs_error_set(FS_EINVALID, "setting fieldsync.suppressBelow: %lld is not "
				    "between 1 and %d", (long long)v, FS_AGGREGATE_THRESHOLD_MAX);
	*out = (int)v;
	return 0;
}

int fs_merge(fs_node *hub, fs_merge_result *out)
{
	git_repository *repo = fs_node_repo(hub);
	git_commit *prev = NULL, *hub_head = NULL, *made = NULL, *copy = NULL;
	parts base = { NULL, NULL };
	cJSON *heads = NULL;
	commits parents = { NULL, 0, 0 };
	fs_buf log = FS_BUF_INIT, msg = FS_BUF_INIT;
	git_oid prev_id, hub_id, tree;
	size_t first;
	int rc, format = 0, threshold = FS_AGGREGATE_THRESHOLD, prev_threshold = 0;

	memset(out, 0, sizeof(*out));
	if (!fs_node_is_hub(hub))
		return fs_error_set(FS_ENOTNODE, "'%s' is a city node, not a hub", fs_node_dir(hub));
	if ((rc = suppress_below(&threshold, hub)) < 0 ||
	    (rc = head(&prev, &prev_id, repo, FS_UNIFIED_REF)) < 0 ||
	    (prev && (rc = split(&base, repo, prev)) < 0) ||
	    (rc = read_heads(&heads, &format, &prev_threshold, repo, base.hub)) < 0)
		goto done;
	/* parents owns its own copies: prev and hub_head stay this function's */
	if (prev && ((rc = git_commit_dup(&copy, prev)) < 0 || (rc = push_commit(&parents, copy)) < 0)) {
		rc = rc == FS_ENOMEM ? rc : fs_error_git(rc, "out of memory");
		goto done;
	}
	first = parents.n;
	if ((rc = changed_heads(&parents, repo, heads)) < 0 ||
	    (rc = head(&hub_head, &hub_id, repo, fs_node_branch(hub))) < 0)
		goto done;
	if (!hub_head) {
		rc = fs_error_set(FS_EINVALID, "the hub has no %s", fs_node_branch(hub));
		goto done;
	}
	if (!head_is(heads, "hub", &hub_id) &&
	    ((rc = git_commit_dup(&copy, hub_head)) < 0 || (rc = push_commit(&parents, copy)) < 0)) {
		rc = rc == FS_ENOMEM ? rc : fs_error_git(rc, "out of memory");
		goto done;
	}
	out->changed = parents.n - first;
	/* an older format or another threshold is a new merge even with no new head */
	if (out->changed == 0 && (!prev || (format == FS_MERGE_FORMAT && threshold == prev_threshold))) {
		git_oid_cpy(&out->unified, &prev_id);
		out->cities = git_tree_entrycount(base.cities);
		/* nothing moved: every city keeps its public part by id */
		rc = update_public(hub, out, prev, prev);
		goto done;
	}
	if ((rc = derive(&tree, &out->cities, &log, repo, prev, parents.v + first,
			 out->changed, threshold)) < 0)
		goto done;
	fs_buf_printf(&msg, "unified: %zu cit%s, %zu head%s merged\n\n%s", out->cities,
		      out->cities == 1 ? "y" : "ies", out->changed, out->changed == 1 ? "" : "s",
		      fs_buf_cstr(&log));
	if ((rc = fs_buf_check(&msg)) < 0 ||
	    (rc = fs_node_commit_tree(hub, FS_UNIFIED_REF, prev ? &prev_id : NULL, &tree,
				      (const git_commit **)parents.v, parents.n, msg.ptr,
				      &out->unified)) < 0)
		goto done;
	out->made = 1;
	if ((rc = git_commit_lookup(&made, repo, &out->unified)) < 0) {
		rc = fs_error_git(rc, "cannot read the new unified commit");
		goto done;
	}
	rc = update_public(hub, out, made, prev);
done:
	git_commit_free(made);
	git_commit_free(hub_head);
	git_commit_free(prev);
	commits_dispose(&parents);
	parts_dispose(&base);
	cJSON_Delete(heads);
	fs_buf_dispose(&log);
	fs_buf_dispose(&msg);
	return rc;
}

int fs_merge_check(fs_node *hub, const char *rev, git_oid *commit)
{
	git_object *obj = NULL, *c = NULL;
	int rc;

	if ((rc = git_revparse_single(&obj, fs_node_repo(hub), rev)) < 0 ||
	    (rc = git_object_peel(&c, obj, GIT_OBJECT_COMMIT)) < 0) {
		rc = fs_error_set(FS_ENOTFOUND, "merge --check: '%s' is not a commit of this hub", rev);
		goto done;
	}
	git_oid_cpy(commit, git_object_id(c));
	rc = fs_merge_verify(fs_node_repo(hub), commit);
done:
	git_object_free(c);
	git_object_free(obj);
	return rc;
}

int fs_merge_verify(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL, *first = NULL;
	commits rest = { NULL, 0, 0 };
	git_tree *tree = NULL;
	parts own = { NULL, NULL };
	cJSON *heads = NULL;
	git_oid want;
	size_t ncities;
	unsigned n;
	int rc, format, threshold;

	if ((rc = git_commit_lookup(&c, repo, id)) < 0) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(id));
		goto done;
	}
	if ((rc = git_commit_tree(&tree, c)) < 0) {
		rc = fs_error_git(rc, "cannot read the tree");
		goto done;
	}
	{
		git_tree_entry *e = NULL;
		if ((rc = fs_tree_find(&e, tree, "hub/" HEADS_FILE)) < 0) {
			fs_error_prefix("commit %s", git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		int has = e != NULL;
		git_tree_entry_free(e);
		if (!has) {
			rc = fs_error_set(FS_EINVALID, "commit %s is not a unified commit (it has no "
					  "hub/%s)", git_oid_tostr_s(git_commit_id(c)), HEADS_FILE);
			goto done;
		}
	}
	/* the threshold is a setting of the hub: the commit says which it used */
	if ((rc = split_tree(&own, repo, tree)) < 0 ||
	    (rc = read_heads(&heads, &format, &threshold, repo, own.hub)) < 0) {
		fs_error_prefix("commit %s", git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	if (format != FS_MERGE_FORMAT) {
		rc = fs_error_set(FS_EINVALID, "commit %s: merge format %d; this fieldsync derives "
				  "format %d", git_oid_tostr_s(git_commit_id(c)), format, FS_MERGE_FORMAT);
		goto done;
	}
	n = git_commit_parentcount(c);
	if (n == 0) {
		rc = fs_error_set(FS_EINVALID, "commit %s has no parents: not a unified commit",
				  git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	/* the first merge has no previous unified head: every parent is a part */
	if ((rc = git_commit_parent(&first, c, 0)) < 0) {
		rc = fs_error_git(rc, "commit %s: cannot read its first parent",
				  git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	{
		char city[CITY_BYTES];
		git_tree *part = NULL;
		int is_part = classify(city, &part, repo, first) == 0;
		git_tree_free(part);
		fs_error_clear();
		for (unsigned i = is_part ? 0 : 1; i < n; i++) {
			git_commit *p = NULL;
			if ((rc = git_commit_parent(&p, c, i)) < 0 || (rc = push_commit(&rest, p)) < 0) {
				rc = rc == FS_ENOMEM ? rc : fs_error_git(rc, "cannot read a parent");
				goto done;
			}
		}
		if ((rc = derive(&want, &ncities, NULL, repo, is_part ? NULL : first, rest.v,
				 rest.n, threshold)) < 0) {
			fs_error_prefix("commit %s", git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
	}
	if (!git_oid_equal(&want, git_tree_id(tree))) {
		char have_hex[GIT_OID_HEXSZ + 1], want_hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(have_hex, sizeof(have_hex), git_tree_id(tree));
		git_oid_tostr(want_hex, sizeof(want_hex), &want);
		rc = fs_error_set(FS_EVERIFY, "commit %s: its tree is %s, but its parents make %s",
				  git_oid_tostr_s(git_commit_id(c)), have_hex, want_hex);
		goto done;
	}
	rc = 0;
done:
	parts_dispose(&own);
	cJSON_Delete(heads);
	git_tree_free(tree);
	commits_dispose(&rest);
	git_commit_free(first);
	git_commit_free(c);
	return rc;
}
