#include "sync/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sync/apply.h"
#include "sync/bundle.h"
#include "sync/net.h"
#include "sync/ssh.h"
#include "sync/check.h"
#include "sync/copy.h"
#include "sync/link.h"
#include "sync/uplink.h"
#include "node/signers.h"
#include "node/sshsig.h"
#include "node/verify.h"
#include "node/walk.h"
#include "sync/merge.h"
#include "sync/receipt.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"
#include "util/time.h"

/* ---- remotes -------------------------------------------------------------- */

/* The hub key pinned in `setting`: 0, or FS_ENOTFOUND when none is pinned yet. */
static int pinned_key(unsigned char pk[FS_KEY_PUBLIC_BYTES], git_config *cfg,
		      const char *setting)
{
	git_buf v = GIT_BUF_INIT;
	int rc = git_config_get_string_buf(&v, cfg, setting);

	if (rc == GIT_ENOTFOUND)
		rc = FS_ENOTFOUND;
	else if (rc < 0)
		rc = fs_error_git(rc, "cannot read the setting %s", setting);
	else if ((rc = fs_ssh_pubkey_parse(pk, v.ptr)) < 0)
		fs_error_prefix("setting %s", setting);
	git_buf_dispose(&v);
	return rc;
}

/* Trust on first use, as ssh does: the key is pinned in `setting` from now on. */
static int pin_key(git_config *cfg, const char *setting, const unsigned char pk[FS_KEY_PUBLIC_BYTES])
{
	fs_buf text = FS_BUF_INIT;
	int rc;

	if ((rc = fs_ssh_pubkey_format(&text, pk, NULL)) == 0 &&
	    (rc = git_config_set_string(cfg, setting, text.ptr)) < 0)
		rc = fs_error_git(rc, "cannot pin the hub's key");
	fs_buf_dispose(&text);
	return rc;
}


/* A hub on this machine: file://PATH or a plain path. NULL for a network URL. */
static const char *local_path(const char *url)
{
	if (strncmp(url, "file://", 7) == 0)
		return url + 7;
	if (url[0] == '/' || url[0] == '.')
		return url;
	return NULL;
}

static int valid_url(const char *url)
{
	return local_path(url) || strncmp(url, "http://", 7) == 0 ||
	       strncmp(url, "https://", 8) == 0 || strncmp(url, "ssh://", 6) == 0;
}

static int is_ssh(const char *url)
{
	return strncmp(url, "ssh://", 6) == 0;
}

/* Parse and store the pins of remote `name` (its URL is `url`). */
static int not_ssh(const char *name, const char *url)
{
	return local_path(url) ? fs_error_set(FS_EINVALID, "remote '%s': host keys are for ssh:// "
					      "hubs; '%s' is checked by nothing: it is on this "
					      "machine", name, url)
			       : fs_error_set(FS_EINVALID, "remote '%s': host keys are for ssh:// "
					      "hubs; '%s' is checked with TLS certificates", name, url);
}

static int set_pins(git_repository *repo, const char *name, const char *url, const char *keys)
{
	git_config *cfg = NULL;
	fs_buf pins = FS_BUF_INIT, setting = FS_BUF_INIT;
	int rc;

	if (!is_ssh(url)) {
		rc = not_ssh(name, url);
		goto done;
	}
	if ((rc = fs_ssh_pins_parse(&pins, keys)) < 0) {
		fs_error_prefix("remote '%s'", name);
		goto done;
	}
	fs_buf_printf(&setting, "remote.%s." FS_SSH_PINS_SETTING, name);
	if ((rc = fs_buf_check(&setting)) < 0)
		goto done;
	if ((rc = git_repository_config(&cfg, repo)) < 0 ||
	    (rc = git_config_set_string(cfg, setting.ptr, pins.ptr)) < 0)
		rc = fs_error_git(rc, "remote '%s': cannot store its host keys", name);
done:
	git_config_free(cfg);
	fs_buf_dispose(&pins);
	fs_buf_dispose(&setting);
	return rc;
}

