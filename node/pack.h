/*
 * pack.h - keeping the object store small on a small disk
 *
 * Every commit of a node arrives as one small pack (node.c). Left alone, a
 * node would hold one pack per commit, and each lookup would try them all.
 * After each commit the small packs are rolled up geometrically, as
 * `git repack --geometric=2` does: packs are merged until each remaining one
 * is at least twice the size of all smaller ones together, so a node of N
 * commits holds O(log N) packs and each object is rewritten O(log N) times
 * over its life. Merging is a block copy of each pack's entries with a
 * streamed merge of their indexes (node/packfile.h): a few MiB of memory
 * however large the packs.
 *
 * A city node leaves packs above FS_PACK_AUTO_MAX to `fieldsync gc`, so that
 * no single `add` (~50 ms) pays for rewriting the whole store.
 *
 * A hub has no cap. Each push and each merge leaves a pack, which a
 * capped roll-up would let pile up past 64 MiB (the bench hub of 100 cities
 * x 10,000 records held eight of 25-95 MB, 440 MB in all), and every pack is
 * one more index for each lookup that misses to search. Without the cap the
 * geometric rule keeps one large pack and a tail of small ones, each at most
 * half the size of all before it, and an object is still rewritten O(log N)
 * times: the whole hub is copied again only once the packs after it add up
 * to half its size (for the bench hub: 3 s and 6 MiB to copy 440 MB, paid
 * by that one merge; merges are not interactive). Past FS_PACK_HUB_PACKS
 * packs the smallest are merged too, cheap by the same rule, so that a run
 * of equal pushes cannot pile up packs. Measured on the bench hub, one
 * large pack does not make a merge faster than eight (a merge with nothing
 * new: 108 ms of CPU against 84 ms; docs/benchmarks.md): what the hub
 * policy buys is a bounded pack count and a usable gc, not speed.
 *
 * A hub's gc concatenates every pack (the packbuilder's walk and delta
 * search took 14 minutes and 680 MiB there) and drops nothing.
 */
#ifndef FS_PACK_H
#define FS_PACK_H

#include <stddef.h>

#include <git2.h>

#define FS_PACK_AUTO_MAX (64 * 1024 * 1024)
#define FS_PACK_HUB_PACKS 8

typedef struct {
	size_t packs;   /* pack files */
	size_t loose;   /* loose object files */
	size_t objects; /* objects in the pack written (gc) */
	long long bytes; /* bytes of all packs and loose objects */
} fs_pack_stats;

typedef enum {
	FS_PACK_NODE, /* a city node: roll-up under FS_PACK_AUTO_MAX, gc with deltas */
	FS_PACK_HUB   /* a hub: roll-up without a cap, gc by concatenation */
} fs_pack_policy;

/* The geometric roll-up; cheap when there is nothing to do. Needs the writer lock. */
int fs_pack_maintain(git_repository *repo, fs_pack_policy policy);

/*
 * A node: write everything reachable from any ref into one pack (with
 * deltas), then remove the other packs and every loose object. A hub: every
 * pack into one by concatenation; nothing is dropped, loose objects stay.
 * Needs the writer lock. `before` and `after` may be NULL.
 */
int fs_pack_gc(git_repository *repo, fs_pack_policy policy, fs_pack_stats *before,
	       fs_pack_stats *after);

/* Count packs, loose objects and their bytes. */
int fs_pack_stat(git_repository *repo, fs_pack_stats *out);

#endif
