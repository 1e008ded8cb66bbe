/*
 * pwhash.h - keys stretched from a passphrase, with their limits on disk
 *
 * The node key file, the keystore and its backups all seal a secret under
 * Argon2id of a passphrase. Each stores the same 32-byte block: opslimit and
 * memlimit (little-endian, 8 bytes each) and a 16-byte salt, so a file made
 * with today's limits still opens when the defaults change.
 */
#ifndef FS_PWHASH_H
#define FS_PWHASH_H

#include <stddef.h>

#define FS_PWHASH_PARAMS_BYTES 32 /* opslimit 8, memlimit 8, salt 16 */
#define FS_PWHASH_KEY_BYTES 32    /* an XChaCha20-Poly1305 key */

/* Fresh parameters: libsodium's interactive limits (64 MiB) and a random salt. */
void fs_pwhash_params_new(unsigned char params[FS_PWHASH_PARAMS_BYTES]);

/*
 * The key for `passphrase` under `params`. Limits outside libsodium's
 * MIN..SENSITIVE range are FS_EKEY "<what>: damaged (bad Argon2id limits)",
 * so a damaged or hostile file cannot ask for absurd work.
 */
int fs_pwhash_key(unsigned char key[FS_PWHASH_KEY_BYTES], const char *passphrase,
		  const unsigned char params[FS_PWHASH_PARAMS_BYTES], const char *what);

void fs_put64(unsigned char *p, unsigned long long v);
unsigned long long fs_get64(const unsigned char *p);

#endif
