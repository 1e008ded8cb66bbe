#include "node/keystore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "node/pwhash.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/i18n.h"

/*
 * master (144 bytes):
 *   0   8  magic "FSKS001\n"
 *   8  32  Argon2id limits and salt (node/pwhash.h)
 *  40  24  nonce
 *  64  80  keystore key (32) and city secret (32), sealed; AD: bytes 0-63, the city
 * people/<pid> (96 bytes):
 *   0   8  magic "FSKP001\n"
 *   8  24  nonce
 *  32  64  key id (16) and key (32), sealed under the keystore key; AD: the
 *          magic, the pseudonym, the city (a file renamed to another person
 *          or copied to another city does not open)
 * backup:
 *   0   8  magic "FSKB001\n"
 *   8  32  Argon2id limits and salt
 *  40  24  nonce
 *  64   -  sealed: count (8), city length (1), city, city secret (32), then
 *          count x (pseudonym 16, key id 16, key 32); AD: bytes 0-63
 */
#define AEAD_KEY crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define AEAD_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SECRET_BYTES 32
#define HEADER_BYTES 64 /* magic, limits, nonce */
#define MASTER_BYTES (HEADER_BYTES + AEAD_KEY + SECRET_BYTES + AEAD_TAG)
#define PERSON_PLAIN (FS_KID_BYTES + FS_PERSON_KEY_BYTES)
#define PERSON_FILE_BYTES (8 + AEAD_NONCE + PERSON_PLAIN + AEAD_TAG)
#define ENTRY_BYTES (FS_PERSON_BYTES + PERSON_PLAIN)
#define BACKUP_MAX (64u << 20)

typedef struct {
	char person[FS_PERSON_HEX_BYTES];
	unsigned char plain[PERSON_PLAIN]; /* key id, key */
} entry;

struct fs_keystore {
	char dir[PATH_MAX]; /* .../keystore */
	char city[65];
	unsigned char *secret; /* sodium_malloc: keystore key, then city secret */
	entry *pending;        /* sodium_malloc: keys made and not yet written */
	size_t npending, cap;
};

/* ---- small pieces ------------------------------------------------------- */

#define PATH_BYTES (PATH_MAX + 64)

/* dir/name; paths fieldsync builds stay far below PATH_MAX, and one that does not is refused */
static int path_of(char out[PATH_BYTES], const char *dir, const char *name)
{
	if ((size_t)snprintf(out, PATH_BYTES, "%s/%s", dir, name) >= PATH_BYTES)
		return fs_error_set(FS_EINVALID, "keystore: path too long");
	return 0;
}

static int keystore_dir(char out[PATH_MAX], const char *private_dir)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/keystore", private_dir) >= PATH_MAX)
		return fs_error_set(FS_EINVALID, "keystore: path too long");
	return 0;
}

static int person_check(const char *person)
{
	size_t i;

	for (i = 0; person[i]; i++)
		if (!((person[i] >= '0' && person[i] <= '9') || (person[i] >= 'a' && person[i] <= 'f')))
			break;
	if (i != 2 * FS_PERSON_BYTES || person[i])
		/* not echoed: what was typed may be a local id, which must not reach a log */
		return fs_error_set(FS_EINVALID, "person: expected a pseudonym of 32 lower-case hex "
				    "digits (as 'fieldsync person id' prints it; a local id goes "
				    "with --local)");
	return 0;
}

static void to_hex(char *out, const unsigned char *bin, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, bin, n);
}

/* The associated data of a person's file: magic, pseudonym, city. */
static size_t person_ad(unsigned char *ad, const char *person, const char *city)
{
	size_t n = 0;

	memcpy(ad, "FSKP001\n", 8);
	n = 8;
	memcpy(ad + n, person, 2 * FS_PERSON_BYTES);
	n += 2 * FS_PERSON_BYTES;
	memcpy(ad + n, city, strlen(city));
	return n + strlen(city);
}

