/*
 * bundle.h - git bundles, for a history that travels on a USB stick
 *
 * The standard format (gitformat-bundle(5)), so stock `git bundle verify`
 * and `git fetch FILE` read what fieldsync writes:
 *   # v2 git bundle
 *   -<prerequisite commit> [comment]     what the reader must already have
 *   <commit> <refname>                   what the bundle brings
 *   (an empty line)
 *   a pack (libgit2's packbuilder)
 * libgit2 cannot write bundles itself (its issue 1718).
 */
#ifndef FS_BUNDLE_H
#define FS_BUNDLE_H

#include <stddef.h>

#include <git2.h>

#include "sync/apply.h"
#include "util/buf.h"

/* Bundles and their headers stay below these sizes. */
#define FS_BUNDLE_MAX_BYTES ((size_t)1 << 31)
#define FS_BUNDLE_MAX_REFS 1024

/*
 * Pack `tip` and its history not reachable from `since` (NULL or zero: all
 * of it) with libgit2's packbuilder, into `out`. What a bundle carries and
 * what a push to a hub on a path sends.
 */
int fs_pack_history(git_buf *out, size_t *objects, git_repository *repo, const git_oid *tip,
		    const git_oid *since);

/*
 * Write `path` (atomically, fsynced): `tip` under the name `ref` with the
 * history not reachable from `since` (NULL: the whole history, no
 * prerequisite). `objects` (may be NULL) gets the number packed.
 */
int fs_bundle_create(git_repository *repo, const char *path, const git_oid *tip, const char *ref,
		     const git_oid *since, size_t *objects);

typedef struct fs_bundle fs_bundle;

/*
 * Read and parse the bundle at `path`: FS_EINVALID with the line at fault
 * for anything that is not a v2 (or v3, sha1) bundle with a pack. The pack
 * itself is checked when it is indexed (fs_hub_apply).
 */
int fs_bundle_read(fs_bundle **out, const char *path);

/* The same from `len` bytes in memory (copied); `name` stands for the path in messages. */
int fs_bundle_parse(fs_bundle **out, const void *data, size_t len, const char *name);
void fs_bundle_free(fs_bundle *b);

/*
 * Make a bare repository in the empty folder `dir` holding the bundle's
 * objects and refs, as `git clone --mirror BUNDLE` would: what an auditor
 * reads. FS_EINVALID for a bundle that needs commits it does not carry.
 */
int fs_bundle_unpack(git_repository **out, const fs_bundle *b, const char *dir,
		     const char *name);

size_t fs_bundle_ref_count(const fs_bundle *b);
const fs_ref_update *fs_bundle_refs(const fs_bundle *b);
size_t fs_bundle_prerequisite_count(const fs_bundle *b);
const git_oid *fs_bundle_prerequisite(const fs_bundle *b, size_t i);
const void *fs_bundle_pack(const fs_bundle *b, size_t *len);

#endif
