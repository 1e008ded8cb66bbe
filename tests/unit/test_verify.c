/* fs_verify_commit takes the signed bytes from the parsed commit: the same
 * verdict as git_commit_extract_signature's, whatever the commit's shape */
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "node/key.h"
#include "node/node.h"
#include "node/sshsig.h"
#include "node/verify.h"
#include "tests/unit/test.h"
#include "util/buf.h"

#define TREE "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
#define WHO "node <node@example.org> 1700000000 +0000\n"

/* git's form: the armor as a "gpgsig" header, its lines continued with a space */
static void put_gpgsig(fs_buf *raw, const fs_buf *sig)
{
	fs_buf_puts(raw, "gpgsig ");
	for (const char *p = sig->ptr; *p; p++) {
		fs_buf_putc(raw, *p);
		if (*p == '\n' && p[1])
			fs_buf_putc(raw, ' ');
	}
}

/*
 * `before` + a gpgsig header signing `signed_text` + `after` as a commit of
 * `repo`, in *id. The signature is over `signed_text`, which a caller makes
 * the commit without the header (good) or anything else (bad).
 */
static void write_commit(git_oid *id, git_repository *repo, const fs_key *key, const char *before,
			 const char *after, const char *signed_text, size_t signed_len)
{
	fs_buf sig = FS_BUF_INIT, raw = FS_BUF_INIT;
	git_odb *odb = NULL;

	REQUIRE(fs_sshsig_sign(&sig, key, "git", signed_text, signed_len) == 0);
	fs_buf_puts(&raw, before);
	put_gpgsig(&raw, &sig);
	fs_buf_puts(&raw, after);
	REQUIRE(git_repository_odb(&odb, repo) == 0);
	REQUIRE(git_odb_write(id, odb, raw.ptr, raw.size, GIT_OBJECT_COMMIT) == 0);
	git_odb_free(odb);
	fs_buf_dispose(&sig);
	fs_buf_dispose(&raw);
}

/* libgit2's own reading: 1 good, 0 bad or unsigned */
static int reference_verdict(git_repository *repo, git_oid *id, const fs_key *key)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	fs_sshsig parsed;
	int good = 0;

	if (git_commit_extract_signature(&sig, &data, repo, id, "gpgsig") == 0 &&
	    fs_sshsig_parse(&parsed, sig.ptr, sig.size) == 0 &&
	    fs_sshsig_check(&parsed, "git", data.ptr, data.size) == 0)
		good = memcmp(parsed.public_key, fs_key_public(key), FS_KEY_PUBLIC_BYTES) == 0;
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return good;
}

/* a repository "r", its object database and a node key, for each test */
typedef struct {
	git_repository *repo;
	git_odb *odb;
	fs_key *key;
	fs_verify_trust trust;
} fixture;

static void setup(fixture *f)
{
	memset(f, 0, sizeof(*f));
	REQUIRE(fs_global_init() == 0);
	REQUIRE(fs_key_generate(&f->key) == 0);
	f->trust.key = fs_key_public(f->key);
	REQUIRE(git_repository_init(&f->repo, "r", 1) == 0);
	REQUIRE(git_repository_odb(&f->odb, f->repo) == 0);
}

static void teardown(fixture *f)
{
	git_odb_free(f->odb);
	git_repository_free(f->repo);
	fs_key_free(f->key);
	fs_global_shutdown();
}

typedef struct {
	const char *name, *before, *after;
	int sign_whole; /* 1: sign before+after, 0: other bytes */
} shape;

