#include "node/pack.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "node/packfile.h"
#include "util/error.h"
#include "util/file.h"

typedef struct {
	char name[64]; /* "pack-<hash>" */
	long long size;
} pack_info;

typedef struct {
	pack_info *v;
	size_t n, cap;
} pack_list;

static int path_of(char *out, size_t size, git_repository *repo, const char *rel)
{
	if ((size_t)snprintf(out, size, "%s%s", git_repository_path(repo), rel) >= size)
		return fs_error_set(FS_EINVALID, "repository path too long");
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The packs that have an index and no .keep, with their sizes. */
static int list_packs(git_repository *repo, pack_list *out)
{
	char dir[4096], path[4200];
	DIR *d;
	struct dirent *e;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = path_of(dir, sizeof(dir), repo, "objects/pack")) < 0)
		return rc;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : fs_error_os("cannot read '%s'", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct stat st;
		pack_info *pi;

		if (!has_suffix(e->d_name, ".pack") || len - 5 >= sizeof(pi->name))
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.idx", dir, (int)(len - 5), e->d_name);
		if (!fs_file_exists(path))
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.keep", dir, (int)(len - 5), e->d_name);
		if (fs_file_exists(path))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			pack_info *v = realloc(out->v, cap * sizeof(*v));
			if (!v) {
				rc = fs_error_set(FS_ENOMEM, "out of memory");
				break;
			}
			out->v = v;
			out->cap = cap;
		}
		pi = &out->v[out->n++];
		snprintf(pi->name, sizeof(pi->name), "%.*s", (int)(len - 5), e->d_name);
		pi->size = (long long)st.st_size;
	}
	closedir(d);
	return rc;
}

static int by_size(const void *a, const void *b)
{
	const pack_info *x = a, *y = b;
	return (x->size > y->size) - (x->size < y->size);
}

static int insert_cb(const git_oid *id, void *payload)
{
	return git_packbuilder_insert(payload, id, NULL);
}

static int add_pack_objects(git_packbuilder *pb, git_repository *repo, const char *name)
{
	char idx[4200], rel[128];
	git_odb *odb = NULL;
	git_odb_backend *be = NULL;
	int rc;

	snprintf(rel, sizeof(rel), "objects/pack/%s.idx", name);
	if ((rc = path_of(idx, sizeof(idx), repo, rel)) < 0)
		return rc;
	if ((rc = git_odb_new(&odb)) < 0 || (rc = git_odb_backend_one_pack(&be, idx)) < 0) {
		rc = fs_error_git(rc, "cannot open pack '%s'", idx);
		goto done;
	}
	if ((rc = git_odb_add_backend(odb, be, 1)) < 0) {
		be->free(be);
		rc = fs_error_git(rc, "cannot open pack '%s'", idx);
		goto done;
	}
	if ((rc = git_odb_foreach(odb, insert_cb, pb)) < 0)
		rc = fs_error_git(rc, "cannot read pack '%s'", idx);
done:
	git_odb_free(odb);
	return rc;
}

static void remove_pack(git_repository *repo, const char *name)
{
	static const char *const ext[] = { ".idx", ".pack", ".rev", ".mtimes" };
	char rel[128], path[4200];

	/* the index first: without it no reader picks the pack up any more */
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(rel, sizeof(rel), "objects/pack/%s%s", name, ext[i]);
		if (path_of(path, sizeof(path), repo, rel) == 0)
			unlink(path);
	}
}

static int write_pack(git_packbuilder *pb, git_repository *repo, char *name_out, size_t size)
{
	char dir[4096];
	int rc;

	if ((rc = path_of(dir, sizeof(dir), repo, "objects/pack")) < 0)
		return rc;
	if ((rc = git_packbuilder_write(pb, dir, 0, NULL, NULL)) < 0)
		return fs_error_git(rc, "cannot write a pack in '%s'", dir);
	snprintf(name_out, size, "pack-%s", git_packbuilder_name(pb));
	return 0;
}

/* The old way, with deltas: libgit2's packbuilder (slower: see packfile.h). */
static int repack_objects(git_repository *repo, const pack_info *packs, size_t n,
			  char *written, size_t size)
{
	git_packbuilder *pb = NULL;
	int rc;

	if ((rc = git_packbuilder_new(&pb, repo)) < 0) {
		rc = fs_error_git(rc, "cannot start a pack");
		goto done;
	}
	git_packbuilder_set_threads(pb, 1);
	for (size_t i = 0; i < n; i++)
		if ((rc = add_pack_objects(pb, repo, packs[i].name)) < 0)
			goto done;
	rc = write_pack(pb, repo, written, size);
done:
	git_packbuilder_free(pb);
	return rc;
}