static int read_exact(const char *path, unsigned char *buf, size_t len, const char *what)
{
	unsigned char extra;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? FS_ENOTFOUND : fs_error_os("%s: cannot open", what);
	n = read(fd, buf, len);
	if (n < 0)
		rc = fs_error_os("%s: cannot read", what);
	else if ((size_t)n != len || read(fd, &extra, 1) != 0)
		rc = fs_error_set(FS_EKEY, "%s: damaged (not %zu bytes)", what, len);
	close(fd);
	return rc;
}

static fs_keystore *keystore_alloc(const char *dir, const char *city)
{
	fs_keystore *ks;

	if (sodium_init() < 0) {
		fs_error_set(FS_ERROR, "libsodium cannot start");
		return NULL;
	}
	ks = fs_calloc(1, sizeof(*ks));
	if (!ks || !(ks->secret = sodium_malloc(AEAD_KEY + SECRET_BYTES))) {
		fs_free(ks);
		fs_error_set(FS_ENOMEM, "out of memory for the keystore");
		return NULL;
	}
	snprintf(ks->dir, sizeof(ks->dir), "%s", dir);
	snprintf(ks->city, sizeof(ks->city), "%s", city);
	return ks;
}

void fs_keystore_free(fs_keystore *ks)
{
	if (!ks)
		return;
	sodium_free(ks->secret);
	sodium_free(ks->pending);
	fs_free(ks);
}

int fs_keystore_exists(const char *private_dir)
{
	char dir[PATH_MAX], path[PATH_BYTES];

	if (keystore_dir(dir, private_dir) < 0)
		return 0;
	return path_of(path, dir, "master") == 0 && fs_file_exists(path);
}

/* ---- writing a keystore folder --------------------------------------------- */

static int write_master(const fs_keystore *ks, const char *dir, const char *passphrase)
{
	unsigned char file[MASTER_BYTES], k[FS_PWHASH_KEY_BYTES], ad[HEADER_BYTES + 64];
	char path[PATH_BYTES];
	int rc;

	memcpy(file, "FSKS001\n", 8);
	fs_pwhash_params_new(file + 8);
	randombytes_buf(file + 40, AEAD_NONCE);
	if ((rc = fs_pwhash_key(k, passphrase, file + 8, _("keystore"))) < 0)
		goto done;
	memcpy(ad, file, HEADER_BYTES);
	memcpy(ad + HEADER_BYTES, ks->city, strlen(ks->city));
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + HEADER_BYTES, NULL, ks->secret,
						   AEAD_KEY + SECRET_BYTES, ad,
						   HEADER_BYTES + strlen(ks->city), NULL, file + 40, k);
	if ((rc = path_of(path, dir, "master")) == 0)
		rc = fs_file_write_atomic(path, file, sizeof(file), 0600);
done:
	sodium_memzero(k, sizeof(k));
	return rc;
}

static int write_person(const fs_keystore *ks, const char *dir, const entry *e)
{
	unsigned char file[PERSON_FILE_BYTES], ad[8 + 2 * FS_PERSON_BYTES + 64];
	char path[PATH_BYTES], name[PATH_BYTES];
	size_t adlen = person_ad(ad, e->person, ks->city);
	int rc;

	memcpy(file, "FSKP001\n", 8);
	randombytes_buf(file + 8, AEAD_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + 8 + AEAD_NONCE, NULL, e->plain,
						   PERSON_PLAIN, ad, adlen, NULL, file + 8,
						   ks->secret);
	snprintf(name, sizeof(name), "people/%s", e->person);
	if ((rc = path_of(path, dir, name)) < 0)
		return rc;
	return fs_file_write_atomic(path, file, sizeof(file), 0600);
}

/*
 * A whole new keystore folder, made beside the final one and renamed into
 * place, so a crash leaves either no keystore or a complete one.
 */
