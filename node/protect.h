/*
 * protect.h - the encrypted "protected" part of a service record
 *
 * What identifies a person (a name, a phone number, a note) never enters git
 * readable. It is sealed with XChaCha20-Poly1305 under the person's own key
 * from the keystore and stored as
 *   {"v": 1, "kid": <key id, hex>, "nonce": <base64>, "ct": <base64>}
 * The plaintext is the canonical JSON of an object, padded to a multiple of
 * FS_PROTECT_PAD bytes so its length says little about a name's. The city,
 * the record id and the person are bound as associated data: ciphertext
 * moved to another record or another person does not open.
 */
#ifndef FS_PROTECT_H
#define FS_PROTECT_H

#include <cjson/cJSON.h>

#include "node/keystore.h"

#define FS_PROTECT_PAD 64
#define FS_PROTECT_MAX_BYTES (60 * 1024) /* the plaintext, in canonical JSON */

/* Is `v` the sealed form ({"v", "kid", "nonce", "ct"} and nothing else)? */
int fs_protect_is_sealed(const cJSON *v);

/*
 * Seal the object `plain` for record `id` of `city` about `person`. The
 * person gets a key if it has none (kept by the keystore until its flush).
 * FS_EINVALID for a plaintext that is not an object or is over the limit.
 */
int fs_protect_seal(cJSON **out, fs_keystore *ks, const char *city, const char *id,
		    const char *person, const cJSON *plain);

/*
 * Open a sealed part: the object it holds. FS_ENOTFOUND when the keystore
 * has no key of that id for the person (forgotten or lost); FS_EVERIFY when
 * it does not open (altered, or moved from another record).
 */
int fs_protect_open(cJSON **out, fs_keystore *ks, const char *city, const char *id,
		    const char *person, const cJSON *sealed);

#endif
