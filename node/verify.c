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
 * The value of the commit's first "gpgsig" header, unfolded, in *sig, and
 * the bytes it signs, the commit without that header, in *data: git's
 * payload, cut by length, so that nothing after a NUL goes unsigned (libgit2's
 * extract_signature stops there). Only the header is searched, as git does.
 * A commit with another gpgsig header, or a gpgsig-sha256 one, keeps it in
 * the payload and fails, where git may accept it: the safe side.
 */
static int split(fs_buf *sig, fs_buf *data, int *found, const char *buf, size_t size)
{
	const char *end = buf + size, *line = buf, *eol;

	*found = 0;
	while (line < end && *line != '\n' &&
	       (eol = memchr(line, '\n', (size_t)(end - line)))) {
		if (eol - line < 7 || memcmp(line, "gpgsig ", 7) != 0) {
			line = eol + 1;
			continue;
		}
		*found = 1;
		fs_buf_put(data, buf, (size_t)(line - buf));
		fs_buf_put(sig, line + 7, (size_t)(eol - line - 7));
		/* continued lines start with a space, which is not part of the value */
		while (eol + 1 < end && eol[1] == ' ') {
			const char *next = eol + 2, *e = memchr(next, '\n', (size_t)(end - next));
			fs_buf_putc(sig, '\n');
			fs_buf_put(sig, next, (size_t)((e ? e : end) - next));
			if (!e)
				return fs_buf_check(sig) < 0 ? FS_ENOMEM : fs_buf_check(data);
			eol = e;
		}
		fs_buf_put(data, eol + 1, (size_t)(end - eol - 1));
		break;
	}
	return fs_buf_check(sig) < 0 ? FS_ENOMEM : fs_buf_check(data);
}

/*
 * split() of the commit's bytes. libgit2 caches no commit here
 * (fs_global_init), so they are rebuilt from the parsed commit (its raw
 * header, the blank line, its raw message) rather than read again, and
 * trusted only when they hash back to the commit's id; otherwise (a NUL
 * cut a part short, no blank line) the commit is read again, whole.
 */
static int signed_parts(fs_buf *sig, fs_buf *data, int *found, git_commit *c)
{
	const char *head = git_commit_raw_header(c), *msg = git_commit_message_raw(c);
	fs_buf whole = FS_BUF_INIT;
	git_odb *odb = NULL;
	git_odb_object *raw = NULL;
	git_oid id;
	int rc;

	*found = 0;
	if (head && msg) {
		fs_buf_puts(&whole, head);
		fs_buf_putc(&whole, '\n');
		fs_buf_puts(&whole, msg);
		if ((rc = fs_buf_check(&whole)) < 0)
			goto done;
		if (git_odb_hash(&id, whole.ptr, whole.size, GIT_OBJECT_COMMIT) == 0 &&
		    git_oid_equal(&id, git_commit_id(c))) {
			rc = split(sig, data, found, whole.ptr, whole.size);
			goto done;
		}
	}
	if ((rc = git_repository_odb(&odb, git_commit_owner(c))) < 0 ||
	    (rc = git_odb_read(&raw, odb, git_commit_id(c))) < 0) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	rc = split(sig, data, found, git_odb_object_data(raw), git_odb_object_size(raw));
done:
	git_odb_object_free(raw);
	git_odb_free(odb);
	fs_buf_dispose(&whole);
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
