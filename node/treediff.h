/*
 * treediff.h - what differs between two trees, at the cost of the difference
 *
 * libgit2's tree-to-tree diff walks every file of both trees even where a
 * whole folder is the same object, so checking one commit of a city that
 * holds 100,000 records compared 100,000 entries, and an audit of a history
 * cost its length times the size of the dataset. Here a folder that is the
 * same object on both sides is skipped by its id: the cost is the changed
 * paths times their depth.
 */
#ifndef FS_TREEDIFF_H
#define FS_TREEDIFF_H

#include <git2.h>

/* Folders nested deeper than this are refused (records sit at depth 12, node/record.h). */
#define FS_TREE_DIFF_MAX_DEPTH 32

/*
 * One path that differs: `old` only (removed), `new_` only (added), or both
 * (changed: another object or mode). Never a folder on both sides: those
 * are walked into. `path` is relative to the trees compared. A non-zero
 * return stops the walk and is returned by fs_tree_diff.
 */
typedef int (*fs_tree_diff_cb)(const char *path, const git_tree_entry *old,
			       const git_tree_entry *new_, void *payload);

/*
 * Compare `old` and `new_` (either may be NULL: an empty tree). Entries in
 * git's tree order. FS_EINVALID when a side nests folders deeper than
 * FS_TREE_DIFF_MAX_DEPTH.
 */
int fs_tree_diff(git_repository *repo, const git_tree *old, const git_tree *new_,
		 fs_tree_diff_cb cb, void *payload);

/*
 * Trees kept from one diff to the next, for a walk along a history: a
 * commit's old side is mostly its parent's new side, read by the diff
 * before. libgit2's object cache would keep them too, but it is bounded by
 * the trees' raw size and, once full, evicts by scanning its table on every
 * insertion; on a long history (100,000 commits) that scan cost more than
 * the audit's signatures. A memo holds a bounded number of recent trees.
 */
typedef struct fs_tree_memo fs_tree_memo;

int fs_tree_memo_new(fs_tree_memo **out);
void fs_tree_memo_free(fs_tree_memo *m);

/* The tree `id` (the caller frees it): kept from an earlier diff, or read and kept. */
int fs_tree_memo_lookup(git_tree **out, fs_tree_memo *m, git_repository *repo, const git_oid *id);

/* fs_tree_find (node/tree.h), reading its folders through `memo`. */
int fs_tree_memo_find(git_tree_entry **out, fs_tree_memo *m, const git_tree *tree,
		      const char *path);

/* fs_tree_diff reading its folders through `memo` (may be NULL). */
int fs_tree_diff_memo(git_repository *repo, fs_tree_memo *memo, const git_tree *old,
		      const git_tree *new_, fs_tree_diff_cb cb, void *payload);

#endif
