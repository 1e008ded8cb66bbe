#include "node/pack.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "node/packfile.h"
#include "util/alloc.h"
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
			pack_info *v = fs_realloc(out->v, cap * sizeof(*v));
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

/* Add packdir/<name> to `odb`, alone in its backend. */
static int add_pack(git_odb *odb, git_repository *repo, const char *name)
{
	char idx[4200], rel[128];
	git_odb_backend *be = NULL;
	int rc;

	snprintf(rel, sizeof(rel), "objects/pack/%s.idx", name);
	if ((rc = path_of(idx, sizeof(idx), repo, rel)) < 0)
		return rc;
	if ((rc = git_odb_backend_one_pack(&be, idx)) < 0)
		return fs_error_git(rc, "cannot open pack '%s'", idx);
	if ((rc = git_odb_add_backend(odb, be, 1)) < 0) {
		be->free(be);
		return fs_error_git(rc, "cannot open pack '%s'", idx);
	}
	return 0;
}

typedef struct {
	git_packbuilder *pb;
	git_odb *later;
} insert_ctx;

static int insert_cb(const git_oid *id, void *payload)
{
	insert_ctx *c = payload;
	return git_odb_exists(c->later, id) ? 0 : git_packbuilder_insert(c->pb, id, NULL);
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

/*
 * Write names[i] again without the objects that names[i+1..n) hold too, with
 * libgit2's packbuilder (deltas and all). Callers put the small packs first,
 * so this is the small pack of a push that sent what the store had: the
 * packbuilder's cost grows with it alone. `written` is "" when nothing is
 * left of it.
 */
static int without_later(git_repository *repo, const char *const *names, size_t i, size_t n,
			 char *written, size_t size)
{
	git_odb *self = NULL, *later = NULL;
	insert_ctx c = { NULL, NULL };
	int rc;

	written[0] = '\0';
	if ((rc = git_odb_new(&self)) < 0 || (rc = git_odb_new(&later)) < 0) {
		rc = fs_error_git(rc, "out of memory");
		goto done;
	}
	for (size_t j = i + 1; j < n; j++)
		if ((rc = add_pack(later, repo, names[j])) < 0)
			goto done;
	if ((rc = add_pack(self, repo, names[i])) < 0)
		goto done;
	if ((rc = git_packbuilder_new(&c.pb, repo)) < 0) {
		rc = fs_error_git(rc, "cannot start a pack");
		goto done;
	}
	git_packbuilder_set_threads(c.pb, 1);
	c.later = later;
	if ((rc = git_odb_foreach(self, insert_cb, &c)) < 0) {
		rc = fs_error_git(rc, "cannot read pack '%s'", names[i]);
		goto done;
	}
	if (git_packbuilder_object_count(c.pb) > 0)
		rc = write_pack(c.pb, repo, written, size);
done:
	git_packbuilder_free(c.pb);
	git_odb_free(later);
	git_odb_free(self);
	return rc;
}

/*
 * Concatenate the packs `names` (small ones first) into one, `written`, and
 * remove them. An object in two of them makes the smaller pack be written
 * again without it first (a pack holding an object twice fails `git
 * verify-pack`).
 */
static int combine(git_repository *repo, const char *const *names, size_t n, char *written)
{
	typedef char name_t[80];
	name_t *again = NULL;
	const char **cur = NULL;
	unsigned char *twice = NULL;
	char dir[4096];
	size_t m = n;
	int rc;

	written[0] = '\0';
	if ((rc = path_of(dir, sizeof(dir), repo, "objects/pack")) < 0)
		return rc;
	if (!(again = fs_calloc(n, sizeof(*again))) || !(cur = fs_calloc(n, sizeof(*cur))) ||
	    !(twice = fs_calloc(n, 1))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(cur, names, n * sizeof(*cur));
	for (int round = 0;; round++) {
		size_t k = 0;

		memset(twice, 0, m);
		if (m < 2) {
			snprintf(written, 80, "%s", m ? cur[0] : "");
			break;
		}
		rc = fs_packfile_concat(dir, cur, m, written, twice);
		/* one round of rewrites leaves every object in one pack: a second is a bug */
		if (rc != FS_EEXISTS || round > 0)
			break;
		fs_error_clear();
		for (size_t i = 0; i < m; i++) {
			if (twice[i]) {
				if ((rc = without_later(repo, cur, i, m, again[i], sizeof(again[i]))) < 0)
					goto done;
				cur[i] = again[i];
			}
		}
		for (size_t i = 0; i < m; i++)
			if (cur[i][0])
				cur[k++] = cur[i];
		m = k;
	}
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], written) != 0)
			remove_pack(repo, names[i]);
		if (again[i][0] && strcmp(again[i], written) != 0)
			remove_pack(repo, again[i]);
	}