static int write_new(const fs_keystore *ks, const char *passphrase, const entry *v, size_t n)
{
	char tmp[PATH_BYTES], people[PATH_BYTES];
	int rc;

	if (fs_file_exists(ks->dir))
		return fs_error_set(FS_EEXISTS, "keystore '%s': already exists", ks->dir);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", ks->dir) >= sizeof(tmp) ||
	    (rc = path_of(people, tmp, "people")) < 0)
		return fs_error_set(FS_EINVALID, "keystore: path too long");
	/* debris of an earlier try that was cut short holds nothing yet in use */
	if ((rc = fs_file_remove_tree(tmp)) < 0 || (rc = fs_file_mkdir_p(people, 0700)) < 0 ||
	    (rc = write_master(ks, tmp, passphrase)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if ((rc = write_person(ks, tmp, &v[i])) < 0)
			goto done;
	if (rename(tmp, ks->dir) < 0) {
		rc = fs_error_os("keystore '%s'", ks->dir);
		goto done;
	}
	rc = fs_file_sync_dir(ks->dir);
done:
	if (rc < 0)
		fs_file_remove_tree(tmp);
	return rc;
}

int fs_keystore_init(const char *private_dir, const char *city, const char *passphrase)
{
	char dir[PATH_MAX];
	fs_keystore *ks = NULL;
	int rc;

	if (!passphrase || !*passphrase)
		return fs_error_set(FS_EKEY, "keystore: a passphrase is needed (it is what keeps "
				    "the keys of people from whoever takes the disk)");
	if ((rc = keystore_dir(dir, private_dir)) < 0)
		return rc;
	if (!(ks = keystore_alloc(dir, city)))
		return fs_error_last()->code;
	randombytes_buf(ks->secret, AEAD_KEY + SECRET_BYTES);
	rc = write_new(ks, passphrase, NULL, 0);
	fs_keystore_free(ks);
	return rc;
}

/* ---- opening ------------------------------------------------------------ */

int fs_keystore_open(fs_keystore **out, const char *private_dir, const char *city,
		     const char *passphrase)
{
	unsigned char file[MASTER_BYTES], k[FS_PWHASH_KEY_BYTES], ad[HEADER_BYTES + 64];
	char dir[PATH_MAX], path[PATH_BYTES];
	fs_keystore *ks = NULL;
	int rc;

	*out = NULL;
	if ((rc = keystore_dir(dir, private_dir)) < 0)
		return rc;
	if ((rc = path_of(path, dir, "master")) < 0)
		return rc;
	if ((rc = read_exact(path, file, sizeof(file), _("keystore"))) == FS_ENOTFOUND)
		rc = fs_error_set(FS_ENOTFOUND, "keystore: this node has none (make it with "
				  "'fieldsync keystore init', or restore a backup with "
				  "'fieldsync keystore import')");
	if (rc < 0)
		goto done;
	if (memcmp(file, "FSKS001\n", 8) != 0) {
		rc = fs_error_set(FS_EKEY, "keystore '%s': damaged (not a fieldsync keystore)", path);
		goto done;
	}
	if (!passphrase || !*passphrase) {
		rc = fs_error_set(FS_EKEY, "keystore: locked by a passphrase; set "
				  "FIELDSYNC_KEYSTORE_PASSPHRASE or run on a terminal");
		goto done;
	}
	if (!(ks = keystore_alloc(dir, city))) {
		rc = fs_error_last()->code;
		goto done;
	}
	if ((rc = fs_pwhash_key(k, passphrase, file + 8, _("keystore"))) < 0)
		goto done;
	memcpy(ad, file, HEADER_BYTES);
	memcpy(ad + HEADER_BYTES, city, strlen(city));
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(ks->secret, NULL, NULL, file + HEADER_BYTES,
						       AEAD_KEY + SECRET_BYTES + AEAD_TAG, ad,
						       HEADER_BYTES + strlen(city), file + 40, k) != 0) {
		rc = fs_error_set(FS_EKEY, "keystore: wrong passphrase (or a damaged keystore, or "
				  "one of another city)");
		goto done;
	}
	*out = ks;
	ks = NULL;
done:
	fs_keystore_free(ks);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(file, sizeof(file));
	return rc;
}

/* ---- people ----------------------------------------------------------------- */

