#include "node/node.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "node/certs.h"
#include "node/lock.h"
#include "node/pack.h"
#include "node/sshsig.h"
#include "node/packs.h"
#include "node/staging.h"
#include "node/tree.h"
#include "schema/builtin.h"
#include "schema/schema.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/file.h"
#include "util/json.h"
#include "util/time.h"

#define BRANCH "refs/heads/main"
#define HUB_BRANCH "refs/heads/hub"
#define FSDIR ".fieldsync"
#define HUB_FSDIR "fieldsync"
#define STAGING ".fieldsync-init"

struct fs_node {
	char *dir;   /* absolute */
	char *fsdir; /* dir/.fieldsync, or dir/fieldsync for a hub */
	const char *branch; /* refs/heads/main, or refs/heads/hub */
	int hub;
	char *name;
	char city[65];
	char country[3];
	unsigned char public_key[FS_KEY_PUBLIC_BYTES];
	git_repository *repo;
	fs_staging *staging; /* new objects wait here until fs_node_commit packs them */
	fs_packs *packs;     /* both owned by the repository's object database */
	fs_lock *lock;
	fs_key *key;
	fs_keystore *keystore; /* opened on first use, through keystore_open */
	fs_node_keystore_cb keystore_open;
	void *keystore_payload;
};

int fs_global_init(void)
{
	int rc;

	if (sodium_init() < 0)
		return fs_error_set(FS_ERROR, "libsodium cannot start");
	/* before libgit2 starts, so that what it allocates then is counted */
	if (fs_alloc_init() < 0)
		return fs_error_git(-1, "libgit2 cannot start");
	/* the CA certificates wait for a connection (node/certs.h) */
	fs_certs_defer(1);
	rc = git_libgit2_init();
	fs_certs_defer(0);
	if (rc < 0)
		return fs_error_git(rc, "libgit2 cannot start");
	if (fs_alloc_git_errors() < 0)
		return fs_error_prefix("libgit2 cannot start");
	/* an acknowledged record must survive a power cut */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/*
	 * libgit2 keeps up to 256 MiB of parsed objects by default; a node runs
	 * on small machines and re-reads little (a tree once per batch). Trees
	 * are not cached at all: a merge or an export walks millions of them,
	 * each once, and the cache counts a tree's raw size, not the parsed
	 * entries it holds (a 16 MiB cache held over 100 MiB of trees).
	 * Nor commits or tags, so that nothing is: libgit2 1.5 (and its master,
	 * cache.c cache_store) hands back the cached raw object in place of the
	 * parsed one, with success, when an allocation fails while it swaps
	 * them, and then reads it as a commit, inside revparse, peel and
	 * commit_parent as in our code. With no raw object ever cached that
	 * swap never happens. It costs re-reading a commit a walk has just read.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT, (size_t)0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TAG, (size_t)0);
	/*
	 * Pack data is read through mmap windows, 1 GiB each and up to 8 GiB in
	 * all on 64-bit by default, and every page a walk touches stays resident:
	 * a merge or an export that reads every record of a hub would look like
	 * it holds the whole hub. Small windows, few of them: the least recently
	 * used is unmapped first.
	 */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(32 << 20));
	return 0;
}

void fs_global_shutdown(void)
{
	fs_schema_builtin_shutdown();
	git_libgit2_shutdown();
}

const char *fs_node_dir(const fs_node *node) { return node->dir; }
const char *fs_node_private_dir(const fs_node *node) { return node->fsdir; }
const char *fs_node_branch(const fs_node *node) { return node->branch; }
int fs_node_is_hub(const fs_node *node) { return node->hub; }
const char *fs_node_city(const fs_node *node) { return node->city; }
const char *fs_node_name(const fs_node *node) { return node->name; }
const char *fs_node_country(const fs_node *node) { return node->country; }
git_repository *fs_node_repo(const fs_node *node) { return node->repo; }
const unsigned char *fs_node_public_key(const fs_node *node) { return node->public_key; }

