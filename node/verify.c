#include "node/verify.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "node/sshsig.h"
#include "node/walk.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/i18n.h"

/*
 * The gpgsig header's value and the bytes it signs (the commit without that
 * header), as git_commit_extract_signature gives them, but from the commit
 * already parsed: extract_signature reads the commit again, and libgit2
 * caches no commit here (fs_global_init). The commit is its raw header, the
 * blank line and its raw message, when it has a message; with none there is
 * no telling whether the blank line was there, and libgit2 reads it again.
 * *found is 0 for a commit without a signature.
 */
static int signed_parts(fs_buf *sig, fs_buf *data, int *found, git_commit *c)
{
	const char *head = git_commit_raw_header(c), *msg = git_commit_message_raw(c);
	const char *line, *eol;
	git_buf gsig = GIT_BUF_INIT, gdata = GIT_BUF_INIT;
	git_oid id;
	int rc;

	*found = 0;
	if (!head || !msg || !*msg)
		goto reread;
	/* every line of the raw header ends in a newline, unless a NUL cut it short */
	for (line = head; (eol = strchr(line, '\n')); line = eol + 1) {
		if (strncmp(line, "gpgsig ", 7) != 0)
			continue;
		*found = 1;
		fs_buf_put(data, head, (size_t)(line - head));
		fs_buf_put(sig, line + 7, (size_t)(eol - line - 7));
		/* continued lines start with a space, which is not part of the value */
		while (eol[1] == ' ') {
			line = eol + 2;
			if (!(eol = strchr(line, '\n')))
				goto reread;
			fs_buf_putc(sig, '\n');
			fs_buf_put(sig, line, (size_t)(eol - line));
		}
		fs_buf_puts(data, eol + 1);
		break;
	}
	if (*line && !eol)
		goto reread;
	fs_buf_putc(data, '\n');
	fs_buf_puts(data, msg);
	return fs_buf_check(sig) < 0 ? FS_ENOMEM : fs_buf_check(data);
reread:
	*found = 0;
	fs_buf_clear(sig);
	fs_buf_clear(data);
	git_oid_cpy(&id, git_commit_id(c));
	rc = git_commit_extract_signature(&gsig, &gdata, git_commit_owner(c), &id, "gpgsig");
	if (rc == 0) {
		*found = 1;
		fs_buf_put(sig, gsig.ptr, gsig.size);
		fs_buf_put(data, gdata.ptr, gdata.size);
		rc = fs_buf_check(sig) < 0 ? FS_ENOMEM : fs_buf_check(data);
	} else if (rc == GIT_ENOTFOUND) {
		rc = 0;
	} else {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(&id));
	}
	git_buf_dispose(&gsig);
	git_buf_dispose(&gdata);
	return rc;
}

int fs_verify_parsed(git_commit *c, const fs_verify_trust *trust, fs_verify_result *r,
		     char *problem, size_t problem_size)
{
	fs_buf sig = FS_BUF_INIT, data = FS_BUF_INIT, fp = FS_BUF_INIT;
	fs_sshsig parsed;
	unsigned long failures = fs_alloc_failures();
	int rc, found;

	memset(r, 0, sizeof(*r));
	git_oid_cpy(&r->commit, git_commit_id(c));
	/* libgit2 1.5 makes the summary on first use, and makes it "" when that fails */
	r->summary = git_commit_summary(c);
	if (!r->summary || fs_alloc_failures() != failures) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	r->time = (int64_t)git_commit_time(c);
	if ((rc = signed_parts(&sig, &data, &found, c)) < 0)
		goto done;
	if (!found) {
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
	if (rc < 0)
		r->summary = NULL;
	fs_buf_dispose(&sig);
	fs_buf_dispose(&data);
	fs_buf_dispose(&fp);
	return rc;
}

int fs_verify_commit(git_repository *repo, const git_oid *id, const fs_verify_trust *trust,
		     fs_verify_result *r, char *problem, size_t problem_size)
{
	git_commit *c = NULL;
	unsigned long failures = fs_alloc_failures();
	int rc;

	memset(r, 0, sizeof(*r));
	git_oid_cpy(&r->commit, id);
	/*
	 * A lookup during which an allocation failed is not trusted, even one
	 * libgit2 got over: with objects in its cache, libgit2 1.5 can then
	 * hand back the raw object as the commit (fs_global_init caches none;
	 * a library user may).
	 */
	if ((rc = git_commit_lookup(&c, repo, id)) < 0) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(id));
		goto done;
	}
	if (fs_alloc_failures() != failures) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = fs_verify_parsed(c, trust, r, problem, problem_size)) == 0 && r->summary) {
		/* the summary points into the commit: kept past its free */
		static _Thread_local char summary[256];
		snprintf(summary, sizeof(summary), "%s", r->summary);
		r->summary = summary;
	}
done:
	git_commit_free(c);
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
	unsigned long failures = fs_alloc_failures();
	git_oid id;
	int rc;

	if ((rc = git_revwalk_new(&walk, repo)) < 0)
		return fs_error_git(rc, "cannot walk the history");
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if ((rc = push_range(walk, repo, range)) < 0)
		goto done;
	while ((rc = fs_revwalk_next(&id, walk, failures)) == 0) {
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