int fs_pack_maintain(git_repository *repo)
{
	pack_list packs;
	const char *names[64];
	char written[80], dir[4096];
	size_t upto = 0;
	long long sum = 0;
	int rc;

	if ((rc = list_packs(repo, &packs)) < 0)
		goto done;
	qsort(packs.v, packs.n, sizeof(pack_info), by_size);
	/* roll up everything below the last pack that breaks the progression */
	for (size_t i = 0; i < packs.n && packs.v[i].size < FS_PACK_AUTO_MAX; i++) {
		if (i > 0 && packs.v[i].size < 2 * sum)
			upto = i + 1;
		sum += packs.v[i].size;
	}
	if (upto > sizeof(names) / sizeof(names[0]))
		upto = sizeof(names) / sizeof(names[0]);
	if (upto < 2)
		goto done;
	for (size_t i = 0; i < upto; i++)
		names[i] = packs.v[i].name;
	if ((rc = path_of(dir, sizeof(dir), repo, "objects/pack")) < 0)
		goto done;
	rc = fs_packfile_concat(dir, names, upto, written);
	if (rc == FS_EEXISTS) /* an object in two packs: the packbuilder sorts it out */
		rc = repack_objects(repo, packs.v, upto, written, sizeof(written));
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < upto; i++)
		if (strcmp(packs.v[i].name, written) != 0)
			remove_pack(repo, packs.v[i].name);
done:
	free(packs.v);
	return rc;
}

static int is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/* Visit the loose objects: count them (and their bytes), or remove them. */
static int loose_objects(git_repository *repo, int remove, fs_pack_stats *st)
{
	char dir[4096], sub[4200], path[4400];
	DIR *d, *sd;
	struct dirent *e, *f;
	int rc;

	if ((rc = path_of(dir, sizeof(dir), repo, "objects")) < 0)
		return rc;
	if (!(d = opendir(dir)))
		return fs_error_os("cannot read '%s'", dir);
	while ((e = readdir(d)) != NULL) {
		if (!is_hex2(e->d_name))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= sizeof(sub) ||
		    !(sd = opendir(sub)))
			continue;
		while ((f = readdir(sd)) != NULL) {
			struct stat s;
			if (f->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", sub, f->d_name) >= sizeof(path))
				continue;
			if (remove) {
				unlink(path);
			} else if (st && stat(path, &s) == 0) {
				st->loose++;
				st->bytes += (long long)s.st_size;
			}
		}
		closedir(sd);
		if (remove)
			rmdir(sub);
	}
	closedir(d);
	return 0;
}

int fs_pack_stat(git_repository *repo, fs_pack_stats *out)
{
	pack_list packs;
	char rel[128], path[4200];
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = list_packs(repo, &packs)) < 0)
		return rc;
	out->packs = packs.n;
	for (size_t i = 0; i < packs.n; i++) {
		out->bytes += packs.v[i].size;
		snprintf(rel, sizeof(rel), "objects/pack/%s.idx", packs.v[i].name);
		if (path_of(path, sizeof(path), repo, rel) == 0 && stat(path, &st) == 0)
			out->bytes += (long long)st.st_size;
	}
	free(packs.v);
	return loose_objects(repo, 0, out);
}

static int push_ref(git_reference *ref, void *payload)
{
	git_reference *resolved = NULL;
	int rc = 0;

	if (git_reference_resolve(&resolved, ref) == 0 &&
	    git_reference_target(resolved) &&
	    git_revwalk_push(payload, git_reference_target(resolved)) < 0)
		rc = -1;
	git_reference_free(resolved);
	git_reference_free(ref);
	return rc;
}

int fs_pack_gc(git_repository *repo, fs_pack_stats *before, fs_pack_stats *after)
{
	pack_list packs = { 0 };
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	char written[80];
	int rc;

	if (before && (rc = fs_pack_stat(repo, before)) < 0)
		return rc;
	if ((rc = list_packs(repo, &packs)) < 0)
		goto done;
	if ((rc = git_packbuilder_new(&pb, repo)) == 0) {
		git_packbuilder_set_threads(pb, 1);
		if ((rc = git_revwalk_new(&walk, repo)) == 0 &&
		    (rc = git_reference_foreach(repo, push_ref, walk)) == 0)
			rc = git_packbuilder_insert_walk(pb, walk);
	}
	if (rc < 0) {
		rc = fs_error_git(rc, "cannot collect the objects to pack");
		goto done;
	}
	if (git_packbuilder_object_count(pb) > 0) {
		if ((rc = write_pack(pb, repo, written, sizeof(written))) < 0)
			goto done;
	} else {
		written[0] = '\0';
	}
	for (size_t i = 0; i < packs.n; i++)
		if (strcmp(packs.v[i].name, written) != 0)
			remove_pack(repo, packs.v[i].name);
	if ((rc = loose_objects(repo, 1, NULL)) < 0)
		goto done;
	if (after) {
		if ((rc = fs_pack_stat(repo, after)) < 0)
			goto done;
		after->objects = git_packbuilder_object_count(pb);
	}
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	free(packs.v);
	return rc;
}
