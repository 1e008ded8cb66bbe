#include "node/pwhash.h"

#include <string.h>

#include <sodium.h>

#include "util/error.h"

void fs_put64(unsigned char *p, unsigned long long v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

unsigned long long fs_get64(const unsigned char *p)
{
	unsigned long long v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void fs_pwhash_params_new(unsigned char params[FS_PWHASH_PARAMS_BYTES])
{
	fs_put64(params, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	fs_put64(params + 8, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	randombytes_buf(params + 16, crypto_pwhash_SALTBYTES);
}

int fs_pwhash_key(unsigned char key[FS_PWHASH_KEY_BYTES], const char *passphrase,
		  const unsigned char params[FS_PWHASH_PARAMS_BYTES], const char *what)
{
	unsigned long long ops = fs_get64(params), mem = fs_get64(params + 8);

	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return fs_error_set(FS_EKEY, "%s: damaged (bad Argon2id limits)", what);
	/* Argon2id aborts the process in a libsodium not yet initialised */
	if (sodium_init() < 0)
		return fs_error_set(FS_ERROR, "libsodium cannot start");
	if (crypto_pwhash(key, FS_PWHASH_KEY_BYTES, passphrase, strlen(passphrase), params + 16,
			  ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return fs_error_set(FS_ENOMEM, "not enough memory to stretch the passphrase "
				    "(Argon2id needs %llu MiB)", mem >> 20);
	return 0;
}
