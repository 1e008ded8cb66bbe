/*
 * Receipts: what a hub signs round-trips, and anything else, however well
 * signed, is refused with the reason (sync/receipt.h).
 */
#include "tests/unit/test.h"

#include <stdio.h>

#include "node/key.h"
#include "node/sshsig.h"
#include "sync/receipt.h"
#include "util/buf.h"
#include "util/error.h"

#define HEAD "0123456789abcdef0123456789abcdef01234567"

/* `body` (after the magic line) signed by `k` as a receipt would be. */
static int signed_text(fs_buf *out, const fs_key *k, const char *body)
{
	fs_buf_clear(out);
	fs_buf_printf(out, "fieldsync receipt 1\n%s", body);
	return fs_sshsig_text_sign(out, k, FS_RECEIPT_NAMESPACE);
}

/* The body a hub would write, with `hub_key` as its hub-key line. */
static void body_with(fs_buf *out, const char *hub_key, const char *rest)
{
	fs_buf_clear(out);
	fs_buf_printf(out, "hub Test hub\nhub-key %s\n%s", hub_key, rest);
}

TEST(receipt, issued_receipt_round_trips)
{
	fs_key *k = NULL;
	fs_buf text = FS_BUF_INIT;
	fs_receipt *r = NULL;
	git_oid head;
	const char *t;
	size_t len;

	git_libgit2_init(); /* git_oid_tostr_s's buffer */
	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(git_oid_fromstr(&head, HEAD) == 0);
	REQUIRE(fs_receipt_issue(&text, k, "Test hub", "tunis", &head, 1795000000) == 0);
	CHECK(strncmp(text.ptr, "fieldsync receipt 1\nhub Test hub\nhub-key SHA256:", 48) == 0);
	CHECK(strstr(text.ptr, "\ncity tunis\nhead " HEAD "\ntime ") != NULL);
	REQUIRE(fs_receipt_parse(&r, text.ptr, text.size, fs_key_public(k), 1, "r") == 0);
	CHECK_STR(fs_receipt_hub(r), "Test hub");
	CHECK_STR(fs_receipt_city(r), "tunis");
	CHECK(git_oid_equal(fs_receipt_head(r), &head));
	CHECK_INT(fs_receipt_time(r), 1795000000);
	CHECK(memcmp(fs_receipt_hub_key(r), fs_key_public(k), FS_KEY_PUBLIC_BYTES) == 0);
	t = fs_receipt_text(r, &len);
	CHECK(len == text.size && memcmp(t, text.ptr, len) == 0);
	fs_receipt_free(r);
	fs_receipt_free(NULL);
	fs_buf_dispose(&text);
	fs_key_free(k);
}

TEST(receipt, another_key_or_a_changed_byte_is_refused)
{
	fs_key *k = NULL, *other = NULL;
	fs_buf text = FS_BUF_INIT, keys = FS_BUF_INIT;
	fs_receipt *r = NULL;
	git_oid head;
	char *h;

	git_libgit2_init();
	REQUIRE(fs_key_generate(&k) == 0 && fs_key_generate(&other) == 0);
	REQUIRE(git_oid_fromstr(&head, HEAD) == 0);
	REQUIRE(fs_receipt_issue(&text, k, "Test hub", "tunis", &head, 1795000000) == 0);
	CHECK(fs_receipt_parse(&r, text.ptr, text.size, fs_key_public(other), 1, "r") == FS_EREFUSED);
	CHECK(r == NULL);
	CHECK(strstr(fs_error_last()->message, "not the hub's key") != NULL);
	CHECK(fs_receipt_parse(&r, text.ptr, text.size, NULL, 0, "r") == FS_EREFUSED);
	CHECK(strstr(fs_error_last()->message, "no hub key is known here") != NULL);
	/* any of several keys will do */
	fs_buf_put(&keys, fs_key_public(other), FS_KEY_PUBLIC_BYTES);
	fs_buf_put(&keys, fs_key_public(k), FS_KEY_PUBLIC_BYTES);
	CHECK(fs_receipt_parse(&r, text.ptr, text.size, (const unsigned char *)keys.ptr, 2, "r") == 0);
	fs_receipt_free(r);
	r = NULL;
	REQUIRE((h = strstr(text.ptr, "head 0")) != NULL);
	h[5] = '1';
	CHECK(fs_receipt_parse(&r, text.ptr, text.size, fs_key_public(k), 1, "r") == FS_EVERIFY);
	CHECK(strstr(fs_error_last()->message, "signature does not hold") != NULL);
	CHECK(r == NULL);
	fs_buf_dispose(&text);
	fs_buf_dispose(&keys);
	fs_key_free(k);
	fs_key_free(other);
}

