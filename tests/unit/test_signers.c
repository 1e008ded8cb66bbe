/* git's allowed_signers format, cross-checked with ssh-keygen -Y verify. */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "node/key.h"
#include "node/signers.h"
#include "node/sshsig.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

static fs_signers *parse(const char *text)
{
	fs_signers *s = NULL;
	if (fs_signers_parse(&s, text, strlen(text), "signers") < 0)
		fprintf(stderr, "    parse: %s\n", fs_error_last()->message);
	return s;
}

static void keyline(fs_buf *out, const fs_key *k)
{
	fs_ssh_pubkey_format(out, fs_key_public(k), NULL);
}

/* 2024-01-01T00:00:00Z and 2025-01-01T00:00:00Z */
#define T2024 1704067200LL
#define T2025 1735689600LL

TEST(signers, parse_and_find)
{
	fs_key *a = NULL, *b = NULL;
	fs_buf text = FS_BUF_INIT;
	fs_signers *s;
	const fs_signer *e;

	REQUIRE(fs_key_generate(&a) == 0 && fs_key_generate(&b) == 0);
	fs_buf_puts(&text, "# the hub's registry\n\ntunis namespaces=\"git\",valid-after=\"20240101Z\",valid-before=\"20250101Z\" ");
	keyline(&text, a);
	fs_buf_puts(&text, " old key\r\n  \"sousse,sfax\" ");
	keyline(&text, b);
	fs_buf_puts(&text, "\n*.hub,!bad.hub namespaces=\"git,file\" ");
	keyline(&text, b);
	fs_buf_puts(&text, "\n");
	REQUIRE((s = parse(text.ptr)) != NULL);
	CHECK(fs_signers_count(s) == 3);
	e = fs_signers_get(s, 0);
	CHECK_STR(e->principals, "tunis");
	CHECK_STR(e->namespaces, "git");
	CHECK(e->valid_after == T2024 && e->valid_before == T2025);
	CHECK(e->line == 3);
	/* principal, key, namespace and time must all fit */
	CHECK(fs_signers_find(s, "tunis", fs_key_public(a), "git", T2024 + 10) == e);
	CHECK(fs_signers_find(s, "tunis", fs_key_public(a), "git", T2024 - 1) == NULL);
	CHECK(fs_signers_find(s, "tunis", fs_key_public(a), "git", T2025 + 1) == NULL);
	CHECK(fs_signers_find(s, "tunis", fs_key_public(a), "file", T2024 + 10) == NULL);
	CHECK(fs_signers_find(s, "tunis", fs_key_public(b), "git", T2024 + 10) == NULL);
	CHECK(fs_signers_find(s, "sousse", fs_key_public(a), "git", T2024 + 10) == NULL);
	CHECK(fs_signers_find(s, "sfax", fs_key_public(b), "anything", 0) == fs_signers_get(s, 1));
	CHECK(fs_signers_find(s, "regional.hub", fs_key_public(b), "file", 0) != NULL);
	CHECK(fs_signers_find(s, "bad.hub", fs_key_public(b), "git", 0) == NULL);
	CHECK(fs_signers_find(s, "hub", fs_key_public(b), "git", 0) == NULL);
	CHECK(fs_signers_find_key(s, fs_key_public(a), "git", T2024 + 1) == e);
	fs_signers_free(s);
	fs_buf_dispose(&text);
	fs_key_free(a);
	fs_key_free(b);
}

