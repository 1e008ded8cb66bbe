#include "node/treediff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/tree.h"
#include "util/alloc.h"
#include "util/error.h"

/*
 * Direct-mapped on the id: a tree displaces the one in its slot. Bounded (at
 * most MEMO_SLOTS parsed trees, a few MiB) and with no eviction to pay for;
 * the upper folders of a city, which every commit rewrites, are found again
 * by the next commit, and the deeper ones while they are recent.
 */
#ifndef FS_TREE_MEMO_SLOTS
#define FS_TREE_MEMO_SLOTS 8192
#endif

struct fs_tree_memo {
	git_tree *slot[FS_TREE_MEMO_SLOTS];
};

int fs_tree_memo_new(fs_tree_memo **out)
{
	if (!(*out = fs_calloc(1, sizeof(**out))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	return 0;
}

void fs_tree_memo_free(fs_tree_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < FS_TREE_MEMO_SLOTS; i++)
		git_tree_free(m->slot[i]);
	fs_free(m);
}

int fs_tree_memo_lookup(git_tree **out, fs_tree_memo *m, git_repository *repo, const git_oid *id)
{
	/* ids are uniform: their first bytes are as good a hash as any */
	size_t i = ((size_t)id->id[0] << 16 | (size_t)id->id[1] << 8 | id->id[2]) %
		   FS_TREE_MEMO_SLOTS;
	git_tree *t;
	int rc;

	*out = NULL;
	if (m->slot[i] && git_oid_equal(git_tree_id(m->slot[i]), id))
		return git_object_dup((git_object **)out, (git_object *)m->slot[i]);
	if ((rc = fs_tree_lookup(&t, repo, id)) < 0)
		return rc;
	git_tree_free(m->slot[i]);
	m->slot[i] = t;
	return git_object_dup((git_object **)out, (git_object *)t);
}

static int memo_lookup(git_tree **out, void *payload, git_repository *repo, const git_oid *id)
{
	return fs_tree_memo_lookup(out, payload, repo, id);
}

int fs_tree_memo_find(git_tree_entry **out, fs_tree_memo *m, const git_tree *tree,
		      const char *path)
{
	return fs_tree_find_with(out, tree, path, memo_lookup, m);
}

typedef struct {
	git_repository *repo;
	fs_tree_memo *memo;
	fs_tree_diff_cb cb;
	void *payload;
	char path[4096];
} walk;

static int diff(walk *w, const git_tree *old, const git_tree *new_, size_t at, int depth);

static int lookup(git_tree **out, walk *w, const git_oid *id)
{
	return w->memo ? fs_tree_memo_lookup(out, w->memo, w->repo, id) :
	       fs_tree_lookup(out, w->repo, id);
}

/* Descend into `name` below path[0..at), then cut the path back. */
static int descend(walk *w, const git_tree_entry *a, const git_tree_entry *b, size_t at,
		   int depth)
{
	const char *name = git_tree_entry_name(a ? a : b);
	size_t len = strlen(name);
	git_tree *ta = NULL, *tb = NULL;
	int rc;

	if (depth >= FS_TREE_DIFF_MAX_DEPTH)
		return fs_error_set(FS_EINVALID, "%.*s: folders nested deeper than %d", (int)at,
				    w->path, FS_TREE_DIFF_MAX_DEPTH);
	if (at + len + 2 > sizeof(w->path))
		return fs_error_set(FS_EINVALID, "%.*s%s: path too long", (int)at, w->path, name);
	memcpy(w->path + at, name, len);
	w->path[at + len] = '/';
	w->path[at + len + 1] = '\0';
	if ((a && (rc = lookup(&ta, w, git_tree_entry_id(a))) < 0) ||
	    (b && (rc = lookup(&tb, w, git_tree_entry_id(b))) < 0))
		rc = fs_error_git(rc, "%s: cannot read the folder", w->path);
	else
		rc = diff(w, ta, tb, at + len + 1, depth + 1);
	git_tree_free(ta);
	git_tree_free(tb);
	w->path[at] = '\0';
	return rc;
}

/* A name that differs: a folder is walked into, anything else reported. */
static int one(walk *w, const git_tree_entry *a, const git_tree_entry *b, size_t at, int depth)
{
	const git_tree_entry *e = a ? a : b;
	const char *name;
	size_t len;
	int rc;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return descend(w, a, b, at, depth);
	name = git_tree_entry_name(e);
	/* judged under its whole name or not at all: a cut name is another file's */
	if (at + (len = strlen(name)) + 1 > sizeof(w->path))
		return fs_error_set(FS_EINVALID, "%.*s%s: path too long", (int)at, w->path, name);
	memcpy(w->path + at, name, len + 1);
	rc = w->cb(w->path, a, b, w->payload);
	w->path[at] = '\0';
	return rc;
}

static int diff(walk *w, const git_tree *old, const git_tree *new_, size_t at, int depth)
{
	size_t i = 0, j = 0, ni = old ? git_tree_entrycount(old) : 0,
	       nj = new_ ? git_tree_entrycount(new_) : 0;
	int rc = 0;

	while (rc == 0 && (i < ni || j < nj)) {
		const git_tree_entry *a = i < ni ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *b = j < nj ? git_tree_entry_byindex(new_, j) : NULL;
		/* git's order: a folder sorts as its name and a slash, so a folder and
		   a file of one name are two paths, one removed and one added */
		int cmp = !a ? 1 : !b ? -1 : git_tree_entry_cmp(a, b);
		if (cmp < 0) {
			rc = one(w, a, NULL, at, depth);
			i++;
		} else if (cmp > 0) {
			rc = one(w, NULL, b, at, depth);
			j++;
		} else {
			i++, j++;
			if (git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) &&
			    git_tree_entry_filemode(a) == git_tree_entry_filemode(b))
				continue;
			rc = one(w, a, b, at, depth);
		}
	}
	return rc;
}

int fs_tree_diff(git_repository *repo, const git_tree *old, const git_tree *new_,
		 fs_tree_diff_cb cb, void *payload)
{
	return fs_tree_diff_memo(repo, NULL, old, new_, cb, payload);
}

int fs_tree_diff_memo(git_repository *repo, fs_tree_memo *memo, const git_tree *old,
		      const git_tree *new_, fs_tree_diff_cb cb, void *payload)
{
	walk w;

	w.repo = repo;
	w.memo = memo;
	w.cb = cb;
	w.payload = payload;
	w.path[0] = '\0';
	if (old && new_ && git_oid_equal(git_tree_id(old), git_tree_id(new_)))
		return 0;
	return diff(&w, old, new_, 0, 0);
}
