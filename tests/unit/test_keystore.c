/*
 * The keystore and sealed protected parts: pseudonyms, sealing and opening,
 * what does not open, crypto-shredding, backups.
 */
#include "tests/unit/test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <sodium.h>

#include "node/keystore.h"
#include "node/pwhash.h"
#include "node/protect.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#define PERSON "0123456789abcdef0123456789abcdef"
#define OTHER "fedcba9876543210fedcba9876543210"
#define RID "01a2128b-c8a7-72d8-af79-5f72a08375fc"

static fs_keystore *made(const char *dir, const char *city)
{
	fs_keystore *ks = NULL;

	fs_file_mkdir_p(dir, 0700);
	REQUIRE(fs_keystore_init(dir, city, "pw") == 0);
	REQUIRE(fs_keystore_open(&ks, dir, city, "pw") == 0);
	return ks;
}

static cJSON *plain(const char *text)
{
	cJSON *o = NULL;

	REQUIRE(fs_json_parse(&o, text, strlen(text), "test") == 0);
	return o;
}

/* Does any file below `dir` hold `needle` (raw bytes)? */
static int found_below(const char *dir, const unsigned char *needle, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int hit = 0;

	if (!d)
		return 0;
	while (!hit && (e = readdir(d))) {
		char path[4096];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			hit = found_below(path, needle, n);
		} else {
			fs_buf b = FS_BUF_INIT;
			if (fs_file_read(&b, path, 1 << 24, "file") == 0)
				for (size_t i = 0; i + n <= b.size && !hit; i++)
					hit = memcmp(b.ptr + i, needle, n) == 0;
			fs_buf_dispose(&b);
		}
	}
	closedir(d);
	return hit;
}

TEST(keystore, pseudonyms_are_stable_keyed_and_unlinkable)
{
	fs_keystore *a = made("a", "tunis"), *b = made("b", "quito"), *c = made("c", "tunis");
	char p1[FS_PERSON_HEX_BYTES], p2[FS_PERSON_HEX_BYTES], p3[FS_PERSON_HEX_BYTES];
	char p4[FS_PERSON_HEX_BYTES], bare[FS_PERSON_HEX_BYTES];
	unsigned char h[FS_PERSON_BYTES];

	REQUIRE(fs_keystore_pseudonym(a, p1, "CASE-0042") == 0);
	CHECK_INT(strlen(p1), 32);
	CHECK(strspn(p1, "0123456789abcdef") == 32);
	fs_keystore_free(a);
	REQUIRE(fs_keystore_open(&a, "a", "tunis", "pw") == 0);
	REQUIRE(fs_keystore_pseudonym(a, p2, "CASE-0042") == 0);
	CHECK_STR(p1, p2); /* the same after reopening */
	REQUIRE(fs_keystore_pseudonym(a, p2, "CASE-0043") == 0);
	CHECK(strcmp(p1, p2) != 0);
	REQUIRE(fs_keystore_pseudonym(b, p3, "CASE-0042") == 0);
	CHECK(strcmp(p1, p3) != 0); /* another city */
	REQUIRE(fs_keystore_pseudonym(c, p4, "CASE-0042") == 0);
	CHECK(strcmp(p1, p4) != 0); /* same city id, another secret */
	/* not the plain hash anyone could compute by trying local ids */
	crypto_generichash(h, sizeof(h), (const unsigned char *)"CASE-0042", 9, NULL, 0);
	sodium_bin2hex(bare, sizeof(bare), h, sizeof(h));
	CHECK(strcmp(p1, bare) != 0);
	CHECK(fs_keystore_pseudonym(a, p2, "") == FS_EINVALID);
	CHECK(fs_keystore_pseudonym(a, p2, "CASE\n1") == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "control character") != NULL);
	fs_keystore_free(a);
	fs_keystore_free(b);
	fs_keystore_free(c);
}

