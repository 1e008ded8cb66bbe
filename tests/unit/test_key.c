/* The node key file: round trips, passphrases, and every way it can be wrong. */
#include "tests/unit/test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "node/key.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

static int contains(const fs_buf *hay, const unsigned char *needle, size_t n)
{
	for (size_t i = 0; i + n <= hay->size; i++)
		if (memcmp(hay->ptr + i, needle, n) == 0)
			return 1;
	return 0;
}

static int same_signatures(const fs_key *a, const fs_key *b)
{
	unsigned char s1[FS_KEY_SIGNATURE_BYTES], s2[FS_KEY_SIGNATURE_BYTES];
	const unsigned char msg[] = "a record";

	fs_key_sign(a, s1, msg, sizeof(msg));
	fs_key_sign(b, s2, msg, sizeof(msg));
	return memcmp(s1, s2, sizeof(s1)) == 0 &&
	       crypto_sign_verify_detached(s1, msg, sizeof(msg), fs_key_public(b)) == 0;
}

static int refused_with(const char *path, const char *pass, const char *needle)
{
	fs_key *k = NULL;
	int rc = fs_key_load(&k, path, pass);
	int ok = rc == FS_EKEY && !k && strstr(fs_error_last()->message, needle) &&
		 strstr(fs_error_last()->message, path);

	if (!ok)
		fprintf(stderr, "    %s: rc %d, message: %s\n", path, rc,
			fs_error_last() ? fs_error_last()->message : "-");
	fs_key_free(k);
	return ok;
}

TEST(key, round_trip_without_passphrase)
{
	fs_key *k = NULL, *l = NULL;
	struct stat st;

	umask(0);
	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_key_save(k, "key", NULL) == 0);
	CHECK(stat("key", &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(fs_key_file_encrypted("key") == 0);
	REQUIRE(fs_key_load(&l, "key", NULL) == 0);
	CHECK(memcmp(fs_key_public(k), fs_key_public(l), FS_KEY_PUBLIC_BYTES) == 0);
	CHECK(same_signatures(k, l));
	/* never overwrite a key */
	CHECK(fs_key_save(l, "key", NULL) == FS_EEXISTS);
	fs_key_free(k);
	fs_key_free(l);
}

TEST(key, round_trip_with_passphrase)
{
	fs_key *k = NULL, *l = NULL;
	fs_buf plain = FS_BUF_INIT, sealed = FS_BUF_INIT;

	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_key_save(k, "plain", NULL) == 0);
	REQUIRE(fs_key_save(k, "sealed", "correct horse") == 0);
	CHECK(fs_key_file_encrypted("sealed") == 1);
	REQUIRE(fs_key_load(&l, "sealed", "correct horse") == 0);
	CHECK(same_signatures(k, l));
	/* the seed (in the plain file at offset 104) appears nowhere in the sealed one */
	REQUIRE(fs_file_read(&plain, "plain", 4096, "plain") == 0 && plain.size == 152);
	REQUIRE(fs_file_read(&sealed, "sealed", 4096, "sealed") == 0 && sealed.size == 152);
	CHECK(!contains(&sealed, (unsigned char *)plain.ptr + 104, 32));
	CHECK(!contains(&sealed, (unsigned char *)plain.ptr + 104, 8));
	CHECK(refused_with("sealed", "wrong horse", "wrong passphrase"));
	CHECK(refused_with("sealed", NULL, "protected by a passphrase"));
	CHECK(refused_with("sealed", "", "protected by a passphrase"));
	fs_buf_dispose(&plain);
	fs_buf_dispose(&sealed);
	fs_key_free(k);
	fs_key_free(l);
}

TEST(key, loose_modes_are_refused)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0606, 0400 | 0004, 0620 };
	fs_key *k = NULL;

	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_key_save(k, "key", NULL) == 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char want[64];
		chmod("key", modes[i]);
		snprintf(want, sizeof(want), "mode %04o lets others read", (unsigned)modes[i]);
		CHECK(refused_with("key", NULL, want));
		CHECK(refused_with("key", NULL, "chmod 600"));
	}
	chmod("key", 0400);
	{
		fs_key *l = NULL;
		CHECK(fs_key_load(&l, "key", NULL) == 0);
		fs_key_free(l);
	}
	fs_key_free(k);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, data, n) != (ssize_t)n)
			fprintf(stderr, "short write\n");
		close(fd);
	}
}

TEST(key, damaged_files_are_refused)
{
	fs_key *k = NULL;
	fs_buf good = FS_BUF_INIT;
	unsigned char bytes[200];

	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_key_save(k, "key", NULL) == 0);
	REQUIRE(fs_key_save(k, "sealed", "pw") == 0);
	REQUIRE(fs_file_read(&good, "key", 4096, "key") == 0);
	CHECK(refused_with("missing", NULL, "missing"));
	write_bytes("empty", "", 0);
	CHECK(refused_with("empty", NULL, "damaged"));
	write_bytes("short", good.ptr, 100);
	CHECK(refused_with("short", NULL, "damaged"));
	memcpy(bytes, good.ptr, 152);
	memset(bytes + 152, 'x', 10);
	write_bytes("long", bytes, 162);
	CHECK(refused_with("long", NULL, "damaged"));
	/* one flipped byte anywhere: refused, never a wrong key */
	for (size_t i = 0; i < 152; i += 7) {
		memcpy(bytes, good.ptr, 152);
		bytes[i] ^= 0x40;
		write_bytes("flipped", bytes, 152);
		CHECK(refused_with("flipped", NULL, "damaged"));
	}
	fs_buf_clear(&good);
	REQUIRE(fs_file_read(&good, "sealed", 4096, "sealed") == 0);
	for (size_t i = 32; i < 152; i += 9) {
		memcpy(bytes, good.ptr, 152);
		bytes[i] ^= 0x01;
		write_bytes("sealed-flipped", bytes, 152);
		CHECK(refused_with("sealed-flipped", "pw", "sealed-flipped"));
	}
	mkdir("dir", 0700);
	CHECK(refused_with("dir", NULL, "not a regular file"));
	fs_buf_dispose(&good);
	fs_key_free(k);
}