TEST(verify, same_verdict_as_libgit2_for_every_shape_of_commit)
{
	static const shape shapes[] = {
		{ "plain", TREE "author " WHO "committer " WHO, "\nrecord\n", 1 },
		{ "a parent", TREE "parent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor " WHO
		  "committer " WHO, "\nrecord\n", 1 },
		{ "headers after the signature", TREE "author " WHO "committer " WHO,
		  "x-extra one\n two\nencoding UTF-8\n\nrecord\n\nbody\n", 1 },
		{ "an empty message", TREE "author " WHO "committer " WHO, "\n", 1 },
		{ "a message line like the header", TREE "author " WHO "committer " WHO,
		  "\ngpgsig is not here\n", 1 },
		{ "signed over other bytes", TREE "author " WHO "committer " WHO, "\nrecord\n", 0 },
	};
	fixture f;
	char whole[2048];
	size_t i;

	setup(&f);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const shape *s = &shapes[i];
		fs_verify_result r;
		char problem[512];
		git_oid id;
		int want;

		snprintf(whole, sizeof(whole), "%s%s", s->before, s->after);
		if (!s->sign_whole)
			whole[strlen(whole) - 2] = 'X';
		write_commit(&id, f.repo, f.key, s->before, s->after, whole, strlen(whole));
		want = reference_verdict(f.repo, &id, f.key);
		REQUIRE(fs_verify_commit(f.repo, &id, &f.trust, &r, problem, sizeof(problem)) == 0);
		if (!CHECK(r.good == want && want == s->sign_whole))
			fprintf(stderr, "    %s: ours %d, libgit2 %d (%s)\n", s->name, r.good, want,
				r.problem ? r.problem : "");
	}
	teardown(&f);
}

/* an unsigned commit is "not signed", a problem, not an error */
TEST(verify, an_unsigned_commit_is_a_problem)
{
	static const char raw[] = TREE "author " WHO "committer " WHO "\nrecord\n";
	fixture f;
	fs_verify_result r;
	char problem[512];
	git_oid id;

	setup(&f);
	REQUIRE(git_odb_write(&id, f.odb, raw, sizeof(raw) - 1, GIT_OBJECT_COMMIT) == 0);
	REQUIRE(fs_verify_commit(f.repo, &id, &f.trust, &r, problem, sizeof(problem)) == 0);
	CHECK(!r.good && r.problem && strcmp(r.problem, "not signed") == 0);
	CHECK(r.summary && strcmp(r.summary, "record") == 0);
	teardown(&f);
}

/*
 * A NUL in a signed commit's bytes hides what follows it from libgit2's
 * extract_signature: a header line or message text after one, added to a
 * good commit, must make its signature fail, as in stock git.
 */
TEST(verify, bytes_after_a_nul_are_signed_too)
{
	static const char head[] = TREE "author " WHO "committer " WHO, msg[] = "\nrecord\n";
	/* after the signature: nothing, a header line "\0junk", or the message then "\0junk" */
	static const struct {
		const char *before_msg, *after_msg;
		size_t before_len, after_len;
	} shapes[] = { { "", "", 0, 0 }, { "\0junk\n", "", 6, 0 }, { "", "\0junk\n", 0, 6 } };
	fs_buf sig = FS_BUF_INIT, raw = FS_BUF_INIT;
	char signed_text[512];
	fixture f;
	git_oid id;

	setup(&f);
	snprintf(signed_text, sizeof(signed_text), "%s%s", head, msg);
	REQUIRE(fs_sshsig_sign(&sig, f.key, "git", signed_text, strlen(signed_text)) == 0);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		fs_verify_result r;
		char problem[512];

		fs_buf_clear(&raw);
		fs_buf_puts(&raw, head);
		put_gpgsig(&raw, &sig);
		fs_buf_put(&raw, shapes[i].before_msg, shapes[i].before_len);
		fs_buf_puts(&raw, msg);
		fs_buf_put(&raw, shapes[i].after_msg, shapes[i].after_len);
		REQUIRE(fs_buf_check(&raw) == 0);
		REQUIRE(git_odb_write(&id, f.odb, raw.ptr, raw.size, GIT_OBJECT_COMMIT) == 0);
		REQUIRE(fs_verify_commit(f.repo, &id, &f.trust, &r, problem, sizeof(problem)) == 0);
		if (!CHECK(r.good == (i == 0)))
			fprintf(stderr, "    shape %zu: good %d (%s)\n", i, r.good,
				r.problem ? r.problem : "");
	}
	fs_buf_dispose(&sig);
	fs_buf_dispose(&raw);
	teardown(&f);
}
