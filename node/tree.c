#include "node/tree.h"

#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/* a folder listed but not stored is damage, not an absent path; and
 * libgit2 1.5 says "not found" for an object it could not read for want
 * of memory, so any failed allocation during the walk is that */
static int unreadable(int git_rc, const char *path, const git_tree_entry *folder,
		      unsigned long failures)
{
	if (fs_alloc_failures() != failures)
		return fs_error_set(FS_ENOMEM, "'%s': out of memory reading the tree", path);
	if (git_rc == GIT_ENOTFOUND)
		return fs_error_set(FS_ERROR, "'%s': folder %s is missing from the repository",
				    path, git_oid_tostr_s(git_tree_entry_id(folder)));
	return fs_error_git(git_rc, "'%s': cannot read the tree", path);
}

int fs_tree_lookup(git_tree **out, git_repository *repo, const git_oid *id)
{
	unsigned long failures = fs_alloc_failures();
	int rc;

	*out = NULL;
	if ((rc = git_tree_lookup(out, repo, id)) < 0)
		*out = NULL;
	else if (fs_alloc_failures() != failures) {
		git_tree_free(*out);
		*out = NULL;
		git_error_set_oom();
		rc = GIT_ERROR;
	}
	return rc;
}

int fs_tree_find_with(git_tree_entry **out, const git_tree *tree, const char *path,
		      fs_tree_lookup_fn lookup, void *payload)
{
	char buf[4096];
	git_tree *sub = NULL;
	const git_tree *at = tree;
	const git_tree_entry *e = NULL;
	char *name = buf, *slash;
	unsigned long failures = fs_alloc_failures();
	int rc = 0;

	*out = NULL;
	if (strlen(path) >= sizeof(buf))
		return fs_error_set(FS_EINVALID, "'%.64s...': path too long", path);
	memcpy(buf, path, strlen(path) + 1);
	/* walked here, not by git_tree_entry_bypath: a folder's object that
	 * cannot be read must not look like a path that is not there */
	for (;;) {
		if ((slash = strchr(name, '/')))
			*slash = '\0';
		if (!*name) {
			e = NULL;
			break;
		}
		if (!(e = git_tree_entry_byname(at, name)) || !slash)
			break;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			e = NULL;
			break;
		}
		git_tree *next = NULL;
		if ((rc = lookup(&next, payload, git_tree_owner(at), git_tree_entry_id(e))) < 0) {
			rc = unreadable(rc, path, e, failures);
			goto done;
		}
		git_tree_free(sub);
		at = sub = next;
		name = slash + 1;
	}
	if (e && (rc = git_tree_entry_dup(out, e)) < 0)
		rc = fs_error_git(rc, "'%s': cannot read the tree", path);
done:
	git_tree_free(sub);
	return rc;
}

static int plain_lookup(git_tree **out, void *payload, git_repository *repo, const git_oid *id)
{
	(void)payload;
	return fs_tree_lookup(out, repo, id);
}

int fs_tree_find(git_tree_entry **out, const git_tree *tree, const char *path)
{
	return fs_tree_find_with(out, tree, path, plain_lookup, NULL);
}

int fs_tree_find_type(git_tree_entry **out, const git_tree *tree, const char *path,
		      git_object_t type)
{
	int rc = fs_tree_find(out, tree, path);

	if (rc == 0 && *out && git_tree_entry_type(*out) != type) {
		git_tree_entry_free(*out);
		*out = NULL;
	}
	return rc;
}