/* ssh's match.c semantics, in linear time: fuzzing found "a*a*...*b" took exponential time */
TEST(signers, wildcards_match_as_ssh_does_and_fast)
{
	fs_key *a = NULL;
	fs_buf text = FS_BUF_INIT;
	fs_signers *s;
	char name[200];

	REQUIRE(fs_key_generate(&a) == 0);
	fs_buf_puts(&text, "ab**,t?nis,*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b,x*y*z ");
	keyline(&text, a);
	REQUIRE((s = parse(text.ptr)) != NULL);
	CHECK(fs_signers_find(s, "ab", fs_key_public(a), "git", 0) != NULL);
	CHECK(fs_signers_find(s, "abc", fs_key_public(a), "git", 0) != NULL);
	CHECK(fs_signers_find(s, "a", fs_key_public(a), "git", 0) == NULL);
	CHECK(fs_signers_find(s, "tunis", fs_key_public(a), "git", 0) != NULL);
	CHECK(fs_signers_find(s, "tuniss", fs_key_public(a), "git", 0) == NULL);
	CHECK(fs_signers_find(s, "xay", fs_key_public(a), "git", 0) == NULL);
	CHECK(fs_signers_find(s, "x-y-z", fs_key_public(a), "git", 0) != NULL);
	CHECK(fs_signers_find(s, "xyz", fs_key_public(a), "git", 0) != NULL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	/* 24 stars over 199 characters: hours with backtracking, nothing now */
	CHECK(fs_signers_find(s, name, fs_key_public(a), "git", 0) == NULL);
	name[sizeof(name) - 2] = 'b';
	CHECK(fs_signers_find(s, name, fs_key_public(a), "git", 0) != NULL);
	fs_signers_free(s);
	fs_buf_dispose(&text);
	fs_key_free(a);
}

static int bad_line(const char *text, const char *needle)
{
	fs_signers *s = NULL;
	int rc = fs_signers_parse(&s, text, strlen(text), "hub/signers");
	int ok = rc == FS_EINVALID && !s && strstr(fs_error_last()->message, needle);

	if (!ok)
		fprintf(stderr, "    %s -> rc %d: %s\n", text, rc, fs_error_last() ? fs_error_last()->message : "-");
	fs_signers_free(s);
	return ok;
}

TEST(signers, bad_lines_name_their_line)
{
	const char *k = "AAAAC3NzaC1lZDI1NTE5AAAAINWceJIS2bwiKl8n0VC/xNYPFhTA349Xyqvi7qQqf0Va";
	char buf[512];

	snprintf(buf, sizeof(buf), "\n# c\ntunis ssh-rsa %s\n", k);
	CHECK(bad_line(buf, "hub/signers:3: only ssh-ed25519 keys are supported"));
	snprintf(buf, sizeof(buf), "tunis cert-authority ssh-ed25519 %s\n", k);
	CHECK(bad_line(buf, "hub/signers:1: cert-authority is not supported"));
	snprintf(buf, sizeof(buf), "tunis frobnicate=\"x\" ssh-ed25519 %s\n", k);
	CHECK(bad_line(buf, "unknown option 'frobnicate'"));
	snprintf(buf, sizeof(buf), "tunis valid-after=\"2024\" ssh-ed25519 %s\n", k);
	CHECK(bad_line(buf, "valid-after: expected YYYYMMDD"));
	snprintf(buf, sizeof(buf), "tunis valid-before=\"20241301\" ssh-ed25519 %s\n", k);
	CHECK(bad_line(buf, "valid-before: expected YYYYMMDD"));
	CHECK(bad_line("tunis ssh-ed25519 AAAA!!\n", "bad ssh-ed25519 key"));
	CHECK(bad_line("tunis ssh-ed25519\n", "expected the base64 key"));
	CHECK(bad_line("tunis\n", "expected a key"));
	CHECK(bad_line("tunis namespaces=\"git\n", "expected a key"));
}

/* ssh-keygen and fs_signers_find agree on who may sign when. */
TEST(signers, agree_with_ssh_keygen)
{
	static const struct {
		const char *principal, *when;
		long long t;
	} cases[] = {
		{ "tunis", "20240601000000", 1717200000LL }, { "tunis", "20231231235959", 1704067199LL },
		{ "tunis", "20250101000001", 1735689601LL }, { "sousse", "20240601000000", 1717200000LL },
	};
	static const char msg[] = "commit bytes\n";
	fs_key *k = NULL;
	fs_buf sig = FS_BUF_INIT, text = FS_BUF_INIT;
	fs_signers *s;

	REQUIRE(fs_key_generate(&k) == 0);
	fs_buf_puts(&text, "tunis namespaces=\"git\",valid-after=\"20240101Z\",valid-before=\"20250101Z\" ");
	keyline(&text, k);
	fs_buf_putc(&text, '\n');
	REQUIRE((s = parse(text.ptr)) != NULL);
	REQUIRE(fs_file_write_atomic("signers", text.ptr, text.size, 0600) == 0);
	REQUIRE(fs_sshsig_sign(&sig, k, "git", msg, sizeof(msg) - 1) == 0);
	REQUIRE(fs_file_write_atomic("msg.sig", sig.ptr, sig.size, 0600) == 0);
	REQUIRE(fs_file_write_atomic("msg", msg, sizeof(msg) - 1, 0600) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[512];
		int theirs, ours;
		snprintf(cmd, sizeof(cmd), "TZ=UTC ssh-keygen -Y verify -f signers -I %s -n git "
			 "-Overify-time=%s -s msg.sig <msg >/dev/null 2>&1", cases[i].principal, cases[i].when);
		theirs = system(cmd) == 0;
		ours = fs_signers_find(s, cases[i].principal, fs_key_public(k), "git", cases[i].t) != NULL;
		if (theirs != ours)
			fprintf(stderr, "    %s at %s: ssh-keygen %d, fieldsync %d\n", cases[i].principal,
				cases[i].when, theirs, ours);
		CHECK(theirs == ours);
	}
	fs_signers_free(s);
	fs_buf_dispose(&sig);
	fs_buf_dispose(&text);
	fs_key_free(k);
}
