/*
 * copy.h - history from one repository on this machine into another
 *
 * What a fetch from a hub on a path does, without libgit2's local transport:
 * that one packs the objects with the packbuilder's delta search (minutes
 * for the public branch of a hundred cities, and hundreds of MiB) only to
 * index them again on the other side. Here the objects the destination lacks
 * are read once and written as one pack, whole (node/packfile.h).
 */
#ifndef FS_COPY_H
#define FS_COPY_H

#include <stddef.h>

#include <git2.h>

/*
 * Copy `tip` and every object reachable from it that `dst` lacks from `src`
 * into `dst`, as one pack. A tree `dst` has is taken to be complete (objects
 * only arrive whole). *objects (may be NULL) gets the number copied. The
 * pack is written behind the destination's object database: a node sees it
 * after fs_node_rescan().
 */
int fs_copy_history(git_repository *dst, git_repository *src, const git_oid *tip,
		    size_t *objects);

#endif
