#include "sync/bundle.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/odb.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"

struct fs_bundle {
	fs_buf data;
	fs_ref_update *refs;
	size_t nrefs;
	git_oid *prereq;
	size_t nprereq;
	size_t pack_at;
};

int fs_pack_history(git_buf *out, size_t *objects, git_repository *repo, const git_oid *tip,
		    const git_oid *since)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	int rc;

	if ((rc = git_packbuilder_new(&pb, repo)) < 0 || (rc = git_revwalk_new(&walk, repo)) < 0 ||
	    (rc = git_revwalk_push(walk, tip)) < 0 ||
	    (since && !git_oid_is_zero(since) && (rc = git_revwalk_hide(walk, since)) < 0) ||
	    (rc = git_packbuilder_insert_walk(pb, walk)) < 0 ||
	    (rc = git_packbuilder_write_buf(out, pb)) < 0)
		rc = fs_error_git(rc, "cannot pack the history");
	else if (objects)
		*objects = git_packbuilder_object_count(pb);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return rc;
}

int fs_bundle_create(git_repository *repo, const char *path, const git_oid *tip, const char *ref,
		     const git_oid *since, size_t *objects)
{
	git_buf pack = GIT_BUF_INIT;
	fs_buf out = FS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = fs_pack_history(&pack, objects, repo, tip, since)) < 0) {
		fs_error_prefix("bundle '%s'", path);
		goto done;
	}
	fs_buf_puts(&out, "# v2 git bundle\n");
	if (since)
		fs_buf_printf(&out, "-%s fieldsync: the hub has this\n", git_oid_tostr(hex, sizeof(hex), since));
	fs_buf_printf(&out, "%s %s\n\n", git_oid_tostr(hex, sizeof(hex), tip), ref);
	fs_buf_put(&out, pack.ptr, pack.size);
	if ((rc = fs_buf_check(&out)) == 0)
		rc = fs_file_write_atomic(path, out.ptr, out.size, 0644);
done:
	git_buf_dispose(&pack);
	fs_buf_dispose(&out);
	return rc;
}

void fs_bundle_free(fs_bundle *b)
{
	if (!b)
		return;
	fs_buf_dispose(&b->data);
	fs_free(b->refs);
	fs_free(b->prereq);
	fs_free(b);
}

size_t fs_bundle_ref_count(const fs_bundle *b) { return b->nrefs; }
const fs_ref_update *fs_bundle_refs(const fs_bundle *b) { return b->refs; }
size_t fs_bundle_prerequisite_count(const fs_bundle *b) { return b->nprereq; }
const git_oid *fs_bundle_prerequisite(const fs_bundle *b, size_t i) { return &b->prereq[i]; }

const void *fs_bundle_pack(const fs_bundle *b, size_t *len)
{
	*len = b->data.size - b->pack_at;
	return b->data.ptr + b->pack_at;
}

/* 40 hex digits at p, then a space or the end of the line */
static int read_oid(git_oid *out, const char *p, const char *eol)
{
	if (eol - p < GIT_OID_HEXSZ || (eol - p > GIT_OID_HEXSZ && p[GIT_OID_HEXSZ] != ' '))
		return -1;
	for (int i = 0; i < GIT_OID_HEXSZ; i++)
		if (!strchr("0123456789abcdef", p[i]) || !p[i])
			return -1;
	return git_oid_fromstrn(out, p, GIT_OID_HEXSZ);
}

static int parse(fs_bundle *b, const char *path)
{
	const char *p = b->data.ptr, *end = p + b->data.size, *eol;
	size_t line = 1;

	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol || (size_t)(eol - p) != 15 ||
	    (memcmp(p, "# v2 git bundle", 15) != 0 && memcmp(p, "# v3 git bundle", 15) != 0))
		return fs_error_set(FS_EINVALID, "bundle '%s': not a git bundle (no '# v2 git "
				    "bundle' first line)", path);
	for (p = eol + 1;; p = eol + 1) {
		line++;
		if (p >= end || !(eol = memchr(p, '\n', (size_t)(end - p))))
			return fs_error_set(FS_EINVALID, "bundle '%s': cut off in its header (line %zu)",
					    path, line);
		if (eol == p)
			break;
		if (*p == '@') {
			/* v3 capabilities: only SHA-1 objects are understood */
			if ((size_t)(eol - p) != 19 || memcmp(p, "@object-format=sha1", 19) != 0)
				return fs_error_set(FS_EINVALID, "bundle '%s': line %zu: capability "
						    "'%.*s' is not supported", path, line,
						    (int)(eol - p > 80 ? 80 : eol - p), p);
			continue;
		}
		if (b->nrefs + b->nprereq >= FS_BUNDLE_MAX_REFS)
			return fs_error_set(FS_EINVALID, "bundle '%s': over %d refs", path,
					    FS_BUNDLE_MAX_REFS);
		if (*p == '-') {
			if (read_oid(&b->prereq[b->nprereq], p + 1, eol) < 0)
				return fs_error_set(FS_EINVALID, "bundle '%s': line %zu: expected "
						    "'-<commit id>'", path, line);
			b->nprereq++;
			continue;
		}
		{
			fs_ref_update *u = &b->refs[b->nrefs];
			size_t name_len = (size_t)(eol - p) - GIT_OID_HEXSZ - 1;
			if (read_oid(&u->new, p, eol) < 0 || eol - p <= GIT_OID_HEXSZ + 1 ||
			    name_len >= sizeof(u->ref))
				return fs_error_set(FS_EINVALID, "bundle '%s': line %zu: expected "
						    "'<commit id> <ref>'", path, line);
			memcpy(u->ref, p + GIT_OID_HEXSZ + 1, name_len);
			u->ref[name_len] = '\0';
			if (!git_reference_is_valid_name(u->ref) || memchr(u->ref, '\0', name_len))
				return fs_error_set(FS_EINVALID, "bundle '%s': line %zu: '%s' is not a "
						    "ref name", path, line, u->ref);
			b->nrefs++;
		}
	}
	b->pack_at = (size_t)(eol + 1 - b->data.ptr);
	if (b->nrefs == 0)
		return fs_error_set(FS_EINVALID, "bundle '%s': it names no ref", path);
	if (b->data.size - b->pack_at < 32 || memcmp(b->data.ptr + b->pack_at, "PACK", 4) != 0)
		return fs_error_set(FS_EINVALID, "bundle '%s': no pack after the header", path);
	return 0;
}

