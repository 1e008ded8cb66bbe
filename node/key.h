/*
 * key.h - the node's Ed25519 key pair
 *
 * The secret stays in memory that libsodium guards (sodium_malloc) and is
 * wiped on free. On disk the secret key file lives beside the repository,
 * never in it, mode 0600; a file that group or others can read is refused.
 * With a passphrase the seed is sealed with XChaCha20-Poly1305 under a key
 * stretched by Argon2id. File format: docs/keys.md.
 */
#ifndef FS_KEY_H
#define FS_KEY_H

#include <stddef.h>

#include "util/buf.h"

#define FS_KEY_PUBLIC_BYTES 32
#define FS_KEY_SEED_BYTES 32
#define FS_KEY_SIGNATURE_BYTES 64

typedef struct fs_key fs_key;

/* A new random key pair. */
int fs_key_generate(fs_key **out);

/*
 * Write the secret key to `path` (created 0600, atomically; an existing file
 * is FS_EEXISTS). `passphrase` NULL or "" stores the seed unencrypted.
 */
int fs_key_save(const fs_key *key, const char *path, const char *passphrase);

/*
 * Load the secret key at `path`. FS_EKEY with a message for: a missing or
 * unreadable file, a mode that lets group or others read it, a damaged file,
 * a passphrase that is needed and missing, or a wrong passphrase.
 */
int fs_key_load(fs_key **out, const char *path, const char *passphrase);

/* Does the key file at `path` need a passphrase? 1 yes, 0 no, <0 error. */
int fs_key_file_encrypted(const char *path);

const unsigned char *fs_key_public(const fs_key *key); /* FS_KEY_PUBLIC_BYTES, borrowed */

/* Ed25519 signature of `msg`. */
int fs_key_sign(const fs_key *key, unsigned char sig[FS_KEY_SIGNATURE_BYTES],
		const unsigned char *msg, size_t len);

void fs_key_free(fs_key *key);

#endif
