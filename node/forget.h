/*
 * forget.h - erasing a person: crypto-shredding with a signed record of it
 *
 * `fs_person_forget` destroys the person's key in the keystore, then commits
 * an erasure record (schema erasure/1) naming the pseudonym and the ids of
 * the keys destroyed. No history is rewritten: every signature still
 * verifies, and every copy keeps ciphertext that nothing can open any more.
 * The erasure records are also what keeps a backup of the keystore made
 * before the erasure from bringing the key back (fs_keystore_import).
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
 * Forget `person` (a pseudonym): destroy its key, commit an erasure record.
 * The keys destroyed are the keystore's and every key id the person's
 * service records name (so a forget cut short after the key went and before
 * the commit is finished by running it again). FS_EUNCHANGED when an erasure
 * already covers them all; FS_ENOTFOUND when the node knows no such person.
 * `*records` counts the person's service records at the head.
 */
int fs_person_forget(fs_node *node, const char *person, char erasure_id[FS_ID_BYTES],
		     size_t *records, size_t *keys);

#endif
