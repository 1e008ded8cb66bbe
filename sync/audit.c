#include "sync/audit.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <sodium.h>

#include "node/node.h"
#include "node/odb.h"
#include "node/signers.h"
#include "node/sshsig.h"
#include "node/tree.h"
#include "node/verify.h"
#include "node/walk.h"
#include "sync/check.h"
#include "sync/merge.h"
#include "sync/receipt.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/workers.h"
#include "util/time.h"
#include "util/i18n.h"

/*
 * A key added for a principal that already had one must start no earlier
 * than the registry change that adds it: `hub enroll` takes the time a
 * moment before it signs the change. More than this is backdating.
 */
#define BACKDATE_SLACK (5 * 60)

/* the branch of the unified dataset, as findings name it */
#define UNIFIED_REF "unified"

typedef struct {
	git_repository *repo;
	fs_audit_cb cb;
	void *payload;
	fs_audit_stats *st;
	fs_signers *registry; /* the registry at the tip of `hub` */
	int stop;             /* what the callback returned, when it stopped us */
	fs_buf *out;          /* not NULL: findings go there as bytes (a worker's), not told */
	unsigned jobs;        /* worker processes for the cities */
	pid_t pid;            /* the caller's process */
} audit;

static int finding(audit *a, const char *ref, const git_oid *commit, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The finding to the caller's callback, which may stop the audit. */
static int tell(audit *a, const fs_audit_finding *f)
{
	int rc;

	a->st->findings++;
	if ((rc = a->cb ? a->cb(f, a->payload) : 0) != 0)
		a->stop = rc;
	return rc;
}

/*
 * A worker's reply, records one after the other: 'F', a finding (its ref,
 * its commit, its path and problem; a string is a length and bytes), then
 * 'S' and the counts of commits and records.
 */
static void put_u64(fs_buf *out, uint64_t v)
{
	fs_buf_put(out, &v, sizeof(v));
}

/* with its NUL: the reader takes it where it lies */
static void put_str(fs_buf *out, const char *s)
{
	put_u64(out, strlen(s) + 1);
	fs_buf_put(out, s, strlen(s) + 1);
}

static int keep(fs_buf *out, const fs_audit_finding *f)
{
	fs_buf_putc(out, 'F');
	put_str(out, f->ref);
	fs_buf_put(out, f->commit.id, GIT_OID_RAWSZ);
	put_str(out, f->path);
	put_str(out, f->problem);
	return fs_buf_check(out);
}

static int finding(audit *a, const char *ref, const git_oid *commit, const char *path,
		   const char *fmt, ...)
{
	fs_audit_finding f;
	fs_buf msg = FS_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	fs_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if ((rc = fs_buf_check(&msg)) < 0)
		return rc;
	memset(&f, 0, sizeof(f));
	f.ref = ref;
	if (commit)
		git_oid_cpy(&f.commit, commit);
	f.path = path ? path : "";
	f.problem = msg.ptr;
	rc = a->out ? keep(a->out, &f) : tell(a, &f);
	fs_buf_dispose(&msg);
	return rc;
}

static int ref_tip(git_oid *out, audit *a, const char *name)
{
	char ref[256];
	int rc;

	snprintf(ref, sizeof(ref), "%s%s", a->st->prefix, name);
	rc = git_reference_name_to_id(out, a->repo, ref);
	if (rc == GIT_ENOTFOUND)
		return FS_ENOTFOUND;
	return rc < 0 ? fs_error_git(rc, "cannot read %s", ref) : 0;
}

/* Does `prefix` hold a hub's branches: the registry, and a city or a merge? */
static int holds_hub(audit *a, const char *prefix, int whole)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	char name[256];
	int found = 0;

	snprintf(name, sizeof(name), "%shub", prefix);
	if (git_reference_lookup(&ref, a->repo, name) < 0)
		return 0;
	git_reference_free(ref);
	if (!whole)
		return 1;
	snprintf(name, sizeof(name), "%sunified", prefix);
	if (git_reference_lookup(&ref, a->repo, name) == 0) {
		git_reference_free(ref);
		return 1;
	}
	snprintf(name, sizeof(name), "%scities/*", prefix);
	if (git_reference_iterator_glob_new(&it, a->repo, name) == 0) {
		found = git_reference_next(&ref, it) == 0;
		git_reference_free(ref);
		git_reference_iterator_free(it);
	}
	return found;
}

/*
 * Where the hub's branches are: refs/heads/ in the hub itself or a mirror,
 * refs/remotes/<name>/ in an ordinary clone (whose own refs/heads/hub is
 * only the checked-out registry). One remote only: two would be two hubs,
 * and the auditor must say which.
 */
static int find_prefix(audit *a)
{
	git_strarray remotes = { NULL, 0 };
	size_t found = 0;
	int rc;

	if (holds_hub(a, "refs/heads/", 1)) {
		strcpy(a->st->prefix, "refs/heads/");
		return 0;
	}
	if ((rc = git_remote_list(&remotes, a->repo)) < 0)
		return fs_error_git(rc, "cannot list the remotes");
	for (size_t i = 0; i < remotes.count; i++) {
		char prefix[sizeof(a->st->prefix)];
		snprintf(prefix, sizeof(prefix), "refs/remotes/%s/", remotes.strings[i]);
		if (holds_hub(a, prefix, 0) && found++ == 0)
			memcpy(a->st->prefix, prefix, sizeof(prefix));
	}
	git_strarray_dispose(&remotes);
	if (found > 1)
		return fs_error_set(FS_EINVALID, "this clone holds %zu hubs (refs/remotes/*/hub); "
				    "audit a clone of one", found);
	if (!found && holds_hub(a, "refs/heads/", 0)) {
		strcpy(a->st->prefix, "refs/heads/"); /* a hub that has no city yet */
		found = 1;
	}
	if (!found)
		return fs_error_set(FS_ENOTFOUND, "no hub history here: neither refs/heads/hub "
				    "nor refs/remotes/*/hub (is this a clone of a fieldsync hub?)");
	return 0;
}

