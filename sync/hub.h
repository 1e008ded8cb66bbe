/*
 * hub.h - a regional hub: its repository, its key, its registry of city keys
 *
 * A hub is a bare git repository, so that any git server can host it:
 *   DIR/                 HEAD, objects/, refs/, config (fieldsync.hub = its
 *                        name; receive.* and core.fsync set for git's own
 *                        receive-pack), hooks/pre-receive (runs
 *                        `fieldsync hub receive-check`), hooks/post-receive
 *                        (`hub post-receive`: the city's receipt, then
 *                        `hub merge --on-receive`)
 *   DIR/fieldsync/       never served, never committed: the hub's secret key
 *                        (0600), key.pub, the writer lock, and `signers`, a
 *                        copy of hub/signers for stock git's
 *                        gpg.ssh.allowedSignersFile
 * Its own history is refs/heads/hub: hub/signers, signed by the hub key.
 * Cities push to refs/heads/cities/<city>.
 */
#ifndef FS_HUB_H
#define FS_HUB_H

#include <stdint.h>

#include "node/node.h"

/*
 * receive.unpackLimit: a push of fewer objects is unpacked into loose objects
 * (git gc --auto packs them later) rather than indexed as a pack, which makes
 * git send its "Resolving deltas" progress, about 4 KB a push, down a link
 * the city pays for. A default batch (sync/sync.h) is 500 to 800 objects.
 */
#define FS_HUB_UNPACK_LIMIT 2000

/*
 * Create a hub in `dir` (which must not exist, or be empty). `fieldsync` is
 * the absolute path of the program the pre-receive hook runs. The first
 * commit holds hub/signers with the hub's own key.
 */
int fs_hub_init(fs_node **out, const char *dir, const char *name, const char *fieldsync,
		const char *passphrase);

/*
 * Allow `public_key` (OpenSSH form) to sign for `city` from `when` on. A
 * city's first key has no start (the history it made offline before it was
 * enrolled counts); a new key for an enrolled city is a rotation: the old
 * keys stop at `when` and the new one starts there. One signed commit.
 * FS_EUNCHANGED when that key is already the city's valid key.
 */
int fs_hub_enroll(fs_node *hub, const char *city, const char *public_key, int64_t when,
		  unsigned flags);

/*
 * fs_hub_enroll flag: the key is a regional hub's, which signs for each city
 * of its region (sync/uplink.h); without it, a key that already signs for
 * another city is refused.
 */
#define FS_HUB_ENROLL_REGIONAL 1u

/* Stop every key of `city` at `when`: one signed commit. FS_ENOTFOUND if none is valid then. */
int fs_hub_revoke(fs_node *hub, const char *city, int64_t when);

#endif
