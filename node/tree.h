/*
 * tree.h - one path in a tree, where "not there" and "could not read" differ
 *
 * git_tree_entry_bypath fails both for a path that is not there and for a
 * folder it could not read (a failed allocation, a missing object), and
 * libgit2 1.5 says "not found" for some objects it could not read for want
 * of memory. Code that took any failure for "not there" made a record
 * vanish from a report or a log, or an audit or a hub's check pass over
 * what it had not read (tests/unit/test_tree.c). Lookups of a path that
 * may be absent go through here.
 */
#ifndef FS_TREE_H
#define FS_TREE_H

#include <git2.h>

/*
 * The entry at `path` ("a/b/c") in `tree` in *out (free it with
 * git_tree_entry_free), or NULL when there is none. Fails only when a
 * folder on the way could not be read (FS_ENOMEM; FS_ERROR for a folder
 * whose object is missing, never FS_ENOTFOUND) or `path` is over 4 KiB;
 * the message names `path`.
 */
int fs_tree_find(git_tree_entry **out, const git_tree *tree, const char *path);

/*
 * git_tree_lookup, but a failure when an allocation failed under it:
 * libgit2 1.5's object cache can then hand back the raw object in place of
 * the parsed tree, with success, and reading it crashes (fs_global_init
 * caches no objects, so it cannot happen in fieldsync; a library user may
 * set up libgit2 otherwise). *out is NULL on failure. Returns a libgit2
 * code (the error is libgit2's out of memory), for fs_error_git.
 */
int fs_tree_lookup(git_tree **out, git_repository *repo, const git_oid *id);

/* How fs_tree_find_with reads a folder: fs_tree_lookup's contract. */
typedef int (*fs_tree_lookup_fn)(git_tree **out, void *payload, git_repository *repo,
				 const git_oid *id);

/* fs_tree_find, reading each folder on the way through `lookup`. */
int fs_tree_find_with(git_tree_entry **out, const git_tree *tree, const char *path,
		      fs_tree_lookup_fn lookup, void *payload);

/* As fs_tree_find, for an entry of type `type` only: another is "none". */
int fs_tree_find_type(git_tree_entry **out, const git_tree *tree, const char *path,
		      git_object_t type);

#endif
