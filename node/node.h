/*
 * node.h - a city node: its repository, its key, its settings
 *
 * A node is a folder holding
 *   .git/        a bare git repository (no working tree: records are written
 *                through the object database); settings in its config under
 *                fieldsync.*
 *   .fieldsync/  what must never be committed: the secret key (0600), the
 *                public key, the writer lock
 * The city's history is refs/heads/main; every commit on it is signed.
 */
#ifndef FS_NODE_H
#define FS_NODE_H

#include <stddef.h>

#include <git2.h>

#include "node/key.h"
#include "node/keystore.h"

typedef struct fs_node fs_node;

typedef struct {
	const char *city;       /* the city id, a lower-case slug: "sao-paulo" */
	const char *name;       /* "São Paulo" */
	const char *country;    /* ISO 3166-1 alpha-2: "BR" */
	const char *passphrase; /* NULL or "": the secret key is stored unencrypted */
} fs_node_init_options;

/* Open flags */
#define FS_NODE_READ 0u
#define FS_NODE_WRITE 1u /* take the writer lock and load the secret key */
#define FS_NODE_LOCK 2u  /* take the writer lock only (a hub taking a city's push) */

/* How long a writer waits for another one before FS_ELOCKED. */
#define FS_NODE_LOCK_TIMEOUT_MS 10000

/*
 * Is `id` a city id (a lower-case slug, as city/1 says)? 0, or FS_EINVALID
 * with "<what> '<id>': expected ...".
 */
int fs_city_id_check(const char *id, const char *what);

/* Once per process, before anything else / at exit. */
int fs_global_init(void);
void fs_global_shutdown(void);

/*
 * Create a node in `dir` (created if missing). The first signed commit holds
 * cities/<city>/city.json. FS_EEXISTS if `dir` already holds a repository;
 * FS_EINVALID for a bad city id, name or country.
 */
int fs_node_init(fs_node **out, const char *dir, const fs_node_init_options *opts);

/*
 * Open the node in `dir`. FS_ENOTNODE if there is none. With FS_NODE_WRITE
 * the writer lock is taken (FS_ELOCKED) and the key loaded (FS_EKEY);
 * `passphrase` is only used for an encrypted key.
 */
int fs_node_open(fs_node **out, const char *dir, unsigned flags, const char *passphrase);

/*
 * Load the secret key into a node opened without FS_NODE_WRITE: a node that
 * logs in to an ssh:// hub with its own key reads, it does not write.
 * `passphrase` as for fs_node_open(). Loading it twice is a no-op.
 */
int fs_node_load_key(fs_node *node, const char *passphrase);

/* The node's key when loaded (borrowed), else NULL. */
const fs_key *fs_node_key(const fs_node *node);

void fs_node_free(fs_node *node);

/*
 * A city's sync, on a node opened for reading: take the node's sync lock
 * (.fieldsync/synclock, waited on as the writer lock is; one sync at a
 * time while writers go on), then remove what a killed sync left: ref locks
 * under refs/remotes/ and refs/fieldsync/, the refs only a sync moves (they
 * would fail every later sync), a config.lock or packed-refs.lock as old as
 * no live writer's (FS_HUB_STALE_LOCK_MS), temporary files of dead
 * processes. Released by fs_node_free.
 */
int fs_node_lock_sync(fs_node *node);

/*
 * A hub is opened the same way: its folder is a bare repository (what git
 * servers host) holding fieldsync/ (key, lock) and the setting fieldsync.hub
 * (its name). It signs as the principal FS_HUB_PRINCIPAL and commits to
 * refs/heads/hub, where hub/signers lives.
 */
#define FS_HUB_PRINCIPAL "hub"
int fs_node_is_hub(const fs_node *node);
/* refs/heads/main, or refs/heads/hub for a hub: where fs_node_commit() writes. */
const char *fs_node_branch(const fs_node *node);
/* The folder of what is never committed: dir/.fieldsync, or dir/fieldsync for a hub. */
const char *fs_node_private_dir(const fs_node *node);

const char *fs_node_dir(const fs_node *node);
const char *fs_node_city(const fs_node *node);
const char *fs_node_name(const fs_node *node);
const char *fs_node_country(const fs_node *node);
git_repository *fs_node_repo(const fs_node *node);
const unsigned char *fs_node_public_key(const fs_node *node); /* FS_KEY_PUBLIC_BYTES */

/*
 * The keystore (node/keystore.h) is opened only when a record needs it, since
 * opening asks for its passphrase: `open` is called then, once. Without a
 * source set, a record that needs it is FS_EKEY.
 */
typedef int (*fs_node_keystore_cb)(fs_keystore **out, const fs_node *node, void *payload);
void fs_node_set_keystore_source(fs_node *node, fs_node_keystore_cb open, void *payload);

/* The node's keystore (borrowed), opened on first use. */
int fs_node_keystore(fs_keystore **out, const fs_node *node);

/* Path of the secret key file of the node or hub in `dir` (a fs_buf is filled). */
int fs_node_key_path(fs_buf *out, const char *dir);

/* A setting from the repository config (fieldsync.<name>), or `def`. */
long long fs_node_config_int(const fs_node *node, const char *name, long long def);

/*
 * The head commit of the city's history (refs/heads/main): 0, or
 * FS_ENOTFOUND for a node without commits. The caller frees it.
 */
int fs_node_head(git_commit **out, const fs_node *node);

/*
 * Apply `updates` to the head tree and record the result as one signed
 * commit with `message`, moving refs/heads/main only if nobody else moved it.
 * New objects are written as one pack, fsynced before the ref moves, so a
 * crash leaves either the old head or the new one, never a head without its
 * objects. FS_EUNCHANGED if the tree would not change (no commit is made).
 * The node must be open for writing.
 */
int fs_node_commit(fs_node *node, const git_tree_update *updates, size_t n,
		   const char *message, git_oid *out);

/*
 * Record `tree` as one signed commit with `parents` and `message` on `ref`,
 * moving it from `expected` (NULL: the ref must not exist yet) only if nobody
 * else moved it (the hub's merges write refs/heads/unified and public this way).
 */
int fs_node_commit_tree(fs_node *node, const char *ref, const git_oid *expected,
			const git_oid *tree, const git_commit **parents, size_t n,
			const char *message, git_oid *out);

/*
 * Take in the packs written into the node's object folder by other means
 * than its own commits (a copy from a hub on this machine, sync/copy.h).
 */
int fs_node_rescan(fs_node *node);

/* Write a blob for a later fs_node_commit(). */
int fs_node_write_blob(fs_node *node, git_oid *out, const void *data, size_t len);

/* Drop objects written since the last commit (after a failure). */
void fs_node_discard(fs_node *node);

#endif
