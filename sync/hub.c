#include "sync/hub.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "node/key.h"
#include "node/signers.h"
#include "node/sshsig.h"
#include "sync/check.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"

static const char signers_header[] =
	"# hub/signers: the keys allowed to sign for each city, in git's allowed_signers\n"
	"# format (ssh-keygen(1)). Written by `fieldsync hub enroll` and `revoke`; every\n"
	"# change is a commit signed by the hub, so which key was valid when is history.\n";

/* allowed_signers time: YYYYMMDDHHMMSSZ (UTC) */
static void signers_time(char out[16], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y%m%d%H%M%SZ", &tm);
}

static int put_line(fs_buf *out, const char *principal, const unsigned char *pk,
		    int64_t after, int64_t before)
{
	char t[16];

	fs_buf_printf(out, "%s namespaces=\"git\"", principal);
	if (after != INT64_MIN) {
		signers_time(t, after);
		fs_buf_printf(out, ",valid-after=\"%s\"", t);
	}
	if (before != INT64_MAX) {
		signers_time(t, before);
		fs_buf_printf(out, ",valid-before=\"%s\"", t);
	}
	fs_buf_putc(out, ' ');
	if (fs_ssh_pubkey_format(out, pk, NULL) < 0)
		return -1;
	fs_buf_putc(out, '\n');
	return fs_buf_check(out);
}

/* Commit a new hub/signers and refresh the copy stock git reads. */
static int write_signers(fs_node *hub, const fs_buf *text, const char *message)
{
	git_tree_update upd;
	fs_buf copy = FS_BUF_INIT;
	int rc;

	memset(&upd, 0, sizeof(upd));
	upd.action = GIT_TREE_UPDATE_UPSERT;
	upd.filemode = GIT_FILEMODE_BLOB;
	upd.path = FS_HUB_SIGNERS_PATH;
	if ((rc = fs_node_write_blob(hub, &upd.id, text->ptr, text->size)) < 0 ||
	    (rc = fs_node_commit(hub, &upd, 1, message, NULL)) < 0)
		goto done;
	/* the commit is what counts; the copy is a convenience for stock git */
	fs_buf_printf(&copy, "%s/signers", fs_node_private_dir(hub));
	if (fs_buf_check(&copy) < 0 ||
	    fs_file_write_atomic(copy.ptr, text->ptr, text->size, 0644) < 0)
		fs_error_clear();
done:
	fs_buf_dispose(&copy);
	return rc;
}

static int read_signers(fs_signers **out, fs_node *hub)
{
	git_object *obj = NULL;
	int rc;

	rc = git_revparse_single(&obj, fs_node_repo(hub), FS_HUB_REF ":" FS_HUB_SIGNERS_PATH);
	if (rc < 0)
		return fs_error_git(rc, "hub '%s': cannot read %s", fs_node_dir(hub),
				    FS_HUB_SIGNERS_PATH);
	rc = fs_signers_parse(out, git_blob_rawcontent((git_blob *)obj),
			      (size_t)git_blob_rawsize((git_blob *)obj), FS_HUB_SIGNERS_PATH);
	git_object_free(obj);
	return rc;
}

static int check_city(const char *city)
{
	if (strcmp(city, FS_HUB_PRINCIPAL) == 0)
		return fs_error_set(FS_EINVALID, "city '%s': the name is the hub's own", city);
	return fs_city_id_check(city, _("city"));
}

/*
 * Rewrite the registry with `change` applied to the city's lines. The file
 * is regenerated from its parsed lines: it is machine-written, and one
 * canonical form keeps its history readable.
 */
typedef enum { ENROLL, ENROLL_SHARED, REVOKE } change;

