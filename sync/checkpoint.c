#include "sync/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/sshsig.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"
#include "util/time.h"

#define MAGIC "fieldsync-checkpoint 1\n"
#define NAME_BYTES 200

typedef struct {
	char name[NAME_BYTES];
	git_oid head;
} ref;

struct fs_checkpoint {
	ref *refs;
	size_t n;
	int64_t time;
	unsigned char hub_key[FS_KEY_PUBLIC_BYTES];
};

size_t fs_checkpoint_count(const fs_checkpoint *c)
{
	return c->n;
}

const char *fs_checkpoint_ref(const fs_checkpoint *c, size_t i, git_oid *head)
{
	git_oid_cpy(head, &c->refs[i].head);
	return c->refs[i].name;
}

int64_t fs_checkpoint_time(const fs_checkpoint *c)
{
	return c->time;
}

const unsigned char *fs_checkpoint_hub_key(const fs_checkpoint *c)
{
	return c->hub_key;
}

void fs_checkpoint_free(fs_checkpoint *c)
{
	if (!c)
		return;
	fs_free(c->refs);
	fs_free(c);
}

static int add_ref(fs_checkpoint *c, const char *name, size_t len, const git_oid *head)
{
	ref *v;

	if (len == 0 || len >= NAME_BYTES)
		return fs_error_set(FS_EINVALID, "a ref name of %zu bytes", len);
	if (!(v = fs_realloc(c->refs, (c->n + 1) * sizeof(*v))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	c->refs = v;
	memcpy(v[c->n].name, name, len);
	v[c->n].name[len] = '\0';
	git_oid_cpy(&v[c->n].head, head);
	c->n++;
	return 0;
}

/* One line of the body: "time T", "hub-key K" or "ref NAME HEX". */
static int parse_line(fs_checkpoint *c, const char *line, size_t len, int *has_time, int *has_key)
{
	char text[512];
	const char *sp;
	git_oid id;

	if (len >= sizeof(text))
		return fs_error_set(FS_EINVALID, "a line of %zu bytes", len);
	memcpy(text, line, len);
	text[len] = '\0';
	if (strncmp(text, "time ", 5) == 0) {
		*has_time = 1;
		return fs_time_parse_rfc3339(&c->time, text + 5) < 0
			       ? fs_error_set(FS_EINVALID, "'%s': not a time", text + 5) : 0;
	}
	if (strncmp(text, "hub-key ", 8) == 0) {
		*has_key = 1;
		return fs_ssh_pubkey_parse(c->hub_key, text + 8) < 0
			       ? fs_error_set(FS_EINVALID, "'%s': not a key", text + 8) : 0;
	}
	if (strncmp(text, "ref ", 4) == 0 && (sp = strrchr(text + 4, ' ')) &&
	    strlen(sp + 1) == GIT_OID_HEXSZ && git_oid_fromstr(&id, sp + 1) == 0)
		return add_ref(c, text + 4, (size_t)(sp - text - 4), &id);
	return fs_error_set(FS_EINVALID, "'%s': expected time, hub-key or ref", text);
}

int fs_checkpoint_read(fs_checkpoint **out, const char *path,
		       const unsigned char auditor[FS_KEY_PUBLIC_BYTES])
{
	unsigned char signer[FS_KEY_PUBLIC_BYTES];
	fs_buf text = FS_BUF_INIT;
	fs_checkpoint *c = NULL;
	const char *p;
	size_t body = 0, line = 1;
	int rc, has_time = 0, has_key = 0;

	*out = NULL;
	if (!fs_file_exists(path))
		return fs_error_set(FS_ENOTFOUND, "checkpoint '%s': no such file", path);
	if ((rc = fs_file_read(&text, path, 16 << 20, _("checkpoint"))) < 0)
		goto done;
	if (!(c = fs_calloc(1, sizeof(*c)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if (text.size < strlen(MAGIC) || memcmp(text.ptr, MAGIC, strlen(MAGIC)) != 0 ||
	    (rc = fs_sshsig_text_verify(&body, text.ptr, text.size, FS_CHECKPOINT_NAMESPACE,
					signer)) == FS_EINVALID) {
		rc = fs_error_set(FS_EINVALID, "checkpoint '%s': not a signed fieldsync checkpoint",
				  path);
		goto done;
	}
	if (rc < 0 || sodium_memcmp(signer, auditor, FS_KEY_PUBLIC_BYTES) != 0) {
		rc = fs_error_set(FS_EVERIFY, "checkpoint '%s': not signed by this auditor's key "
				  "(changed since it was written, or another auditor's)", path);
		goto done;
	}
	for (p = text.ptr + strlen(MAGIC); p < text.ptr + body; line++) {
		const char *nl = memchr(p, '\n', (size_t)(text.ptr + body - p));
		if ((rc = parse_line(c, p, (size_t)(nl - p), &has_time, &has_key)) < 0) {
			fs_error_prefix("checkpoint '%s':%zu", path, line + 1);
			goto done;
		}
		p = nl + 1;
	}
	if (!has_time || !has_key)
		rc = has_time ? fs_error_set(FS_EINVALID, "checkpoint '%s': no hub-key line", path)
			      : fs_error_set(FS_EINVALID, "checkpoint '%s': no time line", path);
done:
	fs_buf_dispose(&text);
	if (rc < 0)
		fs_checkpoint_free(c);
	else
		*out = c;
	return rc;
}

static int put_refs(fs_buf *out, git_repository *repo, const char *prefix, const char *glob)
{
	git_reference_iterator *it = NULL;
	git_reference *r = NULL;
	char pattern[300];
	int rc;

	snprintf(pattern, sizeof(pattern), "%s%s", prefix, glob);
	if ((rc = git_reference_iterator_glob_new(&it, repo, pattern)) < 0)
		return fs_error_git(rc, "cannot list the refs");
	while ((rc = git_reference_next(&r, it)) == 0) {
		if (git_reference_target(r))
			fs_buf_printf(out, "ref %s %s\n", git_reference_name(r) + strlen(prefix),
				      git_oid_tostr_s(git_reference_target(r)));
		git_reference_free(r);
	}
	git_reference_iterator_free(it);
	return rc == GIT_ITEROVER ? 0 : fs_error_git(rc, "cannot list the refs");
}

int fs_checkpoint_write(const char *path, const fs_key *key, git_repository *repo,
			const char *prefix, const unsigned char hub_key[FS_KEY_PUBLIC_BYTES])
{
	static const char *const globs[] = { "hub", "unified", "public", "cities/*" };
	char when[FS_TIME_RFC3339_BYTES];
	fs_buf text = FS_BUF_INIT;
	int rc = 0;

	fs_time_rfc3339(when, fs_time_now());
	fs_buf_printf(&text, MAGIC "time %s\nhub-key ", when);
	fs_ssh_pubkey_format(&text, hub_key, NULL);
	fs_buf_putc(&text, '\n');
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]) && rc == 0; i++)
		rc = put_refs(&text, repo, prefix, globs[i]);
	if (rc == 0 && (rc = fs_sshsig_text_sign(&text, key, FS_CHECKPOINT_NAMESPACE)) == 0)
		rc = fs_file_write_atomic(path, text.ptr, text.size, 0644);
	fs_buf_dispose(&text);
	return rc;
}