TEST(keystore, opening_refuses_what_is_wrong)
{
	fs_keystore *ks = NULL;

	fs_file_mkdir_p("n", 0700);
	CHECK(fs_keystore_open(&ks, "n", "tunis", "pw") == FS_ENOTFOUND);
	CHECK(strstr(fs_error_last()->message, "keystore init") != NULL);
	CHECK(fs_keystore_init("n", "tunis", "") == FS_EKEY);
	CHECK(!fs_keystore_exists("n"));
	REQUIRE(fs_keystore_init("n", "tunis", "pw") == 0);
	CHECK(fs_keystore_init("n", "tunis", "pw") == FS_EEXISTS);
	CHECK(fs_keystore_open(&ks, "n", "tunis", NULL) == FS_EKEY);
	CHECK(strstr(fs_error_last()->message, "FIELDSYNC_KEYSTORE_PASSPHRASE") != NULL);
	CHECK(fs_keystore_open(&ks, "n", "tunis", "wrong") == FS_EKEY);
	CHECK(strstr(fs_error_last()->message, "wrong passphrase") != NULL);
	/* a keystore copied to another city's node does not open there */
	CHECK(fs_keystore_open(&ks, "n", "quito", "pw") == FS_EKEY);
	CHECK(ks == NULL);
	/* damage: one byte of the sealed part */
	{
		fs_buf b = FS_BUF_INIT;
		REQUIRE(fs_file_read(&b, "n/keystore/master", 4096, "master") == 0);
		b.ptr[100] ^= 1;
		REQUIRE(fs_file_write_atomic("n/keystore/master", b.ptr, b.size, 0600) == 0);
		CHECK(fs_keystore_open(&ks, "n", "tunis", "pw") == FS_EKEY);
		fs_buf_dispose(&b);
	}
}

