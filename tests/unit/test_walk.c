/* node/walk.c: a walk cut short by a failed allocation is an error */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "node/node.h"
#include "node/walk.h"
#include "tests/unit/test.h"
#include "util/alloc.h"
#include "util/error.h"

#define LINE 40

static git_oid line_ids[LINE]; /* a_line's commits, oldest first */

/* LINE commits in a line in "r", the newest in *tip, the first in *root */
static void a_line(git_oid *tip, git_oid *root)
{
	git_repository *repo = NULL;
	git_signature *who = NULL;
	git_treebuilder *b = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_oid tree_id;
	int i;

	REQUIRE(git_repository_init(&repo, "r", 1) == 0);
	REQUIRE(git_signature_new(&who, "node", "node@example.org", 1700000000, 0) == 0);
	REQUIRE(git_treebuilder_new(&b, repo, NULL) == 0);
	REQUIRE(git_treebuilder_write(&tree_id, b) == 0);
	REQUIRE(git_tree_lookup(&tree, repo, &tree_id) == 0);
	for (i = 0; i < LINE; i++) {
		REQUIRE(git_commit_create_v(tip, repo, NULL, who, who, NULL, "record", tree,
					    parent ? 1 : 0, parent) == 0);
		if (!parent)
			git_oid_cpy(root, tip);
		git_oid_cpy(&line_ids[i], tip);
		git_commit_free(parent);
		REQUIRE(git_commit_lookup(&parent, repo, tip) == 0);
	}
	git_commit_free(parent);
	git_tree_free(tree);
	git_treebuilder_free(b);
	git_signature_free(who);
	git_repository_free(repo);
}

/* how a walk ended, in a child: libgit2 1.5 itself crashes on some failed
 * allocations inside its walk (not ours to fix: counted, not failed) */
enum { WHOLE = 10, FAILED, CUT_SHORT };

static int walk_once(const git_oid *tip, const git_oid *root, unsigned long n, int use_guard)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	unsigned long failures;
	git_oid id;
	int rc, seen = 0;

	(void)root;
	if (git_repository_open(&repo, "r") < 0)
		return 1;
	failures = fs_alloc_failures();
	fs_alloc_fail_at(n);
	rc = git_revwalk_new(&walk, repo);
	if (rc == 0)
		rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	if (rc == 0)
		rc = git_revwalk_push(walk, tip);
	while (rc == 0 && (rc = use_guard ? fs_revwalk_next(&id, walk, failures)
					  : git_revwalk_next(&id, walk)) == 0)
		seen++;
	fs_alloc_fail_at(0);
	if (fs_alloc_failures() == failures)
		return 0; /* allocation n was not reached */
	return rc != GIT_ITEROVER ? FAILED : seen == LINE ? WHOLE : CUT_SHORT;
}

/* is `tip` a descendant of `root`, asked in a child: WHOLE for "yes" */
static int ask_once(const git_oid *tip, const git_oid *root, unsigned long n, int use_guard)
{
	git_repository *repo = NULL;
	unsigned long failures;
	int rc;

	if (git_repository_open(&repo, "r") < 0)
		return 1;
	failures = fs_alloc_failures();
	fs_alloc_fail_at(n);
	rc = use_guard ? fs_descendant_of(repo, tip, root) : git_graph_descendant_of(repo, tip, root);
	fs_alloc_fail_at(0);
	if (fs_alloc_failures() == failures)
		return 0;
	return rc < 0 ? FAILED : rc == 1 ? WHOLE : CUT_SHORT;
}

typedef int (*trial_fn)(const git_oid *tip, const git_oid *root, unsigned long n, int use_guard);

/* `trial` in a child for each allocation n in turn: counts of each end */
static void every_allocation(trial_fn trial, const git_oid *tip, const git_oid *root, int use_guard,
			     unsigned long counts[CUT_SHORT + 2])
{
	unsigned long n;

	for (n = 1;; n++) {
		int status;
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			/* libgit2's crashes, and the sanitizer's reports of them, are counted, not shown */
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, 2);
			_exit(trial(tip, root, n, use_guard));
		}
		REQUIRE(waitpid(pid, &status, 0) == pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;
		if (WIFEXITED(status) && WEXITSTATUS(status) >= WHOLE &&
		    WEXITSTATUS(status) <= CUT_SHORT)
			counts[WEXITSTATUS(status)]++;
		else
			counts[CUT_SHORT + 1]++; /* a crash inside libgit2 */
	}
}

