#include "sync/apply.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/walk.h"
#include "sync/check.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"

int fs_pack_index(char name[GIT_OID_HEXSZ + 1], size_t *objects, git_repository *repo,
		  const char *dir, const void *pack, size_t len)
{
	git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
	git_indexer_progress progress;
	git_indexer *idx = NULL;
	git_odb *odb = NULL;
	char packdir[2 * PATH_MAX];
	int rc;

	snprintf(packdir, sizeof(packdir), "%s/pack", dir);
	if ((rc = fs_file_mkdir_p(packdir, 0755)) < 0)
		return rc;
	/* the hub's objects complete a thin pack (stock git bundles are thin) */
	if ((rc = git_repository_odb(&odb, repo)) < 0 ||
	    (rc = git_indexer_new(&idx, packdir, 0, odb, &opts)) < 0) {
		rc = fs_error_git(rc, "cannot start reading the pack");
		goto done;
	}
	if ((rc = git_indexer_append(idx, pack, len, &progress)) < 0 ||
	    (rc = git_indexer_commit(idx, &progress)) < 0) {
		const git_error *e = git_error_last();
		/* a full or failing disk is not the sender's fault, nor is memory */
		if (e && e->klass == GIT_ERROR_NOMEMORY) {
			rc = fs_error_git(rc, "cannot read the pack");
			goto done;
		}
		rc = e && e->klass == GIT_ERROR_OS
			     ? fs_error_set(FS_EIO, "cannot write the pack: %s", e->message)
			     : fs_error_set(FS_EINVALID, "the pack is damaged or incomplete: %s",
					    e && e->message ? e->message : _("unreadable"));
		goto done;
	}
	snprintf(name, GIT_OID_HEXSZ + 1, "%s", git_indexer_name(idx));
	*objects = progress.total_objects;
done:
	git_indexer_free(idx);
	git_odb_free(odb);
	return rc;
}

/* Move pack-<name>.{pack,idx} from the quarantine into the hub: pack first, index last. */
static int migrate(const char *quarantine, const char *objects, const char *name)
{
	char from[3 * PATH_MAX], to[3 * PATH_MAX], packdir[2 * PATH_MAX];
	const char *ext[] = { "pack", "idx" };

	snprintf(packdir, sizeof(packdir), "%s/pack", objects);
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s/pack/pack-%s.%s", quarantine, name, ext[i]);
		snprintf(to, sizeof(to), "%s/pack-%s.%s", packdir, name, ext[i]);
		if (rename(from, to) < 0)
			return fs_error_os("cannot move '%s' into the hub", from);
	}
	return fs_file_sync_dir(packdir);
}

