/*
 * pack.h - keeping the object store small on a small disk
 *
 * Every commit of a node arrives as one small pack (node.c). Left alone, a
 * node would hold one pack per commit, and each lookup would try them all.
 * After each commit the small packs are rolled up geometrically, as
 * `git repack --geometric=2` does: packs are merged until each remaining one
 * is at least twice the size of all smaller ones together, so a node of N
 * commits holds O(log N) packs and each object is rewritten O(log N) times
 * over its life. Packs above FS_PACK_AUTO_MAX are left for `fieldsync gc`,
 * so that no single add pays for rewriting the whole store.
 */
#ifndef FS_PACK_H
#define FS_PACK_H

#include <stddef.h>

#include <git2.h>

#define FS_PACK_AUTO_MAX (64 * 1024 * 1024)

typedef struct {
	size_t packs;   /* pack files */
	size_t loose;   /* loose object files */
	size_t objects; /* objects in the pack written (gc) */
	long long bytes; /* bytes of all packs and loose objects */
} fs_pack_stats;

/* The geometric roll-up; cheap when there is nothing to do. Needs the writer lock. */
int fs_pack_maintain(git_repository *repo);

/*
 * Write everything reachable from any ref into one pack, then remove the
 * other packs and every loose object. Needs the writer lock. `before` and
 * `after` may be NULL.
 */
int fs_pack_gc(git_repository *repo, fs_pack_stats *before, fs_pack_stats *after);

/* Count packs, loose objects and their bytes. */
int fs_pack_stat(git_repository *repo, fs_pack_stats *out);

#endif