int fs_keystore_pseudonym(const fs_keystore *ks, char out[FS_PERSON_HEX_BYTES],
			  const char *local_id)
{
	unsigned char h[FS_PERSON_BYTES];
	crypto_generichash_state st;
	size_t n = strlen(local_id);

	out[0] = '\0';
	if (n == 0 || n > FS_LOCAL_ID_MAX)
		return fs_error_set(FS_EINVALID, "local id: expected 1 to %d bytes, found %zu",
				    FS_LOCAL_ID_MAX, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)local_id[i] < 0x20 || local_id[i] == 0x7f)
			return fs_error_set(FS_EINVALID, "local id: a control character at byte %zu",
					    i + 1);
	/* the city and a version in the input: a later scheme never collides with this one */
	crypto_generichash_init(&st, ks->secret + AEAD_KEY, SECRET_BYTES, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)"fieldsync person 1", 19);
	crypto_generichash_update(&st, (const unsigned char *)ks->city, strlen(ks->city) + 1);
	crypto_generichash_update(&st, (const unsigned char *)local_id, n);
	crypto_generichash_final(&st, h, sizeof(h));
	to_hex(out, h, sizeof(h));
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static entry *pending_find(const fs_keystore *ks, const char *person)
{
	for (size_t i = 0; i < ks->npending; i++)
		if (strcmp(ks->pending[i].person, person) == 0)
			return &ks->pending[i];
	return NULL;
}

static int read_person(const fs_keystore *ks, const char *person,
		       unsigned char plain[PERSON_PLAIN])
{
	unsigned char file[PERSON_FILE_BYTES], ad[8 + 2 * FS_PERSON_BYTES + 64];
	char path[PATH_BYTES], what[80];
	size_t adlen = person_ad(ad, person, ks->city);
	int rc;

	snprintf(what, sizeof(what), "people/%s", person);
	if ((rc = path_of(path, ks->dir, what)) < 0)
		return rc;
	snprintf(what, sizeof(what), _("keystore: person '%s'"), person);
	if ((rc = read_exact(path, file, sizeof(file), what)) < 0)
		return rc;
	/* zeros: a forget killed between overwriting and removing the file */
	if (sodium_is_zero(file, sizeof(file)))
		return fs_error_set(FS_ENOTFOUND, "%s: no key (destroyed)", what);
	if (memcmp(file, "FSKP001\n", 8) != 0 ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, file + 8 + AEAD_NONCE,
						       PERSON_PLAIN + AEAD_TAG, ad, adlen, file + 8,
						       ks->secret) != 0)
		return fs_error_set(FS_EKEY, "%s: damaged key file '%s' (restore the keystore from "
				    "a backup)", what, path);
	return 0;
}

static int pending_add(fs_keystore *ks, entry **out, const char *person)
{
	entry *e;

	if (ks->npending == ks->cap) {
		size_t cap = ks->cap ? 2 * ks->cap : 16;
		/* guarded memory for keys: grown by hand, sodium has no realloc */
		entry *v = sodium_allocarray(cap, sizeof(*v));
		if (!v)
			return fs_error_set(FS_ENOMEM, "out of memory for the keystore");
		if (ks->npending)
			memcpy(v, ks->pending, ks->npending * sizeof(*v));
		sodium_free(ks->pending);
		ks->pending = v;
		ks->cap = cap;
	}
	e = &ks->pending[ks->npending++];
	snprintf(e->person, sizeof(e->person), "%s", person);
	randombytes_buf(e->plain, sizeof(e->plain));
	*out = e;
	return 0;
}

