/* fs_tree_find: a path that is not there, and one that could not be read */
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "node/tree.h"
#include "tests/unit/test.h"
#include "util/alloc.h"
#include "util/error.h"

/* a tree of one folder level per component: a/b/c.json, a/d */
static void write_tree(git_oid *root, git_oid *blob, git_repository *repo)
{
	git_treebuilder *b = NULL, *ab = NULL, *rb = NULL;
	git_oid id;

	REQUIRE(git_blob_create_from_buffer(blob, repo, "{}\n", 3) == 0);
	REQUIRE(git_treebuilder_new(&b, repo, NULL) == 0);
	REQUIRE(git_treebuilder_insert(NULL, b, "c.json", blob, GIT_FILEMODE_BLOB) == 0);
	REQUIRE(git_treebuilder_write(&id, b) == 0);
	REQUIRE(git_treebuilder_new(&ab, repo, NULL) == 0);
	REQUIRE(git_treebuilder_insert(NULL, ab, "b", &id, GIT_FILEMODE_TREE) == 0);
	REQUIRE(git_treebuilder_insert(NULL, ab, "d", blob, GIT_FILEMODE_BLOB) == 0);
	REQUIRE(git_treebuilder_write(&id, ab) == 0);
	REQUIRE(git_treebuilder_new(&rb, repo, NULL) == 0);
	REQUIRE(git_treebuilder_insert(NULL, rb, "a", &id, GIT_FILEMODE_TREE) == 0);
	/* a folder whose object the repository does not have */
	REQUIRE(git_oid_fromstr(&id, "0123456789abcdef0123456789abcdef01234567") == 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	REQUIRE(git_treebuilder_insert(NULL, rb, "m", &id, GIT_FILEMODE_TREE) == 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	REQUIRE(git_treebuilder_write(root, rb) == 0);
	git_treebuilder_free(b);
	git_treebuilder_free(ab);
	git_treebuilder_free(rb);
}

static void open_tree(git_repository **repo, git_tree **tree, git_oid *root, git_oid *blob)
{
	REQUIRE(git_repository_init(repo, "r", 1) == 0);
	write_tree(root, blob, *repo);
	REQUIRE(git_tree_lookup(tree, *repo, root) == 0);
}

/* allocations counted and failed on demand, and a repository "r" to open */
static void faulty_repository(git_oid *root, git_oid *blob)
{
	git_repository *repo = NULL;
	git_tree *tree = NULL;

	REQUIRE(fs_alloc_init() == 0);
	git_libgit2_init();
	REQUIRE(fs_alloc_git_errors() == 0);
	open_tree(&repo, &tree, root, blob);
	git_tree_free(tree);
	git_repository_free(repo);
}

/* fs_tree_find(path) found nothing, without an error */
static int none(const git_tree *tree, const char *path)
{
	git_tree_entry *e = (git_tree_entry *)1;
	int rc = fs_tree_find(&e, tree, path);

	return rc == 0 && e == NULL;
}

TEST(tree, finds_a_path_and_says_none_for_an_absent_one)
{
	git_repository *repo = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid root, blob;

	git_libgit2_init();
	open_tree(&repo, &tree, &root, &blob);
	REQUIRE(fs_tree_find(&e, tree, "a/b/c.json") == 0 && e);
	CHECK(git_oid_equal(git_tree_entry_id(e), &blob));
	git_tree_entry_free(e);
	CHECK(none(tree, "a/b/x.json"));
	CHECK(none(tree, "a/z/c.json"));
	CHECK(none(tree, "a/d/c.json")); /* through a file */
	CHECK(none(tree, ""));
	CHECK(none(tree, "a//b"));
	CHECK(none(tree, "a/b/c.json/"));
	/* the folder itself, typed */
	REQUIRE(fs_tree_find_type(&e, tree, "a/b", GIT_OBJECT_TREE) == 0 && e);
	git_tree_entry_free(e);
	REQUIRE(fs_tree_find_type(&e, tree, "a/b", GIT_OBJECT_BLOB) == 0);
	CHECK(e == NULL);
	git_tree_free(tree);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

TEST(tree, a_missing_folder_object_is_an_error_not_none)
{
	git_repository *repo = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid root, blob;
	int rc;

	git_libgit2_init();
	open_tree(&repo, &tree, &root, &blob);
	rc = fs_tree_find(&e, tree, "m/x.json");
	CHECK_INT(rc, FS_ERROR);
	CHECK(e == NULL);
	CHECK(strstr(fs_error_last()->message, "'m/x.json': folder 0123456789abcdef") != NULL);
	CHECK(strstr(fs_error_last()->message, "missing") != NULL);
	/* the folder's own entry needs no read */
	REQUIRE(fs_tree_find(&e, tree, "m") == 0 && e);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

TEST(tree, a_failed_allocation_is_an_error_not_none)
{
	git_repository *repo = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid root, blob;
	unsigned long n, failures, faults = 0;
	int rc;

	faulty_repository(&root, &blob);
	for (n = 1;; n++) {
		/* a fresh repository each time: nothing of the path in libgit2's cache */
		REQUIRE(git_repository_open(&repo, "r") == 0);
		REQUIRE(git_tree_lookup(&tree, repo, &root) == 0);
		failures = fs_alloc_failures();
		fs_alloc_fail_at(n);
		rc = fs_tree_find(&e, tree, "a/b/c.json");
		fs_alloc_fail_at(0);
		if (fs_alloc_failures() == failures) {
			CHECK(rc == 0 && e && git_oid_equal(git_tree_entry_id(e), &blob));
			git_tree_entry_free(e);
			git_tree_free(tree);
			git_repository_free(repo);
			break;
		}
		faults++;
		/* libgit2 goes on past some failures (a cache insert): then the
		 * answer must still be right */
		if (!CHECK(rc == FS_ENOMEM ||
			   (rc == 0 && e && git_oid_equal(git_tree_entry_id(e), &blob))))
			fprintf(stderr, "    allocation %lu: %s\n", n,
				rc ? fs_error_last()->message : e ? "found" : "none");
		git_tree_entry_free(e);
		git_tree_free(tree);
		git_repository_free(repo);
	}
	/* two folders read and an entry copied: more than a few allocations */
	CHECK(faults >= 3);
	git_libgit2_shutdown();
}

TEST(tree, a_lookup_that_ran_out_of_memory_hands_back_no_tree)
{
	git_repository *repo = NULL;
	git_tree *tree = NULL;
	git_odb *odb = NULL;
	git_oid root, blob;
	unsigned long n, failures;
	int rc;

	faulty_repository(&root, &blob);
	for (n = 1;; n++) {
		REQUIRE(git_repository_open(&repo, "r") == 0);
		/* the object database is opened first: libgit2 1.5 leaks when
		 * opening it fails, which is not what this test is about */
		REQUIRE(git_repository_odb(&odb, repo) == 0);
		git_odb_free(odb);
		failures = fs_alloc_failures();
		tree = (git_tree *)1;
		fs_alloc_fail_at(n);
		rc = fs_tree_lookup(&tree, repo, &root);
		fs_alloc_fail_at(0);
		if (rc == 0) {
			/* a tree handed back is whole: "a" and "m" */
			CHECK(git_tree_entrycount(tree) == 2 && git_tree_entry_byname(tree, "m"));
			CHECK(fs_alloc_failures() == failures);
		} else {
			CHECK(tree == NULL);
		}
		git_tree_free(tree);
		git_repository_free(repo);
		if (fs_alloc_failures() == failures)
			break;
	}
	CHECK(n > 3);
	git_libgit2_shutdown();
}