int fs_hub_apply(fs_node *hub, const void *pack, size_t len, const fs_ref_update *updates,
		 size_t n, fs_apply_stats *stats)
{
	git_repository *hubrepo = fs_node_repo(hub), *view = NULL;
	char quarantine[PATH_MAX + 64], objects[PATH_MAX + 16], name[GIT_OID_HEXSZ + 1] = "";
	git_odb *odb = NULL;
	fs_check *check = NULL;
	git_oid *old = NULL;
	int *todo = NULL, rc, have_q = 0, any = 0;
	size_t objects_in = 0;

	memset(stats, 0, sizeof(*stats));
	snprintf(objects, sizeof(objects), "%sobjects", git_repository_path(hubrepo));
	if (!(old = fs_calloc(n ? n : 1, sizeof(*old))) || !(todo = fs_calloc(n ? n : 1, sizeof(*todo)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if (len) {
		snprintf(quarantine, sizeof(quarantine), "%s/incoming-XXXXXX", objects);
		if (!mkdtemp(quarantine)) {
			rc = fs_error_os("cannot make a quarantine folder in '%s'", objects);
			goto done;
		}
		have_q = 1;
		if ((rc = fs_pack_index(name, &objects_in, hubrepo, quarantine, pack, len)) < 0)
			goto done;
		stats->objects = objects_in;
	}
	/* a view of the hub that also sees the quarantine, for the checks only */
	if ((rc = git_repository_open_ext(&view, git_repository_path(hubrepo),
					  GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
					  NULL)) < 0 ||
	    (rc = git_repository_odb(&odb, view)) < 0 ||
	    (have_q && (rc = git_odb_add_disk_alternate(odb, quarantine)) < 0)) {
		rc = fs_error_git(rc, "hub '%s': cannot open it", fs_node_dir(hub));
		goto done;
	}
	if ((rc = fs_check_new(&check, view)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const fs_ref_update *u = &updates[i];
		unsigned long failures = fs_alloc_failures();
		size_t commits = 0;
		int exists;
		/* "not found" and "no" from libgit2 1.5 may stand for a failed allocation */
		rc = git_reference_name_to_id(&old[i], view, u->ref);
		if (fs_error_git_absent(rc)) {
			memset(&old[i], 0, sizeof(old[i]));
		} else if (rc < 0) {
			rc = fs_error_git(rc, "ref '%s'", u->ref);
			goto done;
		}
		exists = git_odb_exists(odb, &u->new);
		if (fs_alloc_failures() != failures) {
			rc = fs_error_set(FS_ENOMEM, "ref '%s': out of memory", u->ref);
			goto done;
		}
		if (!exists) {
			rc = fs_error_set(FS_EREFUSED, "ref '%s': commit %s is not in the pack", u->ref,
					  git_oid_tostr_s(&u->new));
			goto done;
		}
		/* already there, or the hub is ahead: an old bundle, or the same one again */
		rc = 0;
		if (!git_oid_is_zero(&old[i]) &&
		    (git_oid_equal(&old[i], &u->new) ||
		     (rc = fs_descendant_of(view, &old[i], &u->new)) == 1)) {
			stats->current++;
			continue;
		}
		if (rc < 0) {
			rc = fs_error_git(rc, "ref '%s': cannot read the history", u->ref);
			goto done;
		}
		if ((rc = fs_check_update(check, u->ref, &old[i], &u->new, &commits)) < 0)
			goto done;
		stats->commits += commits;
		todo[i] = 1;
	}
	for (size_t i = 0; i < n; i++)
		any |= todo[i];
	/* the objects land (fsynced) before any ref names them */
	if (have_q && any && (rc = migrate(quarantine, objects, name)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		git_reference *ref = NULL;
		if (!todo[i])
			continue;
		/* compare-and-swap: a push that came in meanwhile is never overwritten */
		if (git_oid_is_zero(&old[i]))
			rc = git_reference_create(&ref, hubrepo, updates[i].ref, &updates[i].new, 0,
						  "fieldsync: checked");
		else
			rc = git_reference_create_matching(&ref, hubrepo, updates[i].ref,
							   &updates[i].new, 1, &old[i],
							   "fieldsync: checked");
		git_reference_free(ref);
		if (rc < 0) {
			rc = fs_error_git(rc, "ref '%s': cannot move it (did it move meanwhile?)",
					  updates[i].ref);
			goto done;
		}
		stats->updated++;
	}
	rc = 0;
done:
	/* the hub as it was, or with the pack moved in: either way no quarantine */
	if (have_q && fs_file_remove_tree(quarantine) < 0) {
		fprintf(stderr, _("warning: %s\n"), fs_error_last()->message);
		fs_error_clear();
	}
	fs_check_free(check);
	git_odb_free(odb);
	git_repository_free(view);
	fs_free(old);
	fs_free(todo);
	return rc;
}

void fs_hub_close_after_receive(fs_node *hub, int received)
{
	char dir[PATH_MAX], hook[PATH_MAX + 32];
	pid_t pid;
	int status;

	if (!hub)
		return;
	snprintf(dir, sizeof(dir), "%s", fs_node_dir(hub));
	/* the hook may merge, which takes the lock this hub holds */
	fs_node_free(hub);
	if (!received)
		return;
	snprintf(hook, sizeof(hook), "%s/hooks/post-receive", dir);
	if (access(hook, X_OK) != 0)
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (chdir(dir) < 0 || null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		/* git runs hooks in the repository with GIT_DIR set */
		setenv("GIT_DIR", ".", 1);
		execl(hook, hook, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}
