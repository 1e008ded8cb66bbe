/* Walking the records of a tree in creation order (node/record.h). */
#include "node/record.h"

#include <stdlib.h>
#include <string.h>

#include "node/tree.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct {
	char id[FS_ID_BYTES];
	fs_kind kind;
	git_oid blob;
} listed;

typedef struct {
	listed *v;
	size_t n, cap;
	fs_kind kind;
} listing;

static int collect(const char *root, const git_tree_entry *e, void *payload)
{
	listing *l = payload;
	const char *name = git_tree_entry_name(e);
	size_t len = strlen(name);
	(void)root;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len != FS_ID_BYTES - 1 + 5 ||
	    strcmp(name + FS_ID_BYTES - 1, ".json") != 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		listed *v = fs_realloc(l->v, cap * sizeof(*v));
		if (!v)
			return fs_error_set(FS_ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	memcpy(l->v[l->n].id, name, FS_ID_BYTES - 1);
	l->v[l->n].id[FS_ID_BYTES - 1] = '\0';
	if (!fs_id_valid(l->v[l->n].id))
		return 0;
	l->v[l->n].kind = l->kind;
	git_oid_cpy(&l->v[l->n].blob, git_tree_entry_id(e));
	l->n++;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const listed *)a)->id, ((const listed *)b)->id);
}

/*
 * One city's records, sorted by id: the list holds one city at a time, so a
 * walk of many cities needs the memory of the largest, not of all of them.
 */
static int walk_city(listing *l, git_repository *repo, const git_tree *city, const char *name,
		     unsigned kinds, fs_record_cb cb, void *payload)
{
	static const fs_kind all[] = { FS_KIND_ACTION, FS_KIND_SERVICE, FS_KIND_ERASURE };
	int rc = 0;

	l->n = 0;
	for (size_t i = 0; i < 3; i++) {
		const git_tree_entry *e = git_tree_entry_byname(city, fs_kind_folder(all[i]));
		git_tree *sub = NULL;
		if (!(kinds & all[i]) || !e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
			continue; /* no record of this kind yet */
		if ((rc = fs_tree_lookup(&sub, repo, git_tree_entry_id(e))) < 0)
			return fs_error_git(rc, "city '%s': cannot read %s/", name,
					    fs_kind_folder(all[i]));
		l->kind = all[i];
		rc = git_tree_walk(sub, GIT_TREEWALK_PRE, collect, l);
		git_tree_free(sub);
		if (rc < 0)
			return rc == FS_ENOMEM ? rc : fs_error_git(rc, "city '%s': cannot read %s/",
								  name, fs_kind_folder(all[i]));
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), by_id);
	for (size_t i = 0; i < l->n; i++) {
		git_blob *blob = NULL;
		if ((rc = git_blob_lookup(&blob, repo, &l->v[i].blob)) < 0)
			return fs_error_git(rc, "record '%s': cannot read it", l->v[i].id);
		rc = cb(l->v[i].id, l->v[i].kind, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob), payload);
		git_blob_free(blob);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int fs_record_foreach_tree(git_repository *repo, const git_tree *root, const char *city,
			   unsigned kinds, fs_record_cb cb, void *payload)
{
	const git_tree_entry *e = git_tree_entry_byname(root, "cities");
	listing l = { NULL, 0, 0, FS_KIND_ACTION };
	git_tree *cities = NULL, *sub = NULL;
	int rc = 0;

	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0; /* nothing recorded yet */
	if ((rc = fs_tree_lookup(&cities, repo, git_tree_entry_id(e))) < 0)
		return fs_error_git(rc, "cannot read cities/");
	for (size_t i = 0; i < git_tree_entrycount(cities); i++) {
		const git_tree_entry *c = git_tree_entry_byindex(cities, i);
		const char *name = git_tree_entry_name(c);
		if ((city && strcmp(city, name) != 0) || git_tree_entry_type(c) != GIT_OBJECT_TREE)
			continue;
		if ((rc = fs_tree_lookup(&sub, repo, git_tree_entry_id(c))) < 0) {
			rc = fs_error_git(rc, "city '%s': cannot read its folder", name);
			goto done;
		}
		if ((rc = walk_city(&l, repo, sub, name, kinds, cb, payload)) != 0)
			goto done;
		git_tree_free(sub);
		sub = NULL;
	}
done:
	git_tree_free(sub);
	git_tree_free(cities);
	fs_free(l.v);
	return rc;
}

int fs_record_foreach(const fs_node *node, unsigned kinds, fs_record_cb cb, void *payload)
{
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int rc;

	if ((rc = fs_node_head(&head, node)) < 0)
		return rc;
	if ((rc = git_commit_tree(&tree, head)) < 0)
		rc = fs_error_git(rc, "node '%s': cannot read the head tree", fs_node_dir(node));
	else
		rc = fs_record_foreach_tree(fs_node_repo(node), tree, fs_node_city(node), kinds, cb,
					    payload);
	git_tree_free(tree);
	git_commit_free(head);
	return rc;
}
