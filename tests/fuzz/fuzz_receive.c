/*
 * fuzz_receive.c - the hub's receive checks on whole commits
 *
 * The input is what a push brings: a flags byte, then objects, each a type
 * byte (1 commit, 2 tree, 3 blob, as git numbers them), a 16-bit big-endian
 * length and the object's raw content. They go into an empty hub's object
 * database, in memory (node/staging.c, the backend every write of fieldsync
 * lands in first; emptied after each input), and the last commit is
 * checked as a new refs/heads/cities/tunis, down to its root
 * (fs_check_update). So that the checks behind the signature are reached,
 * with flag bit 0 the target signs each commit with tunis's key, as a node
 * does; a commit's "parent 000...0" line names the commit before it, once
 * signed. Whatever the hub accepts
 *   - was signed here (nothing unsigned, or signed by another key, passes),
 *   - is a single line of commits,
 *   - holds regular files under cities/tunis/ only,
 *   - is refused for quito (enrolled with another key) and for any ref but
 *     a city's.
 * tests/fuzz/mkseeds writes seeds from a real node's history.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "node/key.h"
#include "node/node.h"
#include "node/signers.h"
#include "node/sshsig.h"
#include "node/staging.h"
#include "sync/check.h"
#include "tests/fuzz/fuzz.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

#define CITY_DIR "cities/tunis/"

static git_repository *repo;
static git_odb *odb;
static fs_staging *staged;
static fs_key *tunis;
static fs_signers *signers;
static char dir[] = "/tmp/fuzz_receive-XXXXXX";

static void cleanup(void)
{
	fs_file_remove_tree(dir);
}

/* the registry: tunis and quito, each with its own key */
static int enroll(fs_signers **out)
{
	fs_key *quito = NULL;
	fs_buf text = FS_BUF_INIT;
	int rc;

	if ((rc = fs_key_generate(&tunis)) < 0 || (rc = fs_key_generate(&quito)) < 0)
		goto done;
	fs_buf_puts(&text, "tunis namespaces=\"git\" ");
	if ((rc = fs_ssh_pubkey_format(&text, fs_key_public(tunis), NULL)) < 0)
		goto done;
	fs_buf_puts(&text, "\nquito namespaces=\"git\" ");
	if ((rc = fs_ssh_pubkey_format(&text, fs_key_public(quito), NULL)) < 0)
		goto done;
	fs_buf_puts(&text, "\n");
	if ((rc = fs_buf_check(&text)) == 0)
		rc = fs_signers_parse(out, text.ptr, text.size, "hub/signers");
done:
	fs_key_free(quito);
	fs_buf_dispose(&text);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fs_global_init() < 0 || !mkdtemp(dir))
		abort();
	atexit(cleanup);
	/* each input sees its own objects only, never ones cached from the one before */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if (git_repository_init(&repo, dir, 1) < 0 || git_repository_odb(&odb, repo) < 0 ||
	    fs_staging_new(&staged) < 0 ||
	    git_odb_add_backend(odb, fs_staging_backend(staged), 1000) < 0 ||
	    enroll(&signers) < 0)
		abort();
	/* the registry lives as long as the process */
	return 0;
}

/*
 * Write commit `text` (`len` bytes): its first "parent 000...0" names
 * `prev`, and with `sign` it is signed by tunis's key, as fieldsync signs.
 */
static int put_commit(git_oid *out, const uint8_t *text, size_t len, const git_oid *prev, int sign)
{
	static const char zero[] = "parent 0000000000000000000000000000000000000000";
	fs_buf content = FS_BUF_INIT, armored = FS_BUF_INIT;
	char *at;
	int rc;

	fs_buf_put(&content, text, len);
	if ((rc = fs_buf_check(&content)) < 0)
		goto done;
	if (prev && (at = strstr(content.ptr, zero)) != NULL)
		git_oid_fmt(at + strlen("parent "), prev);
	if (!sign) {
		rc = git_odb_write(out, odb, content.ptr, content.size, GIT_OBJECT_COMMIT);
		goto done;
	}
	if ((rc = fs_sshsig_sign(&armored, tunis, "git", content.ptr, strlen(content.ptr))) < 0)
		goto done;
	while (armored.size && armored.ptr[armored.size - 1] == '\n')
		armored.ptr[--armored.size] = '\0';
	rc = git_commit_create_with_signature(out, repo, content.ptr, armored.ptr, "gpgsig");
done:
	fs_buf_dispose(&content);
	fs_buf_dispose(&armored);
	return rc;
}

/* every entry a folder on the way to cities/tunis/ or in it, or a regular file in it */
static int entry_in_city(const char *root, const git_tree_entry *e, void *payload)
{
	char path[4096];
	int *ok = payload;

	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e));
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		strcat(path, "/");
		if (strncmp(path, CITY_DIR, strlen(path) < strlen(CITY_DIR) ? strlen(path)
									   : strlen(CITY_DIR)) != 0)
			*ok = 0;
	} else if (strncmp(path, CITY_DIR, strlen(CITY_DIR)) != 0 ||
		   git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB) {
		*ok = 0;
	}
	return 0;
}

/* a single line of commits, each with a tree of the city's files only */
static int in_city(const git_oid *tip)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL;
	int ok = git_commit_lookup(&c, repo, tip) == 0;

	while (ok && c) {
		ok = git_commit_parentcount(c) <= 1 && git_commit_tree(&tree, c) == 0 &&
		     git_tree_walk(tree, GIT_TREEWALK_PRE, entry_in_city, &ok) == 0 && ok;
		git_tree_free(tree);
		tree = NULL;
		parent = NULL;
		if (ok && git_commit_parentcount(c) == 1)
			ok = git_commit_parent(&parent, c, 0) == 0;
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_oid tip, id;
	fs_check *check = NULL;
	size_t at = 1;
	int have_tip = 0, sign;

	if (size < 1)
		return 0;
	/* a check of its own: the trees the last one kept are not this input's */
	if (fs_check_new_with(&check, repo, signers) < 0)
		abort();
	sign = data[0] & 1;
	while (at + 3 <= size) {
		int type = data[at];
		size_t len = (size_t)data[at + 1] << 8 | data[at + 2];

		at += 3;
		if (len > size - at)
			break;
		if (type == GIT_OBJECT_COMMIT) {
			if (put_commit(&id, data + at, len, have_tip ? &tip : NULL, sign) < 0)
				goto done;
			git_oid_cpy(&tip, &id);
			have_tip = 1;
		} else if (type == GIT_OBJECT_TREE || type == GIT_OBJECT_BLOB) {
			/* a tree libgit2 cannot parse is the checks' to refuse */
			if (git_odb_write(&id, odb, data + at, len, (git_object_t)type) < 0)
				goto done;
		}
		at += len;
	}
	if (!have_tip || fs_check_update(check, FS_CITY_REF_PREFIX "tunis", NULL, &tip, NULL) < 0)
		goto done;
	FUZZ_ASSERT(sign);
	FUZZ_ASSERT(in_city(&tip));
	FUZZ_ASSERT(fs_check_update(check, FS_CITY_REF_PREFIX "quito", NULL, &tip, NULL) ==
		    FS_EREFUSED);
	FUZZ_ASSERT(fs_check_update(check, "refs/heads/unified", NULL, &tip, NULL) == FS_EREFUSED);
done:
	fs_check_free(check);
	fs_error_clear();
	git_error_clear();
	fs_staging_reset(staged);
	return 0;
}
