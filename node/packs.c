#include "node/packs.h"

#include <stdio.h>
#include <stdlib.h>

#include <git2/sys/repository.h>

#include "util/alloc.h"
#include "util/error.h"

struct fs_packs {
	git_odb_backend parent;
	git_odb_backend *inner; /* libgit2's pack backend */
	char objects[4200];     /* the objects folder */
};

#define INNER(b) (((fs_packs *)(b))->inner)

static int p_read(void **out, size_t *len, git_object_t *type, git_odb_backend *b,
		  const git_oid *id)
{
	return INNER(b)->read(out, len, type, INNER(b), id);
}

static int p_read_prefix(git_oid *full, void **out, size_t *len, git_object_t *type,
			 git_odb_backend *b, const git_oid *id, size_t n)
{
	return INNER(b)->read_prefix(full, out, len, type, INNER(b), id, n);
}

static int p_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	return INNER(b)->read_header(len, type, INNER(b), id);
}

static int p_exists(git_odb_backend *b, const git_oid *id)
{
	return INNER(b)->exists(INNER(b), id);
}

static int p_exists_prefix(git_oid *out, git_odb_backend *b, const git_oid *id, size_t n)
{
	return INNER(b)->exists_prefix(out, INNER(b), id, n);
}

static int p_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
	return INNER(b)->foreach(INNER(b), cb, payload);
}

/*
 * Freshening touches a pack's mtime so that a concurrent `git gc` does not
 * prune an object a writer is about to reference. Only fieldsync writes a
 * node, under its lock, and its gc takes the same lock: the utimes() call
 * (one per tree an import rewrites) buys nothing.
 */
static int p_freshen(git_odb_backend *b, const git_oid *id)
{
	return INNER(b)->exists(INNER(b), id) ? 0 : GIT_ENOTFOUND;
}

static void p_free(git_odb_backend *b)
{
	INNER(b)->free(INNER(b));
	fs_free(b);
}

/*
 * A new inner backend rather than its refresh(): libgit2's refresh adds the
 * packs that appeared but never drops those that were merged away, so a long
 * import would search a list of dead packs that grows with every batch (and
 * keep their files open).
 */
int fs_packs_rescan(fs_packs *packs)
{
	git_odb_backend *fresh = NULL;
	int rc = git_odb_backend_pack(&fresh, packs->objects);

	if (rc < 0)
		return fs_error_git(rc, "cannot read the pack folder '%s'", packs->objects);
	packs->inner->free(packs->inner);
	packs->inner = fresh;
	return 0;
}

int fs_packs_setup(fs_packs **out, git_repository *repo, git_odb_backend *staging)
{
	git_odb *odb = NULL;
	git_odb_backend *loose = NULL;
	fs_packs *p = NULL;
	int rc;

	*out = NULL;
	if (!(p = fs_calloc(1, sizeof(*p)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(p->objects, sizeof(p->objects), "%sobjects", git_repository_path(repo));
	if ((rc = git_odb_new(&odb)) < 0 || (rc = git_odb_backend_pack(&p->inner, p->objects)) < 0)
		goto git_fail;
	git_odb_init_backend(&p->parent, GIT_ODB_BACKEND_VERSION);
	p->parent.read = p_read;
	p->parent.read_prefix = p_read_prefix;
	p->parent.read_header = p_read_header;
	p->parent.exists = p_exists;
	p->parent.exists_prefix = p_exists_prefix;
	p->parent.foreach = p_foreach;
	p->parent.freshen = p_freshen;
	p->parent.free = p_free;
	/* the priorities libgit2 gives its own: packs 2, loose 1 */
	if ((rc = git_odb_add_backend(odb, &p->parent, 2)) < 0)
		goto git_fail;
	*out = p;
	p = NULL;
	if ((rc = git_odb_backend_loose(&loose, (*out)->objects, -1, 1, 0, 0)) < 0)
		goto git_fail;
	if ((rc = git_odb_add_backend(odb, loose, 1)) < 0) {
		loose->free(loose);
		goto git_fail;
	}
	if (staging && (rc = git_odb_add_backend(odb, staging, 1000)) < 0)
		goto git_fail;
	staging = NULL; /* the odb's now */
	if ((rc = git_repository_set_odb(repo, odb)) < 0)
		goto git_fail;
	git_odb_free(odb); /* the repository holds it now */
	return 0;
git_fail:
	rc = fs_error_git(rc, "cannot open the object database of '%s'", git_repository_path(repo));
fail:
	if (p) {
		if (p->inner)
			p->inner->free(p->inner);
		fs_free(p);
	}
	/* not added yet: the caller gave it up all the same */
	if (staging)
		staging->free(staging);
	*out = NULL;
	git_odb_free(odb);
	return rc;
}