int fs_node_key_path(fs_buf *out, const char *dir)
{
	fs_buf git = FS_BUF_INIT, hub = FS_BUF_INIT;
	int rc, is_hub;

	/* as fs_node_open decides: a hub has fieldsync/ and no .git */
	fs_buf_printf(&git, "%s/.git", dir);
	fs_buf_printf(&hub, "%s/" HUB_FSDIR, dir);
	if ((rc = fs_buf_check(&git)) < 0 || (rc = fs_buf_check(&hub)) < 0)
		goto done;
	is_hub = !fs_file_exists(git.ptr) && fs_file_exists(hub.ptr);
	rc = fs_buf_printf(out, "%s/%s/key", dir, is_hub ? HUB_FSDIR : FSDIR);
done:
	fs_buf_dispose(&git);
	fs_buf_dispose(&hub);
	return rc;
}

void fs_node_free(fs_node *node)
{
	if (!node)
		return;
	fs_key_free(node->key);
	fs_keystore_free(node->keystore);
	git_repository_free(node->repo);
	fs_lock_release(node->lock);
	fs_free(node->dir);
	fs_free(node->fsdir);
	fs_free(node->name);
	fs_free(node);
}

void fs_node_set_keystore_source(fs_node *node, fs_node_keystore_cb open, void *payload)
{
	node->keystore_open = open;
	node->keystore_payload = payload;
}

int fs_node_keystore(fs_keystore **out, const fs_node *node)
{
	/* a cache: opening changes nothing the node's readers can see */
	fs_node *n = (fs_node *)node;
	int rc;

	*out = NULL;
	if (!n->keystore) {
		if (!n->keystore_open)
			return fs_error_set(FS_EKEY, "keystore: needed here and not open");
		if ((rc = n->keystore_open(&n->keystore, node, n->keystore_payload)) < 0)
			return rc;
	}
	*out = n->keystore;
	return 0;
}

long long fs_node_config_int(const fs_node *node, const char *name, long long def)
{
	git_config *cfg = NULL;
	char key[128];
	int64_t v;

	snprintf(key, sizeof(key), "fieldsync.%s", name);
	if (git_repository_config_snapshot(&cfg, node->repo) < 0)
		return def;
	if (git_config_get_int64(&v, cfg, key) < 0)
		v = def;
	git_config_free(cfg);
	return v;
}