TEST(receipt, well_signed_nonsense_is_refused)
{
	static const struct {
		const char *rest, *says;
	} cases[] = {
		{ "city tunis\nhead " HEAD "\n", "expected a line 'time ...'" },
		{ "city tunis\nhead " HEAD "\ntime 2026-11-25T10:00:00Z\nextra 1\n", "a line after" },
		{ "city Tunis\nhead " HEAD "\ntime 2026-11-25T10:00:00Z\n", "city 'Tunis'" },
		{ "city ../x\nhead " HEAD "\ntime 2026-11-25T10:00:00Z\n", "city '../x'" },
		{ "city tunis\nhead 0123\ntime 2026-11-25T10:00:00Z\n", "head '0123'" },
		{ "city tunis\nhead " HEAD "\ntime yesterday\n", "time 'yesterday'" },
		{ "head " HEAD "\ncity tunis\ntime 2026-11-25T10:00:00Z\n", "expected a line 'city ...'" },
	};
	fs_key *k = NULL;
	fs_buf fp = FS_BUF_INIT, body = FS_BUF_INIT, text = FS_BUF_INIT;
	fs_receipt *r = NULL;

	git_libgit2_init();
	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_ssh_pubkey_fingerprint(&fp, fs_key_public(k)) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body_with(&body, fp.ptr, cases[i].rest);
		REQUIRE(signed_text(&text, k, body.ptr) == 0);
		if (!CHECK(fs_receipt_parse(&r, text.ptr, text.size, fs_key_public(k), 1, "r") ==
			   FS_EINVALID) ||
		    !CHECK(strstr(fs_error_last()->message, cases[i].says) != NULL))
			fprintf(stderr, "    case %zu: %s\n", i, fs_error_last()->message);
		CHECK(r == NULL);
	}
	/* the hub-key line must name the key that signed */
	body_with(&body, "SHA256:AAAA", "city tunis\nhead " HEAD "\ntime 2026-11-25T10:00:00Z\n");
	REQUIRE(signed_text(&text, k, body.ptr) == 0);
	CHECK(fs_receipt_parse(&r, text.ptr, text.size, fs_key_public(k), 1, "r") == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "the receipt is signed by") != NULL);
	/* not a receipt at all, or no signature */
	CHECK(fs_receipt_parse(&r, "fieldsync-checkpoint 1\n", 23, fs_key_public(k), 1, "r") ==
	      FS_EINVALID);
	CHECK(fs_receipt_parse(&r, "fieldsync receipt 1\nhub x\n", 26, fs_key_public(k), 1, "r") ==
	      FS_EINVALID);
	fs_buf_dispose(&fp);
	fs_buf_dispose(&body);
	fs_buf_dispose(&text);
	fs_key_free(k);
}

TEST(receipt, issue_refuses_a_bad_city_or_hub_name)
{
	fs_key *k = NULL;
	fs_buf text = FS_BUF_INIT;
	git_oid head;

	git_libgit2_init();
	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(git_oid_fromstr(&head, HEAD) == 0);
	CHECK(fs_receipt_issue(&text, k, "Test hub", "../tunis", &head, 0) == FS_EINVALID);
	CHECK(fs_receipt_issue(&text, k, "Test\nhub", "tunis", &head, 0) == FS_EINVALID);
	/* what a terminal would act on, or a line end would eat: never in a receipt */
	CHECK(fs_receipt_issue(&text, k, "Test\033[2Jhub", "tunis", &head, 0) == FS_EINVALID);
	CHECK(fs_receipt_issue(&text, k, "Test hub ", "tunis", &head, 0) == FS_EINVALID);
	CHECK(fs_receipt_issue(&text, k, "", "tunis", &head, 0) == FS_EINVALID);
	CHECK(fs_receipt_issue(&text, k, "Test\rhub", "tunis", &head, 0) == FS_EINVALID);
	CHECK(text.size == 0);
	fs_buf_dispose(&text);
	fs_key_free(k);
}
