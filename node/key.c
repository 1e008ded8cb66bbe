#include "node/key.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "node/pwhash.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"

/*
 * The secret key file (docs/keys.md), 152 bytes:
 *   0   8  magic "FSKEY01\n"
 *   8   1  kdf: 0 none, 1 Argon2id (crypto_pwhash_ALG_ARGON2ID13)
 *   9   7  zero
 *  16   8  opslimit, little-endian
 *  24   8  memlimit, little-endian
 *  32  16  salt
 *  48  24  nonce
 *  72  32  public key
 * 104  48  the 32-byte seed sealed with XChaCha20-Poly1305 (key from Argon2id,
 *          bytes 0-103 as associated data); with kdf 0, the seed and 16 zeros
 */
#define MAGIC "FSKEY01\n"
#define OFF_KDF 8
#define OFF_OPS 16
#define OFF_NONCE 48
#define OFF_PK 72
#define OFF_SEED 104
#define FILE_BYTES 152
#define KDF_NONE 0
#define KDF_ARGON2ID 1

struct fs_key {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

static fs_key *key_alloc(void)
{
	fs_key *key;

	if (sodium_init() < 0) {
		fs_error_set(FS_ERROR, "libsodium cannot start");
		return NULL;
	}
	/* guarded pages: no swap, no neighbour overflow into the secret */
	key = sodium_malloc(sizeof(*key));
	if (!key)
		fs_error_set(FS_ENOMEM, "out of memory for the key");
	return key;
}

void fs_key_free(fs_key *key)
{
	sodium_free(key); /* wipes, and accepts NULL */
}

int fs_key_generate(fs_key **out)
{
	fs_key *key = key_alloc();

	*out = NULL;
	if (!key)
		return fs_error_last()->code;
	crypto_sign_keypair(key->pk, key->sk);
	*out = key;
	return 0;
}

const unsigned char *fs_key_public(const fs_key *key)
{
	return key->pk;
}

int fs_key_sign(const fs_key *key, unsigned char sig[FS_KEY_SIGNATURE_BYTES],
		const unsigned char *msg, size_t len)
{
	if (crypto_sign_detached(sig, NULL, msg, len, key->sk) != 0)
		return fs_error_set(FS_ERROR, "signing failed");
	return 0;
}

int fs_key_save(const fs_key *key, const char *path, const char *passphrase)
{
	unsigned char file[FILE_BYTES], k[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	int rc = 0, fd;

	memset(file, 0, sizeof(file));
	memcpy(file, MAGIC, 8);
	memcpy(file + OFF_PK, key->pk, FS_KEY_PUBLIC_BYTES);
	if (passphrase && *passphrase) {
		file[OFF_KDF] = KDF_ARGON2ID;
		fs_pwhash_params_new(file + OFF_OPS);
		randombytes_buf(file + OFF_NONCE, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
		if ((rc = fs_pwhash_key(k, passphrase, file + OFF_OPS, _("key"))) < 0)
			goto done;
		/* the seed is the first half of libsodium's secret key */
		crypto_aead_xchacha20poly1305_ietf_encrypt(file + OFF_SEED, NULL, key->sk,
							   FS_KEY_SEED_BYTES, file, OFF_SEED, NULL,
							   file + OFF_NONCE, k);
	} else {
		file[OFF_KDF] = KDF_NONE;
		memcpy(file + OFF_SEED, key->sk, FS_KEY_SEED_BYTES);
	}
	/* refuse to replace a key: it may be the only copy of a node's identity */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno == EEXIST ? fs_error_set(FS_EEXISTS, "key '%s': already exists", path)
				     : fs_error_os("key '%s'", path);
		goto done;
	}
	close(fd);
	if ((rc = fs_file_write_atomic(path, file, sizeof(file), 0600)) < 0)
		unlink(path);
done:
	sodium_memzero(file, sizeof(file));
	sodium_memzero(k, sizeof(k));
	return rc;
}

static int zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	while (n--)
		acc |= *p++;
	return acc == 0;
}

static int read_key_file(unsigned char file[FILE_BYTES], const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, rc = 0;
	unsigned char extra;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return fs_error_set(FS_EKEY, "key '%s': missing (the node cannot sign without "
					    "it; restore it from a backup)", path);
		return fs_error_set(FS_EKEY, "key '%s': cannot open: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = fs_error_set(FS_EKEY, "key '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fs_error_set(FS_EKEY, "key '%s': not a regular file", path);
		goto done;
	}
	if (st.st_mode & 077) {
		rc = fs_error_set(FS_EKEY, "key '%s': mode %04o lets others read the secret key; "
				  "run: chmod 600 '%s'", path, (unsigned)(st.st_mode & 07777), path);
		goto done;
	}
	n = read(fd, file, FILE_BYTES);
	if (n < 0) {
		rc = fs_error_set(FS_EKEY, "key '%s': cannot read: %s", path, strerror(errno));
		goto done;
	}
	if (n != FILE_BYTES || read(fd, &extra, 1) != 0 || memcmp(file, MAGIC, 8) != 0) {
		rc = fs_error_set(FS_EKEY, "key '%s': damaged (not a fieldsync key file of %d bytes)",
				  path, FILE_BYTES);
		goto done;
	}
done:
	close(fd);
	return rc;
}

int fs_key_file_encrypted(const char *path)
{
	unsigned char file[FILE_BYTES];
	int rc = read_key_file(file, path);

	if (rc == 0)
		rc = file[OFF_KDF] == KDF_ARGON2ID;
	sodium_memzero(file, sizeof(file));
	return rc;
}

int fs_key_load(fs_key **out, const char *path, const char *passphrase)
{
	unsigned char file[FILE_BYTES], k[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned char seed[FS_KEY_SEED_BYTES];
	fs_key *key = NULL;
	int rc;

	*out = NULL;
	if ((rc = read_key_file(file, path)) < 0)
		goto done;
	if (!zero(file + 9, OFF_OPS - 9) ||
	    (file[OFF_KDF] == KDF_NONE && (!zero(file + OFF_OPS, OFF_PK - OFF_OPS) ||
					   !zero(file + OFF_SEED + 32, 16)))) {
		rc = fs_error_set(FS_EKEY, "key '%s': damaged (bytes that must be zero are not)", path);
		goto done;
	}
	if (file[OFF_KDF] == KDF_NONE) {
		memcpy(seed, file + OFF_SEED, sizeof(seed));
	} else if (file[OFF_KDF] == KDF_ARGON2ID) {
		if (!passphrase || !*passphrase) {
			rc = fs_error_set(FS_EKEY, "key '%s': protected by a passphrase; set "
					  "FIELDSYNC_PASSPHRASE or run on a terminal", path);
			goto done;
		}
		fs_buf what = FS_BUF_INIT;
		fs_buf_printf(&what, "key '%s'", path);
		rc = fs_pwhash_key(k, passphrase, file + OFF_OPS, fs_buf_cstr(&what));
		fs_buf_dispose(&what);
		if (rc < 0)
			goto done;
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, file + OFF_SEED,
							       FS_KEY_SEED_BYTES + 16, file,
							       OFF_SEED, file + OFF_NONCE, k) != 0) {
			rc = fs_error_set(FS_EKEY, "key '%s': wrong passphrase (or a damaged file)",
					  path);
			goto done;
		}
	} else {
		rc = fs_error_set(FS_EKEY, "key '%s': damaged (unknown protection %d)", path,
				  file[OFF_KDF]);
		goto done;
	}
	if (!(key = key_alloc())) {
		rc = fs_error_last()->code;
		goto done;
	}
	crypto_sign_seed_keypair(key->pk, key->sk, seed);
	if (sodium_memcmp(key->pk, file + OFF_PK, FS_KEY_PUBLIC_BYTES) != 0) {
		rc = fs_error_set(FS_EKEY, "key '%s': damaged (the secret does not match the "
				  "public key)", path);
		goto done;
	}
	*out = key;
	key = NULL;
done:
	fs_key_free(key);
	sodium_memzero(file, sizeof(file));
	sodium_memzero(k, sizeof(k));
	sodium_memzero(seed, sizeof(seed));
	return rc;
}
