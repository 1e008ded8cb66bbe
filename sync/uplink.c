#include "sync/uplink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/tree.h"
#include "sync/merge.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

int fs_uplink_ref(char *out, size_t size, const char *remote, const char *city)
{
	int n = snprintf(out, size, FS_UPLINK_REF_PREFIX "%s/%s", remote, city);

	return n < 0 || (size_t)n >= size ? fs_error_set(FS_EINVALID, "remote '%s', city '%s': "
							  "names too long", remote, city) : 0;
}

static int send_services(fs_node *hub, const char *remote)
{
	git_config *cfg = NULL;
	char key[256];
	int on = 0;

	snprintf(key, sizeof(key), "remote.%s.fieldsyncSendServices", remote);
	if (git_repository_config_snapshot(&cfg, fs_node_repo(hub)) == 0 &&
	    git_config_get_bool(&on, cfg, key) < 0)
		on = 0;
	git_config_free(cfg);
	fs_error_clear();
	return on;
}

/*
 * The tree that goes up for one city: its city.json, actions/, and services/
 * (with erasures/, which say which of them can no longer be read) or its table.
 */
static int up_tree(git_oid *out, git_repository *repo, const git_tree *unified, const char *city,
		   int services)
{
	static const char *const keep[] = { "actions", "city.json", "services", "erasures" };
	git_treebuilder *cb = NULL, *ab = NULL, *cities = NULL, *root = NULL;
	git_tree *sub = NULL;
	git_tree_entry *e = NULL;
	fs_buf path = FS_BUF_INIT;
	git_oid id;
	int rc;

	fs_buf_printf(&path, "cities/%s", city);
	if ((rc = fs_buf_check(&path)) < 0)
		goto done;
	if ((rc = git_tree_entry_bypath(&e, unified, path.ptr)) < 0 ||
	    (rc = fs_tree_lookup(&sub, repo, git_tree_entry_id(e))) < 0 ||
	    (rc = git_treebuilder_new(&cb, repo, NULL)) < 0)
		goto fail;
	for (size_t i = 0; i < 4; i++) {
		const git_tree_entry *k = git_tree_entry_byname(sub, keep[i]);
		if (k && (i < 2 || services) &&
		    (rc = git_treebuilder_insert(NULL, cb, keep[i], git_tree_entry_id(k),
						 git_tree_entry_filemode(k))) < 0)
			goto fail;
	}
	/* a city that came as a table itself (no records here) goes on as one */
	if (!services || !git_tree_entry_byname(sub, "services")) {
		git_tree_entry_free(e);
		e = NULL;
		fs_buf_clear(&path);
		fs_buf_printf(&path, "hub/aggregates/services/%s.json", city);
		if ((rc = fs_buf_check(&path)) < 0)
			goto done;
		if ((rc = git_tree_entry_bypath(&e, unified, path.ptr)) < 0 ||
		    (rc = git_treebuilder_new(&ab, repo, NULL)) < 0 ||
		    (rc = git_treebuilder_insert(NULL, ab, "services.json", git_tree_entry_id(e),
						 GIT_FILEMODE_BLOB)) < 0 ||
		    (rc = git_treebuilder_write(&id, ab)) < 0 ||
		    (rc = git_treebuilder_insert(NULL, cb, "aggregates", &id, GIT_FILEMODE_TREE)) < 0)
			goto fail;
	}
	if ((rc = git_treebuilder_write(&id, cb)) < 0 ||
	    (rc = git_treebuilder_new(&cities, repo, NULL)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, cities, city, &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(&id, cities)) < 0 ||
	    (rc = git_treebuilder_new(&root, repo, NULL)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, root, "cities", &id, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(out, root)) < 0)
		goto fail;
	rc = 0;
	goto done;
fail:
	rc = fs_error_git(rc, "city '%s': cannot build what goes up (%s)", city,
			  fs_buf_cstr(&path));
done:
	git_treebuilder_free(cb);
	git_treebuilder_free(ab);
	git_treebuilder_free(cities);
	git_treebuilder_free(root);
	git_tree_entry_free(e);
	git_tree_free(sub);
	fs_buf_dispose(&path);
	return rc;
}

