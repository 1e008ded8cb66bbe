/*
 * check.h - what a hub accepts: the receive checks
 *
 * Every way into a hub (a push that git receive-pack takes, whose
 * pre-receive hook runs `fieldsync hub receive-check`; a push to a file://
 * hub; a bundle) runs these checks on each ref update before any ref moves.
 * A city may only fast-forward refs/heads/cities/<city>, with commits that
 *   - are signed by a key that hub/signers allows for that city at the
 *     commit's time (rotation and revocation are windows of validity),
 *   - have at most one parent (a city's history is linear),
 *   - change nothing outside cities/<city>/ and never remove city.json,
 *   - hold only regular files that pass fs_record_check_stored().
 */
#ifndef FS_CHECK_H
#define FS_CHECK_H

#include <git2.h>

#include "node/signers.h"

typedef struct fs_check fs_check;

/* The prefix of the refs cities push to. */
#define FS_CITY_REF_PREFIX "refs/heads/cities/"
/* Where the registry lives on a hub: this file at the tip of this branch. */
#define FS_HUB_REF "refs/heads/hub"
#define FS_HUB_SIGNERS_PATH "hub/signers"

/*
 * Prepare to check updates of `repo` (borrowed; it must see the new
 * objects, e.g. through git's quarantine). Reads hub/signers at
 * refs/heads/hub. FS_ENOTFOUND when the repository is not a hub.
 */
int fs_check_new(fs_check **out, git_repository *repo);
/* The same with a registry of the caller's (borrowed), e.g. an auditor's. */
int fs_check_new_with(fs_check **out, git_repository *repo, const fs_signers *signers);

void fs_check_free(fs_check *c);

/*
 * Check moving `ref` from `old` (NULL or zero: a new ref) to `new` (NULL or
 * zero: a deletion). 0 when allowed; FS_EREFUSED with a message naming the
 * ref, the commit and what is wrong; another code when the repository
 * cannot be read. `commits` (may be NULL) gets the number of new commits.
 */
int fs_check_update(fs_check *c, const char *ref, const git_oid *old, const git_oid *new,
		    size_t *commits);

/*
 * Check one commit of `city` on its own: its signature, its shape and each
 * file it adds or changes against its first parent. FS_EREFUSED with what is
 * wrong; `path` (may be NULL) then names the file at fault, or is empty.
 * `files` (may be NULL) gets the number of files validated.
 */
int fs_check_commit(fs_check *c, const char *city, git_commit *commit, char *path,
		    size_t path_size, size_t *files);

/*
 * The two halves of fs_check_commit, for a caller that walks a history and
 * judges a commit between them (the audit finds a second root before a bad
 * signature): the signature, and the commit's shape and files. Same
 * returns as fs_check_commit.
 */
int fs_check_signature(fs_check *c, const char *city, git_commit *commit);
int fs_check_content(fs_check *c, const char *city, git_commit *commit, char *path,
		     size_t path_size, size_t *files);

/*
 * The tree of `commit` is `tree`. fs_check_content takes the parent's tree
 * id from the commit it checked last; a walk that goes newest first reads
 * the parent after the child, and says so here before it judges the child,
 * so that the parent is not read again.
 */
void fs_check_knows(fs_check *c, const git_oid *commit, const git_oid *tree);

#endif
