#include "tests/unit/test.h"

#include <stdio.h>

#include <git2.h>

#include "util/sha1.h"

static void hex(char *out, const unsigned char *d)
{
	for (int i = 0; i < FS_SHA1_BYTES; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void digest(char out[41], const char *data, size_t len, size_t step)
{
	fs_sha1 c;
	unsigned char d[FS_SHA1_BYTES];

	fs_sha1_init(&c);
	for (size_t i = 0; i < len; i += step)
		fs_sha1_update(&c, data + i, len - i < step ? len - i : step);
	fs_sha1_final(&c, d);
	hex(out, d);
}

TEST(sha1, known_answers)
{
	char out[41];
	static char million[1000000];

	digest(out, "", 0, 1);
	CHECK_STR(out, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	digest(out, "abc", 3, 1);
	CHECK_STR(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
	digest(out, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 7);
	CHECK_STR(out, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	memset(million, 'a', sizeof(million));
	digest(out, million, sizeof(million), 4099);
	CHECK_STR(out, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* the same as git's object ids, for every length around the block size */
TEST(sha1, agrees_with_git_object_ids)
{
	char data[300], ours[41], theirs[41];
	git_oid id;

	git_libgit2_init();
	for (size_t n = 0; n < 200; n++) {
		char hdr[32];
		int h = snprintf(hdr, sizeof(hdr), "blob %zu", n) + 1;
		fs_sha1 c;
		unsigned char d[FS_SHA1_BYTES];
		for (size_t i = 0; i < n; i++)
			data[i] = (char)(i * 7 + n);
		git_odb_hash(&id, data, n, GIT_OBJECT_BLOB);
		git_oid_tostr(theirs, sizeof(theirs), &id);
		fs_sha1_init(&c);
		fs_sha1_update(&c, hdr, (size_t)h);
		fs_sha1_update(&c, data, n);
		fs_sha1_final(&c, d);
		hex(ours, d);
		if (strcmp(ours, theirs) != 0) {
			CHECK_STR(ours, theirs);
			break;
		}
	}
	git_libgit2_shutdown();
}
