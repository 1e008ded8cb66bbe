#include "sync/receipt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/sshsig.h"
#include "node/walk.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"
#include "util/time.h"

#define MAGIC "fieldsync receipt 1\n"
#define HUB_BYTES 201
#define CITY_BYTES 101
/* a receipt is a few hundred bytes: anything far bigger is not one */
#define MAX_BYTES (64 * 1024)

struct fs_receipt {
	char hub[HUB_BYTES];
	char city[CITY_BYTES];
	git_oid head;
	int64_t time;
	unsigned char hub_key[FS_KEY_PUBLIC_BYTES];
	char *text;
	size_t len;
};

const char *fs_receipt_hub(const fs_receipt *r) { return r->hub; }
const char *fs_receipt_city(const fs_receipt *r) { return r->city; }
const git_oid *fs_receipt_head(const fs_receipt *r) { return &r->head; }
int64_t fs_receipt_time(const fs_receipt *r) { return r->time; }
const unsigned char *fs_receipt_hub_key(const fs_receipt *r) { return r->hub_key; }

const char *fs_receipt_text(const fs_receipt *r, size_t *len)
{
	*len = r->len;
	return r->text;
}

void fs_receipt_free(fs_receipt *r)
{
	if (!r)
		return;
	fs_free(r->text);
	fs_free(r);
}

/* One line people read: no control characters (a terminal's escapes), no blanks around. */
static int hub_name_check(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			n = 0;
	if (n == 0 || n >= HUB_BYTES || name[0] == ' ' || name[n - 1] == ' ')
		return fs_error_set(FS_EINVALID, "hub name: expected one line of text, not empty, "
				    "without control characters or blanks around it");
	return 0;
}

int fs_receipt_issue(fs_buf *out, const fs_key *key, const char *hub_name, const char *city,
		     const git_oid *head, int64_t when)
{
	char t[FS_TIME_RFC3339_BYTES];
	fs_buf text = FS_BUF_INIT;
	int rc;

	if ((rc = hub_name_check(hub_name ? hub_name : "")) < 0 ||
	    (rc = fs_city_id_check(city, _("city"))) < 0)
		return rc;
	fs_time_rfc3339(t, when);
	fs_buf_printf(&text, MAGIC "hub %s\nhub-key ", hub_name);
	if ((rc = fs_ssh_pubkey_fingerprint(&text, fs_key_public(key))) < 0)
		goto done;
	fs_buf_printf(&text, "\ncity %s\nhead %s\ntime %s\n", city, git_oid_tostr_s(head), t);
	if ((rc = fs_sshsig_text_sign(&text, key, FS_RECEIPT_NAMESPACE)) < 0)
		goto done;
	rc = fs_buf_put(out, text.ptr, text.size);
done:
	fs_buf_dispose(&text);
	return rc;
}

/*
 * The value of the line `p` (ending before `end`) that must start with
 * `name` and a space, copied to `out`; the next line goes to `*next`.
 */
static int field(char *out, size_t size, const char **next, const char *p, const char *end,
		 const char *name)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = strlen(name), len;

	if (!nl || (size_t)(nl - p) <= n || strncmp(p, name, n) != 0 || p[n] != ' ')
		return fs_error_set(FS_EINVALID, "expected a line '%s ...'", name);
	len = (size_t)(nl - p) - n - 1;
	if (len >= size || memchr(p + n + 1, '\0', len))
		return fs_error_set(FS_EINVALID, "line '%s': %zu bytes is too long", name, len);
	memcpy(out, p + n + 1, len);
	out[len] = '\0';
	*next = nl + 1;
	return 0;
}

static int parse_body(fs_receipt *r, const char *text, size_t body)
{
	const char *p = text + strlen(MAGIC), *end = text + body;
	char fp[128], head[GIT_OID_HEXSZ + 2], when[64];
	fs_buf want = FS_BUF_INIT;
	int rc;

	if ((rc = field(r->hub, sizeof(r->hub), &p, p, end, "hub")) < 0 ||
	    (rc = field(fp, sizeof(fp), &p, p, end, "hub-key")) < 0 ||
	    (rc = field(r->city, sizeof(r->city), &p, p, end, "city")) < 0 ||
	    (rc = field(head, sizeof(head), &p, p, end, "head")) < 0 ||
	    (rc = field(when, sizeof(when), &p, p, end, "time")) < 0)
		goto done;
	if (p != end) {
		rc = fs_error_set(FS_EINVALID, "a line after 'time'");
		goto done;
	}
	if ((rc = hub_name_check(r->hub)) < 0 || (rc = fs_city_id_check(r->city, _("city"))) < 0)
		goto done;
	if (strlen(head) != GIT_OID_HEXSZ || git_oid_fromstr(&r->head, head) < 0) {
		rc = fs_error_set(FS_EINVALID, "head '%s': expected a commit id (40 hex digits)", head);
		goto done;
	}
	if (fs_time_parse_rfc3339(&r->time, when) < 0) {
		rc = fs_error_set(FS_EINVALID, "time '%s': expected RFC 3339", when);
		goto done;
	}
	/* the line says which key; it must be the one that signed */
	if ((rc = fs_ssh_pubkey_fingerprint(&want, r->hub_key)) < 0)
		goto done;
	if (strcmp(fp, want.ptr) != 0)
		rc = fs_error_set(FS_EINVALID, "hub-key '%s': the receipt is signed by %s", fp,
				  want.ptr);
done:
	fs_buf_dispose(&want);
	return rc;
}

