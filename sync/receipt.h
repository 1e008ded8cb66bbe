/*
 * receipt.h - what a hub took from a city, signed by the hub
 *
 * When a hub accepts a push or a bundle it signs a receipt with its own key
 * (SSHSIG, namespace "fieldsync-receipt", so `ssh-keygen -Y verify` checks
 * it too). The city keeps it outside its history; later anyone holding it
 * can show that the hub had that commit, so a hub cannot quietly drop a
 * city's data (`fieldsync audit --receipts`). The file is text:
 *
 *   fieldsync receipt 1
 *   hub Regional hub
 *   hub-key SHA256:...                 the fingerprint of the signing key
 *   city tunis
 *   head <commit>                      the tip of cities/<city> on the hub
 *   time 2026-11-25T10:00:00Z
 *   -----BEGIN SSH SIGNATURE-----      (over every byte above it)
 */
#ifndef FS_RECEIPT_H
#define FS_RECEIPT_H

#include <stdint.h>

#include <git2.h>

#include "node/key.h"
#include "node/node.h"
#include "util/buf.h"

#define FS_RECEIPT_NAMESPACE "fieldsync-receipt"
/* How a receipt's lines start when a hub's hook sends it in `remote:` lines. */
#define FS_RECEIPT_MARKER "fieldsync-receipt: "

typedef struct fs_receipt fs_receipt;

/* The hub's side: append a receipt for `city` at `head`, at `when`, signed with `key`. */
int fs_receipt_issue(fs_buf *out, const fs_key *key, const char *hub_name, const char *city,
		     const git_oid *head, int64_t when);

/*
 * Parse the receipt `text` (`len` bytes, NUL-terminated) and check that one
 * of `keys` (`n` keys of FS_KEY_PUBLIC_BYTES, one after the other) signed
 * it. FS_EVERIFY when the signature does not hold, FS_EREFUSED when it
 * holds but the key is none of `keys` (another hub's receipt, or a forgery),
 * FS_EINVALID when it is not a receipt. Messages start with `what`.
 */
int fs_receipt_parse(fs_receipt **out, const char *text, size_t len,
		     const unsigned char *keys, size_t n, const char *what);

const char *fs_receipt_hub(const fs_receipt *r);
const char *fs_receipt_city(const fs_receipt *r);
const git_oid *fs_receipt_head(const fs_receipt *r);
int64_t fs_receipt_time(const fs_receipt *r);
const unsigned char *fs_receipt_hub_key(const fs_receipt *r);
/* The whole file, signature included (borrowed). */
const char *fs_receipt_text(const fs_receipt *r, size_t *len);
void fs_receipt_free(fs_receipt *r);

/* Hears each *.receipt file of a folder: its path and bytes. Non-zero stops. */
typedef int (*fs_receipt_file_cb)(const char *path, const fs_buf *text, void *payload);

/* Each *.receipt file in `dir`, in name order. FS_ENOTFOUND when `dir` is not there. */
int fs_receipt_each_file(const char *dir, fs_receipt_file_cb cb, void *payload);

/*
 * The node's side. The hub keys the node trusts: the one pinned for each
 * remote (remote.<name>.fieldsyncHubKey) and each fieldsync.hubKey (a hub
 * the city only meets by bundle), appended to `keys`.
 */
int fs_receipt_node_keys(fs_buf *keys, const fs_node *node);

/* Trust `pk` for receipts from now on (fieldsync.hubKey), unless it is already. */
int fs_receipt_trust_key(const fs_node *node, const unsigned char pk[FS_KEY_PUBLIC_BYTES]);

/* Where the node keeps its receipts: <private dir>/receipts. */
int fs_receipt_dir(fs_buf *out, const fs_node *node);

/*
 * Keep `r` (already verified) in the node's receipts folder as
 * <city>-<time>-<head>-<hub key, 8 hex>.receipt, durably (temporary file, fsync, rename,
 * fsync of the folder); its path goes to `path` when not NULL. FS_EREFUSED,
 * and nothing written, when it is for another city or names a commit that
 * is not in the node's history.
 */
int fs_receipt_keep(const fs_node *node, const fs_receipt *r, fs_buf *path);

#endif
