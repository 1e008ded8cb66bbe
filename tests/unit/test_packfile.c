/*
 * Concatenated packs, checked by stock git: packs with deltas made by git
 * pack-objects, an object in several of them, then verify-pack, fsck,
 * index-pack (which must write the very same index) and every object read
 * back by git and by libgit2.
 */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "node/pack.h"
#include "node/packfile.h"
#include "util/error.h"

#define PACKDIR "r/.git/objects/pack"

static int sh(const char *script)
{
	int rc = system(script);
	if (rc != 0)
		fprintf(stderr, "    script failed (%d):\n%s\n", rc, script);
	return rc == 0;
}

static void git_env(void)
{
	char cwd[4096];

	REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	setenv("HOME", cwd, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_AUTHOR_NAME", "t", 1);
	setenv("GIT_AUTHOR_EMAIL", "t@fieldsync.invalid", 1);
	setenv("GIT_COMMITTER_NAME", "t", 1);
	setenv("GIT_COMMITTER_EMAIL", "t@fieldsync.invalid", 1);
}

/* The names of r's packs, oldest first. */
static size_t pack_names(char names[8][128], const char *v[8])
{
	char line[128];
	size_t n = 0;
	FILE *f;

	REQUIRE(sh("cd " PACKDIR " && ls -t -r *.pack | sed 's/\\.pack$//' >../../../../names"));
	REQUIRE((f = fopen("names", "r")) != NULL);
	while (n < 8 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(names[n], 128, "%s", line);
		v[n] = names[n];
		n++;
	}
	fclose(f);
	return n;
}

/* A hub's gc: every pack of r into one, by concatenation. */
static void gc_hub(void)
{
	git_repository *repo = NULL;

	git_libgit2_init();
	REQUIRE(git_repository_open(&repo, "r") == 0);
	if (!CHECK(fs_pack_gc(repo, FS_PACK_HUB, NULL, NULL) == 0))
		fprintf(stderr, "    gc: %s\n", fs_error_last()->message);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static int count_cb(const git_oid *id, void *payload)
{
	git_odb *odb = ((void **)payload)[0];
	size_t *n = ((void **)payload)[1];
	git_odb_object *o = NULL;
	git_oid again;

	/* every entry reads back whole and hashes to its id */
	if (git_odb_read(&o, odb, id) < 0 ||
	    git_odb_hash(&again, git_odb_object_data(o), git_odb_object_size(o),
			 git_odb_object_type(o)) < 0 || !git_oid_equal(&again, id)) {
		git_odb_object_free(o);
		return -1;
	}
	git_odb_object_free(o);
	(*n)++;
	return 0;
}

/* libgit2 reads every index entry of the repository's packs; their count. */
static size_t libgit2_entries(void)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	size_t n = 0;
	void *payload[2];

	git_libgit2_init();
	REQUIRE(git_repository_open(&repo, "r") == 0 && git_repository_odb(&odb, repo) == 0);
	payload[0] = odb;
	payload[1] = &n;
	CHECK(git_odb_foreach(odb, count_cb, payload) == 0);
	git_odb_free(odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return n;
}

/* Every object as git reads it before the concat, for the checks after */
#define SNAPSHOT                                                   \
	"git prune-packed\n"                                        \
	"git cat-file --batch-all-objects --batch-check >../before\n" \
	"git cat-file --batch-all-objects --batch >../before.all\n"

/* What stock git says of the one pack left, against what it saw before the concat. */
static const char verify[] =
	"set -e; cd r; P=.git/objects/pack\n"
	"test $(ls $P/*.idx | wc -l) = 1\n"
	"git verify-pack -v $P/*.idx >../vp\n"
	"grep -q 'chain length' ../vp\n"
	"git fsck --full --no-dangling\n"
	"git cat-file --batch-all-objects --batch-check | cmp - ../before\n"
	"git cat-file --batch-all-objects --batch | cmp - ../before.all\n"
	/* git's own indexer makes the same index of the same pack, duplicates included */
	"cp $P/*.pack ../copy.pack\n"
	"git index-pack -o ../copy.idx ../copy.pack >/dev/null\n"
	"cmp ../copy.idx $P/*.idx\n"
	"git show-index <$(ls $P/*.idx) | wc -l >../entries\n"
	"test $(cat ../entries) = $(wc -l <../before)\n";

/* gc as a hub does, then stock git and libgit2 on the one pack left. */
static void gc_and_verify(void)
{
	size_t entries = 0;
	FILE *f;

	gc_hub();
	CHECK(sh(verify));
	REQUIRE((f = fopen("entries", "r")) != NULL);
	CHECK(fscanf(f, "%zu", &entries) == 1);
	fclose(f);
	CHECK_INT(libgit2_entries(), entries);
}

TEST(packfile, concat_deltas_and_duplicates)
{
	char names[8][128], out[64];
	const char *v[8];
	unsigned char twice[8] = { 0 };

	git_env();
	/* six commits of growing files: git packs them as deltas on each other */
	REQUIRE(sh("set -e; git init -q r; cd r\n"
		   "for i in 1 2 3 4 5 6; do\n"
		   "  seq 1 $((i * 300)) | sed \"s/^/line $i /\" >grows.txt\n"
		   "  { seq 1 2000; echo $i; } >same.txt\n"
		   "  git add . && git commit -qm c$i\n"
		   "done\n"
		   "P=.git/objects/pack\n"
		   /* the second pack holds everything the first does: every object twice */
		   "git rev-list --objects HEAD~3 | git pack-objects -q --delta-base-offset $P/pack >/dev/null\n"
		   "sleep 1; git rev-list --objects HEAD~1 | git pack-objects -q --delta-base-offset $P/pack >/dev/null\n"
		   "sleep 1; git rev-list --objects HEAD~1..HEAD | git pack-objects -q --delta-base-offset $P/pack >/dev/null\n"
		   "for i in $P/*.idx; do git verify-pack -v $i; done | grep -q 'chain length'\n"
		   SNAPSHOT));
	/* a plain concat refuses, naming the pack to write again: the first */
	REQUIRE(pack_names(names, v) == 3);
	CHECK(fs_packfile_concat(PACKDIR, v, 3, out, twice) == FS_EEXISTS);
	CHECK(twice[0] == 1 && twice[1] == 0 && twice[2] == 0);
	CHECK(sh("test $(ls " PACKDIR " | grep -c tmp_) = 0"));
	gc_and_verify();

	/* again, with a pack that holds everything the first one does */
	REQUIRE(sh("set -e; cd r; echo 7 >>same.txt; git commit -qam c7\n"
		   "sleep 1; git rev-list --objects HEAD | git pack-objects -q --delta-base-offset .git/objects/pack/pack >/dev/null\n"
		   SNAPSHOT));
	gc_and_verify();
}

TEST(packfile, concat_refuses_a_bad_index)
{
	char out[64];
	const char *v[2];
	unsigned char twice[2] = { 0 };

	git_env();
	REQUIRE(sh("set -e; git init -q r; cd r; echo a >a; git add a; git commit -qm a; git repack -q -a -d\n"
		   "cd .git/objects/pack; for f in *.pack; do echo ${f%.pack}; done >../../../../names\n"
		   "n=$(cat ../../../../names); cp $n.pack pack-bad.pack; cp $n.idx pack-bad.idx\n"
		   "chmod u+w pack-bad.idx; truncate -s 1000 pack-bad.idx\n"));
	v[0] = "pack-bad";
	CHECK(fs_packfile_concat(PACKDIR, v, 1, out, twice) == FS_EINVALID);
	CHECK(sh("test $(ls " PACKDIR " | grep -c tmp_) = 0"));
}

/* The resident memory a concat adds, in KiB, measured in a child of its own. */
static long concat_peak_kib(const char *const *v, size_t n)
{
	int status = 0, fds[2];
	long kib = -1;
	pid_t pid;

	REQUIRE(pipe(fds) == 0);
	if ((pid = fork()) == 0) {
		struct rusage ru;
		long before = 0, size = 0, pages = 0;
		char out[64];
		unsigned char twice[4] = { 0 };
		FILE *f = fopen("/proc/self/statm", "r");
		if (!f || fscanf(f, "%ld %ld", &size, &pages) != 2)
			_exit(2);
		fclose(f);
		before = pages * (sysconf(_SC_PAGESIZE) / 1024);
		if (fs_packfile_concat(PACKDIR, v, n, out, twice) < 0 || getrusage(RUSAGE_SELF, &ru) < 0)
			_exit(3);
		kib = ru.ru_maxrss - before;
		if (write(fds[1], &kib, sizeof(kib)) != sizeof(kib))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &kib, sizeof(kib)) != sizeof(kib))
		kib = -1;
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return kib;
}

/* Four packs of 150,000 small blobs each, written in a child so that its heap is gone. */
static void write_blob_packs(char names[4][64])
{
	int fds[2], status = 0;
	pid_t pid;

	REQUIRE(pipe(fds) == 0);
	if ((pid = fork()) == 0) {
		enum { N = 150000 };
		static char data[N][24];
		static fs_pack_object o[N];
		for (int p = 0; p < 4; p++) {
			for (int i = 0; i < N; i++) {
				int len = snprintf(data[i], sizeof(data[i]), "blob %d.%d\n", p, i);
				o[i] = (fs_pack_object){ .type = GIT_OBJECT_BLOB,
							 .data = (unsigned char *)data[i], .len = (size_t)len };
				git_odb_hash(&o[i].id, data[i], (size_t)len, GIT_OBJECT_BLOB);
			}
			if (fs_packfile_write(PACKDIR, o, N, names[p]) < 0 ||
			    write(fds[1], names[p], 64) != 64)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	for (int p = 0; p < 4; p++)
		REQUIRE(read(fds[0], names[p], 64) == 64);
	close(fds[0]);
	waitpid(pid, &status, 0);
	REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(packfile, concat_memory_is_bounded)
{
	char names[4][64];
	const char *v[4];
	long kib;

	git_env();
	REQUIRE(sh("git init -q r"));
	write_blob_packs(names);
	for (int i = 0; i < 4; i++)
		v[i] = names[i];
	/* 600,000 entries: 19 MiB of ids to sort, were they held at once */
	kib = concat_peak_kib(v, 4);
	if (!CHECK(kib >= 0 && kib < 8 * 1024))
		fprintf(stderr, "    the concat took %ld KiB\n", kib);
	CHECK(sh("set -e; cd r; P=.git/objects/pack\n"
		 "test $(ls $P/*.idx | wc -l) = 5\n"
		 "git show-index <$(ls -t $P/*.idx | head -1) | wc -l | grep -qx 600000\n"
		 "git verify-pack $(ls -t $P/*.idx | head -1)\n"));
}