int fs_remote_add(fs_node *node, const char *name, const char *url, const char *host_keys)
{
	git_remote *r = NULL;
	fs_buf spec = FS_BUF_INIT, pins = FS_BUF_INIT;
	int rc;

	for (const char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
			return fs_error_set(FS_EINVALID, "remote '%s': use letters, digits, '.', '_' "
					    "and '-' only", name);
	if (!*name || strlen(name) > 64)
		return fs_error_set(FS_EINVALID, "remote '%s': expected 1 to 64 characters", name);
	if (!valid_url(url))
		return fs_error_set(FS_EINVALID, "remote '%s': URL '%s': expected file://, a path, "
				    "http://, https:// or ssh://", name, url);
	/* never accepted blindly: an ssh hub's key is given up front */
	if (is_ssh(url) && !host_keys)
		return fs_error_set(FS_EINVALID, "remote '%s': an ssh:// hub needs its host key "
				    "pinned: --host-key 'ssh-ed25519 AAAA...' (on the hub: cat "
				    "/etc/ssh/ssh_host_ed25519_key.pub) or --host-key FILE", name);
	if (host_keys && !is_ssh(url))
		return not_ssh(name, url);
	/* checked before anything is written: a bad key leaves no remote behind */
	if (host_keys && (rc = fs_ssh_pins_parse(&pins, host_keys)) < 0) {
		fs_error_prefix("remote '%s'", name);
		goto done;
	}
	/* only what every city may see comes back: never another city's services */
	fs_buf_printf(&spec, "+refs/heads/public:refs/remotes/%s/public", name);
	if ((rc = fs_buf_check(&spec)) < 0)
		goto done;
	rc = git_remote_create_with_fetchspec(&r, fs_node_repo(node), name, url, spec.ptr);
	if (rc == GIT_EEXISTS) {
		rc = fs_error_set(FS_EINVALID, "remote '%s' exists already", name);
		goto done;
	}
	if (rc < 0) {
		rc = fs_error_git(rc, "remote '%s'", name);
		goto done;
	}
	if (host_keys && (rc = set_pins(fs_node_repo(node), name, url, host_keys)) < 0)
		git_remote_delete(fs_node_repo(node), name);
done:
	git_remote_free(r);
	fs_buf_dispose(&spec);
	fs_buf_dispose(&pins);
	return rc;
}

int fs_remote_set_hub_key(fs_node *node, const char *name,
			  const unsigned char hub_key[FS_KEY_PUBLIC_BYTES])
{
	git_config *cfg = NULL;
	fs_buf url = FS_BUF_INIT;
	char setting[256];
	int rc;

	snprintf(setting, sizeof(setting), "remote.%s.fieldsyncHubKey", name);
	if ((rc = fs_remote_url(&url, node, name)) < 0)
		goto done;
	if ((rc = git_repository_config(&cfg, fs_node_repo(node))) < 0) {
		rc = fs_error_git(rc, "cannot read the node's settings");
		goto done;
	}
	rc = pin_key(cfg, setting, hub_key);
done:
	git_config_free(cfg);
	fs_buf_dispose(&url);
	return rc;
}

int fs_remote_set_host_keys(fs_node *node, const char *name, const char *host_keys)
{
	fs_buf url = FS_BUF_INIT;
	int rc;

	if ((rc = fs_remote_url(&url, node, name)) == 0)
		rc = set_pins(fs_node_repo(node), name, url.ptr, host_keys);
	fs_buf_dispose(&url);
	return rc;
}

int fs_remote_host_keys(fs_buf *out, const fs_node *node, const char *name)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	fs_buf setting = FS_BUF_INIT;
	int rc;

	fs_buf_clear(out);
	fs_buf_printf(&setting, "remote.%s." FS_SSH_PINS_SETTING, name);
	if ((rc = fs_buf_check(&setting)) < 0)
		goto done;
	if ((rc = git_repository_config_snapshot(&cfg, fs_node_repo(node))) < 0) {
		rc = fs_error_git(rc, "cannot read the settings");
		goto done;
	}
	rc = git_config_get_string_buf(&v, cfg, setting.ptr);
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc < 0) {
		rc = fs_error_git(rc, "remote '%s': its host keys", name);
		goto done;
	}
	fs_buf_puts(out, v.ptr);
	rc = fs_buf_check(out);
done:
	git_buf_dispose(&v);
	git_config_free(cfg);
	fs_buf_dispose(&setting);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_remote_list(git_strarray *out, const fs_node *node)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char **v = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = git_repository_config_snapshot(&cfg, fs_node_repo(node))) < 0 ||
	    (rc = git_config_iterator_new(&it, cfg)) < 0) {
		rc = fs_error_git(rc, "cannot read the settings");
		goto done;
	}
	while ((rc = git_config_next(&e, it)) == 0) {
		size_t len = strlen(e->name);
		char **nv;
		/* remote.<name>.url */
		if (len <= 11 || strncmp(e->name, "remote.", 7) != 0 ||
		    strcmp(e->name + len - 4, ".url") != 0)
			continue;
		if (!(nv = fs_realloc(v, (n + 1) * sizeof(*v))) ||
		    !(nv[n] = fs_strndup(e->name + 7, len - 11))) {
			v = nv ? nv : v;
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		v = nv;
		n++;
	}
	if (rc != GIT_ITEROVER) {
		rc = fs_error_git(rc, "cannot read the settings");
		goto done;
	}
	rc = 0;
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	out->strings = v;
	out->count = n;
	v = NULL;
done:
	for (size_t i = 0; v && i < n; i++)
		fs_free(v[i]);
	fs_free(v);
	git_config_iterator_free(it);
	git_config_free(cfg);
	return rc;
}