done:
	if (rc < 0 && again)
		for (size_t i = 0; i < n; i++)
			if (again[i][0])
				remove_pack(repo, again[i]);
	fs_free(twice);
	fs_free(cur);
	fs_free(again);
	return rc;
}

int fs_pack_maintain(git_repository *repo, fs_pack_policy policy)
{
	pack_list packs;
	const char *names[64];
	char written[80];
	long long cap = policy == FS_PACK_HUB ? LLONG_MAX : FS_PACK_AUTO_MAX, sum = 0;
	size_t upto = 0;
	int rc;

	if ((rc = list_packs(repo, &packs)) < 0)
		goto done;
	qsort(packs.v, packs.n, sizeof(pack_info), by_size);
	/* roll up everything below the last pack that breaks the progression */
	for (size_t i = 0; i < packs.n && packs.v[i].size < cap; i++) {
		if (i > 0 && packs.v[i].size < 2 * sum)
			upto = i + 1;
		sum += packs.v[i].size;
	}
	/* a hub also merges its smallest packs past FS_PACK_HUB_PACKS: cheap, they are small */
	if (policy == FS_PACK_HUB && (upto ? packs.n - upto + 1 : packs.n) > FS_PACK_HUB_PACKS)
		upto = packs.n - FS_PACK_HUB_PACKS + 1;
	if (upto > sizeof(names) / sizeof(names[0]))
		upto = sizeof(names) / sizeof(names[0]);
	if (upto < 2)
		goto done;
	for (size_t i = 0; i < upto; i++)
		names[i] = packs.v[i].name;
	rc = combine(repo, names, upto, written);
done:
	fs_free(packs.v);
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
	fs_free(packs.v);
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

/* What is reachable from any ref, into one pack with deltas; the rest goes. */
static int gc_node(git_repository *repo, const pack_list *packs, size_t *objects)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	char written[80];
	int rc;

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
	written[0] = '\0';
	if (git_packbuilder_object_count(pb) > 0 &&
	    (rc = write_pack(pb, repo, written, sizeof(written))) < 0)
		goto done;
	for (size_t i = 0; i < packs->n; i++)
		if (strcmp(packs->v[i].name, written) != 0)
			remove_pack(repo, packs->v[i].name);
	if ((rc = loose_objects(repo, 1, NULL)) < 0)
		goto done;
	*objects = git_packbuilder_object_count(pb);
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return rc;
}

/* The objects of an index: the last entry of its fan-out table. */
static size_t idx_objects(git_repository *repo, const char *name)
{
	unsigned char c[4] = { 0 };
	char rel[128], path[4200];
	FILE *f;

	snprintf(rel, sizeof(rel), "objects/pack/%s.idx", name);
	if (path_of(path, sizeof(path), repo, rel) < 0 || !(f = fopen(path, "rb")))
		return 0;
	if (fseek(f, 8 + 255 * 4, SEEK_SET) != 0 || fread(c, 1, 4, f) != 4)
		memset(c, 0, sizeof(c));
	fclose(f);
	return (size_t)c[0] << 24 | (size_t)c[1] << 16 | (size_t)c[2] << 8 | c[3];
}

/*
 * Every pack into one by concatenation: no reachability walk and no delta
 * search, which the packbuilder cannot do for a hub of millions of objects
 * in bounded memory (680 MiB, 14 minutes). A hub drops nothing: what it
 * received stays. Loose objects (small pushes that git receive-pack
 * unpacked) stay loose.
 */
static int gc_hub(git_repository *repo, pack_list *packs, size_t *objects)
{
	const char **names = NULL;
	char written[80];
	int rc;

	qsort(packs->v, packs->n, sizeof(pack_info), by_size);
	if (!(names = fs_calloc(packs->n ? packs->n : 1, sizeof(*names))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	for (size_t i = 0; i < packs->n; i++)
		names[i] = packs->v[i].name;
	if ((rc = combine(repo, names, packs->n, written)) == 0)
		*objects = written[0] ? idx_objects(repo, written) : 0;
	fs_free(names);
	return rc;
}

int fs_pack_gc(git_repository *repo, fs_pack_policy policy, fs_pack_stats *before,
	       fs_pack_stats *after)
{
	pack_list packs = { 0 };
	size_t objects = 0;
	int rc;

	if (before && (rc = fs_pack_stat(repo, before)) < 0)
		return rc;
	if ((rc = list_packs(repo, &packs)) < 0)
		goto done;
	if (policy == FS_PACK_HUB)
		rc = gc_hub(repo, &packs, &objects);
	else
		rc = gc_node(repo, &packs, &objects);
	if (rc == 0 && after && (rc = fs_pack_stat(repo, after)) == 0)
		after->objects = objects;
done:
	fs_free(packs.v);
	return rc;
}
