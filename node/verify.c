#include "node/verify.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "node/sshsig.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/i18n.h"

int fs_verify_commit(git_repository *repo, const git_oid *id, const fs_verify_trust *trust,
		     fs_verify_result *r, char *problem, size_t problem_size)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_commit *c = NULL;
	fs_sshsig parsed;
	fs_buf fp = FS_BUF_INIT;
	git_oid oid;
	unsigned long failures;
	int rc, not_signed;

	memset(r, 0, sizeof(*r));
	git_oid_cpy(&r->commit, id);
	git_oid_cpy(&oid, id);
	/*
	 * The signature before the parsed commit: libgit2 keeps the raw commit a
	 * history walk has read in its cache until the commit is parsed, which
	 * replaces it; read in this order, a walked commit is read from the pack
	 * once, not twice (a commit is a delta, costlier to read than to parse).
	 */
	rc = git_commit_extract_signature(&sig, &data, repo, &oid, "gpgsig");
	not_signed = rc == GIT_ENOTFOUND;
	if (rc < 0 && !not_signed) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(id));
		goto done;
	}
	/*
	 * The raw commit is in libgit2's cache (read above, or by a walk). When
	 * the cache cannot grow to put the parsed commit in its place, libgit2
	 * (1.5, and its master still: cache.c, cache_store) returns the raw
	 * object as the commit, and its time and summary are whatever lies
	 * there (a crash in snprintf below, found under ASan). A lookup during
	 * which an allocation failed is not trusted, even one libgit2 got over.
	 */
	failures = fs_alloc_failures();
	if ((rc = git_commit_lookup(&c, repo, id)) < 0) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(id));
		goto done;
	}
	if (fs_alloc_failures() != failures) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	/* libgit2 1.5 makes the summary on first use, and makes it "" when that fails */
	r->summary = git_commit_summary(c);
	if (!r->summary || fs_alloc_failures() != failures) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	r->time = (int64_t)git_commit_time(c);
	if (not_signed) {
		rc = 0;
		r->problem = _("not signed");
		goto done;
	}
	/* out of memory is an error, not a problem of the commit */
	if ((rc = fs_sshsig_parse(&parsed, sig.ptr, sig.size)) == FS_ENOMEM)
		goto done;
	if (rc < 0) {
		rc = 0;
		snprintf(problem, problem_size, _("unreadable signature: %s"), fs_error_last()->message);
		r->problem = problem;
		goto done;
	}
	if ((rc = fs_sshsig_check(&parsed, "git", data.ptr, data.size)) == FS_ENOMEM)
		goto done;
	if (rc < 0) {
		rc = 0;
		snprintf(problem, problem_size, _("bad signature: %s"), fs_error_last()->message);
		r->problem = problem;
		goto done;
	}
	if (trust->signers) {
		const fs_signer *s = fs_signers_find(trust->signers, trust->principal,
						     parsed.public_key, "git", r->time);
		if (!s) {
			if ((rc = fs_ssh_pubkey_fingerprint(&fp, parsed.public_key)) < 0)
				goto done;
			snprintf(problem, problem_size,
				 _("signed by key %s, which is not allowed for '%s' at that time"),
				 fs_buf_cstr(&fp), trust->principal ? trust->principal : "");
			r->problem = problem;
			goto done;
		}
		r->signer = trust->principal;
	} else {
		if (!trust->key ||
		    sodium_memcmp(trust->key, parsed.public_key, FS_KEY_PUBLIC_BYTES) != 0) {
			if ((rc = fs_ssh_pubkey_fingerprint(&fp, parsed.public_key)) < 0)
				goto done;
			snprintf(problem, problem_size, _("signed by key %s, not %s"), fs_buf_cstr(&fp),
				 trust->key_name ? trust->key_name : _("the node's key"));
			r->problem = problem;
			goto done;
		}
		r->signer = trust->principal ? trust->principal : _("node key");
	}
	r->good = 1;
done:
	/* the summary points into the commit: keep it alive until the caller is done */
	if (rc == 0 && r->summary) {
		static _Thread_local char summary[256];
		snprintf(summary, sizeof(summary), "%s", r->summary);
		r->summary = summary;
	}
	git_commit_free(c);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	fs_buf_dispose(&fp);
	return rc;
}

static int push_range(git_revwalk *walk, git_repository *repo, const char *range)
{
	git_object *obj = NULL;
	int rc;

	if (!range || !*range)
		range = "HEAD";
	if (strstr(range, ".."))
		rc = git_revwalk_push_range(walk, range);
	else if ((rc = git_revparse_single(&obj, repo, range)) == 0)
		rc = git_revwalk_push(walk, git_object_id(obj));
	git_object_free(obj);
	if (rc < 0)
		return fs_error_git(rc, "revision range '%s'", range);
	return 0;
}

int fs_verify_range(git_repository *repo, const char *range, const fs_verify_trust *trust,
		    fs_verify_cb cb, void *payload, fs_verify_stats *stats)
{
	git_revwalk *walk = NULL;
	fs_verify_stats st = { 0, 0 };
	char problem[512];
	git_oid id;
	int rc;

	if ((rc = git_revwalk_new(&walk, repo)) < 0)
		return fs_error_git(rc, "cannot walk the history");
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if ((rc = push_range(walk, repo, range)) < 0)
		goto done;
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		fs_verify_result r;
		if ((rc = fs_verify_commit(repo, &id, trust, &r, problem, sizeof(problem))) < 0)
			goto done;
		st.checked++;
		if (!r.good)
			st.bad++;
		if (cb && (rc = cb(&r, payload)) != 0)
			goto done;
	}
	if (rc != GIT_ITEROVER) {
		rc = fs_error_git(rc, "cannot walk the history");
		goto done;
	}
	rc = st.bad ? fs_error_set(FS_EVERIFY, P_("%zu of %zu commit failed verification",
						  "%zu of %zu commits failed verification", st.checked),
				   st.bad, st.checked) : 0;
done:
	if (stats)
		*stats = st;
	git_revwalk_free(walk);
	return rc;
}