/* The file at `path` in `commit`'s tree, or NULL when there is none. */
static int blob_at(git_blob **out, audit *a, git_commit *commit, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc;

	*out = NULL;
	if ((rc = git_commit_tree(&tree, commit)) < 0) {
		rc = fs_error_git(rc, "commit %s: cannot read its tree",
				  git_oid_tostr_s(git_commit_id(commit)));
		goto done;
	}
	if ((rc = fs_tree_find_type(&e, tree, path, GIT_OBJECT_BLOB)) < 0 || !e)
		goto done;
	if ((rc = git_blob_lookup(out, a->repo, git_tree_entry_id(e))) < 0)
		rc = fs_error_git(rc, "commit %s: cannot read %s",
				  git_oid_tostr_s(git_commit_id(commit)), path);
done:
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

/* hub/signers as of `commit`: parsed, or NULL with a finding. */
static int read_registry(fs_signers **out, audit *a, git_commit *commit)
{
	git_blob *blob = NULL;
	int rc;

	*out = NULL;
	if ((rc = blob_at(&blob, a, commit, FS_HUB_SIGNERS_PATH)) < 0)
		return rc;
	if (!blob)
		return finding(a, "hub", git_commit_id(commit), FS_HUB_SIGNERS_PATH,
			       _("the registry has no %s file"), FS_HUB_SIGNERS_PATH);
	if (fs_signers_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			     FS_HUB_SIGNERS_PATH) < 0)
		rc = finding(a, "hub", git_commit_id(commit), FS_HUB_SIGNERS_PATH, "%s",
			     fs_error_last()->message);
	git_blob_free(blob);
	return rc;
}

static const fs_signer *same_key(const fs_signers *s, const fs_signer *want)
{
	for (size_t i = 0; i < fs_signers_count(s); i++) {
		const fs_signer *e = fs_signers_get(s, i);
		if (strcmp(e->principals, want->principals) == 0 &&
		    e->valid_after == want->valid_after &&
		    sodium_memcmp(e->public_key, want->public_key, FS_KEY_PUBLIC_BYTES) == 0)
			return e;
	}
	return NULL;
}

static int has_principal(const fs_signers *s, const char *principals)
{
	for (size_t i = 0; i < fs_signers_count(s); i++)
		if (strcmp(fs_signers_get(s, i)->principals, principals) == 0)
			return 1;
	return 0;
}

/*
 * A registry change may end a key's validity and add keys from its own time
 * on; anything else rewrites who could sign in the past.
 */
static int registry_change(audit *a, git_commit *commit, const fs_signers *old,
			   const fs_signers *now)
{
	int64_t when = (int64_t)git_commit_time(commit);
	const git_oid *id = git_commit_id(commit);
	fs_buf fp = FS_BUF_INIT;
	char t[64], c[FS_TIME_RFC3339_BYTES]; /* t: a time, or "any time" in any language */
	int rc = 0;

	fs_time_rfc3339(c, when);
	for (size_t i = 0; i < fs_signers_count(old) && !rc; i++) {
		const fs_signer *o = fs_signers_get(old, i), *n = same_key(now, o);
		fs_buf_clear(&fp);
		fs_ssh_pubkey_fingerprint(&fp, o->public_key);
		if (!n)
			rc = finding(a, "hub", id, FS_HUB_SIGNERS_PATH, _("erases the key %s of '%s' "
				     "(a change may end a key's validity, never erase it)"),
				     fs_buf_cstr(&fp), o->principals);
		else if (n->valid_before > o->valid_before)
			rc = finding(a, "hub", id, FS_HUB_SIGNERS_PATH, _("extends the validity of the "
				     "key %s of '%s' after it had ended"), fs_buf_cstr(&fp),
				     o->principals);
	}
	for (size_t i = 0; i < fs_signers_count(now) && !rc; i++) {
		const fs_signer *n = fs_signers_get(now, i);
		if (same_key(old, n) || !has_principal(old, n->principals) ||
		    n->valid_after >= when - BACKDATE_SLACK)
			continue;
		fs_buf_clear(&fp);
		fs_ssh_pubkey_fingerprint(&fp, n->public_key);
		if (n->valid_after == INT64_MIN)
			snprintf(t, sizeof(t), "%s", _("any time"));
		else
			fs_time_rfc3339(t, n->valid_after);
		rc = finding(a, "hub", id, FS_HUB_SIGNERS_PATH, _("gives '%s' a new key %s valid from "
			     "%s, before the change itself (%s): a key is never backdated"),
			     n->principals, fs_buf_cstr(&fp), t, c);
	}
	fs_buf_dispose(&fp);
	return rc;
}

