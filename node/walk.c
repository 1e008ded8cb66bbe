#include "node/walk.h"

#include "util/alloc.h"

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
