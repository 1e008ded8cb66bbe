/* libgit2's object cache under fs_global_init: no half-swapped object */
#include <stdio.h>

#include <git2.h>

#include "node/node.h"
#include "tests/unit/test.h"
#include "util/alloc.h"

/* three commits in a line, c[0] the root; their trees in t[] */
static void three_commits(git_repository **repo, git_oid c[3], git_oid t[3])
{
	git_signature *who = NULL;
	git_treebuilder *b = NULL;
	git_commit *parent = NULL;
	git_oid blob;
	char text[8];
	int i;

	REQUIRE(git_repository_init(repo, "r", 1) == 0);
	REQUIRE(git_signature_new(&who, "node", "node@example.org", 1700000000, 0) == 0);
	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "{\"n\":%d}", i);
		REQUIRE(git_blob_create_from_buffer(&blob, *repo, text, 7) == 0);
		REQUIRE(git_treebuilder_new(&b, *repo, NULL) == 0);
		REQUIRE(git_treebuilder_insert(NULL, b, "a.json", &blob, GIT_FILEMODE_BLOB) == 0);
		REQUIRE(git_treebuilder_write(&t[i], b) == 0);
		git_treebuilder_free(b);
		git_tree *tree = NULL;
		REQUIRE(git_tree_lookup(&tree, *repo, &t[i]) == 0);
		REQUIRE(git_commit_create_v(&c[i], *repo, NULL, who, who, NULL, "record", tree,
					    i ? 1 : 0, parent) == 0);
		git_tree_free(tree);
		git_commit_free(parent);
		REQUIRE(git_commit_lookup(&parent, *repo, &c[i]) == 0);
	}
	git_commit_free(parent);
	git_signature_free(who);
}

/*
 * libgit2 1.5 caches an object raw when it reads it and swaps in the
 * parsed one when it parses it; when that swap cannot allocate, it hands
 * back the raw object as the commit, with success (cache.c cache_store).
 * Its table grows on the swap when three objects are in it: three commits
 * read raw, then the last one looked up with each allocation failing in
 * turn. Every lookup must fail or give the commit itself.
 */
TEST(objcache, a_commit_lookup_gives_the_commit_or_fails)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	git_oid c[3], t[3];
	unsigned long n, failures, faults = 0;
	int i, rc;

	REQUIRE(fs_global_init() == 0);
	{
		git_repository *made = NULL;
		three_commits(&made, c, t);
		git_repository_free(made);
	}
	for (n = 1;; n++) {
		REQUIRE(git_repository_open(&repo, "r") == 0);
		REQUIRE(git_repository_odb(&odb, repo) == 0);
		for (i = 0; i < 3; i++) {
			REQUIRE(git_odb_read(&raw, odb, &c[i]) == 0);
			git_odb_object_free(raw);
		}
		failures = fs_alloc_failures();
		fs_alloc_fail_at(n);
		rc = git_commit_lookup(&commit, repo, &c[2]);
		fs_alloc_fail_at(0);
		if (rc == 0) {
			if (!CHECK(git_oid_equal(git_commit_tree_id(commit), &t[2]) &&
				   git_commit_parentcount(commit) == 1 &&
				   git_oid_equal(git_commit_parent_id(commit, 0), &c[1])))
				fprintf(stderr, "    allocation %lu: not the commit\n", n);
			git_commit_free(commit);
		}
		git_odb_free(odb);
		git_repository_free(repo);
		if (fs_alloc_failures() == failures)
			break;
		faults++;
	}
	CHECK(faults >= 2);
	fs_global_shutdown();
}
