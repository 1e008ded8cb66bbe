/*
 * forget.h - erasing a person: crypto-shredding with a signed record of it
 *
 * `fs_person_forget` commits an erasure record (schema erasure/1) naming
 * the pseudonym and the ids of the person's keys, then destroys the key in
 * the keystore. No history is rewritten: every signature still verifies,
 * and every copy keeps ciphertext that nothing can open any more. The
 * erasure records are also what keeps a backup of the keystore made before
 * the erasure from bringing the key back (fs_keystore_import), and what
 * keeps a key restored from before it unused (show).
 */
#ifndef FS_FORGET_H
#define FS_FORGET_H

#include "node/id.h"
#include "node/keystore.h"
#include "node/node.h"
#include "util/buf.h"

typedef struct fs_erasures fs_erasures;

/* Every erasure record of the node's head. */
int fs_erasures_load(fs_erasures **out, const fs_node *node);

/*
 * The erasure record that destroyed key `kid` of `person` (its id and time,
 * borrowed), or NULL. `kid` NULL: any erasure of the person.
 */
const char *fs_erasures_find(const fs_erasures *e, const char *person, const char *kid,
			     const char **created);

void fs_erasures_free(fs_erasures *e);

/*
 * Forget `person` (a pseudonym): commit an erasure record, then destroy its
 * key. The keys recorded are the keystore's and every key id the person's
 * service records name, less those an erasure already names. A rerun after
 * a kill between the two steps, or after an old keystore came back, finds
 * the key file and destroys it (`*keys` 1, `erasure_id` the earlier
 * erasure). FS_EUNCHANGED when an erasure covers every key and no key file
 * is left; FS_ENOTFOUND when the node knows no such person. `*records`
 * counts the person's service records at the head.
 */
int fs_person_forget(fs_node *node, const char *person, char erasure_id[FS_ID_BYTES],
		     size_t *records, size_t *keys);

#endif
