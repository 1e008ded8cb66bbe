/*
 * packfile.h - writing a git pack and its index, without libgit2's indexer
 *
 * libgit2 writes packs through its indexer, which maps the new pack back
 * into memory object by object to hash it: for a batch of a thousand records
 * that is tens of thousands of mmap/munmap calls. Here the pack (version 2,
 * objects deflated whole, no deltas) and its index (version 2) are built in
 * memory, where every offset and CRC is already known, and written in two
 * files. Deltas come from `fieldsync gc`, which repacks with libgit2's
 * packbuilder.
 */
#ifndef FS_PACKFILE_H
#define FS_PACKFILE_H

#include <stddef.h>

#include <git2.h>

typedef struct {
	git_oid id;
	git_object_t type;
	const unsigned char *data;
	size_t len;
} fs_pack_object;

/*
 * Write `objs` as packdir/pack-<checksum>.pack and .idx: temporary files,
 * fsync, rename (the pack first, the index last: git readers only see a
 * pack through its index), fsync of the folder. `name` (at least 46 bytes)
 * receives "pack-<checksum>".
 */
int fs_packfile_write(const char *packdir, fs_pack_object *objs, size_t n, char *name);

/*
 * Write one pack holding the entries of the packs `names` ("pack-<sum>", in
 * packdir) by copying each one's entries as a block: nothing is inflated or
 * compressed again, and deltas inside a pack stay valid because their bases
 * move with them. Memory stays the same however large the packs (the index
 * is a merge of theirs: node/packidx.h). FS_EEXISTS if an object is in two
 * of the packs: then twice[i] (count bytes, zeroed by the caller) marks each
 * pack that holds one again found later, for the caller to write it again
 * without those. The old packs are left for the caller to remove.
 */
int fs_packfile_concat(const char *packdir, const char *const *names, size_t count, char *name,
		       unsigned char *twice);

#endif