/*
 * `trial` at every allocation, guarded and as libgit2 alone; what each
 * ended with, shown as `words` say ("whole", "cut short"). Guarded, it
 * never ends cut short. Returns how often libgit2 alone did.
 */
static unsigned long both(trial_fn trial, const git_oid *tip, const git_oid *root,
			  const char *whole, const char *cut)
{
	unsigned long ours[CUT_SHORT + 2] = { 0 }, theirs[CUT_SHORT + 2] = { 0 };

	every_allocation(trial, tip, root, 1, ours);
	every_allocation(trial, tip, root, 0, theirs);
	fprintf(stderr, "    guarded: %lu %s, %lu failed, %lu %s, %lu crashed in libgit2\n",
		ours[WHOLE], whole, ours[FAILED], ours[CUT_SHORT], cut, ours[CUT_SHORT + 1]);
	fprintf(stderr, "    libgit2 alone: %lu %s, %lu failed, %lu %s\n", theirs[WHOLE], whole,
		theirs[FAILED], theirs[CUT_SHORT], cut);
	CHECK(ours[CUT_SHORT] == 0);
	CHECK(ours[FAILED] > LINE);
	return theirs[CUT_SHORT];
}

/*
 * Every allocation of a walk over the line fails in turn: the walk gives
 * every commit or ends in an error, never an early end that looks like the
 * root. libgit2 1.5's own git_revwalk_next does end early at some of them
 * (a sync so found nothing to send): shown too, so that this test shows
 * what it guards against.
 */
TEST(walk, a_walk_gives_every_commit_or_an_error)
{
	git_oid tip, root;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	CHECK(both(walk_once, &tip, NULL, "whole", "cut short") > 0);
	fs_global_shutdown();
}

/* the same for a descendant query: "no" only when it is so */
TEST(walk, a_descendant_query_answers_or_fails)
{
	git_oid tip, root;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	both(ask_once, &tip, &root, "yes", "no");
	fs_global_shutdown();
}

/* a commit the repository lacks: "no", either way, not an error */
TEST(walk, a_missing_commit_descends_from_nothing)
{
	git_repository *repo = NULL;
	git_oid tip, root, missing;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	REQUIRE(git_oid_fromstr(&missing, "0123456789abcdef0123456789abcdef01234567") == 0);
	REQUIRE(git_repository_open(&repo, "r") == 0);
	CHECK(fs_descendant_of(repo, &tip, &missing) == 0);
	CHECK(fs_descendant_of(repo, &missing, &tip) == 0);
	CHECK(fs_descendant_of(repo, &tip, &tip) == 0); /* git's answer: not its own descendant */
	git_repository_free(repo);
	fs_global_shutdown();
}

/* a commit in "r" on `tree` of the commit `on`, with parents `p` (n of them) */
static void commit_on(git_oid *out, const git_oid *on, const git_oid *const *p, size_t n)
{
	git_repository *repo = NULL;
	git_signature *who = NULL;
	git_commit *base = NULL, *parents[2] = { NULL, NULL };
	git_tree *tree = NULL;

	REQUIRE(n <= 2);
	REQUIRE(git_repository_open(&repo, "r") == 0);
	REQUIRE(git_signature_new(&who, "node", "node@example.org", 1700000001, 0) == 0);
	REQUIRE(git_commit_lookup(&base, repo, on) == 0);
	REQUIRE(git_commit_tree(&tree, base) == 0);
	for (size_t i = 0; i < n; i++)
		REQUIRE(git_commit_lookup(&parents[i], repo, p[i]) == 0);
	REQUIRE(git_commit_create(out, repo, NULL, who, who, NULL, n == 2 ? "merge" : "other",
				  tree, n, (const git_commit **)parents) == 0);
	for (size_t i = 0; i < n; i++)
		git_commit_free(parents[i]);
	git_tree_free(tree);
	git_commit_free(base);
	git_signature_free(who);
	git_repository_free(repo);
}