/* The hub's own key, as the registry's first commit names it. */
static int first_hub_key(audit *a, git_commit *root, const fs_signers *s)
{
	const fs_signer *mine = NULL;
	fs_buf given = FS_BUF_INIT, named = FS_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; s && i < fs_signers_count(s) && !mine; i++)
		if (strcmp(fs_signers_get(s, i)->principals, FS_HUB_PRINCIPAL) == 0)
			mine = fs_signers_get(s, i);
	if (!mine) {
		if (!a->st->hub_key_given)
			return fs_error_set(FS_EVERIFY, "the registry's first commit %s names no key "
					    "for '%s': give the hub's key with --hub-key",
					    git_oid_tostr_s(git_commit_id(root)), FS_HUB_PRINCIPAL);
		return finding(a, "hub", git_commit_id(root), FS_HUB_SIGNERS_PATH,
			       _("the registry's first commit names no key for '%s'"), FS_HUB_PRINCIPAL);
	}
	if (!a->st->hub_key_given) {
		memcpy(a->st->hub_key, mine->public_key, FS_KEY_PUBLIC_BYTES);
		return 0;
	}
	if (sodium_memcmp(a->st->hub_key, mine->public_key, FS_KEY_PUBLIC_BYTES) != 0) {
		fs_ssh_pubkey_fingerprint(&given, a->st->hub_key);
		fs_ssh_pubkey_fingerprint(&named, mine->public_key);
		rc = finding(a, "hub", git_commit_id(root), FS_HUB_SIGNERS_PATH, _("the registry's "
			     "first commit names the hub key %s, not the key given (%s)"),
			     fs_buf_cstr(&named), fs_buf_cstr(&given));
	}
	fs_buf_dispose(&given);
	fs_buf_dispose(&named);
	return rc;
}

/* Signed by the hub key? A finding if not. */
static int hub_signed(audit *a, const char *ref, const git_oid *id)
{
	fs_verify_trust trust = { NULL, FS_HUB_PRINCIPAL, a->st->hub_key, _("the hub's key") };
	fs_verify_result r;
	char problem[512];
	int rc;

	if ((rc = fs_verify_commit(a->repo, id, &trust, &r, problem, sizeof(problem))) < 0)
		return rc;
	if (r.good)
		return 0;
	return finding(a, ref, id, "", "%s", r.problem);
}

typedef int (*commit_fn)(audit *a, git_commit *commit, void *payload);
typedef int (*id_fn)(audit *a, const git_oid *id, void *payload);

/* `fn` on `tip` and each of its ancestors, oldest first. */
static int each_id(audit *a, const git_oid *tip, id_fn fn, void *payload)
{
	git_revwalk *walk = NULL;
	unsigned long failures = fs_alloc_failures();
	git_oid id;
	int rc;

	if ((rc = git_revwalk_new(&walk, a->repo)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(walk, tip)) < 0) {
		rc = fs_error_git(rc, "cannot walk the history of %s", git_oid_tostr_s(tip));
		goto done;
	}
	/* a walk cut short would pass a history it had not read */
	while ((rc = fs_revwalk_next(&id, walk, failures)) == 0)
		if ((rc = fn(a, &id, payload)) != 0)
			goto done;
	rc = rc == GIT_ITEROVER ? 0 : fs_error_git(rc, "cannot walk the history");
done:
	git_revwalk_free(walk);
	return rc;
}

typedef struct {
	commit_fn fn;
	void *payload;
} parsed_walk;

static int parse_then(audit *a, const git_oid *id, void *payload)
{
	parsed_walk *w = payload;
	git_commit *commit = NULL;
	int rc;

	if ((rc = git_commit_lookup(&commit, a->repo, id)) < 0)
		return fs_error_git(rc, "commit %s", git_oid_tostr_s(id));
	rc = w->fn(a, commit, w->payload);
	git_commit_free(commit);
	return rc;
}

/* `fn` on `tip` and each of its ancestors, parsed, oldest first. */
static int each_commit(audit *a, const git_oid *tip, commit_fn fn, void *payload)
{
	return each_id(a, tip, parse_then, &(parsed_walk){ fn, payload });
}

static int only_hub_files(audit *a, git_commit *commit)
{
	git_commit *parent = NULL;
	git_tree *old = NULL, *now = NULL;
	git_diff *diff = NULL;
	int rc;

	if (git_commit_parentcount(commit) == 1 &&
	    ((rc = git_commit_parent(&parent, commit, 0)) < 0 ||
	     (rc = git_commit_tree(&old, parent)) < 0))
		goto fail;
	if ((rc = git_commit_tree(&now, commit)) < 0 ||
	    (rc = git_diff_tree_to_tree(&diff, a->repo, old, now, NULL)) < 0)
		goto fail;
	for (size_t i = 0; i < git_diff_num_deltas(diff) && !rc; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
		if (strncmp(path, "hub/", 4) != 0)
			rc = finding(a, "hub", git_commit_id(commit), path, _("%s: outside hub/, which is "
				     "all the registry branch holds"), path);
	}
	goto done;
fail:
	rc = fs_error_git(rc, "commit %s: cannot read it", git_oid_tostr_s(git_commit_id(commit)));
done:
	git_diff_free(diff);
	git_tree_free(old);
	git_tree_free(now);
	git_commit_free(parent);
	return rc;
}

static int registry_commit(audit *a, git_commit *commit, void *payload)
{
	size_t *n = payload;
	const git_oid *id = git_commit_id(commit);
	fs_signers *now = NULL;
	int rc;

	a->st->commits++;
	if ((rc = read_registry(&now, a, commit)) != 0)
		goto done;
	if (*n == 0 && (rc = first_hub_key(a, commit, now)) != 0)
		goto done;
	if ((rc = hub_signed(a, "hub", id)) != 0 || (rc = only_hub_files(a, commit)) != 0)
		goto done;
	if (git_commit_parentcount(commit) > 1 &&
	    (rc = finding(a, "hub", id, "", _("a merge commit (the registry's history is a "
			  "single line)"))) != 0)
		goto done;
	if (*n > 0 && git_commit_parentcount(commit) == 0 &&
	    (rc = finding(a, "hub", id, "", _("a second root commit"))) != 0)
		goto done;
	if (now) {
		if (a->registry && (rc = registry_change(a, commit, a->registry, now)) != 0)
			goto done;
		fs_signers_free(a->registry);
		a->registry = now;
		now = NULL;
	}
	(*n)++;
done:
	fs_signers_free(now);
	return rc;
}