int fs_node_head(git_commit **out, const fs_node *node)
{
	git_oid id;
	int rc;

	*out = NULL;
	rc = git_reference_name_to_id(&id, node->repo, node->branch);
	if (rc == GIT_ENOTFOUND)
		return fs_error_set(FS_ENOTFOUND, "node '%s': no history yet", node->dir);
	if (rc < 0)
		return fs_error_git(rc, "node '%s': cannot read %s", node->dir, node->branch);
	if ((rc = git_commit_lookup(out, node->repo, &id)) < 0)
		return fs_error_git(rc, "node '%s': cannot read the head commit", node->dir);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

static int setup_writes(fs_node *node)
{
	int rc;

	if ((rc = fs_staging_new(&node->staging)) < 0)
		return rc;
	if ((rc = fs_packs_setup(&node->packs, node->repo, fs_staging_backend(node->staging))) < 0)
		node->staging = NULL; /* freed with the object database */
	return rc;
}

void fs_node_discard(fs_node *node)
{
	if (node->staging)
		fs_staging_reset(node->staging);
}

int fs_node_write_blob(fs_node *node, git_oid *out, const void *data, size_t len)
{
	int rc;

	if (!node->staging)
		return fs_error_set(FS_EUSAGE, "node '%s' is not open for writing", node->dir);
	if ((rc = git_blob_create_from_buffer(out, node->repo, data, len)) < 0)
		return fs_error_git(rc, "node '%s': cannot write a record", node->dir);
	return 0;
}

static int flush_pack(fs_node *node)
{
	char packdir[4200];
	int rc;

	snprintf(packdir, sizeof(packdir), "%sobjects/pack", git_repository_path(node->repo));
	if ((rc = fs_staging_flush(node->staging, node->repo, packdir)) < 0)
		return rc;
	return fs_packs_rescan(node->packs);
}

int fs_node_rescan(fs_node *node)
{
	git_odb *odb = NULL;
	int rc;

	/* a writer's packs are ours (node/packs.h); a reader has libgit2's, which rescans */
	if (node->packs)
		return fs_packs_rescan(node->packs);
	if ((rc = git_repository_odb(&odb, node->repo)) == 0)
		rc = git_odb_refresh(odb);
	git_odb_free(odb);
	return rc < 0 ? fs_error_git(rc, "cannot read the pack folder") : 0;
}

/* Pack upkeep is best effort: the commit it follows is already safe. */
static void upkeep(fs_node *node)
{
	if (fs_pack_maintain(node->repo, node->hub ? FS_PACK_HUB : FS_PACK_NODE) < 0 ||
	    fs_packs_rescan(node->packs) < 0)
		fs_error_clear();
}

static int make_signature(git_signature **out, const fs_node *node)
{
	char email[128];
	int rc;

	snprintf(email, sizeof(email), "%s@fieldsync.invalid", node->city);
	rc = git_signature_new(out, node->name, email, (git_time_t)fs_time_now(), 0);
	return rc < 0 ? fs_error_git(rc, "node '%s': bad committer identity", node->dir) : 0;
}

int fs_node_commit_tree(fs_node *node, const char *refname, const git_oid *expected,
			const git_oid *tree_id, const git_commit **parents, size_t n,
			const char *message, git_oid *out)
{
	git_oid commit_id;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_buf content = GIT_BUF_INIT;
	fs_buf armored = FS_BUF_INIT;
	int rc;

	if (!node->key || !node->staging)
		return fs_error_set(FS_EUSAGE, "node '%s' is not open for writing", node->dir);
	if ((rc = fs_tree_lookup(&tree, node->repo, tree_id)) < 0) {
		rc = fs_error_git(rc, "node '%s': cannot read the new tree", node->dir);
		goto done;
	}
	if ((rc = make_signature(&sig, node)) < 0)
		goto done;
	if ((rc = git_commit_create_buffer(&content, node->repo, sig, sig, NULL, message, tree,
					   n, parents)) < 0) {
		rc = fs_error_git(rc, "node '%s': cannot build the commit", node->dir);
		goto done;
	}
	if ((rc = fs_sshsig_sign(&armored, node->key, "git", content.ptr, content.size)) < 0)
		goto done;
	/* git writes the armor's lines as header continuation lines, without a trailing empty one */
	while (armored.size && armored.ptr[armored.size - 1] == '\n')
		armored.ptr[--armored.size] = '\0';
	if ((rc = git_commit_create_with_signature(&commit_id, node->repo, content.ptr,
						   armored.ptr, "gpgsig")) < 0) {
		rc = fs_error_git(rc, "node '%s': cannot write the commit", node->dir);
		goto done;
	}
	/* a key sealed into this commit's records is on disk before the commit is */
	if ((rc = fs_keystore_flush(node->keystore)) < 0 || (rc = flush_pack(node)) < 0)
		goto done;
	/* compare-and-swap: a head moved by someone else is never overwritten */
	if (expected)
		rc = git_reference_create_matching(&ref, node->repo, refname, &commit_id, 1,
						   expected, NULL);
	else
		rc = git_reference_create(&ref, node->repo, refname, &commit_id, 0, NULL);
	if (rc < 0) {
		git_oid now;
		rc = fs_error_git(rc, "node '%s': cannot move %s", node->dir, refname);
		/* libgit2 can fail after the ref is in place (allocating the
		 * reference it hands back): the commit landed then, and to say it
		 * did not would have it made twice (an add run again) */
		if (git_reference_name_to_id(&now, node->repo, refname) < 0 ||
		    !git_oid_equal(&now, &commit_id))
			goto done;
		fs_error_clear();
	}
	if (out)
		git_oid_cpy(out, &commit_id);
	upkeep(node);
	rc = 0;
done:
	if (rc < 0)
		fs_node_discard(node);
	git_reference_free(ref);
	git_signature_free(sig);
	git_buf_dispose(&content);
	fs_buf_dispose(&armored);
	git_tree_free(tree);
	return rc;
}

int fs_node_commit(fs_node *node, const git_tree_update *updates, size_t n,
		   const char *message, git_oid *out)
{
	git_oid head_id, tree_id;
	git_commit *parent = NULL;
	git_tree *base = NULL;
	int rc, have_head;

	if (!node->key || !node->staging)
		return fs_error_set(FS_EUSAGE, "node '%s' is not open for writing", node->dir);
	rc = git_reference_name_to_id(&head_id, node->repo, node->branch);
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		rc = fs_error_git(rc, "node '%s': cannot read %s", node->dir, node->branch);
		goto done;
	}
	have_head = rc == 0;
	if (have_head && ((rc = git_commit_lookup(&parent, node->repo, &head_id)) < 0 ||
			  (rc = git_commit_tree(&base, parent)) < 0)) {
		rc = fs_error_git(rc, "node '%s': cannot read the head commit", node->dir);
		goto done;
	}
	if ((rc = git_tree_create_updated(&tree_id, node->repo, base, n, updates)) < 0) {
		rc = fs_error_git(rc, "node '%s': cannot build the new tree", node->dir);
		goto done;
	}
	if (base && git_oid_equal(&tree_id, git_tree_id(base))) {
		rc = fs_error_set(FS_EUNCHANGED, "nothing changed");
		goto done;
	}
	rc = fs_node_commit_tree(node, node->branch, have_head ? &head_id : NULL, &tree_id,
				 (const git_commit **)&parent, have_head ? 1 : 0, message, out);
done:
	if (rc < 0)
		fs_node_discard(node);
	git_tree_free(base);
	git_commit_free(parent);
	return rc;
}

