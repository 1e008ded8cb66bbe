#include "node/walk.h"

#include "util/alloc.h"
#include "util/error.h"

int fs_revwalk_next(git_oid *out, git_revwalk *walk, unsigned long since)
{
	int rc = git_revwalk_next(out, walk);

	if (rc == GIT_ITEROVER && fs_alloc_failures() != since) {
		git_error_set_oom();
		rc = GIT_ERROR;
	}
	return rc;
}

int fs_descendant_of(git_repository *repo, const git_oid *commit, const git_oid *ancestor)
{
	unsigned long failures = fs_alloc_failures();
	git_odb *odb = NULL;
	int rc;

	/* a commit the repository does not have is no one's descendant nor ancestor
	 * (libgit2 makes that an error, not "no") */
	if ((rc = git_repository_odb(&odb, repo)) == 0) {
		if (git_odb_exists(odb, commit) && git_odb_exists(odb, ancestor))
			rc = git_graph_descendant_of(repo, commit, ancestor);
		else
			rc = 0;
	}
	git_odb_free(odb);
	if (fs_alloc_failures() != failures) {
		git_error_set_oom();
		rc = GIT_ERROR;
	}
	return rc;
}

int fs_line(git_oid **out, size_t *count, git_oid *at, git_repository *repo, const git_oid *from,
	    const git_oid *to)
{
	git_commit *commit = NULL;
	git_oid *v = NULL, id;
	size_t n = 0, cap = 0;
	unsigned long failures = fs_alloc_failures();
	int rc = 0, to_root = !from || git_oid_is_zero(from);

	*out = NULL;
	*count = 0;
	git_oid_cpy(&id, to);
	while (to_root || !git_oid_equal(&id, from)) {
		if (n == cap) {
			git_oid *grown = fs_realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!grown) {
				rc = fs_error_set(FS_ENOMEM, "out of memory");
				goto done;
			}
			v = grown;
		}
		git_oid_cpy(&v[n++], &id);
		if ((rc = git_commit_lookup(&commit, repo, &id)) < 0 || fs_alloc_failures() != failures) {
			rc = rc < 0 ? fs_error_git(rc, "commit %s", git_oid_tostr_s(&id))
				    : fs_error_set(FS_ENOMEM, "commit %s: out of memory",
						   git_oid_tostr_s(&id));
			/* those two codes say merge and rewrite here, with *at set */
			if (rc == FS_EINVALID || rc == FS_EVERIFY)
				rc = FS_ERROR;
			goto done;
		}
		if (git_commit_parentcount(commit) > 1 || git_commit_parentcount(commit) == 0) {
			if (git_commit_parentcount(commit) == 0 && to_root)
				break;
			git_oid_cpy(at, &id);
			rc = git_commit_parentcount(commit) > 1 ? FS_EINVALID : FS_EVERIFY;
			goto done;
		}
		git_oid_cpy(&id, git_commit_parent_id(commit, 0));
		git_commit_free(commit);
		commit = NULL;
	}
	for (size_t i = 0; i < n / 2; i++) {
		git_oid t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
	*out = v;
	*count = n;
	v = NULL;
done:
	git_commit_free(commit);
	fs_free(v);
	return rc;
}
