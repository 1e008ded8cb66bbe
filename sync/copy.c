#include "sync/copy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "node/packfile.h"
#include "node/tree.h"
#include "node/walk.h"
#include "util/alloc.h"
#include "util/counter.h"
#include "util/error.h"

typedef struct {
	git_odb *src, *dst;
	fs_counter *seen;
	git_odb_object **v;
	size_t n, cap;
} copier;

/* Queue object `id` unless `dst` has it or it is queued; *fresh says whether it was. */
static int take(copier *c, const git_oid *id, int *fresh)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb_object *o = NULL;
	int rc;

	*fresh = 0;
	git_oid_tostr(hex, sizeof(hex), id);
	if (fs_counter_get(c->seen, hex) || git_odb_exists(c->dst, id))
		return 0;
	if ((rc = fs_counter_add(c->seen, hex, 1)) < 0)
		return rc;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		git_odb_object **v = fs_realloc(c->v, cap * sizeof(*v));
		if (!v)
			return fs_error_set(FS_ENOMEM, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	if ((rc = git_odb_read(&o, c->src, id)) < 0)
		return fs_error_git(rc, "cannot read object %s", hex);
	c->v[c->n++] = o;
	*fresh = 1;
	return 0;
}

static int take_tree(copier *c, git_repository *src, const git_oid *id, int depth)
{
	git_tree *tree = NULL;
	int rc, fresh;

	if (depth > 64)
		return fs_error_set(FS_EINVALID, "tree %s: nested too deep", git_oid_tostr_s(id));
	if ((rc = take(c, id, &fresh)) < 0 || !fresh)
		return rc;
	if ((rc = fs_tree_lookup(&tree, src, id)) < 0)
		return fs_error_git(rc, "cannot read tree %s", git_oid_tostr_s(id));
	for (size_t i = 0; rc == 0 && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = take_tree(c, src, git_tree_entry_id(e), depth + 1);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
			rc = take(c, git_tree_entry_id(e), &fresh);
	}
	git_tree_free(tree);
	return rc;
}

int fs_copy_history(git_repository *dst, git_repository *src, const git_oid *tip,
		    size_t *objects)
{
	copier c = { NULL, NULL, NULL, NULL, 0, 0 };
	git_revwalk *walk = NULL;
	fs_pack_object *objs = NULL;
	char packdir[PATH_MAX], name[64];
	unsigned long failures = fs_alloc_failures();
	git_oid id;
	int rc, fresh;

	if (objects)
		*objects = 0;
	if ((rc = git_repository_odb(&c.src, src)) < 0 || (rc = git_repository_odb(&c.dst, dst)) < 0 ||
	    (rc = git_revwalk_new(&walk, src)) < 0 || (rc = git_revwalk_push(walk, tip)) < 0) {
		rc = fs_error_git(rc, "cannot read the history to copy");
		goto done;
	}
	if ((rc = fs_counter_new(&c.seen)) < 0)
		goto done;
	/* a walk cut short would leave objects uncopied, and the ref moved anyway */
	while ((rc = fs_revwalk_next(&id, walk, failures)) == 0) {
		git_commit *commit = NULL;
		/*
		 * A commit the destination has is skipped, not hidden: hiding in
		 * the middle of a walk makes libgit2 stop queuing the parents of
		 * every later commit, which would leave holes behind a merge.
		 */
		if (git_odb_exists(c.dst, &id))
			continue;
		if ((rc = take(&c, &id, &fresh)) < 0)
			goto done;
		if ((rc = git_commit_lookup(&commit, src, &id)) < 0) {
			rc = fs_error_git(rc, "cannot read commit %s", git_oid_tostr_s(&id));
			goto done;
		}
		rc = take_tree(&c, src, git_commit_tree_id(commit), 0);
		git_commit_free(commit);
		if (rc < 0)
			goto done;
	}
	if (rc != GIT_ITEROVER) {
		rc = fs_error_git(rc, "cannot walk the history to copy");
		goto done;
	}
	rc = 0;
	if (!c.n)
		goto done;
	if (!(objs = fs_malloc(c.n * sizeof(*objs)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.n; i++) {
		git_oid_cpy(&objs[i].id, git_odb_object_id(c.v[i]));
		objs[i].type = git_odb_object_type(c.v[i]);
		objs[i].data = git_odb_object_data(c.v[i]);
		objs[i].len = git_odb_object_size(c.v[i]);
	}
	snprintf(packdir, sizeof(packdir), "%sobjects/pack", git_repository_path(dst));
	if ((rc = fs_packfile_write(packdir, objs, c.n, name)) == 0 && objects)
		*objects = c.n;
done:
	for (size_t i = 0; i < c.n; i++)
		git_odb_object_free(c.v[i]);
	fs_free(c.v);
	fs_free(objs);
	fs_counter_free(c.seen);
	git_revwalk_free(walk);
	git_odb_free(c.src);
	git_odb_free(c.dst);
	return rc;
}