int fs_keystore_person_key(fs_keystore *ks, const char *person, int create,
			   char kid[FS_KID_HEX_BYTES], unsigned char key[FS_PERSON_KEY_BYTES])
{
	unsigned char plain[PERSON_PLAIN];
	entry *e;
	int rc;

	kid[0] = '\0';
	if ((rc = person_check(person)) < 0)
		return rc;
	if ((e = pending_find(ks, person))) {
		memcpy(plain, e->plain, sizeof(plain));
	} else if ((rc = read_person(ks, person, plain)) == FS_ENOTFOUND) {
		if (!create) {
			rc = fs_error_set(FS_ENOTFOUND, "person '%s': no key in this keystore", person);
			goto done;
		}
		if ((rc = pending_add(ks, &e, person)) < 0)
			goto done;
		memcpy(plain, e->plain, sizeof(plain));
	} else if (rc < 0) {
		goto done;
	}
	to_hex(kid, plain, FS_KID_BYTES);
	memcpy(key, plain + FS_KID_BYTES, FS_PERSON_KEY_BYTES);
	rc = 0;
done:
	sodium_memzero(plain, sizeof(plain));
	return rc;
}

int fs_keystore_flush(fs_keystore *ks)
{
	char people[PATH_BYTES];
	int rc = 0;

	if (!ks || !ks->npending)
		return 0;
	for (size_t i = 0; i < ks->npending; i++)
		if ((rc = write_person(ks, ks->dir, &ks->pending[i])) < 0)
			return rc;
	if ((rc = path_of(people, ks->dir, "people/x")) < 0 || (rc = fs_file_sync_dir(people)) < 0)
		return rc;
	sodium_memzero(ks->pending, ks->npending * sizeof(*ks->pending));
	ks->npending = 0;
	return 0;
}

/* Overwrite, sync, remove: the sealed key does not stay in the file's blocks. */
static int shred(const char *path)
{
	unsigned char zeros[PERSON_FILE_BYTES] = { 0 };
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : fs_error_os("keystore: cannot open '%s'", path);
	/* all of it, should the file have grown (a key file is never over one block) */
	if (fstat(fd, &st) < 0)
		rc = fs_error_os("keystore: cannot read '%s'", path);
	for (off_t at = 0; rc == 0 && at < (st.st_size > 0 ? st.st_size : 1); at += sizeof(zeros))
		if (pwrite(fd, zeros, sizeof(zeros), at) != (ssize_t)sizeof(zeros))
			rc = fs_error_os("keystore: cannot overwrite '%s'", path);
	if (rc == 0 && fsync(fd) < 0)
		rc = fs_error_os("keystore: cannot overwrite '%s'", path);
	close(fd);
	if (rc == 0 && unlink(path) < 0)
		rc = fs_error_os("keystore: cannot remove '%s'", path);
	if (rc == 0)
		rc = fs_file_sync_dir(path);
	return rc;
}

int fs_keystore_has_key(const fs_keystore *ks, const char *person)
{
	char path[PATH_BYTES], name[64];

	snprintf(name, sizeof(name), "people/%s", person);
	return pending_find(ks, person) != NULL ||
	       (path_of(path, ks->dir, name) == 0 && fs_file_exists(path));
}

int fs_keystore_forget(fs_keystore *ks, const char *person, char kid[FS_KID_HEX_BYTES])
{
	unsigned char key[FS_PERSON_KEY_BYTES];
	char path[PATH_BYTES], name[64];
	entry *e;
	int rc;

	rc = fs_keystore_person_key(ks, person, 0, kid, key);
	sodium_memzero(key, sizeof(key));
	/* none, or a damaged file: the file goes all the same, forgetting must not need reading */
	if (rc == FS_ENOTFOUND || rc == FS_EKEY) {
		fs_error_clear();
		kid[0] = '\0';
	} else if (rc < 0) {
		return rc;
	}
	if ((e = pending_find(ks, person))) {
		*e = ks->pending[--ks->npending];
		sodium_memzero(&ks->pending[ks->npending], sizeof(*e));
	}
	snprintf(name, sizeof(name), "people/%s", person);
	if ((rc = path_of(path, ks->dir, name)) < 0)
		return rc;
	return shred(path);
}

/* ---- backups -------------------------------------------------------------- */

static int backup_header(unsigned char hdr[HEADER_BYTES], unsigned char k[FS_PWHASH_KEY_BYTES],
			 const char *passphrase)
{
	memcpy(hdr, "FSKB001\n", 8);
	fs_pwhash_params_new(hdr + 8);
	randombytes_buf(hdr + 40, AEAD_NONCE);
	return fs_pwhash_key(k, passphrase, hdr + 8, _("backup"));
}

