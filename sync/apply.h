/*
 * apply.h - taking a pack and ref updates into a hub, checked
 *
 * What git receive-pack does for a push over http or ssh, done in-process
 * for the ways into a hub that have no receive-pack: a bundle, and a push to
 * a hub on a local path (libgit2's file:// transport writes objects and refs
 * directly and runs no hook). The pack is indexed into a quarantine folder,
 * every update is checked (sync/check.h) against the hub's objects plus the
 * quarantine, and only when all pass does the pack move into the hub, fsynced,
 * before the refs move. Any failure removes the quarantine: the hub is as it
 * was.
 */
#ifndef FS_APPLY_H
#define FS_APPLY_H

#include <stddef.h>

#include <git2.h>

#include "node/node.h"

typedef struct {
	char ref[256];
	git_oid new;
} fs_ref_update;

typedef struct {
	size_t objects;  /* in the pack */
	size_t commits;  /* new commits checked */
	size_t updated;  /* refs moved */
	size_t current;  /* refs already at (or past) the given commit: nothing to do */
} fs_apply_stats;

/*
 * Index `pack` into `dir`/pack (an objects folder), completing a thin pack
 * from `repo`'s objects; the name of the pack written goes to `name`, its
 * object count to `objects`. FS_EINVALID for a damaged or incomplete pack.
 */
int fs_pack_index(char name[GIT_OID_HEXSZ + 1], size_t *objects, git_repository *repo,
		  const char *dir, const void *pack, size_t len);

/*
 * Apply `pack` (`len` bytes, may be thin against the hub's objects; len 0
 * for none) and `updates` to `hub` (open with FS_NODE_LOCK or FS_NODE_WRITE).
 * An update whose ref already holds that commit or a descendant of it is
 * nothing to do, so the same bundle twice changes nothing. FS_EREFUSED
 * with the reason when a check fails, FS_EINVALID for a damaged pack.
 */
int fs_hub_apply(fs_node *hub, const void *pack, size_t len, const fs_ref_update *updates,
		 size_t n, fs_apply_stats *stats);

/*
 * Free `hub` (NULL is fine) and, when `received` (a ref moved), run its
 * hooks/post-receive if it is there and executable, as git receive-pack does
 * after a push: in the hub's folder, standard input empty, its output on
 * standard error. The hub is freed first because the hook may take its lock
 * to merge. What the hook does or says changes nothing of what was accepted.
 */
void fs_hub_close_after_receive(fs_node *hub, int received);

#endif
