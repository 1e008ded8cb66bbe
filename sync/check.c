#include "sync/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "node/record.h"
#include "node/signers.h"
#include "node/treediff.h"
#include "node/tree.h"
#include "node/verify.h"
#include "node/walk.h"
#include "sync/aggregate.h"
#include "sync/uplink.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/i18n.h"

struct fs_check {
	git_repository *repo;
	const fs_signers *signers;
	fs_signers *own;    /* the registry read by fs_check_new */
	fs_tree_memo *memo; /* a commit's trees, for its child's check */
	git_oid last, last_tree; /* the commit checked last and its tree: a walk's next one's parent */
};

int fs_check_new(fs_check **out, git_repository *repo)
{
	git_object *obj = NULL;
	fs_check *c = NULL;
	int rc;

	*out = NULL;
	if (!(c = fs_calloc(1, sizeof(*c))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	c->repo = repo;
	if ((rc = fs_tree_memo_new(&c->memo)) < 0)
		goto done;
	rc = git_revparse_single(&obj, repo, FS_HUB_REF ":" FS_HUB_SIGNERS_PATH);
	if (rc < 0) {
		rc = fs_error_git(rc, "not a fieldsync hub: cannot read %s on %s", FS_HUB_SIGNERS_PATH,
				  FS_HUB_REF);
		goto done;
	}
	if (git_object_type(obj) != GIT_OBJECT_BLOB) {
		rc = fs_error_set(FS_EINVALID, "%s is not a file", FS_HUB_SIGNERS_PATH);
		goto done;
	}
	rc = fs_signers_parse(&c->own, git_blob_rawcontent((git_blob *)obj),
			      (size_t)git_blob_rawsize((git_blob *)obj), FS_HUB_SIGNERS_PATH);
	c->signers = c->own;
done:
	git_object_free(obj);
	if (rc < 0)
		fs_check_free(c);
	else
		*out = c;
	return rc;
}

int fs_check_new_with(fs_check **out, git_repository *repo, const fs_signers *signers)
{
	fs_check *c;
	int rc;

	*out = NULL;
	if (!(c = fs_calloc(1, sizeof(*c))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	c->repo = repo;
	c->signers = signers;
	if ((rc = fs_tree_memo_new(&c->memo)) < 0) {
		fs_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void fs_check_free(fs_check *c)
{
	if (!c)
		return;
	fs_signers_free(c->own);
	fs_tree_memo_free(c->memo);
	fs_free(c);
}

static int is_zero(const git_oid *id)
{
	return !id || git_oid_is_zero(id);
}

static int enrolled(const fs_check *c, const char *city)
{
	for (size_t i = 0; i < fs_signers_count(c->signers); i++)
		if (strcmp(fs_signers_get(c->signers, i)->principals, city) == 0)
			return 1;
	return 0;
}

typedef struct {
	fs_check *c;
	git_tree *tree, *old_tree; /* the commit's and its parent's */
	const char *city;
	char city_json[128], table[160]; /* the city's two files that are not records */
	char *path; /* where a refusal names the file, when the caller wants it apart */
	size_t path_size;
	size_t files;
} diff_ctx;

/* The message names the file too; the caller who asked gets it apart. */
static int refuse_file(diff_ctx *x, const char *path, int rc)
{
	if (x->path)
		snprintf(x->path, x->path_size, "%s", path);
	return rc;
}

/* 1 when `tree` holds `path`, 0 when not, or an error */
static int has_path(fs_check *c, git_tree *tree, const char *path)
{
	git_tree_entry *e = NULL;
	/* through the memo: the folders on the way are mostly those the diff just read */
	int rc = fs_tree_memo_find(&e, c->memo, tree, path), has = e != NULL;

	git_tree_entry_free(e);
	return rc < 0 ? rc : has;
}

/*
 * A record kept at both layouts' places (node/record.h) would be one record
 * twice; one moved from one to the other would put layout 1 back in use,
 * and a record stays where it was first written. `added`: `path` is new.
 */
static int check_twin(diff_ctx *x, const char *path, int added)
{
	fs_buf twin = FS_BUF_INIT;
	int rc;

	if ((rc = fs_record_twin(&twin, x->city, path)) < 0)
		return rc == FS_ENOTFOUND ? 0 : rc;
	if ((rc = has_path(x->c, x->tree, twin.ptr)) > 0)
		rc = fs_error_set(FS_EINVALID, "%s: this record is already at %s", path, twin.ptr);
	else if (rc == 0 && added && x->old_tree && (rc = has_path(x->c, x->old_tree, twin.ptr)) > 0)
		rc = fs_error_set(FS_EINVALID, "%s: moved from %s (a record stays where it was "
				  "first written)", path, twin.ptr);
	fs_buf_dispose(&twin);
	return rc;
}

static int check_path(const char *path, const git_tree_entry *old, const git_tree_entry *new_,
		      void *payload)
{
	diff_ctx *x = payload;
	const char *city_json = x->city_json;
	git_blob *blob = NULL;
	int rc;

	if (!new_) {
		if (strcmp(path, city_json) == 0)
			return refuse_file(x, path, fs_error_set(FS_EREFUSED, "removes %s", path));
		if (strncmp(path, city_json, strlen(city_json) - strlen("city.json")) != 0)
			return refuse_file(x, path, fs_error_set(FS_EREFUSED, "%s: outside cities/%s/, "
								 "which is all city '%s' may write",
								 path, x->city, x->city));
		return 0;
	}
	if (git_tree_entry_filemode(new_) != GIT_FILEMODE_BLOB)
		return refuse_file(x, path, fs_error_set(FS_EREFUSED, "%s: not a regular file (mode %o)",
							 path, git_tree_entry_filemode(new_)));
	if ((rc = git_blob_lookup(&blob, x->c->repo, git_tree_entry_id(new_))) < 0)
		return fs_error_git(rc, "%s: cannot read", path);
	/* the one file that is not a record: a city's services table, sent up by a regional hub */
	if (strcmp(path, x->table) == 0)
		rc = fs_aggregates_check_table(x->city, git_blob_rawcontent(blob),
					       (size_t)git_blob_rawsize(blob), path);
	else
		rc = fs_record_check_stored(x->city, path, git_blob_rawcontent(blob),
					    (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	x->files++;
	if (rc == 0)
		rc = check_twin(x, path, !old);
	if (rc == FS_EINVALID || rc == FS_ETOOBIG)
		return refuse_file(x, path, FS_EREFUSED);
	return rc;
}

int fs_check_signature(fs_check *c, const char *city, git_commit *commit)
{
	fs_verify_trust trust = { c->signers, city, NULL, NULL };
	fs_verify_result r;
	char problem[512];
	int rc;

	if ((rc = fs_verify_parsed(commit, &trust, &r, problem, sizeof(problem))) < 0)
		return rc;
	return r.good ? 0 : fs_error_set(FS_EREFUSED, "%s", r.problem);
}

int fs_check_content(fs_check *c, const char *city, git_commit *commit, char *path,
		     size_t path_size, size_t *files)
{
	git_commit *parent = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	diff_ctx x = { c, NULL, NULL, city, "", "", path, path_size, 0 };
	int rc;

	snprintf(x.city_json, sizeof(x.city_json), "cities/%s/city.json", city);
	snprintf(x.table, sizeof(x.table), "cities/%s/" FS_UPLINK_TABLE, city);
	if (path && path_size)
		path[0] = '\0';
	if (files)
		*files = 0;
	if (git_commit_parentcount(commit) > 1)
		return fs_error_set(FS_EREFUSED, "a merge commit (a city's history is a single line)");
	/*
	 * The trees through the memo: the parent's are those its own check
	 * read. Walking a line, the parent is the commit checked last, and its
	 * tree's id is known without reading the parent again.
	 */
	if (git_commit_parentcount(commit) == 1) {
		const git_oid *tree_id = &c->last_tree;
		if (!git_oid_equal(git_commit_parent_id(commit, 0), &c->last) || git_oid_is_zero(&c->last)) {
			if ((rc = git_commit_parent(&parent, commit, 0)) < 0) {
				rc = fs_error_git(rc, "cannot read its parent");
				goto done;
			}
			tree_id = git_commit_tree_id(parent);
		}
		if ((rc = fs_tree_memo_lookup(&old_tree, c->memo, c->repo, tree_id)) < 0) {
			rc = fs_error_git(rc, "cannot read its parent");
			goto done;
		}
	}
	git_oid_cpy(&c->last, git_commit_id(commit));
	git_oid_cpy(&c->last_tree, git_commit_tree_id(commit));
	if ((rc = fs_tree_memo_lookup(&new_tree, c->memo, c->repo, git_commit_tree_id(commit))) < 0) {
		rc = fs_error_git(rc, "cannot read its tree");
		goto done;
	}
	/* every path judged as itself: no rename detection */
	x.tree = new_tree;
	x.old_tree = old_tree;
	rc = fs_tree_diff_memo(c->repo, c->memo, old_tree, new_tree, check_path, &x);
	if (rc == FS_EINVALID)
		rc = FS_EREFUSED;
	if (files)
		*files = x.files;
done:
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_commit_free(parent);
	return rc;
}

void fs_check_knows(fs_check *c, const git_oid *commit, const git_oid *tree)
{
	git_oid_cpy(&c->last, commit);
	git_oid_cpy(&c->last_tree, tree);
}

int fs_check_commit(fs_check *c, const char *city, git_commit *commit, char *path,
		    size_t path_size, size_t *files)
{
	int rc;

	if (path && path_size)
		path[0] = '\0';
	if (files)
		*files = 0;
	if ((rc = fs_check_signature(c, city, commit)) < 0)
		return rc;
	return fs_check_content(c, city, commit, path, path_size, files);
}

/* A commit of the push: libgit2 1.5's cache can hand back another object,
 * with success, when an allocation fails under the lookup; read as the
 * commit, its parents would make a refusal out of a lack of memory */
static int lookup_commit(git_commit **out, fs_check *c, const char *ref, const git_oid *id)
{
	unsigned long failures = fs_alloc_failures();
	int rc = git_commit_lookup(out, c->repo, id);

	if (rc == 0 && fs_alloc_failures() != failures) {
		git_commit_free(*out);
		*out = NULL;
		return fs_error_set(FS_ENOMEM, "ref '%s': commit %s: out of memory", ref,
				    git_oid_tostr_s(id));
	}
	return rc < 0 ? fs_error_git(rc, "ref '%s': commit %s", ref, git_oid_tostr_s(id)) : 0;
}

/*
 * The commits `new` adds over `old`, oldest first (fs_line). Refused when
 * the line holds a merge, or when `old` is not on it (history rewritten).
 */
static int new_commits(git_oid **out, size_t *count, fs_check *c, const char *ref,
		       const git_oid *old, const git_oid *new)
{
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	git_oid at;
	int rc = fs_line(out, count, &at, c->repo, old, new);

	if (rc == FS_EINVALID)
		return fs_error_set(FS_EREFUSED, "ref '%s': commit %.12s: a merge commit (a "
				    "city's history is a single line)", ref, git_oid_tostr_s(&at));
	if (rc == FS_EVERIFY)
		return fs_error_set(FS_EREFUSED, "ref '%s': %.12s is not a fast-forward of %.12s "
				    "(history is never rewritten)", ref,
				    git_oid_tostr(a, sizeof(a), new), git_oid_tostr(b, sizeof(b), old));
	return rc < 0 ? fs_error_prefix("ref '%s'", ref) : 0;
}

int fs_check_update(fs_check *c, const char *ref, const git_oid *old, const git_oid *new,
		    size_t *commits)
{
	const char *city;
	git_commit *commit = NULL;
	git_oid *ids = NULL;
	size_t n = 0;
	int rc;

	if (commits)
		*commits = 0;
	if (strncmp(ref, FS_CITY_REF_PREFIX, strlen(FS_CITY_REF_PREFIX)) != 0 ||
	    (rc = fs_city_id_check(city = ref + strlen(FS_CITY_REF_PREFIX), _("city"))) == FS_EINVALID)
		return fs_error_set(FS_EREFUSED, "ref '%s': cities push only to %s<city>; the hub "
				    "writes every other ref", ref, FS_CITY_REF_PREFIX);
	if (rc < 0)
		return rc; /* out of memory: not a refusal */
	if (is_zero(new))
		return fs_error_set(FS_EREFUSED, "ref '%s': a city's history is never deleted", ref);
	if (!enrolled(c, city))
		return fs_error_set(FS_EREFUSED, "ref '%s': city '%s' is not enrolled on this hub "
				    "(the hub's operator runs: fieldsync hub enroll %s KEY)", ref, city, city);
	if ((rc = new_commits(&ids, &n, c, ref, old, new)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if ((rc = lookup_commit(&commit, c, ref, &ids[i])) < 0)
			goto done;
		rc = fs_check_commit(c, city, commit, NULL, 0, NULL);
		git_commit_free(commit);
		commit = NULL;
		if (rc < 0) {
			fs_error_prefix("ref '%s': commit %.12s", ref, git_oid_tostr_s(&ids[i]));
			goto done;
		}
	}
	if (commits)
		*commits = n;
done:
	fs_free(ids);
	return rc;
}
