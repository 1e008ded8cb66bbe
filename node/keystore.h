/*
 * keystore.h - the node's secrets about people, kept outside git
 *
 * A service record names its person by a pseudonym and keeps what identifies
 * the person in a "protected" part encrypted with a key of that person's own.
 * Those keys, and the city secret the pseudonyms are derived with, live here:
 *
 *   <node>/.fieldsync/keystore/master         the keystore key and the city
 *                                             secret, sealed under Argon2id
 *                                             of the keystore passphrase
 *   <node>/.fieldsync/keystore/people/<pid>   one person's key id and key,
 *                                             sealed under the keystore key
 *
 * Destroying a person's file is crypto-shredding: every copy of the history
 * keeps the ciphertext, none can open it again. The passphrase is mandatory:
 * a stolen disk gives neither the keys nor a way to link pseudonyms to local
 * ids. File formats and what is promised: docs/privacy.md.
 */
#ifndef FS_KEYSTORE_H
#define FS_KEYSTORE_H

#include <stddef.h>

#define FS_PERSON_BYTES 16                       /* a pseudonym, raw */
#define FS_PERSON_HEX_BYTES (2 * FS_PERSON_BYTES + 1)
#define FS_KID_BYTES 16                          /* a person key's id, raw */
#define FS_KID_HEX_BYTES (2 * FS_KID_BYTES + 1)
#define FS_PERSON_KEY_BYTES 32                   /* XChaCha20-Poly1305 */
#define FS_LOCAL_ID_MAX 256                      /* bytes of a city's local id */

typedef struct fs_keystore fs_keystore;

/* Is there a keystore in the node's private folder? */
int fs_keystore_exists(const char *private_dir);

/*
 * Make the keystore of city `city` in `private_dir`: a new random keystore
 * key and city secret. FS_EEXISTS if there is one, FS_EKEY for an empty
 * passphrase.
 */
int fs_keystore_init(const char *private_dir, const char *city, const char *passphrase);

/*
 * Open it. FS_ENOTFOUND when the node has none; FS_EKEY for a missing or
 * wrong passphrase, a damaged file, or a keystore of another city.
 */
int fs_keystore_open(fs_keystore **out, const char *private_dir, const char *city,
		     const char *passphrase);

void fs_keystore_free(fs_keystore *ks);

/*
 * The pseudonym of a person the city knows as `local_id` (its case number,
 * say): keyed BLAKE2b of the local id under the city secret, in lower-case hex.
 * FS_EINVALID for an empty id, one over FS_LOCAL_ID_MAX bytes, or one with
 * control characters.
 */
int fs_keystore_pseudonym(const fs_keystore *ks, char out[FS_PERSON_HEX_BYTES],
			  const char *local_id);

/*
 * The key of person `person` (32 hex digits) and its id. With `create`, a
 * person without one gets a new key, kept in memory until fs_keystore_flush.
 * FS_ENOTFOUND when there is none (never made, forgotten, or lost).
 */
int fs_keystore_person_key(fs_keystore *ks, const char *person, int create,
			   char kid[FS_KID_HEX_BYTES], unsigned char key[FS_PERSON_KEY_BYTES]);

/*
 * Write the keys made since the last flush, each durably (fsync, rename,
 * fsync of the folder). A commit that uses a key runs this first, so no
 * acknowledged ciphertext is ever without its key.
 */
int fs_keystore_flush(fs_keystore *ks);

/* Does `person` have a key file (readable or not) or a key waiting for the flush? */
int fs_keystore_has_key(const fs_keystore *ks, const char *person);

/*
 * Destroy the key of `person`: its file is overwritten, synced, removed.
 * `kid` gets the id of the key destroyed, or "" when there was none.
 */
int fs_keystore_forget(fs_keystore *ks, const char *person, char kid[FS_KID_HEX_BYTES]);

/*
 * A backup of everything (city secret and every person's key) sealed under
 * Argon2id of `passphrase`, for a node whose disk dies. FS_EEXISTS if `path`
 * exists.
 */
int fs_keystore_export(const fs_keystore *ks, const char *path, const char *passphrase);

/* Called for each person key of a backup; non-zero: leave it out. */
typedef int (*fs_keystore_skip_cb)(const char *person, const char *kid, void *payload);

/*
 * Make the keystore of `private_dir` from a backup: the city must be
 * `city`, and there must be no keystore yet (FS_EEXISTS). `skip` may leave
 * keys out (the ones a signed erasure record says were destroyed). Nothing
 * is written unless the whole backup opens. `*restored` and `*skipped` count
 * person keys.
 */
int fs_keystore_import(const char *private_dir, const char *city, const char *path,
		       const char *backup_passphrase, const char *passphrase,
		       fs_keystore_skip_cb skip, void *payload, size_t *restored, size_t *skipped);

#endif