static int audit_registry(audit *a)
{
	git_oid tip;
	size_t n = 0;
	int rc;

	if ((rc = ref_tip(&tip, a, "hub")) < 0 ||
	    (rc = each_commit(a, &tip, registry_commit, &n)) != 0)
		return rc;
	if (!a->registry)
		return fs_error_set(FS_EVERIFY, "no readable registry on the hub branch");
	a->st->keys = fs_signers_count(a->registry);
	return 0;
}

typedef struct {
	fs_check *check;
	const char *ref, *city;
	size_t n;
} city_walk;

/*
 * The finding is the one fs_check_commit would give, with one before it:
 * a second root before a bad signature, a bad signature before the files.
 */
static int city_commit(audit *a, const git_oid *id, void *payload)
{
	city_walk *w = payload;
	git_commit *commit = NULL;
	char path[1024];
	size_t files = 0;
	int rc, sig;

	a->st->commits++;
	path[0] = '\0';
	if ((rc = git_commit_lookup(&commit, a->repo, id)) < 0)
		return fs_error_git(rc, "commit %s", git_oid_tostr_s(id));
	if ((sig = fs_check_signature(w->check, w->city, commit)) < 0 && sig != FS_EREFUSED) {
		rc = sig;
		goto done;
	}
	if (w->n++ > 0 && git_commit_parentcount(commit) == 0) {
		rc = finding(a, w->ref, id, "", _("a second root commit"));
		goto done;
	}
	rc = sig ? sig : fs_check_content(w->check, w->city, commit, path, sizeof(path), &files);
	a->st->records += files;
	if (rc == FS_EREFUSED)
		rc = finding(a, w->ref, id, path, "%s", fs_error_last()->message);
done:
	git_commit_free(commit);
	return rc;
}

/* Findings of city_line, told once the line is read */
typedef struct {
	struct held {
		git_oid commit;
		char *path, *problem;
	} *v;
	size_t n, cap;
} held;