/* fs_line from `from` to `to`: its code, the ids in `ids`, their number in *n */
static int line(git_oid **ids, size_t *n, git_oid *at, const git_oid *from, const git_oid *to)
{
	git_repository *repo = NULL;
	int rc;

	*ids = NULL;
	*n = 0;
	REQUIRE(git_repository_open(&repo, "r") == 0);
	rc = fs_line(ids, n, at, repo, from, to);
	git_repository_free(repo);
	return rc;
}

static int same_ids(const git_oid *got, const git_oid *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!git_oid_equal(&got[i], &want[i]))
			return 0;
	return 1;
}

TEST(walk, a_line_is_its_commits_after_from_oldest_first)
{
	git_oid tip, root, zero, at, *ids = NULL;
	size_t n;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	memset(&zero, 0, sizeof(zero));
	CHECK_INT(line(&ids, &n, &at, NULL, &tip), 0);
	CHECK_INT(n, LINE);
	CHECK(n == LINE && same_ids(ids, line_ids, LINE));
	fs_free(ids);
	CHECK_INT(line(&ids, &n, &at, &zero, &tip), 0);
	CHECK(n == LINE && same_ids(ids, line_ids, LINE));
	fs_free(ids);
	CHECK_INT(line(&ids, &n, &at, &line_ids[9], &tip), 0);
	CHECK_INT(n, LINE - 10);
	CHECK(n == LINE - 10 && same_ids(ids, line_ids + 10, LINE - 10));
	fs_free(ids);
	CHECK_INT(line(&ids, &n, &at, &line_ids[LINE - 2], &tip), 0);
	CHECK(n == 1 && git_oid_equal(&ids[0], &tip));
	fs_free(ids);
	/* from the tip to itself: nothing to send */
	CHECK_INT(line(&ids, &n, &at, &tip, &tip), 0);
	CHECK_INT(n, 0);
	fs_free(ids);
	fs_global_shutdown();
}

TEST(walk, a_from_off_the_line_is_a_rewrite_named_at_the_root)
{
	git_oid tip, root, other, at, *ids = NULL;
	size_t n;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	commit_on(&other, &tip, NULL, 0); /* another root */
	CHECK_INT(line(&ids, &n, &at, &other, &tip), FS_EVERIFY);
	CHECK(git_oid_equal(&at, &root));
	fs_free(ids);
	/* backwards: the tip is not before one of its ancestors */
	CHECK_INT(line(&ids, &n, &at, &tip, &line_ids[5]), FS_EVERIFY);
	CHECK(git_oid_equal(&at, &root));
	fs_free(ids);
	fs_global_shutdown();
}

TEST(walk, a_merge_on_the_line_is_named_and_one_before_from_is_not_walked)
{
	git_oid tip, root, other, merge, child, at, *ids = NULL;
	const git_oid *two[2], *one[1];
	size_t n;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	commit_on(&other, &tip, NULL, 0);
	two[0] = &tip;
	two[1] = &other;
	commit_on(&merge, &tip, two, 2);
	one[0] = &merge;
	commit_on(&child, &tip, one, 1);
	CHECK_INT(line(&ids, &n, &at, NULL, &merge), FS_EINVALID);
	CHECK(git_oid_equal(&at, &merge));
	fs_free(ids);
	CHECK_INT(line(&ids, &n, &at, &tip, &child), FS_EINVALID);
	CHECK(git_oid_equal(&at, &merge));
	fs_free(ids);
	CHECK_INT(line(&ids, &n, &at, &merge, &child), 0);
	CHECK(n == 1 && git_oid_equal(&ids[0], &child));
	fs_free(ids);
	fs_global_shutdown();
}

TEST(walk, a_commit_the_repository_lacks_is_an_error_not_a_verdict)
{
	git_oid tip, root, missing, at, *ids = NULL;
	size_t n;
	int rc;

	REQUIRE(fs_global_init() == 0);
	a_line(&tip, &root);
	REQUIRE(git_oid_fromstr(&missing, "0123456789abcdef0123456789abcdef01234567") == 0);
	rc = line(&ids, &n, &at, NULL, &missing);
	CHECK(rc < 0 && rc != FS_EVERIFY && rc != FS_EINVALID);
	fs_free(ids);
	fs_global_shutdown();
}