static int is_person_name(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return i == 2 * FS_PERSON_BYTES;
}

int fs_keystore_export(const fs_keystore *ks, const char *path, const char *passphrase)
{
	unsigned char hdr[HEADER_BYTES], k[FS_PWHASH_KEY_BYTES];
	unsigned char *plain = NULL, *file = NULL;
	char people[PATH_BYTES];
	size_t count = 0, cap = 0, head, len;
	struct dirent *d;
	DIR *dp = NULL;
	int rc = 0;

	if (!passphrase || !*passphrase)
		return fs_error_set(FS_EKEY, "backup: a passphrase is needed");
	if ((rc = path_of(people, ks->dir, "people")) < 0)
		return rc;
	if (!(dp = opendir(people))) {
		rc = fs_error_os("keystore: cannot read '%s'", people);
		goto done;
	}
	head = 8 + 1 + strlen(ks->city) + SECRET_BYTES;
	cap = head + 64 * ENTRY_BYTES;
	if (!(plain = sodium_malloc(cap))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory for the backup");
		goto done;
	}
	while ((d = readdir(dp))) {
		entry e;
		if (!is_person_name(d->d_name))
			continue;
		if (head + (count + 1) * ENTRY_BYTES > cap) {
			unsigned char *p = sodium_malloc(2 * cap);
			if (!p) {
				rc = fs_error_set(FS_ENOMEM, "out of memory for the backup");
				goto done;
			}
			memcpy(p, plain, cap);
			sodium_free(plain);
			plain = p;
			cap *= 2;
		}
		memcpy(e.person, d->d_name, sizeof(e.person)); /* 32 hex digits and the NUL */
		rc = read_person(ks, e.person, e.plain);
		if (rc == 0) {
			unsigned char *at = plain + head + count * ENTRY_BYTES;
			sodium_hex2bin(at, FS_PERSON_BYTES, e.person, 2 * FS_PERSON_BYTES, NULL, NULL,
				       NULL);
			memcpy(at + FS_PERSON_BYTES, e.plain, PERSON_PLAIN);
			count++;
		} else if (rc == FS_ENOTFOUND) { /* destroyed, its file not yet removed */
			fs_error_clear();
			rc = 0;
		}
		sodium_memzero(&e, sizeof(e));
		if (rc < 0)
			goto done;
	}
	fs_put64(plain, count);
	plain[8] = (unsigned char)strlen(ks->city);
	memcpy(plain + 9, ks->city, strlen(ks->city));
	memcpy(plain + 9 + strlen(ks->city), ks->secret + AEAD_KEY, SECRET_BYTES);
	len = head + count * ENTRY_BYTES;
	if (len > BACKUP_MAX - HEADER_BYTES - AEAD_TAG) {
		rc = fs_error_set(FS_ETOOBIG, "backup: %zu keys, over the limit", count);
		goto done;
	}
	if ((rc = backup_header(hdr, k, passphrase)) < 0)
		goto done;
	if (!(file = fs_malloc(HEADER_BYTES + len + AEAD_TAG))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory for the backup");
		goto done;
	}
	memcpy(file, hdr, HEADER_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + HEADER_BYTES, NULL, plain, len, hdr,
						   HEADER_BYTES, NULL, hdr + 40, k);
	/* never over an older backup: it may be the only one */
	if ((rc = fs_file_write_new(path, file, HEADER_BYTES + len + AEAD_TAG, 0600)) < 0)
		rc = fs_error_prefix("backup");
done:
	if (dp)
		closedir(dp);
	sodium_free(plain);
	fs_free(file);
	sodium_memzero(k, sizeof(k));
	return rc;
}