static int hold(held *h, const git_oid *commit, const char *path, const char *problem)
{
	struct held *one;

	if (h->n == h->cap) {
		struct held *grown = fs_realloc(h->v, (h->cap ? 2 * h->cap : 8) * sizeof(*grown));
		if (!grown)
			return fs_error_set(FS_ENOMEM, "out of memory");
		h->v = grown;
		h->cap = h->cap ? 2 * h->cap : 8;
	}
	one = &h->v[h->n];
	git_oid_cpy(&one->commit, commit);
	one->path = fs_strdup(path);
	one->problem = fs_strdup(problem);
	if (!one->path || !one->problem) {
		fs_free(one->path);
		fs_free(one->problem);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	h->n++;
	return 0;
}

/* The files `commit` changed, judged; a refusal is held as its finding. */
static int judge_files(audit *a, city_walk *w, held *h, git_commit *commit)
{
	char path[1024];
	size_t files = 0;
	int rc = fs_check_content(w->check, w->city, commit, path, sizeof(path), &files);

	a->st->records += files;
	return rc == FS_EREFUSED ? hold(h, git_commit_id(commit), path, fs_error_last()->message)
				 : rc;
}

/*
 * A city's branch down first parents from its tip, each commit read once
 * (collecting the line first read each twice): its signature is
 * judged as it is read, its files once its parent, read next, has told the
 * check its tree. The findings are the ones city_commit would make, and
 * are told oldest first as it tells them. A merge on the line (a finding)
 * sets *merge and tells nothing: each_id then walks the whole branch, what
 * hangs off the merge too.
 */
static int city_line(audit *a, const git_oid *tip, city_walk *w, int *merge)
{
	git_commit *commit = NULL, *child = NULL; /* child: its files wait for commit's tree */
	unsigned long failures = fs_alloc_failures();
	held h = { NULL, 0, 0 };
	fs_audit_stats before = *a->st;
	git_oid id;
	int rc = 0, sig;

	*merge = 0;
	git_oid_cpy(&id, tip);
	for (;;) {
		if ((rc = git_commit_lookup(&commit, a->repo, &id)) < 0 ||
		    fs_alloc_failures() != failures) {
			rc = rc < 0 ? fs_error_git(rc, "commit %s", git_oid_tostr_s(&id))
				    : fs_error_set(FS_ENOMEM, "commit %s: out of memory",
						   git_oid_tostr_s(&id));
			goto done;
		}
		if (git_commit_parentcount(commit) > 1) {
			*merge = 1;
			goto done;
		}
		if (child) {
			fs_check_knows(w->check, git_commit_id(commit), git_commit_tree_id(commit));
			rc = judge_files(a, w, &h, child);
			git_commit_free(child);
			child = NULL;
			if (rc < 0)
				goto done;
		}
		a->st->commits++;
		if ((sig = fs_check_signature(w->check, w->city, commit)) == FS_EREFUSED)
			rc = hold(&h, &id, "", fs_error_last()->message);
		else if (sig < 0)
			rc = sig;
		else if (git_commit_parentcount(commit) == 0)
			rc = judge_files(a, w, &h, commit);
		if (rc < 0 || git_commit_parentcount(commit) == 0)
			break;
		git_oid_cpy(&id, git_commit_parent_id(commit, 0));
		/* a good signature's files wait for the parent's tree; a bad one's are not judged */
		if (sig == 0)
			child = commit;
		else
			git_commit_free(commit);
		commit = NULL;
	}
	for (size_t i = h.n; rc == 0 && i > 0; i--)
		rc = finding(a, w->ref, &h.v[i - 1].commit, h.v[i - 1].path, "%s",
			     h.v[i - 1].problem);
done:
	if (*merge || rc < 0)
		*a->st = before;
	for (size_t i = 0; i < h.n; i++) {
		fs_free(h.v[i].path);
		fs_free(h.v[i].problem);
	}
	fs_free(h.v);
	git_commit_free(child);
	git_commit_free(commit);
	return rc;
}

/* A city branch, audited by a worker process */
typedef struct {
	char *name; /* "cities/<id>", without the prefix */
	git_oid tip;
	int symbolic;
} city_job;

typedef struct {
	audit *a;
	const char *path; /* the repository, opened again by each worker process */
	city_job *jobs;
	size_t n;
	/* the worker's own (in the caller's process too, with one job) */
	git_repository *repo; /* a->repo in the caller's process */
	fs_check *check;
} city_run;

static void city_run_end(void *payload)
{
	city_run *r = payload;

	fs_check_free(r->check);
	r->check = NULL;
	if (r->repo != r->a->repo)
		git_repository_free(r->repo);
	r->repo = NULL;
}

static int audit_unified(audit *a);

/* Item i: city branch i, or `unified` after them. */
static int city_work(size_t i, fs_buf *out, void *payload)
{
	city_run *r = payload;
	city_job *j = i < r->n ? &r->jobs[i] : NULL;
	const char *city = j ? j->name + strlen("cities/") : NULL;
	fs_audit_stats st = *r->a->st; /* where the branches are, the hub key */
	audit a = *r->a;
	int rc, merge = 0;

	/* a worker process opens the repository anew: no libgit2 handle of the caller's is used after a fork */
	if (!r->repo && getpid() == r->a->pid)
		r->repo = r->a->repo;
	else if (!r->repo &&
		 (rc = git_repository_open_ext(&r->repo, r->path, GIT_REPOSITORY_OPEN_NO_SEARCH,
					       NULL)) < 0)
		return fs_error_git(rc, "cannot open '%s'", r->path);
	if (!r->check && (rc = fs_check_new_with(&r->check, r->repo, r->a->registry)) < 0)
		return rc;
	st.commits = st.records = st.findings = 0;
	a.repo = r->repo;
	a.st = &st;
	a.out = out;
	if (!j)
		rc = audit_unified(&a);
	else if (j->symbolic)
		rc = finding(&a, j->name, NULL, "", _("not a city's branch: %s"), _("a symbolic ref"));
	else if ((rc = fs_city_id_check(city, _("city"))) == FS_EINVALID)
		rc = finding(&a, j->name, NULL, "", _("not a city's branch: %s"),
			     fs_error_last()->message);
	else if (rc == 0 && (rc = city_line(&a, &j->tip, &(city_walk){ r->check, j->name, city, 0 },
					   &merge)) == 0 && merge)
		rc = each_id(&a, &j->tip, city_commit, &(city_walk){ r->check, j->name, city, 0 });
	if (rc == 0) {
		fs_buf_putc(out, 'S');
		put_u64(out, st.commits);
		put_u64(out, st.records);
	}
	return rc;
}

typedef struct {
	const char *at, *end;
	int bad;
} reader;

static const void *get(reader *rd, size_t len)
{
	const char *p = rd->at;

	if (rd->bad || (size_t)(rd->end - rd->at) < len) {
		rd->bad = 1;
		return NULL;
	}
	rd->at += len;
	return p;
}

static uint64_t get_u64(reader *rd)
{
	uint64_t v = 0;
	const void *p = get(rd, sizeof(v));

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static const char *get_str(reader *rd)
{
	uint64_t len = get_u64(rd);
	const char *p = get(rd, len > SIZE_MAX ? SIZE_MAX : (size_t)len);

	if (p && (len == 0 || p[len - 1] != '\0'))
		rd->bad = 1;
	return p && !rd->bad ? p : "";
}

/* In the caller's process, city after city in the order of the refs. */
static int city_done(size_t i, const char *data, size_t len, void *payload)
{
	city_run *r = payload;
	reader rd = { data, data + len, 0 };
	int rc = 0;

	while (rc == 0 && !rd.bad && rd.at < rd.end) {
		const char *tag = get(&rd, 1);
		if (*tag == 'F') {
			fs_audit_finding f = { get_str(&rd), { { 0 } }, NULL, NULL };
			const unsigned char *id = get(&rd, GIT_OID_RAWSZ);
			f.path = get_str(&rd);
			f.problem = get_str(&rd);
			if (rd.bad)
				break;
			git_oid_fromraw(&f.commit, id);
			rc = tell(r->a, &f);
		} else if (*tag == 'S') {
			r->a->st->commits += get_u64(&rd);
			r->a->st->records += get_u64(&rd);
		} else {
			rd.bad = 1;
		}
	}
	return rc ? rc : rd.bad ? fs_error_set(FS_EIO, "%s: a worker's reply is cut short",
					       i < r->n ? r->jobs[i].name : UNIFIED_REF) : 0;
}

/* The city branches, each a job: collected first, in the caller's process. */
static int city_jobs(city_run *r)
{
	audit *a = r->a;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	char glob[256];
	size_t skip = strlen(a->st->prefix), cap = 0;
	unsigned long failures = fs_alloc_failures();
	int rc;

	snprintf(glob, sizeof(glob), "%scities/*", a->st->prefix);
	if ((rc = git_reference_iterator_glob_new(&it, a->repo, glob)) < 0) {
		rc = fs_error_git(rc, "cannot list the city branches");
		goto done;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *tip = git_reference_target(ref);
		city_job *j;
		if (r->n == cap) {
			city_job *v = cap > SIZE_MAX / 2 / sizeof(*v) ? NULL :
				      fs_realloc(r->jobs, (cap ? 2 * cap : 16) * sizeof(*v));
			if (!v) {
				rc = fs_error_set(FS_ENOMEM, "out of memory");
				goto done;
			}
			r->jobs = v;
			cap = cap ? 2 * cap : 16;
		}
		j = memset(&r->jobs[r->n], 0, sizeof(*j));
		if (!(j->name = fs_strdup(git_reference_name(ref) + skip))) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		r->n++;
		j->symbolic = !tip;
		if (tip)
			git_oid_cpy(&j->tip, tip);
		git_reference_free(ref);
		ref = NULL;
	}
	rc = rc == GIT_ITEROVER ? 0 : fs_error_git(rc, "cannot list the city branches");
	/* libgit2 leaves out the refs it failed to read, and succeeds: an audit of fewer cities */
	if (rc == 0 && fs_alloc_failures() != failures)
		rc = fs_error_set(FS_ENOMEM, "cannot list the city branches: out of memory");
done:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	return rc;
}

/*
 * The city branches, then `unified`, as a report from one process would
 * list them; `unified` is given out first, the longest job of all.
 */
static int audit_cities_and_unified(audit *a)
{
	city_run r;
	fs_workers_fns fns = { city_work, city_done, city_run_end, &r, NULL };
	size_t *order = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.path = git_repository_path(a->repo);
	if ((rc = city_jobs(&r)) < 0)
		goto done;
	a->st->cities += r.n;
	if (!(order = fs_calloc(r.n + 1, sizeof(*order)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	order[0] = r.n;
	for (size_t i = 0; i < r.n; i++)
		order[i + 1] = i;
	fns.order = order;
	rc = fs_workers_run(r.n + 1, a->jobs, &fns);
done:
	city_run_end(&r);
	for (size_t i = 0; i < r.n; i++)
		fs_free(r.jobs[i].name);
	fs_free(r.jobs);
	fs_free(order);
	return rc;
}

#define HEADS_PATH "hub/unified.json"

/* Does `commit` hold hub/unified.json, i.e. is it a merge of the unified history? */
static int is_unified(audit *a, git_commit *commit)
{
	git_blob *blob = NULL;
	int rc = blob_at(&blob, a, commit, HEADS_PATH);

	git_blob_free(blob);
	return rc < 0 ? rc : blob != NULL;
}

/* The heads a unified commit names; NULL when they do not parse (merge verify says why). */
static int read_heads(cJSON **out, audit *a, git_commit *commit)
{
	git_blob *blob = NULL;
	int rc;

	*out = NULL;
	if ((rc = blob_at(&blob, a, commit, HEADS_PATH)) < 0 || !blob)
		return rc;
	if (fs_json_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			  HEADS_PATH) < 0)
		fs_error_clear();
	git_blob_free(blob);
	return 0;
}

/* A head that a unified commit merged must still be in its branch. */
static int still_there(audit *a, const git_oid *unified, const char *ref, const char *name,
		       const char *hex, cJSON *gone)
{
	git_oid merged, tip;
	int rc;

	if (git_oid_fromstr(&merged, hex) < 0)
		return finding(a, "unified", unified, HEADS_PATH, _("'%s': not a commit id"),
			       name);
	if ((rc = ref_tip(&tip, a, ref)) == FS_ENOTFOUND) {
		/* one finding per lost branch, not one per merge that named it */
		if (cJSON_GetObjectItemCaseSensitive(gone, ref))
			return 0;
		if (!cJSON_AddTrueToObject(gone, ref))
			return fs_error_set(FS_ENOMEM, "out of memory");
		return finding(a, "unified", unified, "", _("the unified dataset holds %s, whose branch "
			       "%s is gone (a city was dropped)"), name, ref);
	}
	if (rc < 0)
		return rc;
	if (git_oid_equal(&tip, &merged))
		return 0;
	rc = fs_descendant_of(a->repo, &tip, &merged);
	if (rc < 0)
		return fs_error_git(rc, "%s: cannot read the history", ref);
	if (rc == 0)
		return finding(a, "unified", unified, "", _("merged %.12s of %s, which the branch %s "
			       "no longer holds (its history was rewritten)"), hex, name, ref);
	return 0;
}

/* Does the previous unified commit name the same head (in map `in`, or at the top)? */
static int same_head(const cJSON *prev, const char *in, const cJSON *head)
{
	const cJSON *was = cJSON_GetObjectItemCaseSensitive(
		in ? cJSON_GetObjectItemCaseSensitive(prev, in) : prev, head->string);
	return cJSON_IsString(was) && strcmp(was->valuestring, head->valuestring) == 0;
}

typedef struct {
	git_odb_backend *mem; /* where recomputed trees go */
	cJSON *prev;          /* hub/unified.json of the previous merge */
	cJSON *gone;          /* branches found gone, to say it once */
} unified_walk;

static int unified_commit(audit *a, git_commit *commit, unified_walk *w)
{
	const git_oid *id = git_commit_id(commit);
	const cJSON *c;
	cJSON *heads = NULL;
	int rc;

	if ((rc = read_heads(&heads, a, commit)) < 0)
		return rc;
	a->st->commits++;
	if ((rc = hub_signed(a, "unified", id)) != 0)
		goto done;
	rc = fs_merge_verify(a->repo, id);
	git_mempack_reset(w->mem);
	if (rc == FS_EVERIFY || rc == FS_EINVALID)
		rc = finding(a, "unified", id, "", "%s", fs_error_last()->message);
	if (rc != 0 || !heads)
		goto done;
	/* each head once: where a merge left one as it was, it is already checked */
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(heads, "cities")) {
		char ref[200];
		if (!cJSON_IsString(c) || same_head(w->prev, "cities", c))
			continue;
		snprintf(ref, sizeof(ref), "cities/%s", c->string);
		if ((rc = still_there(a, id, ref, c->string, c->valuestring, w->gone)) != 0)
			goto done;
	}
	c = cJSON_GetObjectItemCaseSensitive(heads, "hub");
	if (cJSON_IsString(c) && !same_head(w->prev, NULL, c) &&
	    (rc = still_there(a, id, "hub", _("the registry"), c->valuestring, w->gone)) != 0)
		goto done;
	cJSON_Delete(w->prev);
	w->prev = heads;
	heads = NULL;
done:
	cJSON_Delete(heads);
	return rc;
}

/*
 * The merges of `unified`, oldest first: its first-parent line down to the
 * first commit that is not a merge of the unified history (the part the
 * first merge started from, a city's history, which is not walked again).
 */
static int audit_unified(audit *a)
{
	unified_walk w = { NULL, NULL, cJSON_CreateObject() };
	git_commit *c = NULL, *parent = NULL;
	git_oid *chain = NULL, tip;
	git_odb *odb = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!w.gone)
		return fs_error_set(FS_ENOMEM, "out of memory");
	if ((rc = ref_tip(&tip, a, "unified")) == FS_ENOTFOUND) {
		rc = 0; /* a hub that never merged */
		goto done;
	}
	if (rc < 0)
		goto done;
	if ((rc = git_commit_lookup(&c, a->repo, &tip)) < 0) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(&tip));
		goto done;
	}
	while (c && (rc = is_unified(a, c)) > 0) {
		if (n == cap) {
			git_oid *v = fs_realloc(chain, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!v) {
				rc = fs_error_set(FS_ENOMEM, "out of memory");
				goto done;
			}
			chain = v;
		}
		git_oid_cpy(&chain[n++], git_commit_id(c));
		parent = NULL;
		if (git_commit_parentcount(c) > 0 && (rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = fs_error_git(rc, "commit %s: cannot read its parent",
					  git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		git_commit_free(c);
		c = parent;
	}
	if (rc < 0)
		goto done;
	if (n == 0) {
		rc = finding(a, "unified", &tip, "", _("not a merge of the unified dataset (no %s)"),
			     HEADS_PATH);
		goto done;
	}
	/* recomputed trees stay in memory: an audit leaves the clone as it was */
	if ((rc = git_repository_odb(&odb, a->repo)) < 0 || (rc = git_mempack_new(&w.mem)) < 0 ||
	    (rc = git_odb_add_backend(odb, w.mem, 1000)) < 0) {
		if (w.mem && rc < 0)
			w.mem->free(w.mem);
		rc = fs_error_git(rc, "cannot set up the object database");
		goto done;
	}
	for (size_t i = n; i-- > 0 && rc == 0;) {
		git_commit *u = NULL;
		if ((rc = git_commit_lookup(&u, a->repo, &chain[i])) < 0) {
			rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(&chain[i]));
			break;
		}
		rc = unified_commit(a, u, &w);
		git_commit_free(u);
	}
done:
	git_commit_free(c);
	fs_free(chain);
	cJSON_Delete(w.prev);
	cJSON_Delete(w.gone);
	git_odb_free(odb);
	return rc;
}

/* Service records under a public commit's cities/, each a finding. */
static int no_services(audit *a, git_commit *commit)
{
	git_tree *tree = NULL, *cities = NULL;
	git_tree_entry *e = NULL;
	int rc = 0;

	if ((rc = git_commit_tree(&tree, commit)) < 0)
		goto fail;
	if ((rc = fs_tree_find_type(&e, tree, "cities", GIT_OBJECT_TREE)) < 0 || !e)
		goto done;
	if ((rc = fs_tree_lookup(&cities, a->repo, git_tree_entry_id(e))) < 0)
		goto fail;
	for (size_t i = 0; i < git_tree_entrycount(cities) && !rc; i++) {
		const char *city = git_tree_entry_name(git_tree_entry_byindex(cities, i));
		git_tree_entry *s = NULL;
		char path[300];
		snprintf(path, sizeof(path), "%s/services", city);
		if ((rc = fs_tree_find(&s, cities, path)) == 0 && s)
			rc = finding(a, "public", git_commit_id(commit), "", _("cities/%s: service "
				     "records in public, which every city fetches"), path);
		git_tree_entry_free(s);
	}
	goto done;
fail:
	rc = fs_error_git(rc, "commit %s: cannot read its tree",
			  git_oid_tostr_s(git_commit_id(commit)));
done:
	git_tree_free(cities);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

/* `public` is the hub's alone, and never holds a service record. */
static int public_commit(audit *a, git_commit *commit, void *payload)
{
	int rc;

	(void)payload;
	a->st->commits++;
	if ((rc = hub_signed(a, "public", git_commit_id(commit))) != 0)
		return rc;
	return no_services(a, commit);
}

/* Every head of the checkpoint is still there, or has only moved forward. */
static int audit_since(audit *a, const fs_checkpoint *cp)
{
	char when[FS_TIME_RFC3339_BYTES];
	git_oid then, now;
	int rc = 0;

	fs_time_rfc3339(when, fs_checkpoint_time(cp));
	if (sodium_memcmp(fs_checkpoint_hub_key(cp), a->st->hub_key, FS_KEY_PUBLIC_BYTES) != 0 &&
	    (rc = finding(a, "hub", NULL, "", _("the hub key is not the one of the checkpoint of "
			  "%s"), when)) != 0)
		return rc;
	for (size_t i = 0; i < fs_checkpoint_count(cp) && rc == 0; i++) {
		const char *name = fs_checkpoint_ref(cp, i, &then);
		if ((rc = ref_tip(&now, a, name)) == FS_ENOTFOUND) {
			rc = finding(a, name, &then, "", _("was at %.12s at the checkpoint of %s, and is "
				     "gone (a branch was dropped)"), git_oid_tostr_s(&then), when);
			continue;
		}
		if (rc < 0 || git_oid_equal(&then, &now))
			continue;
		if ((rc = fs_descendant_of(a->repo, &now, &then)) < 0)
			return fs_error_git(rc, "%s: cannot read the history", name);
		rc = rc ? 0 : finding(a, name, &now, "", _("was at %.12s at the checkpoint of %s; "
				      "%.12s does not contain it (history rewritten or rolled back)"),
				      git_oid_tostr_s(&then), when, git_oid_tostr_s(&now));
	}
	return rc;
}

/*
 * One receipt of the auditor's folder: signed by the hub key, and its head
 * still in the city's branch. A receipt that fails is a finding too: the
 * auditor wants to know, and the other receipts still count.
 */
static int one_receipt(const char *path, const fs_buf *text, void *payload)
{
	audit *a = payload;
	char when[FS_TIME_RFC3339_BYTES], ref[160], hex[GIT_OID_HEXSZ + 1];
	fs_receipt *r = NULL;
	git_odb *odb = NULL;
	const git_oid *head;
	git_oid now;
	int rc;

	if ((rc = fs_receipt_parse(&r, text->ptr, text->size, a->st->hub_key, 1, _("receipt"))) < 0) {
		/* a city may deal with two hubs; this audit judges one */
		if (rc == FS_EREFUSED) {
			a->st->receipts_other++;
			fs_error_clear();
			return 0;
		}
		rc = finding(a, "receipts", NULL, path, "%s", fs_error_last()->message);
		fs_error_clear();
		return rc;
	}
	a->st->receipts++;
	head = fs_receipt_head(r);
	git_oid_tostr(hex, sizeof(hex), head);
	snprintf(ref, sizeof(ref), "cities/%s", fs_receipt_city(r));
	fs_time_rfc3339(when, fs_receipt_time(r));
	if ((rc = ref_tip(&now, a, ref)) == FS_ENOTFOUND) {
		rc = finding(a, ref, head, path, _("the hub receipted %.12s on %s, and the branch "
			     "is gone (the hub dropped the city)"), hex, when);
		goto done;
	}
	if (rc < 0 || git_oid_equal(&now, head))
		goto done;
	if ((rc = git_repository_odb(&odb, a->repo)) < 0) {
		rc = fs_error_git(rc, "cannot read the objects");
		goto done;
	}
	if ((rc = fs_odb_has(odb, head)) < 0)
		goto done;
	if (!rc) {
		rc = finding(a, ref, head, path, _("the hub receipted %.12s on %s, and no longer has "
			     "that commit (dropped)"), hex, when);
		goto done;
	}
	if ((rc = fs_descendant_of(a->repo, &now, head)) < 0) {
		rc = fs_error_git(rc, "%s: cannot read the history", ref);
		goto done;
	}
	rc = rc ? 0 : finding(a, ref, head, path, _("the hub receipted %.12s on %s; %.12s does "
			      "not contain it (dropped, rolled back or rewritten)"), hex, when,
			      git_oid_tostr_s(&now));
done:
	git_odb_free(odb);
	fs_receipt_free(r);
	return rc;
}

static int audit_receipts(audit *a, const char *dir)
{
	int rc = fs_receipt_each_file(dir, one_receipt, a);

	return rc == FS_ENOTFOUND ? fs_error_prefix("--receipts") : rc;
}

int fs_audit_run(git_repository *repo, const fs_audit_opts *opts, fs_audit_cb cb,
		 void *payload, fs_audit_stats *stats)
{
	const unsigned char *hub_key = opts ? opts->hub_key : NULL;
	fs_audit_stats st;
	audit a = { repo, cb, payload, &st, NULL, 0, NULL, opts ? opts->jobs : 0, getpid() };
	git_oid tip;
	int rc;

	memset(&st, 0, sizeof(st));
	if (!a.jobs)
		a.jobs = fs_workers_cpus();
	if (hub_key) {
		memcpy(st.hub_key, hub_key, FS_KEY_PUBLIC_BYTES);
		st.hub_key_given = 1;
	}
	if ((rc = find_prefix(&a)) < 0)
		goto done;
	if ((rc = audit_registry(&a)) != 0 || (rc = audit_cities_and_unified(&a)) != 0)
		goto done;
	if ((rc = ref_tip(&tip, &a, "public")) == 0)
		rc = each_commit(&a, &tip, public_commit, NULL);
	else if (rc == FS_ENOTFOUND)
		rc = 0;
	if (rc != 0 || (opts && opts->since && (rc = audit_since(&a, opts->since)) != 0) ||
	    (opts && opts->receipts && (rc = audit_receipts(&a, opts->receipts)) != 0))
		goto done;
	if (st.findings)
		rc = fs_error_set(FS_EVERIFY, P_("%zu finding", "%zu findings", st.findings),
				  st.findings);
done:
	if (a.stop)
		rc = a.stop;
	fs_signers_free(a.registry);
	if (stats)
		*stats = st;
	return rc;
}
