/*
 * packs.h - the pack store of a writing node, rescanned only when told
 *
 * libgit2 "freshens" every object it is asked to write: when the object is
 * in no pack it rescans the pack folder (readdir, stat) and retries. For a
 * writer that knows every pack that appears (it writes them itself) that is
 * pure cost, a quarter of an import. This backend wraps libgit2's pack
 * backend and leaves out its automatic rescan; fs_packs_rescan() does it when
 * the node has written or merged a pack.
 */
#ifndef FS_PACKS_H
#define FS_PACKS_H

#include <git2.h>
#include <git2/sys/odb_backend.h>

typedef struct fs_packs fs_packs;

/*
 * Give `repo` a new object database: the loose objects, the packs (without
 * automatic rescans) and `staging` on top (may be NULL). `out` lives as
 * long as the repository's odb; so does `staging`, which is freed with it,
 * or at once when this fails.
 */
int fs_packs_setup(fs_packs **out, git_repository *repo, git_odb_backend *staging);

/* Look at the pack folder again (after a pack was written or removed). */
int fs_packs_rescan(fs_packs *packs);

#endif