/* One city's up branch: a new commit when its tree changed. */
static int up_city(fs_node *hub, const char *remote, const git_tree *unified, const char *city,
		   int services)
{
	git_repository *repo = fs_node_repo(hub);
	git_commit *prev = NULL;
	git_tree *prev_tree = NULL;
	char ref[512];
	fs_buf msg = FS_BUF_INIT;
	git_oid tree, prev_id, made;
	int rc, has;

	if ((rc = fs_uplink_ref(ref, sizeof(ref), remote, city)) < 0 ||
	    (rc = up_tree(&tree, repo, unified, city, services)) < 0)
		return rc;
	has = git_reference_name_to_id(&prev_id, repo, ref) == 0;
	if (has && ((rc = git_commit_lookup(&prev, repo, &prev_id)) < 0 ||
		    (rc = git_commit_tree(&prev_tree, prev)) < 0)) {
		rc = fs_error_git(rc, "cannot read %s", ref);
		goto done;
	}
	if (prev_tree && git_oid_equal(git_tree_id(prev_tree), &tree))
		goto done;
	fs_buf_printf(&msg, "%s: %s, sent up by hub '%s'\n", city,
		      services ? "actions and services" : "actions and the services table",
		      fs_node_name(hub) ? fs_node_name(hub) : "");
	if ((rc = fs_buf_check(&msg)) == 0)
		rc = fs_node_commit_tree(hub, ref, has ? &prev_id : NULL, &tree,
					 (const git_commit **)&prev, has ? 1 : 0, msg.ptr, &made);
done:
	fs_buf_dispose(&msg);
	git_tree_free(prev_tree);
	git_commit_free(prev);
	return rc;
}

int fs_uplink_prepare(fs_node *hub, const char *remote, git_strarray *cities)
{
	git_repository *repo = fs_node_repo(hub);
	git_commit *unified = NULL;
	git_tree *tree = NULL, *ct = NULL;
	git_tree_entry *e = NULL;
	int services = send_services(hub, remote), rc;
	git_oid id;

	memset(cities, 0, sizeof(*cities));
	if ((rc = git_reference_name_to_id(&id, repo, FS_UNIFIED_REF)) < 0) {
		return rc == GIT_ENOTFOUND
			       ? fs_error_set(FS_ENOTFOUND, "hub '%s' has nothing to send up yet: run "
					      "'fieldsync hub merge' first", fs_node_dir(hub))
			       : fs_error_git(rc, "cannot read %s", FS_UNIFIED_REF);
	}
	if ((rc = git_commit_lookup(&unified, repo, &id)) < 0 ||
	    (rc = git_commit_tree(&tree, unified)) < 0) {
		rc = fs_error_git(rc, "cannot read %s", FS_UNIFIED_REF);
		goto done;
	}
	if ((rc = fs_tree_find(&e, tree, "cities")) < 0 || !e)
		goto done; /* !e: no city yet */
	if ((rc = fs_tree_lookup(&ct, repo, git_tree_entry_id(e))) < 0) {
		rc = fs_error_git(rc, "cannot read the unified tree");
		goto done;
	}
	if (!(cities->strings = fs_calloc(git_tree_entrycount(ct) + 1, sizeof(char *)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	/* tree entries come sorted: so do the cities */
	for (size_t i = 0; i < git_tree_entrycount(ct); i++) {
		const char *city = git_tree_entry_name(git_tree_entry_byindex(ct, i));
		if ((rc = up_city(hub, remote, tree, city, services)) < 0)
			goto done;
		if (!(cities->strings[cities->count] = fs_strdup(city))) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		cities->count++;
	}
done:
	if (rc < 0)
		git_strarray_dispose(cities);
	git_tree_entry_free(e);
	git_tree_free(ct);
	git_tree_free(tree);
	git_commit_free(unified);
	return rc;
}
