/*
 * walk.h - history walks that tell a short walk from one cut short
 *
 * libgit2 1.5's revision walk and graph queries go on past some failed
 * allocations: a walk ends early as if the history ended there, a
 * descendant query says "no". A sync so decided that a hub was up to date
 * when it had none of the city's commits, and recorded it as sent
 * (tests/e2e/oom.sh). Walks and queries whose answer decides anything go
 * through here.
 */
#ifndef FS_WALK_H
#define FS_WALK_H

#include <git2.h>

/*
 * git_revwalk_next, for a walk begun when fs_alloc_failures() was `since`:
 * its end (GIT_ITEROVER) is an out-of-memory error (GIT_ERROR, libgit2's
 * error set) when an allocation failed during the walk.
 */
int fs_revwalk_next(git_oid *out, git_revwalk *walk, unsigned long since);

/*
 * git_graph_descendant_of: 1 when `commit` descends from `ancestor`, 0 when
 * not (or when either is not in the repository), or a libgit2 error code:
 * GIT_ERROR out of memory when an allocation failed under it, whatever it
 * answered.
 */
int fs_descendant_of(git_repository *repo, const git_oid *commit, const git_oid *ancestor);

/*
 * The commits after `from` up to `to`, oldest first, in *out (fs_free it),
 * walked down first parents: a node's history, and a city's on the hub, is
 * one line. `from` NULL or zero: down to the root. Walked here, not by
 * git_revwalk, which libgit2 1.5 cuts short, crashes in or leaks from on
 * failed allocations and malformed commits. Returns 0; FS_EINVALID at a
 * merge commit, FS_EVERIFY at a root before `from` (`to` does not continue
 * it), both with that commit's id in *at; FS_ENOMEM; FS_ERROR for a commit
 * that cannot be read. The caller words the message.
 */
int fs_line(git_oid **out, size_t *count, git_oid *at, git_repository *repo, const git_oid *from,
	    const git_oid *to);

#endif
