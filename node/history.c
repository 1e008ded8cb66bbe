#include "node/history.h"

#include <string.h>

#include "node/record.h"
#include "node/tree.h"
#include "util/alloc.h"
#include "util/error.h"

/* The blob at `path` in commit `c`, or a zero id when there is none. A
 * lookup that fails for any other reason (a failed allocation, a damaged
 * object) is an error: read as "none", it would invent an add or an rm. */
static int entry_at(git_oid *out, git_commit *c, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = git_commit_tree(&tree, c)) < 0) {
		rc = fs_error_git(rc, "cannot read the tree of %s", git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	if ((rc = fs_tree_find(&e, tree, path)) == 0 && e)
		git_oid_cpy(out, git_tree_entry_id(e));
done:
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

static int fill(fs_history_entry *e, git_commit *c, const char *change)
{
	unsigned long failures = fs_alloc_failures();

	git_oid_cpy(&e->commit, git_commit_id(c));
	e->time = (int64_t)git_commit_time(c);
	e->change = change;
	/* libgit2 1.5 makes the summary on first use, and makes it "" when that fails */
	e->summary = git_commit_summary(c);
	if (!e->summary || fs_alloc_failures() != failures)
		return fs_error_set(FS_ENOMEM, "out of memory");
	return 0;
}

int fs_history_record(const fs_node *node, const char *id, fs_history_cb cb, void *payload)
{
	static const fs_kind kinds[] = { FS_KIND_ACTION, FS_KIND_SERVICE, FS_KIND_ERASURE };
	fs_buf paths[6] = { FS_BUF_INIT, FS_BUF_INIT, FS_BUF_INIT,
			    FS_BUF_INIT, FS_BUF_INIT, FS_BUF_INIT };
	git_commit *c = NULL, *parent = NULL;
	size_t found = 0;
	int rc;

	if ((rc = fs_id_check(id)) < 0)
		return rc;
	/* the kind and layout are not known here (the record may be gone): follow
	 * every place it could be */
	for (int k = 0; k < 6; k++)
		if ((rc = (k < 3 ? fs_record_path : fs_record_path_v1)(&paths[k], fs_node_city(node),
								      kinds[k % 3], id)) < 0)
			goto done;
	if ((rc = fs_node_head(&c, node)) < 0)
		goto done;
	/* a node's history is linear: follow first parents */
	while (c) {
		unsigned n = git_commit_parentcount(c);
		parent = NULL;
		if (n > 0 && (rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = fs_error_git(rc, "cannot read the parent of %s",
					  git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		for (int k = 0; k < 6; k++) {
			git_oid now, before;
			fs_history_entry e;
			if ((rc = entry_at(&now, c, paths[k].ptr)) < 0)
				goto done;
			memset(&before, 0, sizeof(before));
			if (parent && (rc = entry_at(&before, parent, paths[k].ptr)) < 0)
				goto done;
			if (git_oid_equal(&now, &before))
				continue;
			if ((rc = fill(&e, c, git_oid_is_zero(&before) ? "add"
					       : git_oid_is_zero(&now) ? "rm" : "edit")) < 0)
				goto done;
			found++;
			if ((rc = cb(&e, payload)) != 0)
				goto done;
		}
		git_commit_free(c);
		c = parent;
	}
	parent = NULL;
	if (!found)
		rc = fs_error_set(FS_ENOTFOUND, "record '%s': not in the history of node '%s'", id,
				  fs_node_city(node));
done:
	git_commit_free(c);
	git_commit_free(parent);
	for (int k = 0; k < 6; k++)
		fs_buf_dispose(&paths[k]);
	return rc;
}

int fs_history_all(const fs_node *node, size_t max, fs_history_cb cb, void *payload)
{
	git_commit *c = NULL, *parent;
	size_t n = 0;
	int rc;

	if ((rc = fs_node_head(&c, node)) < 0)
		return rc;
	while (c && (max == 0 || n < max)) {
		fs_history_entry e;
		if ((rc = fill(&e, c, NULL)) < 0)
			break;
		n++;
		if ((rc = cb(&e, payload)) != 0)
			break;
		parent = NULL;
		if (git_commit_parentcount(c) > 0 && (rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = fs_error_git(rc, "cannot read the parent of %s",
					  git_oid_tostr_s(git_commit_id(c)));
			break;
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	return rc;
}