int fs_keystore_import(const char *private_dir, const char *city, const char *path,
		       const char *backup_passphrase, const char *passphrase,
		       fs_keystore_skip_cb skip, void *payload, size_t *restored, size_t *skipped)
{
	unsigned char k[FS_PWHASH_KEY_BYTES], *plain = NULL;
	char dir[PATH_MAX], what[PATH_MAX + 16];
	unsigned long long count;
	fs_buf file = FS_BUF_INIT;
	fs_keystore *ks = NULL;
	entry *v = NULL;
	size_t len, clen, n = 0, at;
	int rc;

	*restored = *skipped = 0;
	snprintf(what, sizeof(what), "backup '%s'", path);
	if (!passphrase || !*passphrase || !backup_passphrase || !*backup_passphrase)
		return fs_error_set(FS_EKEY, "%s: a passphrase is needed for the backup and one "
				    "for the new keystore", what);
	if ((rc = keystore_dir(dir, private_dir)) < 0)
		return rc;
	if (fs_keystore_exists(private_dir))
		return fs_error_set(FS_EEXISTS, "keystore: this node has one already; a backup is "
				    "restored only into a node without one");
	if ((rc = fs_file_read(&file, path, BACKUP_MAX, what)) < 0)
		goto done;
	if (file.size < HEADER_BYTES + AEAD_TAG + 9 + SECRET_BYTES ||
	    memcmp(file.ptr, "FSKB001\n", 8) != 0) {
		rc = fs_error_set(FS_EINVALID, "%s: not a fieldsync keystore backup", what);
		goto done;
	}
	len = file.size - HEADER_BYTES - AEAD_TAG;
	if (!(plain = sodium_malloc(len))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory for the backup");
		goto done;
	}
	if ((rc = fs_pwhash_key(k, backup_passphrase, (unsigned char *)file.ptr + 8, what)) < 0)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL,
						       (unsigned char *)file.ptr + HEADER_BYTES,
						       len + AEAD_TAG, (unsigned char *)file.ptr,
						       HEADER_BYTES, (unsigned char *)file.ptr + 40,
						       k) != 0) {
		rc = fs_error_set(FS_EKEY, "%s: wrong passphrase (or a damaged backup)", what);
		goto done;
	}
	count = fs_get64(plain);
	clen = plain[8];
	at = 9 + clen + SECRET_BYTES;
	if (at > len || count != (len - at) / ENTRY_BYTES || (len - at) % ENTRY_BYTES) {
		rc = fs_error_set(FS_EINVALID, "%s: damaged (its length does not match its count)",
				  what);
		goto done;
	}
	if (clen != strlen(city) || memcmp(plain + 9, city, clen) != 0) {
		rc = fs_error_set(FS_EINVALID, "%s: a backup of city '%.*s', not of '%s'", what,
				  (int)clen, (const char *)plain + 9, city);
		goto done;
	}
	if (count && !(v = sodium_allocarray((size_t)count, sizeof(*v)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory for the backup");
		goto done;
	}
	for (size_t i = 0; i < count; i++, at += ENTRY_BYTES) {
		char kid[FS_KID_HEX_BYTES];
		to_hex(v[n].person, plain + at, FS_PERSON_BYTES);
		to_hex(kid, plain + at + FS_PERSON_BYTES, FS_KID_BYTES);
		if (skip && skip(v[n].person, kid, payload)) {
			(*skipped)++;
			continue;
		}
		memcpy(v[n++].plain, plain + at + FS_PERSON_BYTES, PERSON_PLAIN);
	}
	if (!(ks = keystore_alloc(dir, city))) {
		rc = fs_error_last()->code;
		goto done;
	}
	/* a new keystore key; the city secret is what keeps the pseudonyms the same */
	randombytes_buf(ks->secret, AEAD_KEY);
	memcpy(ks->secret + AEAD_KEY, plain + 9 + clen, SECRET_BYTES);
	if ((rc = write_new(ks, passphrase, v, n)) == 0)
		*restored = n;
done:
	fs_keystore_free(ks);
	sodium_free(v);
	sodium_free(plain);
	sodium_memzero(k, sizeof(k));
	if (file.ptr)
		sodium_memzero(file.ptr, file.size);
	fs_buf_dispose(&file);
	return rc;
}