static int trusted(const unsigned char *pk, const unsigned char *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sodium_memcmp(pk, keys + i * FS_KEY_PUBLIC_BYTES, FS_KEY_PUBLIC_BYTES) == 0)
			return 1;
	return 0;
}

int fs_receipt_parse(fs_receipt **out, const char *text, size_t len,
		     const unsigned char *keys, size_t n, const char *what)
{
	fs_receipt *r = NULL;
	fs_buf fp = FS_BUF_INIT;
	size_t body;
	int rc;

	*out = NULL;
	if (len > MAX_BYTES || len < strlen(MAGIC) || memcmp(text, MAGIC, strlen(MAGIC)) != 0)
		return fs_error_set(FS_EINVALID, "%s: not a fieldsync receipt", what);
	if (!(r = fs_calloc(1, sizeof(*r))) || !(r->text = fs_malloc(len + 1))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->len = len;
	if ((rc = fs_sshsig_text_verify(&body, r->text, len, FS_RECEIPT_NAMESPACE,
					r->hub_key)) < 0) {
		fs_error_prefix("%s", what);
		goto done;
	}
	if (!trusted(r->hub_key, keys, n)) {
		fs_ssh_pubkey_fingerprint(&fp, r->hub_key);
		rc = n ? fs_error_set(FS_EREFUSED, "%s: signed by %s, which is not the hub's key", what,
				      fs_buf_cstr(&fp))
		       : fs_error_set(FS_EREFUSED, "%s: signed by %s, which is not the hub's key (no "
				      "hub key is known here)", what, fs_buf_cstr(&fp));
		goto done;
	}
	if ((rc = parse_body(r, r->text, body)) < 0)
		fs_error_prefix("%s", what);
done:
	fs_buf_dispose(&fp);
	if (rc < 0)
		fs_receipt_free(r);
	else
		*out = r;
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_receipt_each_file(const char *dir, fs_receipt_file_cb cb, void *payload)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	fs_buf path = FS_BUF_INIT, text = FS_BUF_INIT;
	int rc = 0;

	if (!d)
		return fs_file_exists(dir) ? fs_error_os("cannot read the folder '%s'", dir)
					   : fs_error_set(FS_ENOTFOUND, "'%s': no such folder", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **nv;
		if (len <= 8 || strcmp(e->d_name + len - 8, ".receipt") != 0)
			continue;
		if (!(nv = fs_realloc(names, (n + 1) * sizeof(*names))) ||
		    !(nv[n] = fs_strdup(e->d_name))) {
			names = nv ? nv : names;
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		names = nv;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		fs_buf_clear(&path);
		fs_buf_printf(&path, "%s/%s", dir, names[i]);
		fs_buf_clear(&text);
		if ((rc = fs_buf_check(&path)) < 0 ||
		    (rc = fs_file_read(&text, path.ptr, MAX_BYTES, _("receipt"))) < 0)
			break;
		rc = cb(path.ptr, &text, payload);
	}
done:
	for (size_t i = 0; i < n; i++)
		fs_free(names[i]);
	fs_free(names);
	closedir(d);
	fs_buf_dispose(&path);
	fs_buf_dispose(&text);
	return rc;
}

int fs_receipt_node_keys(fs_buf *keys, const fs_node *node)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	int rc;

	if ((rc = git_repository_config_snapshot(&cfg, fs_node_repo(node))) < 0 ||
	    (rc = git_config_iterator_glob_new(&it, cfg, "^(remote\\..*\\.fieldsynchubkey|fieldsync\\.hubkey)$")) < 0) {
		rc = fs_error_git(rc, "cannot read the settings");
		goto done;
	}
	while ((rc = git_config_next(&e, it)) == 0) {
		if (fs_ssh_pubkey_parse(pk, e->value) < 0) {
			rc = fs_error_set(FS_EINVALID, "setting %s: not an ssh-ed25519 key", e->name);
			goto done;
		}
		fs_buf_put(keys, pk, sizeof(pk));
	}
	rc = rc == GIT_ITEROVER ? fs_buf_check(keys) : fs_error_git(rc, "cannot read the settings");
done:
	git_config_iterator_free(it);
	git_config_free(cfg);
	return rc;
}

int fs_receipt_trust_key(const fs_node *node, const unsigned char pk[FS_KEY_PUBLIC_BYTES])
{
	fs_buf keys = FS_BUF_INIT, text = FS_BUF_INIT;
	git_config *cfg = NULL;
	int rc;

	if ((rc = fs_receipt_node_keys(&keys, node)) < 0)
		goto done;
	for (size_t i = 0; i < keys.size / FS_KEY_PUBLIC_BYTES; i++)
		if (sodium_memcmp(keys.ptr + i * FS_KEY_PUBLIC_BYTES, pk, FS_KEY_PUBLIC_BYTES) == 0)
			goto done;
	if ((rc = fs_ssh_pubkey_format(&text, pk, NULL)) < 0)
		goto done;
	/* "^$" replaces no value: one more key, as git config --add does */
	if ((rc = git_repository_config(&cfg, fs_node_repo(node))) < 0 ||
	    (rc = git_config_set_multivar(cfg, "fieldsync.hubKey", "^$", text.ptr)) < 0)
		rc = fs_error_git(rc, "cannot keep the hub's key in the settings");
done:
	git_config_free(cfg);
	fs_buf_dispose(&keys);
	fs_buf_dispose(&text);
	return rc;
}

int fs_receipt_dir(fs_buf *out, const fs_node *node)
{
	fs_buf_printf(out, "%s/receipts", fs_node_private_dir(node));
	return fs_buf_check(out);
}

/* Is `head` the node's head or in its history? */
static int node_has(const fs_node *node, const git_oid *head)
{
	git_commit *tip = NULL;
	int rc, has = 0;

	if ((rc = fs_node_head(&tip, node)) < 0)
		return rc;
	has = git_oid_equal(git_commit_id(tip), head) ? 1
	      : fs_descendant_of(fs_node_repo(node), git_commit_id(tip), head);
	git_commit_free(tip);
	return has < 0 ? fs_error_git(has, "cannot read the node's history") : has;
}

int fs_receipt_keep(const fs_node *node, const fs_receipt *r, fs_buf *path)
{
	char when[FS_TIME_RFC3339_BYTES], stamp[FS_TIME_RFC3339_BYTES];
	fs_buf dir = FS_BUF_INIT, file = FS_BUF_INIT;
	size_t j = 0;
	int rc;

	if (strcmp(r->city, fs_node_city(node)) != 0) {
		rc = fs_error_set(FS_EREFUSED, "receipt: it is for city '%s', and this node is '%s'",
				  r->city, fs_node_city(node));
		goto done;
	}
	if ((rc = node_has(node, &r->head)) <= 0) {
		rc = rc < 0 ? rc : fs_error_set(FS_EREFUSED, "receipt: commit %s is not in this "
						"node's history", git_oid_tostr_s(&r->head));
		goto done;
	}
	/* 20261125T100000Z: names that sort by time, and no ':' for other systems */
	fs_time_rfc3339(when, r->time);
	for (size_t i = 0; when[i]; i++)
		if (when[i] != '-' && when[i] != ':')
			stamp[j++] = when[i];
	stamp[j] = '\0';
	if ((rc = fs_receipt_dir(&dir, node)) < 0 || (rc = fs_file_mkdir_p(dir.ptr, 0755)) < 0 ||
	    (rc = fs_file_sync_dir(dir.ptr)) < 0)
		goto done;
	/* the hub's key in the name too: two hubs' receipts of one head in one second */
	fs_buf_printf(&file, "%s/%s-%s-%s-%02x%02x%02x%02x.receipt", dir.ptr, r->city, stamp,
		      git_oid_tostr_s(&r->head), r->hub_key[0], r->hub_key[1], r->hub_key[2],
		      r->hub_key[3]);
	if ((rc = fs_buf_check(&file)) < 0 ||
	    (rc = fs_file_write_atomic(file.ptr, r->text, r->len, 0644)) < 0)
		goto done;
	if (path) {
		fs_buf_clear(path);
		fs_buf_puts(path, file.ptr);
		rc = fs_buf_check(path);
	}
done:
	fs_buf_dispose(&dir);
	fs_buf_dispose(&file);
	return rc;
}
