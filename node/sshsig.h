/*
 * sshsig.h - OpenSSH's signature format (SSHSIG) and public keys
 *
 * Git signs commits with SSH keys by putting an armored SSHSIG blob in the
 * commit's "gpgsig" header (gpg.format=ssh). Writing exactly that format with
 * libsodium makes stock `git verify-commit` and `ssh-keygen -Y verify` accept
 * our commits, and lets us verify theirs without forking ssh-keygen.
 * Only ssh-ed25519 keys and the sha512 hash are supported.
 */
#ifndef FS_SSHSIG_H
#define FS_SSHSIG_H

#include <stddef.h>

#include "node/key.h"
#include "util/buf.h"

/* The parts of a parsed signature. */
typedef struct {
	unsigned char public_key[FS_KEY_PUBLIC_BYTES];
	unsigned char signature[FS_KEY_SIGNATURE_BYTES];
	char namespace_[64]; /* e.g. "git" */
	char hash[16];       /* "sha512" or "sha256" */
} fs_sshsig;

/*
 * Sign `data` in `namespace_` (git uses "git") and append the armored
 * signature ("-----BEGIN SSH SIGNATURE-----" ... "-----END SSH SIGNATURE-----\n")
 * to `out`.
 */
int fs_sshsig_sign(fs_buf *out, const fs_key *key, const char *namespace_,
		   const void *data, size_t len);

/*
 * Parse an armored signature. FS_EINVALID with a message saying what is wrong
 * (armor, version, key type, lengths, trailing bytes).
 */
int fs_sshsig_parse(fs_sshsig *out, const char *armored, size_t len);

/*
 * Check a parsed signature over `data`: the namespace must equal
 * `namespace_` and the Ed25519 signature must hold for the key inside it.
 * 0 if good, FS_EVERIFY if not. Which keys to trust is the caller's
 * business (compare sig->public_key).
 */
int fs_sshsig_check(const fs_sshsig *sig, const char *namespace_, const void *data, size_t len);

/* Parse + check in one call; the signer's key goes to `public_key` if not NULL. */
int fs_sshsig_verify(const char *armored, size_t armored_len, const char *namespace_,
		     const void *data, size_t len,
		     unsigned char public_key[FS_KEY_PUBLIC_BYTES]);

/*
 * A signed text file (an audit checkpoint, a hub's receipt): lines of text,
 * then the armored signature over every byte before it, so that
 * `ssh-keygen -Y verify -n NAMESPACE -s FILE < TEXT` checks it once the two
 * are cut apart at the armor line.
 */

/* Append the armored signature of all of `text` (in `namespace_`) to it. */
int fs_sshsig_text_sign(fs_buf *text, const fs_key *key, const char *namespace_);

/*
 * Check the signed text `file` (`len` bytes, NUL-terminated): the length of
 * the text before the signature goes to `*text_len`, the signer's key to
 * `public_key` (not NULL). FS_EINVALID when there is no signature block,
 * FS_EVERIFY when it does not hold. Which signer to trust is the caller's.
 */
int fs_sshsig_text_verify(size_t *text_len, const char *file, size_t len,
			  const char *namespace_, unsigned char public_key[FS_KEY_PUBLIC_BYTES]);

/* Append "ssh-ed25519 AAAA...[ comment]" (OpenSSH one-line public key form). */
int fs_ssh_pubkey_format(fs_buf *out, const unsigned char pk[FS_KEY_PUBLIC_BYTES],
			 const char *comment);

/* Append the key's wire form (string "ssh-ed25519", string key), as ssh sends it. */
int fs_ssh_pubkey_blob(fs_buf *out, const unsigned char pk[FS_KEY_PUBLIC_BYTES]);

/* Parse "ssh-ed25519 AAAA... [comment]" (leading/trailing blanks allowed). */
int fs_ssh_pubkey_parse(unsigned char pk[FS_KEY_PUBLIC_BYTES], const char *text);

/* "SHA256:<base64, no padding>", as ssh-keygen -l prints fingerprints. */
int fs_ssh_pubkey_fingerprint(fs_buf *out, const unsigned char pk[FS_KEY_PUBLIC_BYTES]);

#endif
