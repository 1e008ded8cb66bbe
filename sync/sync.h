/*
 * sync.h - a city node's side of sync: remotes, batched pushes, bundles
 *
 * A node pushes refs/heads/main to refs/heads/cities/<city> on its hub, in
 * batches of bounded size: each batch is a push of an intermediate commit,
 * so a link that drops loses at most the batch in flight, and the next sync
 * starts from what the hub has. A hub on a local path takes the batch
 * in-process with the same checks as a push (sync/apply.h); a hub behind
 * http(s):// or ssh:// runs them in its pre-receive hook.
 */
#ifndef FS_SYNC_H
#define FS_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "node/node.h"

/*
 * Default (and largest) batch: about 10 s on a 2G link (GPRS/EDGE, ~50
 * kbit/s). A link that cuts makes it smaller (sync/link.h).
 */
#define FS_SYNC_BATCH_BYTES (64 * 1024)
/* The least batch a cut link brings it down to (or one commit). */
#define FS_SYNC_BATCH_MIN_BYTES 4096

typedef struct {
	size_t batch, batches;     /* the batch in flight, 1-based, of how many */
	size_t commits, total;     /* commits the hub has taken in this sync, of how many */
	size_t objects, total_objects, bytes; /* of the batch in flight */
	size_t sent;               /* pack bytes sent in this sync, the batch in flight too */
	unsigned retry_in_ms;      /* when not 0: the link failed (`error`), next try then */
	const char *error;
} fs_sync_progress;

typedef void (*fs_sync_progress_cb)(const fs_sync_progress *p, void *payload);

/* Retries after a failed link: waits of 1, 2, 4, ... s (at most 60), +-25 %. */
#define FS_SYNC_RETRIES 5
#define FS_SYNC_BACKOFF_MS 1000
#define FS_SYNC_BACKOFF_MAX_MS 60000

typedef struct {
	size_t batch_bytes;          /* 0: fieldsync.syncBatchBytes, else FS_SYNC_BATCH_BYTES */
	int timeout_ms;              /* 0: fieldsync.syncTimeoutMs, else FS_NET_TIMEOUT_MS */
	int retries;                 /* < 0: fieldsync.syncRetries, else FS_SYNC_RETRIES */
	int backoff_ms;              /* 0: FS_SYNC_BACKOFF_MS (the first wait) */
	fs_sync_progress_cb progress; /* may be NULL */
	void *payload;
} fs_sync_options;

typedef struct {
	size_t commits;  /* pushed now */
	size_t batches;
	size_t bytes;    /* of packs sent */
	size_t retries;  /* attempts after a failed link */
	int up_to_date;  /* the hub had everything already */
	int receipt;     /* the hub's receipt for what it took was checked and kept */
} fs_sync_stats;

/*
 * `fieldsync remote add`: a hub at `url` (file://, a path, http(s)://, ssh://).
 * An ssh:// hub needs `host_keys` (sync/ssh.h says which forms), which are
 * pinned: the node never talks to a server with another key. Nothing is
 * written when anything is wrong.
 */
int fs_remote_add(fs_node *node, const char *name, const char *url, const char *host_keys);

/*
 * Pin the hub's own public key for remote `name` (remote.<name>.fieldsyncHubKey):
 * the key its public branch and its receipts must be signed by. Without it,
 * the first fetch of public pins the key hub/signers names (trust on first use).
 */
int fs_remote_set_hub_key(fs_node *node, const char *name,
			  const unsigned char hub_key[FS_KEY_PUBLIC_BYTES]);

/* Replace the pinned host keys of the ssh:// remote `name`. */
int fs_remote_set_host_keys(fs_node *node, const char *name, const char *host_keys);

/* The pinned host keys of remote `name` ("" for none), as fs_ssh_pins_parse() writes them. */
int fs_remote_host_keys(fs_buf *out, const fs_node *node, const char *name);

/*
 * The names of the node's remotes, sorted (git_strarray_dispose() them).
 * Not git_remote_list(): libgit2 1.5 leaks its regular expression's match
 * data on every call.
 */
int fs_remote_list(git_strarray *out, const fs_node *node);

/*
 * The public branches the node fetched, refs/remotes/<remote>/public for
 * each remote that has one, in remote-name order (git_strarray_dispose()).
 */
int fs_remote_public_refs(git_strarray *out, const fs_node *node);

/* The remote's URL (borrowed until the next call), or FS_ENOTFOUND. */
int fs_remote_url(fs_buf *out, const fs_node *node, const char *name);

/*
 * Push the city's history to the remote `name`, batch by batch. An ssh://
 * hub is logged in to with the node's key: load it first (fs_node_load_key).
 * FS_ENET when the link failed (after the retries), FS_EREFUSED when the hub
 * refused a commit, or its host key is not the pinned one, or it does not
 * take the node's key. When the city's branch moved, the hub's receipt
 * (sync/receipt.h) is checked against the hub key pinned for `name` and kept
 * (stats->receipt); one that does not verify is FS_EVERIFY, after the push.
 */
int fs_sync_push(fs_node *node, const char *name, const fs_sync_options *opts,
		 fs_sync_stats *stats);

/* What the last successful push left: the time and the commit the hub has (zero if never). */
int fs_sync_last(const fs_node *node, const char *name, int64_t *when, git_oid *hub_has);

/* Commits and estimated bytes that wait for the hub, counted from what it was last seen to have. */
int fs_sync_pending(const fs_node *node, const char *name, size_t *commits, size_t *bytes);

#endif
