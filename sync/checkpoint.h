/*
 * checkpoint.h - what an audit saw, signed by the auditor
 *
 * After a clean audit the auditor keeps the head of every branch it judged,
 * signed with the auditor's own key (SSHSIG, namespace "fieldsync-audit", so
 * `ssh-keygen -Y verify` can check it too). The next audit then also asks
 * whether any of those heads went backwards, forked or disappeared: a
 * rewrite that a hub made after removing every trace from `unified` still
 * shows. The file is text:
 *
 *   fieldsync-checkpoint 1
 *   time 2026-11-25T10:00:00Z
 *   hub-key ssh-ed25519 AAAA...
 *   ref cities/tunis <commit>
 *   ...
 *   -----BEGIN SSH SIGNATURE-----  (over every byte above it)
 */
#ifndef FS_CHECKPOINT_H
#define FS_CHECKPOINT_H

#include <stdint.h>

#include <git2.h>

#include "node/key.h"

#define FS_CHECKPOINT_NAMESPACE "fieldsync-audit"

typedef struct fs_checkpoint fs_checkpoint;

/*
 * Read and check the checkpoint at `path`: its signature must be by
 * `auditor`. FS_ENOTFOUND when there is no file; FS_EVERIFY when the
 * signature does not hold or is another key's; FS_EINVALID when the file is
 * not a checkpoint. Messages name the file and the line.
 */
int fs_checkpoint_read(fs_checkpoint **out, const char *path,
		       const unsigned char auditor[FS_KEY_PUBLIC_BYTES]);

size_t fs_checkpoint_count(const fs_checkpoint *c);
/* Ref `i` (borrowed): its name without the prefix ("cities/tunis") and head. */
const char *fs_checkpoint_ref(const fs_checkpoint *c, size_t i, git_oid *head);
int64_t fs_checkpoint_time(const fs_checkpoint *c);
const unsigned char *fs_checkpoint_hub_key(const fs_checkpoint *c);
void fs_checkpoint_free(fs_checkpoint *c);

/*
 * Write a checkpoint of the branches under `prefix` in `repo` (hub, unified,
 * public, cities/<id>) to `path`, atomically, signed with `key`.
 */
int fs_checkpoint_write(const char *path, const fs_key *key, git_repository *repo,
			const char *prefix, const unsigned char hub_key[FS_KEY_PUBLIC_BYTES]);

#endif
