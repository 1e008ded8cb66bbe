#include "node/staging.h"

#include <stdlib.h>
#include <string.h>

#include "node/packfile.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct {
	git_oid id;
	git_object_t type;
	size_t len;
	unsigned char *data;
	int used;
} entry;

struct fs_staging {
	git_odb_backend parent;
	entry *v;      /* open addressing on the object id */
	size_t cap, n;
};

static size_t slot(const fs_staging *st, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (st->cap - 1);
}

static entry *find(const fs_staging *st, const git_oid *id)
{
	if (!st->cap)
		return NULL;
	for (size_t i = slot(st, id);; i = (i + 1) & (st->cap - 1)) {
		if (!st->v[i].used)
			return NULL;
		if (git_oid_equal(&st->v[i].id, id))
			return &st->v[i];
	}
}

static int grow(fs_staging *st)
{
	size_t cap = st->cap ? st->cap * 2 : 1024;
	entry *old = st->v, *v = fs_calloc(cap, sizeof(*v));

	if (!v)
		return -1;
	st->v = v;
	for (size_t i = 0, oldcap = st->cap; i < oldcap; i++) {
		size_t j;
		if (!old[i].used)
			continue;
		st->cap = cap;
		for (j = slot(st, &old[i].id); v[j].used; j = (j + 1) & (cap - 1))
			;
		v[j] = old[i];
	}
	st->cap = cap;
	fs_free(old);
	return 0;
}

static int b_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len,
		   git_object_t type)
{
	fs_staging *st = (fs_staging *)b;
	size_t i;

	if (find(st, id))
		return 0;
	if ((st->n + 1) * 2 > st->cap && grow(st) < 0) {
		git_error_set_oom();
		return -1;
	}
	for (i = slot(st, id); st->v[i].used; i = (i + 1) & (st->cap - 1))
		;
	if (!(st->v[i].data = fs_malloc(len ? len : 1))) {
		git_error_set_oom();
		return -1;
	}
	memcpy(st->v[i].data, data, len);
	git_oid_cpy(&st->v[i].id, id);
	st->v[i].type = type;
	st->v[i].len = len;
	st->v[i].used = 1;
	st->n++;
	return 0;
}

static int b_read(void **out, size_t *len, git_object_t *type, git_odb_backend *b,
		  const git_oid *id)
{
	entry *e = find((fs_staging *)b, id);

	if (!e)
		return GIT_ENOTFOUND;
	/* NUL-terminated, as libgit2's own backends give it: git_commit_extract_signature reads
	 * the raw commit with strlen() */
	if (!(*out = git_odb_backend_data_alloc(b, e->len + 1)))
		return -1;
	memcpy(*out, e->data, e->len);
	((char *)*out)[e->len] = '\0';
	*len = e->len;
	*type = e->type;
	return 0;
}

static int b_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	entry *e = find((fs_staging *)b, id);

	if (!e)
		return GIT_ENOTFOUND;
	*len = e->len;
	*type = e->type;
	return 0;
}

static int b_exists(git_odb_backend *b, const git_oid *id)
{
	return find((fs_staging *)b, id) != NULL;
}

void fs_staging_reset(fs_staging *st)
{
	for (size_t i = 0; i < st->cap; i++)
		fs_free(st->v[i].data);
	if (st->cap)
		memset(st->v, 0, st->cap * sizeof(*st->v));
	st->n = 0;
}

static void b_free(git_odb_backend *b)
{
	fs_staging *st = (fs_staging *)b;

	fs_staging_reset(st);
	fs_free(st->v);
	fs_free(st);
}

int fs_staging_new(fs_staging **out)
{
	fs_staging *st = fs_calloc(1, sizeof(*st));

	*out = NULL;
	if (!st)
		return fs_error_set(FS_ENOMEM, "out of memory");
	git_odb_init_backend(&st->parent, GIT_ODB_BACKEND_VERSION);
	st->parent.read = b_read;
	st->parent.read_header = b_read_header;
	st->parent.write = b_write;
	st->parent.exists = b_exists;
	st->parent.free = b_free;
	*out = st;
	return 0;
}

git_odb_backend *fs_staging_backend(fs_staging *st)
{
	return &st->parent;
}

size_t fs_staging_count(const fs_staging *st)
{
	return st->n;
}

int fs_staging_flush(fs_staging *st, git_repository *repo, const char *packdir)
{
	fs_pack_object *objs = NULL;
	char name[64];
	size_t k = 0;
	int rc = 0;

	(void)repo;
	if (st->n == 0)
		return 0;
	if (!(objs = fs_malloc(st->n * sizeof(*objs)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < st->cap; i++) {
		if (!st->v[i].used)
			continue;
		git_oid_cpy(&objs[k].id, &st->v[i].id);
		objs[k].type = st->v[i].type;
		objs[k].data = st->v[i].data;
		objs[k].len = st->v[i].len;
		k++;
	}
	rc = fs_packfile_write(packdir, objs, k, name);
done:
	fs_free(objs);
	fs_staging_reset(st);
	return rc;
}