/* ---- opening ------------------------------------------------------------ */

/* Setting `name` into v: 0, 1 when it is not set, or an error (out of memory is not "not set"). */
static int setting(git_buf *v, git_config *cfg, const char *name, const fs_node *node)
{
	int rc = git_config_get_string_buf(v, cfg, name);

	if (fs_error_git_absent(rc))
		return 1;
	if (rc < 0)
		return fs_error_git(rc, "node '%s': cannot read the setting %s", node->dir, name);
	return 0;
}

static int read_settings(fs_node *node)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	int rc = 0;

	if ((rc = git_repository_config_snapshot(&cfg, node->repo)) < 0)
		return fs_error_git(rc, "node '%s': cannot read the settings", node->dir);
	if (node->hub) {
		/* a hub signs as the principal "hub"; its name is only for people */
		snprintf(node->city, sizeof(node->city), "%s", FS_HUB_PRINCIPAL);
		if ((rc = setting(&v, cfg, "fieldsync.hub", node)) < 0)
			goto done;
		if (rc > 0 || v.size == 0) {
			rc = fs_error_set(FS_ENOTNODE, "'%s' is a git repository but not a fieldsync "
					  "hub (no fieldsync.hub setting)", node->dir);
			goto done;
		}
		node->name = fs_strdup(v.ptr);
		git_buf_dispose(&v);
		goto key;
	}
	if ((rc = setting(&v, cfg, "fieldsync.city", node)) < 0)
		goto done;
	if (rc > 0 || v.size == 0 || v.size >= sizeof(node->city)) {
		rc = fs_error_set(FS_ENOTNODE,
				  "'%s' is a git repository but not a fieldsync node "
				  "(no fieldsync.city setting)", node->dir);
		goto done;
	}
	memcpy(node->city, v.ptr, v.size + 1);
	git_buf_dispose(&v);
	if ((rc = setting(&v, cfg, "fieldsync.country", node)) < 0)
		goto done;
	if (rc == 0 && v.size == 2)
		memcpy(node->country, v.ptr, 3);
	git_buf_dispose(&v);
	if ((rc = setting(&v, cfg, "fieldsync.name", node)) < 0)
		goto done;
	if (rc == 0)
		node->name = fs_strdup(v.ptr);
	else
		node->name = fs_strdup(node->city);
	git_buf_dispose(&v);
key:
	if (!node->name) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = setting(&v, cfg, "fieldsync.publickey", node)) < 0)
		goto done;
	if (rc > 0 || fs_ssh_pubkey_parse(node->public_key, v.ptr) < 0) {
		rc = fs_error_set(FS_EKEY, "node '%s': the setting fieldsync.publicKey is missing "
				  "or not an ssh-ed25519 key", node->dir);
		goto done;
	}
done:
	git_buf_dispose(&v);
	git_config_free(cfg);
	return rc;
}