TEST(keystore, sealed_parts_open_only_where_they_belong)
{
	fs_keystore *ks = made("n", "tunis");
	cJSON *p = plain("{\"name\":\"CANARY-7f3a\",\"phone\":\"CANARY-0100\"}");
	cJSON *s = NULL, *s2 = NULL, *o = NULL;
	fs_buf text = FS_BUF_INIT;
	char *ct;

	REQUIRE(fs_protect_seal(&s, ks, "tunis", RID, PERSON, p) == 0);
	CHECK(fs_protect_is_sealed(s));
	REQUIRE(fs_json_compact(&text, s) == 0);
	CHECK(strstr(text.ptr, "CANARY") == NULL);
	REQUIRE(fs_protect_open(&o, ks, "tunis", RID, PERSON, s) == 0);
	CHECK(cJSON_Compare(o, p, 1));
	cJSON_Delete(o);
	o = NULL;
	/* moved to another record, another person or another city: does not open */
	CHECK(fs_protect_open(&o, ks, "tunis", "01a2128b-c8a7-72d8-af79-5f72a08375fd", PERSON, s) ==
	      FS_EVERIFY);
	CHECK(fs_protect_open(&o, ks, "quito", RID, PERSON, s) == FS_EVERIFY);
	CHECK(fs_protect_open(&o, ks, "tunis", RID, OTHER, s) == FS_ENOTFOUND);
	/* one character of the ciphertext changed */
	ct = cJSON_GetObjectItemCaseSensitive(s, "ct")->valuestring;
	ct[3] = ct[3] == 'A' ? 'B' : 'A';
	CHECK(fs_protect_open(&o, ks, "tunis", RID, PERSON, s) == FS_EVERIFY);
	CHECK(o == NULL);
	/* padding: lengths of 1 and 40 bytes of content seal to the same size */
	{
		cJSON *a = plain("{\"n\":\"x\"}"), *b = plain("{\"n\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
		cJSON *sa = NULL, *sb = NULL;
		REQUIRE(fs_protect_seal(&sa, ks, "tunis", RID, PERSON, a) == 0);
		REQUIRE(fs_protect_seal(&sb, ks, "tunis", RID, PERSON, b) == 0);
		CHECK_INT(strlen(fs_json_string(sa, "ct")), strlen(fs_json_string(sb, "ct")));
		cJSON_Delete(a);
		cJSON_Delete(b);
		cJSON_Delete(sa);
		cJSON_Delete(sb);
	}
	/* not an object */
	{
		cJSON *str = cJSON_CreateString("CANARY");
		CHECK(fs_protect_seal(&s2, ks, "tunis", RID, PERSON, str) == FS_EINVALID);
		cJSON_Delete(str);
	}
	fs_buf_dispose(&text);
	cJSON_Delete(p);
	cJSON_Delete(s);
	fs_keystore_free(ks);
}

TEST(keystore, keys_reach_the_disk_only_on_flush)
{
	fs_keystore *ks = made("n", "tunis");
	unsigned char key[FS_PERSON_KEY_BYTES], again[FS_PERSON_KEY_BYTES];
	char kid[FS_KID_HEX_BYTES], kid2[FS_KID_HEX_BYTES];

	CHECK(fs_keystore_person_key(ks, PERSON, 0, kid, key) == FS_ENOTFOUND);
	REQUIRE(fs_keystore_person_key(ks, PERSON, 1, kid, key) == 0);
	CHECK(!fs_file_exists("n/keystore/people/" PERSON));
	REQUIRE(fs_keystore_flush(ks) == 0);
	CHECK(fs_file_exists("n/keystore/people/" PERSON));
	fs_keystore_free(ks);
	REQUIRE(fs_keystore_open(&ks, "n", "tunis", "pw") == 0);
	REQUIRE(fs_keystore_person_key(ks, PERSON, 0, kid2, again) == 0);
	CHECK_STR(kid, kid2);
	CHECK(memcmp(key, again, sizeof(key)) == 0);
	CHECK(fs_keystore_person_key(ks, "not-a-pseudonym", 1, kid, key) == FS_EINVALID);
	fs_keystore_free(ks);
}

TEST(keystore, forgetting_leaves_no_copy_of_the_key)
{
	fs_keystore *ks = made("n", "tunis");
	unsigned char key[FS_PERSON_KEY_BYTES];
	char kid[FS_KID_HEX_BYTES], gone[FS_KID_HEX_BYTES], b64[64];
	cJSON *p = plain("{\"name\":\"CANARY-7f3a\"}"), *s = NULL, *o = NULL;
	size_t restored, skipped;

	REQUIRE(fs_protect_seal(&s, ks, "tunis", RID, PERSON, p) == 0);
	REQUIRE(fs_keystore_flush(ks) == 0);
	REQUIRE(fs_keystore_person_key(ks, PERSON, 0, kid, key) == 0);
	REQUIRE(fs_keystore_export(ks, "backup", "bpw") == 0);
	REQUIRE(fs_keystore_forget(ks, PERSON, gone) == 0);
	CHECK_STR(gone, kid);
	CHECK(fs_protect_open(&o, ks, "tunis", RID, PERSON, s) == FS_ENOTFOUND);
	fs_keystore_free(ks);
	REQUIRE(fs_keystore_open(&ks, "n", "tunis", "pw") == 0);
	CHECK(fs_protect_open(&o, ks, "tunis", RID, PERSON, s) == FS_ENOTFOUND);
	/* the key sits in no file of the node, raw or in base64 (the sealed file is gone too) */
	CHECK(!fs_file_exists("n/keystore/people/" PERSON));
	CHECK(!found_below("n", key, sizeof(key)));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	CHECK(!found_below("n", (const unsigned char *)b64, 40));
	/* forgetting again, or a person never known: nothing to destroy */
	REQUIRE(fs_keystore_forget(ks, PERSON, gone) == 0);
	CHECK_STR(gone, "");
	fs_keystore_free(ks);
	/* a backup from before the erasure restores everything but what a skip leaves out */
	fs_file_mkdir_p("m", 0700);
	REQUIRE(fs_keystore_import("m", "tunis", "backup", "bpw", "pw2", NULL, NULL, &restored,
				   &skipped) == 0);
	CHECK_INT(restored, 1);
	CHECK_INT(skipped, 0);
	sodium_memzero(key, sizeof(key));
	cJSON_Delete(p);
	cJSON_Delete(s);
}

static int skip_all(const char *person, const char *kid, void *payload)
{
	(void)person, (void)kid, (void)payload;
	return 1;
}

TEST(keystore, backups_restore_the_same_pseudonyms_and_keys)
{
	fs_keystore *ks = made("n", "tunis"), *back = NULL;
	cJSON *p = plain("{\"name\":\"CANARY-7f3a\"}"), *s = NULL, *o = NULL;
	char p1[FS_PERSON_HEX_BYTES], p2[FS_PERSON_HEX_BYTES];
	size_t restored, skipped;

	REQUIRE(fs_protect_seal(&s, ks, "tunis", RID, PERSON, p) == 0);
	REQUIRE(fs_keystore_flush(ks) == 0);
	REQUIRE(fs_keystore_pseudonym(ks, p1, "CASE-0042") == 0);
	CHECK(fs_keystore_export(ks, "backup", "") == FS_EKEY);
	REQUIRE(fs_keystore_export(ks, "backup", "bpw") == 0);
	CHECK(fs_keystore_export(ks, "backup", "bpw") == FS_EEXISTS);
	fs_file_mkdir_p("m", 0700);
	/* wrong passphrase, another city, a node with a keystore, damage: nothing made */
	CHECK(fs_keystore_import("m", "tunis", "backup", "nope", "pw2", NULL, NULL, &restored,
				 &skipped) == FS_EKEY);
	CHECK(fs_keystore_import("m", "quito", "backup", "bpw", "pw2", NULL, NULL, &restored,
				 &skipped) == FS_EINVALID);
	CHECK(fs_keystore_import("n", "tunis", "backup", "bpw", "pw2", NULL, NULL, &restored,
				 &skipped) == FS_EEXISTS);
	{
		fs_buf b = FS_BUF_INIT;
		REQUIRE(fs_file_read(&b, "backup", 1 << 20, "backup") == 0);
		REQUIRE(fs_file_write_atomic("short", b.ptr, b.size - 1, 0600) == 0);
		REQUIRE(fs_file_write_atomic("junk", "FSKB001\nxx", 10, 0600) == 0);
		fs_buf_dispose(&b);
		CHECK(fs_keystore_import("m", "tunis", "short", "bpw", "pw2", NULL, NULL, &restored,
					 &skipped) == FS_EKEY);
		CHECK(fs_keystore_import("m", "tunis", "junk", "bpw", "pw2", NULL, NULL, &restored,
					 &skipped) == FS_EINVALID);
	}
	CHECK(!fs_keystore_exists("m"));
	CHECK(!fs_file_exists("m/keystore.new"));
	REQUIRE(fs_keystore_import("m", "tunis", "backup", "bpw", "pw2", NULL, NULL, &restored,
				   &skipped) == 0);
	CHECK_INT(restored, 1);
	REQUIRE(fs_keystore_open(&back, "m", "tunis", "pw2") == 0);
	REQUIRE(fs_keystore_pseudonym(back, p2, "CASE-0042") == 0);
	CHECK_STR(p1, p2);
	REQUIRE(fs_protect_open(&o, back, "tunis", RID, PERSON, s) == 0);
	CHECK(cJSON_Compare(o, p, 1));
	/* what a skip leaves out is not restored */
	fs_file_mkdir_p("k", 0700);
	REQUIRE(fs_keystore_import("k", "tunis", "backup", "bpw", "pw2", skip_all, NULL, &restored,
				   &skipped) == 0);
	CHECK_INT(restored, 0);
	CHECK_INT(skipped, 1);
	cJSON_Delete(o);
	cJSON_Delete(p);
	cJSON_Delete(s);
	fs_keystore_free(ks);
	fs_keystore_free(back);
}

/* A backup sealed under a known passphrase, whose plaintext says what we like. */
static void craft_backup(const char *path, const unsigned char *plain, size_t len)
{
	unsigned char file[512], k[FS_PWHASH_KEY_BYTES];

	REQUIRE(64 + len + crypto_aead_xchacha20poly1305_ietf_ABYTES <= sizeof(file));
	memcpy(file, "FSKB001\n", 8);
	fs_pwhash_params_new(file + 8);
	randombytes_buf(file + 40, 24);
	REQUIRE(fs_pwhash_key(k, "bpw", file + 8, "test") == 0);
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + 64, NULL, plain, len, file, 64, NULL,
						   file + 40, k);
	REQUIRE(fs_file_write_atomic(path, file, 64 + len + 16, 0600) == 0);
}

