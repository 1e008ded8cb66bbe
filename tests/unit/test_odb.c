#include <stdio.h>
#include <stdlib.h>

#include <git2.h>

#include "node/odb.h"
#include "tests/unit/test.h"
#include "util/alloc.h"
#include "util/error.h"

/* ./r: one blob loose, one in a pack */
static void two_objects(git_oid *loose, git_oid *packed)
{
	git_repository *repo = NULL;
	char cmd[256];

	REQUIRE(fs_alloc_init() == 0);
	git_libgit2_init();
	REQUIRE(fs_alloc_git_errors() == 0);
	REQUIRE(git_repository_init(&repo, "r", 1) == 0);
	REQUIRE(git_blob_create_from_buffer(packed, repo, "packed\n", 7) == 0);
	git_repository_free(repo);
	snprintf(cmd, sizeof(cmd),
		 "echo %s | git --git-dir=r pack-objects -q r/objects/pack/pack >/dev/null && "
		 "git --git-dir=r prune-packed && test ! -e r/objects/%.2s",
		 git_oid_tostr_s(packed), git_oid_tostr_s(packed));
	REQUIRE(system(cmd) == 0);
	REQUIRE(git_repository_open(&repo, "r") == 0);
	REQUIRE(git_blob_create_from_buffer(loose, repo, "loose\n", 6) == 0);
	git_repository_free(repo);
}

TEST(odb, says_which_objects_it_holds)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid loose, packed, absent;

	two_objects(&loose, &packed);
	REQUIRE(git_repository_open(&repo, "r") == 0 && git_repository_odb(&odb, repo) == 0);
	CHECK(fs_odb_has(odb, &loose) == 1);
	CHECK(fs_odb_has(odb, &packed) == 1);
	REQUIRE(git_oid_fromstr(&absent, "0123456789abcdef0123456789abcdef01234567") == 0);
	CHECK(fs_odb_has(odb, &absent) == 0);
	git_odb_free(odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

/* Ask `ask` whether a repository opened anew holds `id`, with allocation n failing */
static int asked(int (*ask)(git_odb *, const git_oid *), const git_oid *id, unsigned long n,
		 int *failed)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	unsigned long failures;
	int answer;

	REQUIRE(git_repository_open(&repo, "r") == 0);
	REQUIRE(git_repository_odb(&odb, repo) == 0);
	failures = fs_alloc_failures();
	fs_alloc_fail_at(n);
	answer = ask(odb, id);
	fs_alloc_fail_at(0);
	*failed = fs_alloc_failures() != failures;
	git_odb_free(odb);
	git_repository_free(repo);
	return answer;
}

/*
 * Each allocation of the question, failed in turn, on a repository opened
 * anew (its packs not yet listed): libgit2 alone answers "not there" for
 * some of them; fs_odb_has answers right or says out of memory.
 */
TEST(odb, a_failed_allocation_is_an_error_not_absent)
{
	git_oid ids[2];
	unsigned long lies = 0, faults = 0;

	two_objects(&ids[0], &ids[1]);
	for (int which = 0; which < 2; which++) {
		for (unsigned long n = 1;; n++) {
			int failed, has;

			if (!asked(git_odb_exists, &ids[which], n, &failed) && failed)
				lies++;
			has = asked(fs_odb_has, &ids[which], n, &failed);
			if (!failed) {
				CHECK(has == 1);
				break;
			}
			faults++;
			if (!CHECK(has == 1 || has == FS_ENOMEM))
				fprintf(stderr, "    %s object, allocation %lu: %d\n",
					which ? "packed" : "loose", n, has);
		}
	}
	CHECK(faults >= 2);
	/* what the helper is for: libgit2 alone takes a failed allocation for "no" */
	CHECK(lies >= 1);
	git_libgit2_shutdown();
}