int fs_remote_public_refs(git_strarray *out, const fs_node *node)
{
	git_strarray names = { NULL, 0 };
	char **v = NULL;
	size_t k = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fs_remote_list(&names, node)) < 0)
		return rc;
	if (names.count && !(v = fs_calloc(names.count, sizeof(*v)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < names.count; i++) {
		char ref[512];
		git_oid id;
		snprintf(ref, sizeof(ref), "refs/remotes/%s/public", names.strings[i]);
		if (git_reference_name_to_id(&id, fs_node_repo(node), ref) < 0)
			continue; /* nothing fetched from this one yet */
		if (!(v[k] = fs_strdup(ref))) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
		k++;
	}
	out->strings = v;
	out->count = k;
	v = NULL;
done:
	for (size_t i = 0; v && i < k; i++)
		fs_free(v[i]);
	fs_free(v);
	git_strarray_dispose(&names);
	return rc;
}

int fs_remote_url(fs_buf *out, const fs_node *node, const char *name)
{
	git_remote *r = NULL;
	int rc = git_remote_lookup(&r, fs_node_repo(node), name);

	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
		return fs_error_set(FS_ENOTFOUND, "remote '%s': no such remote (add one with "
				    "'fieldsync remote add %s URL')", name, name);
	if (rc < 0)
		return fs_error_git(rc, "remote '%s'", name);
	fs_buf_clear(out);
	fs_buf_puts(out, git_remote_url(r));
	git_remote_free(r);
	return fs_buf_check(out);
}

/* ---- what was pushed --------------------------------------------------- */

static void tracking_ref(char *out, size_t size, const fs_node *node, const char *name)
{
	snprintf(out, size, "refs/remotes/%s/cities/%s", name, fs_node_city(node));
}

static int state_path(fs_buf *out, const fs_node *node, const char *name)
{
	fs_buf_printf(out, "%s/sync-%s", fs_node_private_dir(node), name);
	return fs_buf_check(out);
}

/* After each batch the hub took: the tracking ref, then "<time> <commit>" for status. */
static int record_pushed(const fs_node *node, const char *name, const git_oid *tip)
{
	char ref[512], hex[GIT_OID_HEXSZ + 1];
	git_reference *r = NULL;
	fs_buf path = FS_BUF_INIT, text = FS_BUF_INIT;
	int rc;

	tracking_ref(ref, sizeof(ref), node, name);
	if ((rc = git_reference_create(&r, fs_node_repo(node), ref, tip, 1, "fieldsync sync")) < 0) {
		rc = fs_error_git(rc, "cannot record what the hub has in %s", ref);
		goto done;
	}
	fs_buf_printf(&text, "%lld %s\n", (long long)fs_time_now(), git_oid_tostr(hex, sizeof(hex), tip));
	if ((rc = state_path(&path, node, name)) < 0 || (rc = fs_buf_check(&text)) < 0)
		goto done;
	rc = fs_file_write_atomic(path.ptr, text.ptr, text.size, 0644);
done:
	git_reference_free(r);
	fs_buf_dispose(&path);
	fs_buf_dispose(&text);
	return rc;
}

int fs_sync_last(const fs_node *node, const char *name, int64_t *when, git_oid *hub_has)
{
	fs_buf path = FS_BUF_INIT, text = FS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	long long t;
	int rc;

	*when = 0;
	memset(hub_has, 0, sizeof(*hub_has));
	if ((rc = state_path(&path, node, name)) < 0)
		goto done;
	if (!fs_file_exists(path.ptr))
		goto done;
	if ((rc = fs_file_read(&text, path.ptr, 4096, _("sync state"))) < 0)
		goto done;
	if (sscanf(text.ptr, "%lld %40s", &t, hex) != 2 || git_oid_fromstr(hub_has, hex) < 0) {
		rc = fs_error_set(FS_EINVALID, "sync state '%s': unreadable", path.ptr);
		goto done;
	}
	*when = t;
done:
	fs_buf_dispose(&path);
	fs_buf_dispose(&text);
	return rc;
}

/* ---- planning batches -------------------------------------------------- */

typedef struct {
	git_oid id;
	size_t bytes; /* an estimate of what the commit adds to a pack */
} planned;

/*
 * Deflated JSON is about a third of its size; each file also rewrites a few
 * small trees on its path (about 400 bytes, measured), and the commit 1 KiB.
 */
static int estimate(size_t *out, git_repository *repo, git_commit *c)
{
	git_commit *parent = NULL;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	git_odb *odb = NULL;
	size_t bytes = 1024;
	int rc;

	if ((git_commit_parentcount(c) && ((rc = git_commit_parent(&parent, c, 0)) < 0 ||
					    (rc = git_commit_tree(&a, parent)) < 0)) ||
	    (rc = git_commit_tree(&b, c)) < 0 || (rc = git_repository_odb(&odb, repo)) < 0 ||
	    (rc = git_diff_tree_to_tree(&diff, repo, a, b, NULL)) < 0) {
		rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		size_t len = 0;
		git_object_t type;
		if (d->status != GIT_DELTA_DELETED &&
		    git_odb_read_header(&len, &type, odb, &d->new_file.id) == 0)
			bytes += len / 3 + 400;
	}
	*out = bytes;
	rc = 0;
done:
	git_diff_free(diff);
	git_odb_free(odb);
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(parent);
	return rc;
}

/* The commits after `from` (zero: all) up to `to`, oldest first, with their estimates. */
static int plan(planned **out, size_t *n, git_repository *repo, const git_oid *from,
		const git_oid *to)
{
	planned *v = NULL;
	git_oid *ids = NULL, at;
	size_t count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	/* down first parents: a walk cut short would leave commits unsent and the
	 * hub called up to date (node/walk.h) */
	if ((rc = fs_line(&ids, &count, &at, repo, from, to)) == FS_EINVALID)
		rc = fs_error_set(FS_EINVALID, "commit %s: a merge commit (a node's history is a "
				  "single line)", git_oid_tostr_s(&at));
	else if (rc == FS_EVERIFY)
		rc = fs_error_set(FS_ERROR, "%s does not continue %s", git_oid_tostr_s(to),
				  git_oid_tostr_s(from));
	if (rc < 0)
		goto done;
	if (count && !(v = fs_calloc(count, sizeof(*v)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		git_commit *c = NULL;
		git_oid_cpy(&v[i].id, &ids[i]);
		if ((rc = git_commit_lookup(&c, repo, &ids[i])) < 0) {
			rc = fs_error_git(rc, "commit %s", git_oid_tostr_s(&ids[i]));
			goto done;
		}
		rc = estimate(&v[i].bytes, repo, c);
		git_commit_free(c);
		if (rc < 0)
			goto done;
	}
	*out = v;
	*n = count;
	v = NULL;
done:
	fs_free(v);
	fs_free(ids);
	return rc;
}

int fs_sync_pending(const fs_node *node, const char *name, size_t *commits, size_t *bytes)
{
	git_commit *head = NULL;
	planned *v = NULL;
	int64_t when;
	git_oid has;
	int rc;

	*commits = *bytes = 0;
	if ((rc = fs_sync_last(node, name, &when, &has)) < 0 || (rc = fs_node_head(&head, node)) < 0)
		goto done;
	if ((rc = plan(&v, commits, fs_node_repo(node), &has, git_commit_id(head))) < 0)
		goto done;
	for (size_t i = 0; i < *commits; i++)
		*bytes += v[i].bytes;
done:
	fs_free(v);
	git_commit_free(head);
	return rc;
}

/* ---- pushing ------------------------------------------------------------ */

typedef struct {
	fs_node *node;
	const char *name;
	const fs_sync_options *opts;
	fs_sync_progress progress;
	fs_sync_stats *stats;
	char city_ref[256];
	/* a local hub */
	fs_node *hub;
	/* a network hub */
	git_remote *remote;
	fs_buf remote_says; /* what the hub's hook printed, for the error message */
	char refused[1024];
	fs_buf pins;        /* an ssh hub's pinned host keys */
	fs_ssh_login login;
	int uplink;         /* a hub sending its cities up (sync/uplink.h) */
	fs_buf receipt;     /* the last receipt the hub gave in this sync */
	fs_link link;       /* what the link carries, for the size of a batch */
	size_t inflight;    /* the estimate of the batch in flight, 0: none */
	int counted;        /* the link's bytes are counted (sync/net.h): not ssh */
} pusher;

static void report(pusher *p)
{
	if (p->opts && p->opts->progress)
		p->opts->progress(&p->progress, p->opts->payload);
}

static int push_local(pusher *p, const git_oid *from, const git_oid *tip)
{
	git_buf pack = GIT_BUF_INIT;
	fs_ref_update u;
	fs_apply_stats st;
	size_t objects = 0;
	int rc;

	if ((rc = fs_pack_history(&pack, &objects, fs_node_repo(p->node), tip, from)) < 0)
		goto done;
	p->progress.objects = p->progress.total_objects = objects;
	p->progress.bytes = pack.size;
	memset(&u, 0, sizeof(u));
	snprintf(u.ref, sizeof(u.ref), "%s", p->city_ref);
	git_oid_cpy(&u.new, tip);
	if ((rc = fs_hub_apply(p->hub, pack.ptr, pack.size, &u, 1, &st)) < 0)
		goto done;
	p->stats->bytes += pack.size;
done:
	git_buf_dispose(&pack);
	return rc;
}

static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	(void)valid; /* libgit2's own opinion (known_hosts) is not asked for */
	return fs_ssh_check_host(&((pusher *)payload)->login, cert, host);
}

static int on_credentials(git_credential **out, const char *url, const char *user,
			  unsigned int allowed, void *payload)
{
	(void)url;
	return fs_ssh_credentials(&((pusher *)payload)->login, out, user, allowed);
}

/* After libgit2 failed: the link (retried), or a host key or login refused (never retried). */
static int link_error(pusher *p, int rc, const char *doing)
{
	if (p->login.refused)
		return fs_error_set(FS_EREFUSED, "%s", p->login.why);
	fs_error_git(rc, "%s '%s'", doing, git_remote_url(p->remote));
	return FS_ENET;
}

static void set_callbacks(pusher *p, git_remote_callbacks *cb)
{
	cb->certificate_check = on_certificate;
	cb->credentials = on_credentials;
	cb->payload = p;
	p->login.tries = 0;
}

/* What a hub says is kept for its errors and receipt; no hub needs more than this. */
#define REMOTE_SAYS_MAX (1u << 20)

static int on_sideband(const char *str, int len, void *payload)
{
	pusher *p = payload;
	if (len > 0 && p->remote_says.size + (size_t)len <= REMOTE_SAYS_MAX)
		fs_buf_put(&p->remote_says, str, (size_t)len);
	return 0;
}

static int on_transfer(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	pusher *p = payload;
	p->progress.objects = current;
	p->progress.total_objects = total;
	p->progress.bytes = bytes;
	p->progress.sent = p->stats->bytes + bytes;
	report(p);
	return 0;
}

static int on_update(const char *refname, const char *status, void *payload)
{
	pusher *p = payload;
	if (status)
		snprintf(p->refused, sizeof(p->refused), "%s: %s", refname, status);
	return 0;
}

/* The hub's own words, "remote: error: ..." lines, without git's padding. */
static void hub_errors(fs_buf *out, const fs_buf *said)
{
	const char *s = fs_buf_cstr(said);

	while (*s) {
		size_t n = strcspn(s, "\r\n");
		const char *e = s + n;
		while (e > s && e[-1] == ' ')
			e--;
		if (e - s > 7 && strncmp(s, "error: ", 7) == 0)
			fs_buf_printf(out, "\n%.*s", (int)(e - s - 7), s + 7);
		s += n;
		while (*s == '\r' || *s == '\n')
			s++;
	}
}

/*
 * The receipt the hub's post-receive hook sent as FS_RECEIPT_MARKER lines,
 * if any, replacing `out`: the last one, if several.
 */
static void hub_receipt(fs_buf *out, const fs_buf *said)
{
	const size_t m = strlen(FS_RECEIPT_MARKER);
	const char *s = fs_buf_cstr(said);
	fs_buf got = FS_BUF_INIT;

	while (*s) {
		size_t n = strcspn(s, "\r\n");
		const char *e = s + n;
		while (e > s && e[-1] == ' ')
			e--;
		if ((size_t)(e - s) >= m && strncmp(s, FS_RECEIPT_MARKER, m) == 0) {
			/* its first line starts a new one: the last receipt counts */
			static const char first[] = "fieldsync receipt 1";
			if ((size_t)(e - s) - m == sizeof(first) - 1 &&
			    strncmp(s + m, first, sizeof(first) - 1) == 0)
				fs_buf_clear(&got);
			fs_buf_printf(&got, "%.*s\n", (int)(e - s - m), s + m);
		}
		s += n;
		while (*s == '\r' || *s == '\n')
			s++;
	}
	if (got.size) {
		fs_buf_clear(out);
		fs_buf_put(out, got.ptr, got.size);
	}
	fs_buf_dispose(&got);
}

static int push_remote(pusher *p, const git_oid *tip)
{
	char outgoing[512];
	char *spec_text = NULL;
	git_strarray specs = { &spec_text, 1 };
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_reference *r = NULL;
	fs_buf spec = FS_BUF_INIT, why = FS_BUF_INIT;
	int rc;

	/* libgit2 pushes refs, not commit ids: name the batch's tip */
	snprintf(outgoing, sizeof(outgoing), "refs/fieldsync/outgoing/%s", p->name);
	if ((rc = git_reference_create(&r, fs_node_repo(p->node), outgoing, tip, 1, NULL)) < 0) {
		rc = fs_error_git(rc, "cannot name the batch");
		goto done;
	}
	fs_buf_printf(&spec, "%s:%s", outgoing, p->city_ref);
	if ((rc = fs_buf_check(&spec)) < 0)
		goto done;
	spec_text = spec.ptr;
	set_callbacks(p, &po.callbacks);
	po.callbacks.sideband_progress = on_sideband;
	po.callbacks.push_transfer_progress = on_transfer;
	po.callbacks.push_update_reference = on_update;
	p->refused[0] = '\0';
	fs_buf_clear(&p->remote_says);
	/* the receipt kept is the last push's, or none: never an earlier batch's */
	fs_buf_clear(&p->receipt);
	rc = git_remote_push(p->remote, &specs, &po);
	hub_errors(&why, &p->remote_says);
	if (rc == 0 && !p->refused[0])
		hub_receipt(&p->receipt, &p->remote_says);
	if (rc < 0 && why.size) {
		rc = fs_error_set(FS_EREFUSED, "the hub refused the push:%s", why.ptr);
		goto done;
	}
	if (rc < 0) {
		rc = link_error(p, rc, _("cannot push to"));
		goto done;
	}
	if (p->refused[0]) {
		rc = fs_error_set(FS_EREFUSED, "the hub refused the push: %s%s", p->refused,
				  fs_buf_cstr(&why));
		goto done;
	}
	p->stats->bytes += p->progress.bytes;
done:
	git_reference_free(r);
	fs_buf_dispose(&spec);
	fs_buf_dispose(&why);
	return rc;
}

/* What the hub has for this city now: zero when nothing. */
static int hub_tip(pusher *p, git_oid *out)
{
	const git_remote_head **heads;
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (p->hub) {
		rc = git_reference_name_to_id(out, fs_node_repo(p->hub), p->city_ref);
		if (rc == GIT_ENOTFOUND)
			return 0;
		return rc < 0 ? fs_error_git(rc, "hub: %s", p->city_ref) : 0;
	}
	set_callbacks(p, &cb);
	if ((rc = git_remote_connect(p->remote, GIT_DIRECTION_PUSH, &cb, NULL, NULL)) < 0 ||
	    (rc = git_remote_ls(&heads, &n, p->remote)) < 0) {
		rc = link_error(p, rc, _("cannot reach the hub at"));
		git_remote_disconnect(p->remote);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, p->city_ref) == 0)
			git_oid_cpy(out, &heads[i]->oid);
	git_remote_disconnect(p->remote);
	return 0;
}

/* The key of principal "hub" in hub/signers of `tip`'s tree. */
static int hub_key_of(unsigned char pk[FS_KEY_PUBLIC_BYTES], git_repository *repo,
		      const git_oid *tip)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	fs_signers *s = NULL;
	int rc = FS_ENOTFOUND;

	if ((rc = git_commit_lookup(&c, repo, tip)) < 0 || (rc = git_commit_tree(&tree, c)) < 0 ||
	    (rc = git_tree_entry_bypath(&e, tree, "hub/signers")) < 0 ||
	    (rc = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0) {
		rc = fs_error_git_absent(rc) ?
			fs_error_set(FS_EVERIFY, "public %s has no hub/signers", git_oid_tostr_s(tip)) :
			fs_error_git(rc, "public %s", git_oid_tostr_s(tip));
		goto done;
	}
	if ((rc = fs_signers_parse(&s, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
				   "public:hub/signers")) < 0)
		goto done;
	rc = fs_error_set(FS_EVERIFY, "public %s: hub/signers names no key for 'hub'",
			  git_oid_tostr_s(tip));
	for (size_t i = 0; i < fs_signers_count(s); i++) {
		const fs_signer *one = fs_signers_get(s, i);
		if (strcmp(one->principals, FS_HUB_PRINCIPAL) == 0) {
			memcpy(pk, one->public_key, FS_KEY_PUBLIC_BYTES);
			fs_error_clear();
			rc = 0;
			break;
		}
	}
done:
	fs_signers_free(s);
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

typedef struct {
	git_oid commit;
	char problem[256];
	int bad;
} first_bad;

static int note_bad(const fs_verify_result *r, void *payload)
{
	first_bad *b = payload;

	if (!r->good) {
		b->bad = 1;
		git_oid_cpy(&b->commit, &r->commit);
		snprintf(b->problem, sizeof(b->problem), "%s", r->problem ? r->problem : _("bad"));
	}
	return 0;
}

/*
 * Move refs/remotes/<name>/public to `tip` only when every commit new to the
 * node is signed by the hub's key: the one pinned in
 * remote.<name>.fieldsyncHubKey, or on the first fetch the key hub/signers
 * gives for "hub", which is then pinned (trust on first use, as ssh does).
 */
static int accept_public(pusher *p, const git_oid *tip)
{
	git_repository *repo = fs_node_repo(p->node);
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	char ref[256], key[256], range[2 * GIT_OID_HEXSZ + 3];
	fs_buf fp = FS_BUF_INIT;
	fs_verify_trust trust = { NULL, NULL, pk, _("the hub's key") };
	fs_verify_stats st;
	first_bad bad;
	git_config *cfg = NULL;
	git_reference *r = NULL;
	git_oid old;
	int rc, have_old, first = 0;

	snprintf(ref, sizeof(ref), "refs/remotes/%s/public", p->name);
	snprintf(key, sizeof(key), "remote.%s.fieldsyncHubKey", p->name);
	have_old = git_reference_name_to_id(&old, repo, ref) == 0;
	if (have_old && git_oid_equal(&old, tip))
		return 0;
	if ((rc = git_repository_config(&cfg, repo)) < 0) {
		rc = fs_error_git(rc, "cannot read the node's settings");
		goto done;
	}
	if ((rc = pinned_key(pk, cfg, key)) == FS_ENOTFOUND) {
		if ((rc = hub_key_of(pk, repo, tip)) < 0)
			goto done;
		first = 1;
	} else if (rc < 0) {
		goto done;
	}
	if (have_old)
		snprintf(range, sizeof(range), "%s..", git_oid_tostr_s(&old));
	else
		range[0] = '\0';
	strcat(range, git_oid_tostr_s(tip));
	memset(&bad, 0, sizeof(bad));
	rc = fs_verify_range(repo, range, &trust, note_bad, &bad, &st);
	if (rc == FS_EVERIFY || bad.bad) {
		fs_ssh_pubkey_fingerprint(&fp, pk);
		rc = fs_error_set(FS_EVERIFY, "remote '%s': public commit %s is not the hub's (%s; "
				  "the hub's key is %s): public not taken", p->name,
				  git_oid_tostr_s(&bad.commit), bad.problem, fs_buf_cstr(&fp));
		goto done;
	}
	if (rc < 0)
		goto done;
	if (first && (rc = pin_key(cfg, key, pk)) < 0)
		goto done;
	if ((rc = git_reference_create(&r, repo, ref, tip, 1, "fieldsync sync: fetch public")) < 0)
		rc = fs_error_git(rc, "cannot update %s", ref);
done:
	git_reference_free(r);
	git_config_free(cfg);
	fs_buf_dispose(&fp);
	return rc;
}

/* A hub on a path: its public branch copied across (sync/copy.h says why not a fetch). */
static int copy_public(pusher *p)
{
	git_oid tip;
	int rc = git_reference_name_to_id(&tip, fs_node_repo(p->hub), FS_PUBLIC_REF);

	if (rc == GIT_ENOTFOUND)
		return 0; /* the hub has not merged yet */
	if (rc < 0)
		return fs_error_git(rc, "hub: cannot read %s", FS_PUBLIC_REF);
	if ((rc = fs_copy_history(fs_node_repo(p->node), fs_node_repo(p->hub), &tip, NULL)) < 0 ||
	    (rc = fs_node_rescan(p->node)) < 0)
		return fs_error_prefix("cannot fetch public from '%s'", p->name);
	return accept_public(p, &tip);
}

/*
 * What the hub publishes for every city: its public branch, fetched under
 * refs/fieldsync/incoming/ by an anonymous remote (a named one would move
 * refs/remotes/<name>/public itself), then taken if it is the hub's.
 */
static int fetch_public(pusher *p)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_remote *anon = NULL;
	git_reference *in = NULL;
	git_repository *plain = NULL;
	char spec[512], incoming[256];
	char *specp = spec;
	git_strarray specs = { &specp, 1 };
	git_oid tip;
	int rc;

	if (p->hub)
		return copy_public(p);
	snprintf(incoming, sizeof(incoming), "refs/fieldsync/incoming/%s", p->name);
	snprintf(spec, sizeof(spec), "+%s:%s", FS_PUBLIC_REF, incoming);
	/*
	 * A node open for writing reads its packs through its own backend
	 * (node/packs.h), which cannot take a fetched pack: fetch through a
	 * plain handle on the same repository, then rescan.
	 */
	if (fs_node_is_hub(p->node) &&
	    (rc = git_repository_open_bare(&plain, git_repository_path(fs_node_repo(p->node)))) < 0)
		return fs_error_git(rc, "cannot open '%s'", fs_node_dir(p->node));
	if ((rc = git_remote_create_anonymous(&anon, plain ? plain : fs_node_repo(p->node),
					      git_remote_url(p->remote))) < 0) {
		rc = fs_error_git(rc, "remote '%s'", p->name);
		goto done;
	}
	set_callbacks(p, &fo.callbacks);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	rc = git_remote_fetch(anon, &specs, &fo, "fieldsync sync: fetch public");
	if (rc < 0) {
		rc = link_error(p, rc, _("cannot fetch public from"));
		goto done;
	}
	if ((rc = fs_node_rescan(p->node)) < 0)
		goto done;
	rc = git_reference_name_to_id(&tip, fs_node_repo(p->node), incoming);
	if (rc == GIT_ENOTFOUND) {
		rc = 0; /* the hub has not merged yet */
		goto done;
	}
	rc = rc < 0 ? fs_error_git(rc, "cannot read %s", incoming) : accept_public(p, &tip);
	if (git_reference_lookup(&in, fs_node_repo(p->node), incoming) == 0)
		git_reference_delete(in);
done:
	git_reference_free(in);
	git_remote_free(anon);
	git_repository_free(plain);
	return rc;
}

/*
 * A hub on a path gives its receipt in this process, as its post-receive
 * hook does for a push over the network. Its key must open without a
 * passphrase; when it does not, the sync goes on without a receipt.
 */
static void local_receipt(pusher *p, const git_oid *head)
{
	const char *city = p->city_ref + strlen(FS_CITY_REF_PREFIX);

	fs_buf_clear(&p->receipt);
	if (fs_node_load_key(p->hub, NULL) < 0 ||
	    fs_receipt_issue(&p->receipt, fs_node_key(p->hub), fs_node_name(p->hub), city, head,
			     fs_time_now()) < 0) {
		fprintf(stderr, _("warning: remote '%s': no receipt: %s\n"), p->name,
			fs_error_last() ? fs_error_last()->message : _("the hub cannot sign"));
		fs_error_clear();
		fs_buf_clear(&p->receipt);
	}
}

/*
 * The hub key a receipt from this remote must be signed by: the pinned one,
 * or for a hub on a path the one its registry names (then pinned, as the
 * first fetch of public pins it). FS_ENOTFOUND when none is known yet.
 */
static int receipt_key(pusher *p, unsigned char pk[FS_KEY_PUBLIC_BYTES], git_config *cfg,
		       const char *setting)
{
	git_oid tip;
	int rc = pinned_key(pk, cfg, setting);

	if (rc != FS_ENOTFOUND || !p->hub)
		return rc;
	if ((rc = git_reference_name_to_id(&tip, fs_node_repo(p->hub), FS_HUB_REF)) < 0)
		return fs_error_git(rc, "hub: cannot read %s", FS_HUB_REF);
	if ((rc = hub_key_of(pk, fs_node_repo(p->hub), &tip)) < 0)
		return rc;
	return pin_key(cfg, setting, pk);
}

/*
 * Check the hub's receipt against its pinned key and the commit just pushed
 * (`tip`: an older receipt sent again covers less than it claims), and keep
 * it (sync/receipt.h).
 */
static int keep_receipt(pusher *p, const git_oid *tip)
{
	char got[13], want[13]; /* short ids */
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	char setting[256];
	git_config *cfg = NULL;
	fs_receipt *r = NULL;
	int rc;

	if (!p->receipt.size) {
		/* a hub's post-receive hook gives one for each push it took */
		if (p->remote && p->stats->commits)
			fprintf(stderr, _("warning: remote '%s': the hub took the push but gave no "
				"receipt for it (its post-receive hook did not finish)\n"), p->name);
		return 0;
	}
	snprintf(setting, sizeof(setting), "remote.%s.fieldsyncHubKey", p->name);
	if ((rc = git_repository_config(&cfg, fs_node_repo(p->node))) < 0) {
		rc = fs_error_git(rc, "cannot read the node's settings");
		goto done;
	}
	if ((rc = receipt_key(p, pk, cfg, setting)) == FS_ENOTFOUND) {
		fprintf(stderr, _("warning: remote '%s': the hub's receipt is not kept: its key is "
			"not known yet (fieldsync remote add --hub-key, or it is pinned on the first "
			"fetch of the hub's public branch)\n"), p->name);
		fs_error_clear();
		rc = 0;
		goto done;
	}
	if (rc < 0 ||
	    (rc = fs_receipt_parse(&r, p->receipt.ptr, p->receipt.size, pk, 1,
				   _("the push landed, but the hub's receipt"))) < 0 ||
	    (!git_oid_equal(fs_receipt_head(r), tip) &&
	     (rc = fs_error_set(FS_EVERIFY, "the push landed, but the hub's receipt is for commit "
				"%s, not for the one pushed (%s)", git_oid_tostr(got, sizeof(got), fs_receipt_head(r)),
				git_oid_tostr(want, sizeof(want), tip))) < 0) ||
	    (rc = fs_receipt_keep(p->node, r, NULL)) < 0) {
		fs_error_prefix("remote '%s'", p->name);
		goto done;
	}
	p->stats->receipt = 1;
done:
	fs_buf_clear(&p->receipt);
	fs_receipt_free(r);
	git_config_free(cfg);
	return rc;
}

/* The batch from v[first]: the commits that fit in `limit`, one at the least. */
static size_t batch_end(const planned *v, size_t n, size_t first, size_t limit, size_t *bytes)
{
	size_t last = first, acc = v[first].bytes;

	while (last + 1 < n && acc + v[last + 1].bytes <= limit)
		acc += v[++last].bytes;
	*bytes = acc;
	return last;
}

/* What the connection has carried, as sync/link.h learns the link from it. */
static uint64_t carried(const pusher *p)
{
	return p->counted ? fs_net_carried() : p->progress.bytes;
}

/*
 * A new connection for the next batch: libgit2 keeps its http connection
 * for the remote's life, so the remote is made again.
 */
static int reconnect(pusher *p)
{
	git_remote_free(p->remote);
	p->remote = NULL;
	if (git_remote_lookup(&p->remote, fs_node_repo(p->node), p->name) < 0)
		return fs_error_git(-1, "remote '%s'", p->name);
	return 0;
}

/*
 * One attempt: ask the hub what it has, then push the rest batch by batch.
 * `progressed` is set when at least one batch landed.
 */
static int attempt(pusher *p, git_commit *head, int *progressed)
{
	fs_sync_stats *stats = p->stats;
	planned *v = NULL;
	size_t n = 0, bytes;
	git_oid has;
	int rc;

	*progressed = 0;
	if ((rc = hub_tip(p, &has)) < 0)
		goto done;
	if (!git_oid_is_zero(&has) && !git_oid_equal(&has, git_commit_id(head)) &&
	    (rc = fs_descendant_of(fs_node_repo(p->node), git_commit_id(head), &has)) != 1) {
		const char *city = p->city_ref + strlen(FS_CITY_REF_PREFIX);
		if (rc < 0) {
			rc = fs_error_git(rc, "cannot read the history");
			goto done;
		}
		rc = p->uplink ? fs_error_set(FS_EREFUSED, "the hub has %s for city '%s', which is not "
					      "in this hub's history (was it restored from an old "
					      "backup?)", git_oid_tostr_s(&has), city)
			       : fs_error_set(FS_EREFUSED, "the hub has %s for city '%s', which is not "
					      "in this node's history (was it restored from an old "
					      "backup?)", git_oid_tostr_s(&has), city);
		goto done;
	}
	if ((rc = plan(&v, &n, fs_node_repo(p->node), &has, git_commit_id(head))) < 0)
		goto done;
	if (n == 0) {
		stats->up_to_date = stats->commits == 0;
		/* a hub sending up fetches once, after all its cities */
		if (!p->uplink && (rc = record_pushed(p->node, p->name, git_commit_id(head))) == 0)
			rc = fetch_public(p);
		goto done;
	}
	/* count the batches first, for the progress line */
	p->progress.batches = p->progress.batch = 0;
	for (size_t i = 0; i < n; i = batch_end(v, n, i, p->link.limit, &bytes) + 1)
		p->progress.batches++;
	p->progress.total = stats->commits + n;
	for (size_t first = 0, last; first < n; first = last + 1) {
		uint64_t before;

		last = batch_end(v, n, first, p->link.limit, &bytes);
		p->progress.batch++;
		report(p);
		if (p->remote && p->counted && fs_link_fresh(&p->link, carried(p), bytes) &&
		    (rc = reconnect(p)) < 0)
			goto done;
		before = fs_net_bytes();
		p->progress.bytes = 0;
		p->inflight = bytes;
		rc = p->hub ? push_local(p, &has, &v[last].id) : push_remote(p, &v[last].id);
		if (rc < 0)
			goto done;
		p->inflight = 0;
		fs_link_landed(&p->link, bytes, p->counted ? fs_net_bytes() - before : p->progress.bytes,
			       carried(p));
		git_oid_cpy(&has, &v[last].id);
		*progressed = 1;
		stats->batches++;
		stats->commits += last + 1 - first;
		p->progress.commits = stats->commits;
		report(p);
		if (!p->uplink && (rc = record_pushed(p->node, p->name, &has)) < 0)
			goto done;
	}
	if (p->hub && !p->uplink)
		local_receipt(p, &has);
	rc = p->uplink ? 0 : fetch_public(p);
done:
	/* after public, whose first fetch pins the hub's key */
	if (rc == 0 && !p->uplink)
		rc = keep_receipt(p, &has);
	fs_free(v);
	return rc;
}

/* Wait `ms` (the caller's backoff), on the monotonic clock. */
static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Push `head` to p->city_ref, batch by batch, retrying a failed link with backoff. */
static int push_branch(pusher *p, git_commit *head, int retries, unsigned backoff)
{
	int rc, failures = 0, progressed;

	for (;;) {
		rc = attempt(p, head, &progressed);
		if (rc != FS_ENET)
			break;
		fs_link_cut(&p->link, carried(p), progressed, p->inflight);
		p->inflight = 0;
		/* a batch that landed resets the count: the link works, just not for long */
		failures = progressed ? 1 : failures + 1;
		if (failures > retries)
			break;
		{
			unsigned wait = backoff << (failures - 1 < 6 ? failures - 1 : 6);
			if (wait > FS_SYNC_BACKOFF_MAX_MS)
				wait = FS_SYNC_BACKOFF_MAX_MS;
			/* jitter, so that cities cut together do not come back together */
			wait = wait * 3 / 4 + (unsigned)randombytes_uniform(wait / 2 + 1);
			p->progress.retry_in_ms = wait;
			p->progress.error = fs_error_last() ? fs_error_last()->message : "";
			report(p);
			p->progress.retry_in_ms = 0;
			p->progress.error = NULL;
			p->stats->retries++;
			pause_ms(wait);
		}
	}
	return rc;
}

/*
 * A hub sends each city of its unified dataset up, one branch after the
 * other (sync/uplink.h), then fetches the other hub's public once. A city
 * the other hub refuses is named at the end, after the others went up.
 */
static int push_up(pusher *p, int retries, unsigned backoff)
{
	git_strarray cities = { NULL, 0 };
	git_commit *head = NULL;
	fs_buf refused = FS_BUF_INIT;
	char ref[512];
	git_oid id;
	int rc;

	p->uplink = 1;
	if ((rc = fs_uplink_prepare(p->node, p->name, &cities)) < 0)
		return rc;
	for (size_t i = 0; i < cities.count; i++) {
		snprintf(p->city_ref, sizeof(p->city_ref), FS_CITY_REF_PREFIX "%s", cities.strings[i]);
		if ((rc = fs_uplink_ref(ref, sizeof(ref), p->name, cities.strings[i])) < 0)
			goto done;
		if ((rc = git_reference_name_to_id(&id, fs_node_repo(p->node), ref)) < 0 ||
		    (rc = git_commit_lookup(&head, fs_node_repo(p->node), &id)) < 0) {
			rc = fs_error_git(rc, "cannot read %s", ref);
			goto done;
		}
		rc = push_branch(p, head, retries, backoff);
		git_commit_free(head);
		head = NULL;
		/* one city refused does not hold the others back; a dead link does */
		if (rc == FS_EREFUSED) {
			fs_buf_printf(&refused, "%scity '%s': %s", refused.size ? "\n" : "",
				      cities.strings[i], fs_error_last() ? fs_error_last()->message : _("refused"));
			continue;
		}
		if (rc < 0) {
			fs_error_prefix("city '%s'", cities.strings[i]);
			goto done;
		}
	}
	p->stats->up_to_date = p->stats->commits == 0;
	if ((rc = fetch_public(p)) == 0 && refused.size)
		rc = fs_error_set(FS_EREFUSED, "%s", fs_buf_cstr(&refused));
done:
	/* a failure after some cities were refused still names them */
	if (rc < 0 && rc != FS_EREFUSED && refused.size)
		fs_error_prefix("%s\nthen", fs_buf_cstr(&refused));
	fs_buf_dispose(&refused);
	git_strarray_dispose(&cities);
	return rc;
}

int fs_sync_push(fs_node *node, const char *name, const fs_sync_options *opts,
		 fs_sync_stats *stats)
{
	pusher p;
	fs_buf url = FS_BUF_INIT;
	git_commit *head = NULL;
	size_t max;
	const char *path;
	int rc, retries;
	unsigned backoff;

	memset(&p, 0, sizeof(p));
	memset(stats, 0, sizeof(*stats));
	p.node = node;
	p.name = name;
	p.opts = opts;
	p.stats = stats;
	max = opts && opts->batch_bytes ? opts->batch_bytes
		: (size_t)fs_node_config_int(node, "syncBatchBytes", FS_SYNC_BATCH_BYTES);
	fs_link_init(&p.link, max, FS_SYNC_BATCH_MIN_BYTES);
	retries = opts && opts->retries >= 0 ? opts->retries
		: (int)fs_node_config_int(node, "syncRetries", FS_SYNC_RETRIES);
	backoff = opts && opts->backoff_ms > 0 ? (unsigned)opts->backoff_ms : FS_SYNC_BACKOFF_MS;
	if ((rc = fs_remote_url(&url, node, name)) < 0)
		goto done;
	if ((path = local_path(url.ptr))) {
		if ((rc = fs_node_open(&p.hub, path, FS_NODE_LOCK, NULL)) < 0) {
			fs_error_prefix("remote '%s'", name);
			goto done;
		}
		if (!fs_node_is_hub(p.hub)) {
			rc = fs_error_set(FS_ENOTNODE, "remote '%s': '%s' is a city node, not a hub",
					  name, path);
			goto done;
		}
	} else {
		int ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms
			: (int)fs_node_config_int(node, "syncTimeoutMs", FS_NET_TIMEOUT_MS);
		if ((rc = fs_net_setup(ms)) < 0)
			goto done;
		if ((rc = git_remote_lookup(&p.remote, fs_node_repo(node), name)) < 0) {
			rc = fs_error_git(rc, "remote '%s'", name);
			goto done;
		}
		p.counted = !is_ssh(url.ptr);
		if ((rc = fs_remote_host_keys(&p.pins, node, name)) < 0)
			goto done;
		p.login.node = node;
		p.login.remote = name;
		p.login.pins = p.pins.size ? p.pins.ptr : NULL;
	}
	if (!fs_node_is_hub(node)) {
		snprintf(p.city_ref, sizeof(p.city_ref), FS_CITY_REF_PREFIX "%s", fs_node_city(node));
		if ((rc = fs_node_head(&head, node)) == 0)
			rc = push_branch(&p, head, retries, backoff);
	} else {
		rc = push_up(&p, retries, backoff);
	}
done:
	git_commit_free(head);
	git_remote_free(p.remote);
	fs_hub_close_after_receive(p.hub, stats->commits > 0);
	fs_buf_dispose(&url);
	fs_buf_dispose(&p.remote_says);
	fs_buf_dispose(&p.pins);
	fs_buf_dispose(&p.receipt);
	return rc;
}