static int update(fs_node *hub, change what, const char *city, const char *public_key,
		  int64_t when)
{
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	fs_signers *s = NULL;
	fs_buf text = FS_BUF_INIT, msg = FS_BUF_INIT;
	size_t had = 0, valid = 0, same = 0;
	int rc;

	if ((rc = check_city(city)) < 0)
		return rc;
	if (what != REVOKE && fs_ssh_pubkey_parse(pk, public_key) < 0)
		return fs_error_set(FS_EINVALID, "key '%s': expected an OpenSSH ed25519 public key "
				    "(ssh-ed25519 AAAA..., as 'fieldsync key show' prints it)",
				    public_key);
	if ((rc = read_signers(&s, hub)) < 0)
		goto done;
	for (size_t i = 0; i < fs_signers_count(s); i++) {
		const fs_signer *e = fs_signers_get(s, i);
		int mine = strcmp(e->principals, city) == 0;
		int now_valid = e->valid_after <= when && when < e->valid_before;
		/* a regional hub's key signs for each city of its region (sync/uplink.h) */
		if (what == ENROLL && !mine && sodium_memcmp(e->public_key, pk, sizeof(pk)) == 0) {
			rc = fs_error_set(FS_EINVALID, "key: it is already the key of '%s' (each city "
					  "has its own key; a regional hub's key is enrolled with "
					  "--regional)", e->principals);
			goto done;
		}
		had += mine;
		valid += mine && now_valid;
		same += mine && now_valid && what != REVOKE &&
			sodium_memcmp(e->public_key, pk, sizeof(pk)) == 0;
	}
	if (same) {
		rc = fs_error_set(FS_EUNCHANGED, "city '%s' is already enrolled with this key", city);
		goto done;
	}
	if (what == REVOKE && !valid) {
		rc = fs_error_set(FS_ENOTFOUND, "city '%s': no valid key to revoke", city);
		goto done;
	}
	fs_buf_puts(&text, signers_header);
	for (size_t i = 0; i < fs_signers_count(s); i++) {
		const fs_signer *e = fs_signers_get(s, i);
		int64_t before = e->valid_before;
		if (strcmp(e->principals, city) == 0 && e->valid_after <= when && when < before)
			before = when; /* rotation or revocation: it stops now */
		if (put_line(&text, e->principals, e->public_key, e->valid_after, before) < 0) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (what != REVOKE &&
	    put_line(&text, city, pk, had ? when : INT64_MIN, INT64_MAX) < 0) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	fs_buf_printf(&msg, "%s %s\n\nFieldsync-City: %s\n",
		      what == REVOKE ? "revoke city" : had ? "rotate the key of city" : "enroll city",
		      city, city);
	if ((rc = fs_buf_check(&msg)) < 0)
		goto done;
	rc = write_signers(hub, &text, msg.ptr);
done:
	sodium_memzero(pk, sizeof(pk));
	fs_signers_free(s);
	fs_buf_dispose(&text);
	fs_buf_dispose(&msg);
	return rc;
}

int fs_hub_enroll(fs_node *hub, const char *city, const char *public_key, int64_t when,
		  unsigned flags)
{
	return update(hub, flags & FS_HUB_ENROLL_REGIONAL ? ENROLL_SHARED : ENROLL, city,
		      public_key, when);
}

int fs_hub_revoke(fs_node *hub, const char *city, int64_t when)
{
	return update(hub, REVOKE, city, NULL, when);
}

/* ---- creating ----------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	fs_buf path = FS_BUF_INIT;
	int rc;

	fs_buf_printf(&path, "%s/%s", dir, name);
	if ((rc = fs_buf_check(&path)) == 0)
		rc = fs_file_write_atomic(path.ptr, text, strlen(text), mode);
	fs_buf_dispose(&path);
	return rc;
}

static int set_config(git_repository *repo, const char *final_dir, const char *name,
		      const char *pub)
{
	char signers[2 * PATH_MAX];
	git_config *cfg = NULL;
	int rc;

	snprintf(signers, sizeof(signers), "%s/fieldsync/signers", final_dir);
	if ((rc = git_repository_config(&cfg, repo)) < 0 ||
	    (rc = git_config_set_string(cfg, "fieldsync.hub", name)) < 0 ||
	    (rc = git_config_set_string(cfg, "fieldsync.publicKey", pub)) < 0 ||
	    /* git receive-pack's own guards, behind the hook's checks */
	    (rc = git_config_set_bool(cfg, "receive.fsckObjects", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.denyNonFastForwards", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.denyDeletes", 1)) < 0 ||
	    (rc = git_config_set_string(cfg, "core.fsync", "all")) < 0 ||
	    (rc = git_config_set_string(cfg, "core.fsyncMethod", "fsync")) < 0 ||
	    /* libgit2 cannot ask receive-pack to be quiet: see the limit's comment */
	    (rc = git_config_set_int32(cfg, "receive.unpackLimit", FS_HUB_UNPACK_LIMIT)) < 0 ||
	    /* a reflog per branch: when each city last synced (fieldsync report) */
	    (rc = git_config_set_bool(cfg, "core.logAllRefUpdates", 1)) < 0 ||
	    /* git http-backend takes pushes only when told to; the hook guards them */
	    (rc = git_config_set_bool(cfg, "http.receivepack", 1)) < 0 ||
	    /*
	     * fetches see public and hub only: a city's branch and unified hold
	     * service records, which no other city may fetch (git upload-pack
	     * refuses wants it did not advertise)
	     */
	    (rc = git_config_set_multivar(cfg, "uploadpack.hideRefs", "^$",
					  "refs/heads/cities/")) < 0 ||
	    (rc = git_config_set_multivar(cfg, "uploadpack.hideRefs", "^$",
					  "refs/heads/unified")) < 0 ||
	    /* what a regional hub sends up (sync/uplink.h) may hold services too */
	    (rc = git_config_set_multivar(cfg, "uploadpack.hideRefs", "^$",
					  "refs/fieldsync/")) < 0 ||
	    (rc = git_config_set_string(cfg, "gpg.format", "ssh")) < 0 ||
	    (rc = git_config_set_string(cfg, "gpg.ssh.allowedSignersFile", signers)) < 0)
		rc = fs_error_git(rc, "cannot write the settings of the hub");
	git_config_free(cfg);
	return rc;
}