TEST(keystore, a_crafted_backup_is_refused_without_reading_past_it)
{
	unsigned char plain[8 + 1 + 5 + 32 + 64] = { 0 };
	size_t restored, skipped;

	fs_file_mkdir_p("m", 0700);
	/* a city length of 255 in 41 bytes */
	plain[8] = 255;
	craft_backup("long-city", plain, 41);
	CHECK(fs_keystore_import("m", "tunis", "long-city", "bpw", "pw", NULL, NULL, &restored,
				 &skipped) == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "damaged") != NULL);
	/* a count of 2 with room for one key */
	plain[0] = 2;
	plain[8] = 5;
	memcpy(plain + 9, "tunis", 5);
	craft_backup("count", plain, sizeof(plain));
	CHECK(fs_keystore_import("m", "tunis", "count", "bpw", "pw", NULL, NULL, &restored,
				 &skipped) == FS_EINVALID);
	/* well formed: the same bytes with a count of 1 restore one key */
	plain[0] = 1;
	craft_backup("good", plain, sizeof(plain));
	REQUIRE(fs_keystore_import("m", "tunis", "good", "bpw", "pw", NULL, NULL, &restored,
				   &skipped) == 0);
	CHECK_INT(restored, 1);
}

TEST(keystore, key_files_stay_with_their_person_and_zeros_are_no_key)
{
	fs_keystore *ks = made("n", "tunis");
	unsigned char key[FS_PERSON_KEY_BYTES], zeros[96] = { 0 };
	char kid[FS_KID_HEX_BYTES];
	fs_buf b = FS_BUF_INIT;

	REQUIRE(fs_keystore_person_key(ks, PERSON, 1, kid, key) == 0);
	REQUIRE(fs_keystore_flush(ks) == 0);
	/* copied to another person's name: does not open as theirs */
	REQUIRE(fs_file_read(&b, "n/keystore/people/" PERSON, 4096, "key") == 0);
	REQUIRE(fs_file_write_atomic("n/keystore/people/" OTHER, b.ptr, b.size, 0600) == 0);
	CHECK(fs_keystore_person_key(ks, OTHER, 0, kid, key) == FS_EKEY);
	/* zeros: a forget killed before the file went; no key, and backups go on */
	REQUIRE(fs_file_write_atomic("n/keystore/people/" OTHER, zeros, sizeof(zeros), 0600) == 0);
	CHECK(fs_keystore_person_key(ks, OTHER, 0, kid, key) == FS_ENOTFOUND);
	CHECK(fs_keystore_has_key(ks, OTHER));
	CHECK(fs_keystore_export(ks, "backup", "bpw") == 0);
	REQUIRE(fs_keystore_forget(ks, OTHER, kid) == 0);
	CHECK(!fs_keystore_has_key(ks, OTHER));
	CHECK(!fs_file_exists("n/keystore/people/" OTHER));
	fs_keystore_free(ks);
	/* one flipped byte in the master file's header (Argon2id salt): refused */
	fs_buf_clear(&b);
	REQUIRE(fs_file_read(&b, "n/keystore/master", 4096, "master") == 0);
	b.ptr[40] ^= 1;
	REQUIRE(fs_file_write_atomic("n/keystore/master", b.ptr, b.size, 0600) == 0);
	CHECK(fs_keystore_open(&ks, "n", "tunis", "pw") == FS_EKEY);
	fs_buf_dispose(&b);
	sodium_memzero(key, sizeof(key));
}