static fs_bundle *bundle_new(void)
{
	fs_bundle *b = fs_calloc(1, sizeof(*b));

	if (!b || !(b->refs = fs_calloc(FS_BUNDLE_MAX_REFS, sizeof(*b->refs))) ||
	    !(b->prereq = fs_calloc(FS_BUNDLE_MAX_REFS, sizeof(*b->prereq)))) {
		fs_bundle_free(b);
		fs_error_set(FS_ENOMEM, "out of memory");
		return NULL;
	}
	return b;
}

int fs_bundle_read(fs_bundle **out, const char *path)
{
	fs_bundle *b = bundle_new();
	int rc;

	*out = NULL;
	if (!b)
		return FS_ENOMEM;
	if ((rc = fs_file_read(&b->data, path, FS_BUNDLE_MAX_BYTES, _("bundle"))) < 0 ||
	    (rc = parse(b, path)) < 0) {
		fs_bundle_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int fs_bundle_parse(fs_bundle **out, const void *data, size_t len, const char *name)
{
	fs_bundle *b = bundle_new();
	int rc;

	*out = NULL;
	if (!b)
		return FS_ENOMEM;
	if ((rc = fs_buf_put(&b->data, data, len)) < 0 || (rc = parse(b, name)) < 0) {
		fs_bundle_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int fs_bundle_unpack(git_repository **out, const fs_bundle *b, const char *dir,
		     const char *name)
{
	char pack[GIT_OID_HEXSZ + 1], objects[PATH_MAX];
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	size_t n = 0, len;
	const void *data = fs_bundle_pack(b, &len);
	int rc;

	*out = NULL;
	if (b->nprereq)
		return fs_error_set(FS_EINVALID,
				    P_("bundle '%s': it needs %zu commit it does not carry (made with "
				       "--since?); only a whole history can be read on its own",
				       "bundle '%s': it needs %zu commits it does not carry (made with "
				       "--since?); only a whole history can be read on its own",
				       b->nprereq), name, b->nprereq);
	if ((rc = git_repository_init(&repo, dir, 1)) < 0) {
		rc = fs_error_git(rc, "cannot make a repository in '%s'", dir);
		goto done;
	}
	snprintf(objects, sizeof(objects), "%s/objects", git_repository_path(repo));
	if ((rc = fs_pack_index(pack, &n, repo, objects, data, len)) < 0) {
		rc = fs_error_prefix("bundle '%s'", name);
		goto done;
	}
	if ((rc = git_repository_odb(&odb, repo)) < 0) {
		rc = fs_error_git(rc, "cannot read '%s'", dir);
		goto done;
	}
	for (size_t i = 0; i < b->nrefs; i++) {
		if (strncmp(b->refs[i].ref, "refs/", 5) != 0)
			continue; /* HEAD: a mirror has its own */
		if ((rc = fs_odb_has(odb, &b->refs[i].new)) < 0)
			goto done;
		if (!rc) {
			rc = fs_error_set(FS_EINVALID, "bundle '%s': incomplete: %s names %s, which "
					  "it does not carry", name, b->refs[i].ref,
					  git_oid_tostr_s(&b->refs[i].new));
			goto done;
		}
		if ((rc = git_reference_create(&ref, repo, b->refs[i].ref, &b->refs[i].new, 1,
					       "fieldsync: bundle")) < 0) {
			rc = fs_error_git(rc, "bundle '%s': cannot set %s", name, b->refs[i].ref);
			goto done;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	*out = repo;
	repo = NULL;
done:
	git_odb_free(odb);
	git_repository_free(repo);
	return rc;
}