static int build(const char *stage, const char *final_dir, const char *name,
		 const char *fieldsync, const char *passphrase)
{
	char path[2 * PATH_MAX];
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;
	fs_key *key = NULL;
	fs_node *hub = NULL;
	fs_buf pub = FS_BUF_INIT, hook = FS_BUF_INIT, text = FS_BUF_INIT;
	int rc;

	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	io.initial_head = "hub";
	if ((rc = git_repository_init_ext(&repo, stage, &io)) < 0) {
		rc = fs_error_git(rc, "cannot create a repository in '%s'", stage);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/fieldsync", stage);
	if (mkdir(path, 0700) < 0) {
		rc = fs_error_os("cannot create '%s'", path);
		goto done;
	}
	if ((rc = fs_key_generate(&key)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/fieldsync/key", stage);
	if ((rc = fs_key_save(key, path, passphrase)) < 0 ||
	    (rc = fs_ssh_pubkey_format(&pub, fs_key_public(key), "fieldsync:hub")) < 0 ||
	    (rc = set_config(repo, final_dir, name, pub.ptr)) < 0)
		goto done;
	fs_buf_putc(&pub, '\n');
	snprintf(path, sizeof(path), "%s/fieldsync", stage);
	if ((rc = fs_buf_check(&pub)) < 0 || (rc = write_file(path, "key.pub", pub.ptr, 0644)) < 0 ||
	    (rc = write_file(path, "lock", "", 0600)) < 0)
		goto done;
	if (strchr(fieldsync, '\'')) {
		rc = fs_error_set(FS_EINVALID, "program path '%s': a quote in it", fieldsync);
		goto done;
	}
	fs_buf_printf(&hook, "#!/bin/sh\n"
			     "# fieldsync: nothing moves a ref of this hub before these checks pass\n"
			     "exec '%s' hub receive-check\n", fieldsync);
	snprintf(path, sizeof(path), "%s/hooks", stage);
	if ((rc = fs_file_mkdir_p(path, 0755)) < 0 || (rc = fs_buf_check(&hook)) < 0 ||
	    (rc = write_file(path, "pre-receive", hook.ptr, 0755)) < 0)
		goto done;
	fs_buf_clear(&hook);
	fs_buf_printf(&hook, "#!/bin/sh\n"
			     "# fieldsync: a receipt signed by the hub for each city branch that\n"
			     "# moved, sent back to the pusher; then merge what was accepted into\n"
			     "# refs/heads/unified, when the setting fieldsync.mergeOnReceive is true\n"
			     "'%s' hub post-receive\n"
			     "exec '%s' hub merge --on-receive\n", fieldsync, fieldsync);
	if ((rc = fs_buf_check(&hook)) < 0 ||
	    (rc = write_file(path, "post-receive", hook.ptr, 0755)) < 0)
		goto done;
	git_repository_free(repo);
	repo = NULL;

	/* the first commit: the registry, holding the hub's own key */
	if ((rc = fs_node_open(&hub, stage, FS_NODE_WRITE, passphrase)) < 0)
		goto done;
	fs_buf_puts(&text, signers_header);
	if (put_line(&text, FS_HUB_PRINCIPAL, fs_key_public(key), INT64_MIN, INT64_MAX) < 0) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	rc = write_signers(hub, &text, "init hub\n\nFieldsync-Hub: registry\n");
done:
	fs_node_free(hub);
	fs_key_free(key);
	git_repository_free(repo);
	fs_buf_dispose(&pub);
	fs_buf_dispose(&hook);
	fs_buf_dispose(&text);
	return rc;
}

int fs_hub_init(fs_node **out, const char *dir, const char *name, const char *fieldsync,
		const char *passphrase)
{
	char abs[PATH_MAX + 64], stage[PATH_MAX + 96], parent[PATH_MAX];
	const char *slash;
	int rc;

	*out = NULL;
	if (!name || !*name || strlen(name) > 200 || strpbrk(name, "\n\r"))
		return fs_error_set(FS_EINVALID, "hub name '%s': expected one line of text",
				    name ? name : "");
	/* the hub is made beside its final place and renamed: a cut init leaves no half hub */
	if (rmdir(dir) < 0 && errno != ENOENT)
		return fs_error_set(errno == ENOTEMPTY || errno == EEXIST ? FS_EEXISTS : FS_EIO,
				    "hub '%s': %s", dir,
				    errno == ENOTEMPTY || errno == EEXIST ? _("the folder is not empty")
									 : strerror(errno));
	slash = strrchr(dir, '/');
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - dir) : 1,
		 slash ? (slash == dir ? "/" : dir) : ".");
	if ((rc = fs_file_mkdir_p(parent, 0755)) < 0)
		return rc;
	if (!realpath(parent, abs))
		return fs_error_os("hub '%s'", dir);
	snprintf(abs + strlen(abs), sizeof(abs) - strlen(abs), "/%s", slash ? slash + 1 : dir);
	snprintf(stage, sizeof(stage), "%s.fieldsync-init", abs);
	if ((rc = fs_file_remove_tree(stage)) < 0)
		return rc;
	if ((rc = build(stage, abs, name, fieldsync, passphrase)) < 0) {
		fs_file_remove_tree(stage);
		return rc;
	}
	if (rename(stage, abs) < 0) {
		rc = fs_error_os("cannot rename '%s' to '%s'", stage, abs);
		fs_file_remove_tree(stage);
		return rc;
	}
	if ((rc = fs_file_sync_dir(parent)) < 0)
		return rc;
	return fs_node_open(out, abs, FS_NODE_READ, NULL);
}