static int open_key(fs_node *node, const char *passphrase)
{
	fs_buf path = FS_BUF_INIT;
	int rc;

	if ((rc = fs_buf_printf(&path, "%s/key", node->fsdir)) < 0)
		goto done;
	if ((rc = fs_key_load(&node->key, path.ptr, passphrase)) < 0)
		goto done;
	if (sodium_memcmp(fs_key_public(node->key), node->public_key, FS_KEY_PUBLIC_BYTES) != 0)
		rc = fs_error_set(FS_EKEY, "key '%s': it is not the key of node '%s' "
				  "(fieldsync.publicKey differs)", path.ptr, node->dir);
done:
	fs_buf_dispose(&path);
	return rc;
}

int fs_node_load_key(fs_node *node, const char *passphrase)
{
	int rc = node->key ? 0 : open_key(node, passphrase);

	if (rc < 0) {
		/* a key that is not the node's is no key */
		fs_key_free(node->key);
		node->key = NULL;
	}
	return rc;
}

const fs_key *fs_node_key(const fs_node *node)
{
	return node->key;
}

static int node_alloc(fs_node **out, const char *absdir, int hub)
{
	fs_node *node = fs_calloc(1, sizeof(*node));
	const char *private = hub ? HUB_FSDIR : FSDIR;

	*out = NULL;
	if (!node || !(node->dir = fs_strdup(absdir)) ||
	    !(node->fsdir = fs_malloc(strlen(absdir) + strlen(private) + 2))) {
		fs_node_free(node);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	sprintf(node->fsdir, "%s/%s", absdir, private);
	node->hub = hub;
	node->branch = hub ? HUB_BRANCH : BRANCH;
	*out = node;
	return 0;
}

/* FIELDSYNC_LOCK_TIMEOUT_MS: how long to wait for another writer (the settings can only be read under the lock). */
/* Milliseconds from environment variable `name`, or `dflt` when unset or not in 0..max. */
static int env_ms(const char *name, int dflt, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > max ? dflt : (int)v;
}

/* How old a git lock file taken without our lock must be to be debris. */
static int stale_ms(void)
{
	return env_ms("FIELDSYNC_STALE_LOCK_MS", FS_HUB_STALE_LOCK_MS, 600000);
}

/* What a killed writer's fs_file_write_atomic left in the private folder (a sync's state, receipts). */
static int clear_dead_tmp(const fs_node *node)
{
	char path[PATH_MAX + 32];
	int rc;

	snprintf(path, sizeof(path), "%s/receipts", node->fsdir);
	rc = fs_file_clear_dead_tmp(node->fsdir);
	return rc < 0 ? rc : fs_file_clear_dead_tmp(path);
}

int fs_node_open(fs_node **out, const char *dir, unsigned flags, const char *passphrase)
{
	char abs[PATH_MAX], gitdir[PATH_MAX + 16], lockpath[PATH_MAX + 32];
	fs_node *node = NULL;
	int rc, hub = 0, timeout, stale;

	*out = NULL;
	if (!realpath(dir, abs))
		return fs_error_set(errno == ENOENT ? FS_ENOTNODE : FS_EIO,
				    "node '%s': %s", dir, strerror(errno));
	snprintf(gitdir, sizeof(gitdir), "%s/.git", abs);
	if (!fs_file_exists(gitdir)) {
		/* a hub is a bare repository (git servers host those) with its private folder inside */
		snprintf(gitdir, sizeof(gitdir), "%s/" HUB_FSDIR, abs);
		hub = fs_file_exists(gitdir);
		snprintf(gitdir, sizeof(gitdir), "%s", abs);
		if (!hub)
			return fs_error_set(FS_ENOTNODE,
					    "'%s' is not a fieldsync node (there is no %s/.git); create "
					    "one with 'fieldsync init --city ID --name NAME --country CC'",
					    dir, abs);
	}
	if ((rc = node_alloc(&node, abs, hub)) < 0)
		return rc;
	if ((rc = git_repository_open_ext(&node->repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH,
					  NULL)) < 0) {
		rc = fs_error_git(rc, "node '%s': cannot open its repository", dir);
		if (rc == FS_ENOTFOUND)
			rc = FS_ENOTNODE;
		goto done;
	}
	if ((rc = read_settings(node)) < 0)
		goto done;
	if (flags & (FS_NODE_WRITE | FS_NODE_LOCK)) {
		if (!fs_file_exists(node->fsdir)) {
			rc = fs_error_set(FS_EKEY, "node '%s': its private folder %s is missing (the "
					  "key lives there; restore it from a backup)", dir, node->fsdir);
			goto done;
		}
		snprintf(lockpath, sizeof(lockpath), "%s/lock", node->fsdir);
		timeout = env_ms("FIELDSYNC_LOCK_TIMEOUT_MS", FS_NODE_LOCK_TIMEOUT_MS, 3600000);
		if ((rc = fs_lock_acquire(&node->lock, lockpath, timeout)) < 0)
			goto done;
		/*
		 * With the lock held, no other writer of a city node is alive: its git
		 * locks are debris. On a hub git receive-pack moves refs too, without
		 * our lock, but never holds a ref lock for seconds: an older one is
		 * what a killed writer left, and would block every later ref update.
		 * (FIELDSYNC_STALE_LOCK_MS: tests that kill hub writers need not wait.)
		 * A killed writer's temporary packs, quarantines and files go too.
		 */
		stale = hub ? stale_ms() : 0;
		if ((rc = fs_lock_clear_stale(gitdir, stale)) < 0 ||
		    (rc = fs_lock_clear_debris(gitdir)) < 0 || (rc = clear_dead_tmp(node)) < 0)
			goto done;
		if ((flags & FS_NODE_WRITE) &&
		    ((rc = open_key(node, passphrase)) < 0 || (rc = setup_writes(node)) < 0))
			goto done;
	}
	*out = node;
	node = NULL;
done:
	fs_node_free(node);
	return rc;
}

int fs_node_lock_sync(fs_node *node)
{
	const char *owned[] = { "refs/remotes", "refs/fieldsync" };
	char path[PATH_MAX + 32];
	int rc;

	if (node->lock || node->hub)
		return fs_error_set(FS_EUSAGE, "node '%s': a sync lock is for a city node opened "
				    "for reading", node->dir);
	snprintf(path, sizeof(path), "%s/synclock", node->fsdir);
	if ((rc = fs_lock_acquire(&node->lock, path,
				  env_ms("FIELDSYNC_LOCK_TIMEOUT_MS", FS_NODE_LOCK_TIMEOUT_MS,
					 3600000))) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", git_repository_path(node->repo), owned[i]);
		if ((rc = fs_lock_clear_stale_in(path, 16, 0)) < 0)
			return rc;
	}
	/* config.lock (a pinned hub key) and packed-refs.lock are writers' too: judged by age */
	if ((rc = fs_lock_clear_stale_in(git_repository_path(node->repo), 0, stale_ms())) < 0)
		return rc;
	return clear_dead_tmp(node);
}

/* ---- creating ----------------------------------------------------------- */

static int check_option(const char *property, const char *option, const char *value);

int fs_city_id_check(const char *id, const char *what)
{
	return check_option("id", what, id);
}

/* Check one init option against its place in the city schema. */
static int check_option(const char *property, const char *option, const char *value)
{
	const fs_schema_set *set;
	fs_schema_report *report = NULL;
	cJSON *v = NULL;
	char uri[256];
	int rc;

	if ((rc = fs_schema_builtin(&set)) < 0)
		return rc;
	if (!(v = cJSON_CreateString(value)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	snprintf(uri, sizeof(uri), FS_SCHEMA_BASE "city-1.json#/properties/%s", property);
	rc = fs_schema_validate(set, uri, v, &report);
	if (rc == FS_EINVALID) {
		const fs_schema_failure *f = fs_schema_report_get(report, 0);
		rc = fs_error_set(FS_EINVALID, "%s '%s': expected %s", option, value,
				  f ? f->expected : _("a valid value"));
	}
	fs_schema_report_free(report);
	cJSON_Delete(v);
	return rc;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
	return fs_file_write_atomic(path, text, strlen(text), mode);
}

static int city_json(fs_buf *out, const fs_node_init_options *opts)
{
	char now[FS_TIME_RFC3339_BYTES];
	cJSON *c = cJSON_CreateObject();
	int rc;

	fs_time_rfc3339(now, fs_time_now());
	if (!c || !cJSON_AddStringToObject(c, "schema", "city/1") ||
	    !cJSON_AddStringToObject(c, "id", opts->city) ||
	    !cJSON_AddStringToObject(c, "name", opts->name) ||
	    !cJSON_AddStringToObject(c, "country", opts->country) ||
	    !cJSON_AddStringToObject(c, "created", now)) {
		cJSON_Delete(c);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	rc = fs_schema_check(c, "city.json");
	if (rc == 0)
		rc = fs_json_canonical(out, c);
	cJSON_Delete(c);
	return rc;
}

/* Everything of the new node is made under dir/.fieldsync-init, then renamed into place. */
static int build_staging(const char *abs, const char *stage, const fs_node_init_options *opts)
{
	char path[PATH_MAX + 64], final_signers[PATH_MAX + 64];
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	fs_key *key = NULL;
	fs_node *node = NULL;
	fs_buf pub = FS_BUF_INIT, line = FS_BUF_INIT, city = FS_BUF_INIT, cpath = FS_BUF_INIT;
	git_tree_update upd;
	int rc;

	if ((rc = fs_file_mkdir_p(stage, 0700)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/" FSDIR, stage);
	if (mkdir(path, 0700) < 0) {
		rc = fs_error_os("cannot create '%s'", path);
		goto done;
	}
	if ((rc = fs_key_generate(&key)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/" FSDIR "/key", stage);
	if ((rc = fs_key_save(key, path, opts->passphrase)) < 0)
		goto done;
	fs_buf_printf(&line, "fieldsync:%s", opts->city);
	if ((rc = fs_ssh_pubkey_format(&pub, fs_key_public(key), line.ptr)) < 0)
		goto done;
	fs_buf_clear(&line);
	fs_buf_printf(&line, "%s namespaces=\"git\" ", opts->city);
	if ((rc = fs_ssh_pubkey_format(&line, fs_key_public(key), NULL)) < 0)
		goto done;
	fs_buf_putc(&pub, '\n');
	fs_buf_putc(&line, '\n');
	snprintf(path, sizeof(path), "%s/" FSDIR "/key.pub", stage);
	if ((rc = fs_buf_check(&pub)) < 0 || (rc = write_text(path, pub.ptr, 0644)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/" FSDIR "/allowed_signers", stage);
	if ((rc = fs_buf_check(&line)) < 0 || (rc = write_text(path, line.ptr, 0644)) < 0)
		goto done;
	/* made now, so that no later command changes the folder by taking a lock */
	snprintf(path, sizeof(path), "%s/" FSDIR "/lock", stage);
	if ((rc = write_text(path, "", 0600)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/" FSDIR "/synclock", stage);
	if ((rc = write_text(path, "", 0600)) < 0)
		goto done;

	snprintf(path, sizeof(path), "%s/.git", stage);
	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	io.initial_head = "main";
	if ((rc = git_repository_init_ext(&repo, path, &io)) < 0) {
		rc = fs_error_git(rc, "cannot create a repository in '%s'", path);
		goto done;
	}
	snprintf(final_signers, sizeof(final_signers), "%s/" FSDIR "/allowed_signers", abs);
	pub.ptr[pub.size - 1] = '\0'; /* no newline inside the setting */
	if ((rc = git_repository_config(&cfg, repo)) < 0 ||
	    (rc = git_config_set_string(cfg, "fieldsync.city", opts->city)) < 0 ||
	    (rc = git_config_set_string(cfg, "fieldsync.name", opts->name)) < 0 ||
	    (rc = git_config_set_string(cfg, "fieldsync.country", opts->country)) < 0 ||
	    (rc = git_config_set_string(cfg, "fieldsync.publicKey", pub.ptr)) < 0 ||
	    /* so that stock `git log --show-signature` in the node checks our signatures */
	    (rc = git_config_set_string(cfg, "gpg.format", "ssh")) < 0 ||
	    (rc = git_config_set_string(cfg, "gpg.ssh.allowedSignersFile", final_signers)) < 0) {
		rc = fs_error_git(rc, "cannot write the settings of '%s'", path);
		goto done;
	}
	git_config_free(cfg);
	cfg = NULL;
	git_repository_free(repo);
	repo = NULL;

	/* the first commit, through the same path as every later one */
	if ((rc = node_alloc(&node, stage, 0)) < 0)
		goto done;
	node->key = key;
	key = NULL;
	snprintf(node->city, sizeof(node->city), "%s", opts->city);
	snprintf(node->country, sizeof(node->country), "%s", opts->country);
	if (!(node->name = fs_strdup(opts->name))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(node->public_key, fs_key_public(node->key), FS_KEY_PUBLIC_BYTES);
	snprintf(path, sizeof(path), "%s/.git", stage);
	if ((rc = git_repository_open_ext(&node->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		rc = fs_error_git(rc, "cannot open '%s'", path);
		goto done;
	}
	if ((rc = setup_writes(node)) < 0 || (rc = city_json(&city, opts)) < 0)
		goto done;
	fs_buf_printf(&cpath, "cities/%s/city.json", opts->city);
	memset(&upd, 0, sizeof(upd));
	upd.action = GIT_TREE_UPDATE_UPSERT;
	upd.filemode = GIT_FILEMODE_BLOB;
	upd.path = cpath.ptr;
	if ((rc = fs_buf_check(&cpath)) < 0 ||
	    (rc = fs_node_write_blob(node, &upd.id, city.ptr, city.size)) < 0)
		goto done;
	fs_buf_clear(&line);
	fs_buf_printf(&line, "init city %s\n\nFieldsync-City: %s\n", opts->city, opts->city);
	if ((rc = fs_buf_check(&line)) < 0)
		goto done;
	rc = fs_node_commit(node, &upd, 1, line.ptr, NULL);
done:
	fs_node_free(node);
	fs_key_free(key);
	git_config_free(cfg);
	git_repository_free(repo);
	fs_buf_dispose(&pub);
	fs_buf_dispose(&line);
	fs_buf_dispose(&city);
	fs_buf_dispose(&cpath);
	return rc;
}

int fs_node_init(fs_node **out, const char *dir, const fs_node_init_options *opts)
{
	char abs[PATH_MAX], gitdir[PATH_MAX + 8], fsdir[PATH_MAX + 16], stage[PATH_MAX + 32];
	char from[PATH_MAX + 64];
	int rc;

	*out = NULL;
	if ((rc = check_option("id", "--city", opts->city)) < 0 ||
	    (rc = check_option("name", "--name", opts->name)) < 0 ||
	    (rc = check_option("country", "--country", opts->country)) < 0)
		return rc;
	if ((rc = fs_file_mkdir_p(dir, 0755)) < 0)
		return rc;
	if (!realpath(dir, abs))
		return fs_error_os("node '%s'", dir);
	snprintf(gitdir, sizeof(gitdir), "%s/.git", abs);
	snprintf(fsdir, sizeof(fsdir), "%s/" FSDIR, abs);
	snprintf(stage, sizeof(stage), "%s/" STAGING, abs);
	if (fs_file_exists(gitdir))
		return fs_error_set(FS_EEXISTS, "node '%s': already initialised (%s exists)", dir, gitdir);
	if (fs_file_exists(fsdir)) {
		/* an init cut off between its two renames: finish it */
		snprintf(from, sizeof(from), "%s/.git", stage);
		if (!fs_file_exists(from))
			return fs_error_set(FS_EEXISTS,
					    "node '%s': %s exists without a repository; remove it "
					    "to start again", dir, fsdir);
		goto place_git;
	}
	if ((rc = fs_file_remove_tree(stage)) < 0 || (rc = build_staging(abs, stage, opts)) < 0) {
		fs_file_remove_tree(stage);
		return rc;
	}
	snprintf(from, sizeof(from), "%s/" FSDIR, stage);
	if (rename(from, fsdir) < 0)
		return fs_error_os("cannot rename '%s' to '%s'", from, fsdir);
place_git:
	snprintf(from, sizeof(from), "%s/.git", stage);
	/* the node exists from this rename on */
	if (rename(from, gitdir) < 0)
		return fs_error_os("cannot rename '%s' to '%s'", from, gitdir);
	if ((rc = fs_file_sync_dir(gitdir)) < 0)
		return rc;
	rmdir(stage);
	return fs_node_open(out, abs, FS_NODE_READ, NULL);
}
