/*
 * packidx.h - the index of a concatenation of packs, in constant memory
 *
 * Each input index (version 2) is already sorted by object id, so the index
 * of their concatenation is a k-way merge of them: one pass reads the ids,
 * CRCs and offsets of every input sequentially through small buffers and
 * writes each section of the new index at its known place (the fan-out and
 * the large offsets last). Memory does not grow with the packs: about 50 KiB
 * an input and 256 KiB of output buffers, where reading whole indexes and
 * sorting them took 32 bytes an object (80 MiB for a hub of 2.6 million).
 *
 * An object must not be in two inputs: the pack would hold it twice, which
 * libgit2 reads but `git verify-pack` refuses ("appears twice in the pack").
 * The merge finds such objects on the way, and names the packs that hold
 * one again further on, for the caller to write those again without them.
 */
#ifndef FS_PACKIDX_H
#define FS_PACKIDX_H

#include <stddef.h>
#include <stdint.h>

#include "util/sha1.h"

typedef struct fs_packidx fs_packidx;

/*
 * Open the packs `names` ("pack-<sum>" in packdir) and their indexes, and
 * check them: a version 2 index whose object count is the pack's. Their
 * entries will sit one after the other in this order.
 */
int fs_packidx_open(fs_packidx **out, const char *packdir, const char *const *names,
		    size_t count);

/* Objects in all the packs, and the size of pack `i` (header and checksum included). */
uint32_t fs_packidx_objects(const fs_packidx *x);
uint64_t fs_packidx_pack_size(const fs_packidx *x, size_t i);

/*
 * Write the index of the concatenation (entries of pack i shifted by the
 * entries of the packs before it) to the empty file `fd`, all but its
 * trailer. FS_EEXISTS if an object is in two packs (or twice in one):
 * twice[i] (count bytes, zeroed by the caller) is set for each pack i that
 * holds an object found again in a later pack or further on in itself.
 */
int fs_packidx_write(fs_packidx *x, int fd, const char *path, unsigned char *twice);

/* The trailer: `pack_sum`, the checksum of the new pack, then the index's own. Not synced. */
int fs_packidx_seal(fs_packidx *x, int fd, const char *path,
		    const unsigned char pack_sum[FS_SHA1_BYTES]);

void fs_packidx_free(fs_packidx *x);

#endif
