/* fieldsync audit: judge a hub's whole signed history, on any clone */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "node/certs.h"
#include "node/sshsig.h"
#include "sync/audit.h"
#include "sync/bundle.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/workers.h"

#include <sodium.h>

static const char help[] = N_(
	"Checks every commit of a hub's history, in a clone of it (a mirror, or an\n"
	"ordinary `git clone`, whose branches are under refs/remotes/NAME/), in the\n"
	"hub itself, at a URL (file://, http://, https://: cloned into a temporary\n"
	"folder, then removed), or in a bundle file of the whole history (`git\n"
	"bundle create FILE --all` on the hub; unpacked aside, then removed):\n"
	"  hub           the registry of city keys (hub/signers): each change signed\n"
	"                by the hub key; a key's validity may end, never be erased,\n"
	"                extended or backdated;\n"
	"  cities/<id>   from the root: signed by a key the registry allows for the\n"
	"                city at the commit's time, one parent, nothing outside\n"
	"                cities/<id>/, every record valid against its schema;\n"
	"  unified       each merge signed by the hub key, its tree equal to the one\n"
	"                its parents make, every city head it merged still in that\n"
	"                city's branch (a rewrite or a dropped city shows here);\n"
	"  public        signed by the hub key, no service record.\n"
	"Signatures are checked with libsodium (no ssh-keygen). Every finding is\n"
	"listed: the branch, the commit, the file, what is wrong.\n"
	"\n"
	"Without --hub-key the hub's key is the one the registry's first commit names,\n"
	"and the report says so: compare it with the key the hub's operator gave you.\n"
	"\n"
	"options:\n"
	"  --hub-key KEY|FILE  the hub's public key (ssh-ed25519 AAAA..., or a file\n"
	"                      holding it, such as the hub's fieldsync/key.pub)\n"
	"  --checkpoint FILE   compare with the checkpoint a previous audit wrote: every\n"
	"                      head in it must still be in its branch (no rewrite, no\n"
	"                      rollback, no dropped city); after a clean audit FILE\n"
	"                      is written again, signed with --key\n"
	"  --key KEYFILE       the auditor's key (make one with: fieldsync key new FILE)\n"
	"  --receipts DIR      a city's receipts (its .fieldsync/receipts, or copies):\n"
	"                      each must be signed by the hub key, and the commit it\n"
	"                      names must still be in that city's branch; a receipt\n"
	"                      that fails either is a finding (the hub dropped data);\n"
	"                      one well signed by another key (another hub's) is\n"
	"                      counted apart and not judged\n"
	"  --jobs N            processes that audit the city branches side by side,\n"
	"                      1 to 64 (default: one per processor); the report is\n"
	"                      the same for any N\n"
	"  --json              {\"clean\", \"commits\", \"records\", \"cities\", \"keys\",\n"
	"                      \"hub_key\", \"hub_key_from\", \"checkpoint\", \"receipts\",\n"
	"                      \"findings\": [...]}\n"
	"\n"
	"exit codes: 0 nothing wrong, 1 findings (or no hub history there),\n"
	"2 usage, 5 the history cannot be read, 6 the URL cannot be fetched\n");

typedef struct {
	int json;
	cli_json list; /* the findings, for the summary's "findings" */
} audit_out;

static int print_finding(const fs_audit_finding *f, void *payload)
{
	audit_out *o = payload;
	char hex[GIT_OID_HEXSZ + 1] = "";

	if (!git_oid_is_zero(&f->commit))
		git_oid_tostr(hex, sizeof(hex), &f->commit);
	if (o->json) {
		cJSON *x = cli_json_push(&o->list, o->list.root);
		cli_json_str(&o->list, x, "ref", f->ref);
		if (hex[0])
			cli_json_str(&o->list, x, "commit", hex);
		if (f->path[0])
			cli_json_str(&o->list, x, "path", f->path);
		cli_json_str(&o->list, x, "problem", f->problem);
	} else {
		printf(_("BAD  %s %.12s  %s\n"), f->ref, hex[0] ? hex : "-", f->problem);
	}
	return 0;
}

/* Every branch of the hub as a branch of the clone, as in `git clone --mirror`. */
static int mirror_remote(git_remote **out, git_repository *repo, const char *name,
			 const char *url, void *payload)
{
	(void)payload;
	return git_remote_create_with_fetchspec(out, repo, name, url, "+refs/heads/*:refs/heads/*");
}

/* A file that starts as a git bundle does (a ".git" file naming a repository does not). */
static int is_bundle(const char *path)
{
	char head[16] = "";
	FILE *f = fopen(path, "rb");
	struct stat st;
	int yes;

	if (!f)
		return 0;
	yes = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	      fread(head, 1, 15, f) == 15 &&
	      (memcmp(head, "# v2 git bundle", 15) == 0 || memcmp(head, "# v3 git bundle", 15) == 0);
	fclose(f);
	return yes;
}

/* A temporary folder for a copy to audit; `tmp` is left empty when none was made. */
static int make_tmp(char *tmp, size_t size)
{
	const char *base = getenv("TMPDIR");
	int rc;

	snprintf(tmp, size, "%s/fieldsync-audit-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmp))
		return 0;
	rc = fs_error_os("cannot make a temporary folder '%s'", tmp);
	tmp[0] = '\0';
	return rc;
}

/* A hub at a URL: a bare mirror of every branch, in a temporary folder. */
static int clone_url(git_repository **out, char *tmp, size_t size, const char *url)
{
	git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
	int rc;

	if ((rc = fs_certs_load()) < 0 || (rc = make_tmp(tmp, size)) < 0)
		return rc;
	opts.bare = 1;
	opts.remote_cb = mirror_remote;
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	if ((rc = git_clone(out, url, tmp, &opts)) < 0)
		return rc == GIT_ENOTFOUND ? fs_error_git(rc, "cannot clone '%s'", url)
					   : fs_error_set(FS_ENET, "cannot clone '%s': %s", url,
							  git_error_last() ? git_error_last()->message
									   : _("unknown error"));
	return 0;
}

/* The auditor's key, asking for its passphrase when it has one. */
static int load_key(fs_key **out, const char *path)
{
	char pass[CLI_PASSPHRASE_BYTES] = "";
	int rc;

	if ((rc = fs_key_file_encrypted(path)) > 0)
		rc = cli_read_passphrase(pass, _("passphrase of the auditor's key: "), 0);
	if (rc >= 0)
		rc = fs_key_load(out, path, pass);
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

/* The summary in words: 0, or FS_ENOMEM and nothing printed (a blank hub key is no summary). */
static int print_summary(const fs_audit_stats *st, int rc, int receipts)
{
	fs_buf fp = FS_BUF_INIT;
	cli_count_buf c[4];
	int err;

	if ((err = fs_ssh_pubkey_fingerprint(&fp, st->hub_key)) < 0)
		goto done;
	if (st->hub_key_given)
		printf(_("hub key %s (given with --hub-key)\n"), fs_buf_cstr(&fp));
	else
		printf(_("hub key %s (taken from the registry's first commit: compare it with "
			 "the hub's own)\n"), fs_buf_cstr(&fp));
	printf(_("audited %s, %s, %s, %s in the registry: "),
	       cli_count(&c[0], P_("%zu commit", "%zu commits", st->commits), st->commits),
	       cli_count(&c[1], P_("%zu record", "%zu records", st->records), st->records),
	       cli_count(&c[2], P_("%zu city", "%zu cities", st->cities), st->cities),
	       cli_count(&c[3], P_("%zu key", "%zu keys", st->keys), st->keys));
	if (receipts && st->receipts_other)
		printf(P_("%zu receipt (and some of another hub, not judged), ",
			  "%zu receipts (and some of another hub, not judged), ", st->receipts),
		       st->receipts);
	else if (receipts)
		printf(P_("%zu receipt, ", "%zu receipts, ", st->receipts), st->receipts);
	if (rc == 0)
		printf(_("clean\n"));
	else
		printf(P_("%zu FINDING\n", "%zu FINDINGS\n", st->findings), st->findings);
done:
	fs_buf_dispose(&fp);
	return err;
}

/* Start j with the summary object; returns it (NULL: noted in j). */
static cJSON *summary_json(cli_json *j, const fs_audit_stats *st, int rc, cli_json *findings)
{
	cJSON *o = cli_json_object(j);
	fs_buf key = FS_BUF_INIT;

	cli_json_bool(j, o, "clean", rc == 0);
	cli_json_num(j, o, "commits", (double)st->commits);
	cli_json_num(j, o, "records", (double)st->records);
	cli_json_num(j, o, "cities", (double)st->cities);
	cli_json_num(j, o, "keys", (double)st->keys);
	cli_json_note(j, fs_ssh_pubkey_format(&key, st->hub_key, NULL));
	cli_json_str(j, o, "hub_key", fs_buf_cstr(&key));
	cli_json_str(j, o, "hub_key_from", st->hub_key_given ? "given" : "registry");
	cli_json_take(j, o, "findings", findings);
	fs_buf_dispose(&key);
	return o;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	const char *key_arg = NULL, *where, *cp_path = NULL, *auditor_path = NULL, *cp_state = NULL,
		   *receipts = NULL, *jobs = NULL;
	int json = 0, nargs, rc, exit_code = 0;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "hub-key", 0, &key_arg, NULL },
				    { "checkpoint", 0, &cp_path, NULL },
				    { "key", 0, &auditor_path, NULL }, { "receipts", 0, &receipts, NULL },
				    { "jobs", 0, &jobs, NULL }, { NULL, 0, NULL, NULL } };
	fs_audit_opts aopts = { NULL, NULL, NULL, 0 };
	fs_checkpoint *since = NULL;
	fs_key *auditor = NULL;
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	audit_out out = { 0, CLI_JSON_INIT };
	fs_audit_stats st;
	git_repository *repo = NULL;
	fs_bundle *bundle = NULL;
	char tmp[4200] = "";

	memset(&st, 0, sizeof(st));
	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "audit: expected at most one PATH or URL");
	if (cp_path && !auditor_path)
		return cli_usage_error(cmd, "audit: --checkpoint needs the auditor's --key");
	if (receipts && !fs_file_exists(receipts))
		return cli_usage_error(cmd, "audit: --receipts '%s': no such folder", receipts);
	if (jobs) {
		long long n;
		if (cli_number(&n, jobs, 1, FS_WORKERS_MAX) < 0)
			return cli_usage_error(cmd, "audit: --jobs '%s': expected 1 to %d", jobs,
					       FS_WORKERS_MAX);
		aopts.jobs = (unsigned)n;
	}
	where = nargs ? argv[1] : ctx->dir;
	out.json = json;
	if (key_arg && (rc = cli_hub_key_arg(pk, key_arg)) < 0)
		goto done;
	if (auditor_path && (rc = load_key(&auditor, auditor_path)) < 0)
		goto done;
	/* a checkpoint that is not the auditor's is an error before anything is judged */
	if (cp_path) {
		rc = fs_checkpoint_read(&since, cp_path, fs_key_public(auditor));
		if (rc < 0 && rc != FS_ENOTFOUND)
			goto done;
		fs_error_clear();
		cp_state = since ? "compared" : "first";
	}
	if (json)
		cli_json_array(&out.list);
	if (strstr(where, "://")) {
		if ((rc = clone_url(&repo, tmp, sizeof(tmp), where)) < 0)
			goto done;
	} else if (is_bundle(where)) {
		/* a bundle, as it came on a USB stick: unpacked aside, read like a mirror */
		if ((rc = fs_bundle_read(&bundle, where)) < 0 || (rc = make_tmp(tmp, sizeof(tmp))) < 0 ||
		    (rc = fs_bundle_unpack(&repo, bundle, tmp, where)) < 0)
			goto done;
	} else if ((rc = git_repository_open_ext(&repo, where, GIT_REPOSITORY_OPEN_NO_SEARCH,
						 NULL)) < 0) {
		rc = rc == GIT_ENOTFOUND
			     ? fs_error_set(FS_ENOTFOUND, "'%s': not a git repository", where)
			     : fs_error_git(rc, "cannot open '%s'", where);
		goto done;
	}
	/*
	 * libgit2's object cache as fs_global_init sets it (4 MiB, no trees): the
	 * audit keeps the trees it reads again itself (node/treediff.h). A larger
	 * cache that holds trees is faster on a small hub and far slower on a
	 * long one: once full, libgit2 evicts by scanning its table on every
	 * insertion, which took 40% of an audit of 100,000 commits.
	 */
	aopts.hub_key = key_arg ? pk : NULL;
	aopts.since = since;
	aopts.receipts = receipts;
	rc = fs_audit_run(repo, &aopts, print_finding, &out, &st);
	if (rc < 0 && rc != FS_EVERIFY)
		goto done;
	/*
	 * libgit2 1.5 reports some failed allocations as missing files or refs,
	 * or leaves out what it could not read: findings made while memory ran
	 * out, and their absence, prove nothing
	 */
	if (fs_alloc_failures() > 0) {
		rc = fs_error_set(FS_ENOMEM, "memory ran out during the audit: its result proves "
				  "nothing; run it again");
		goto done;
	}
	/* a checkpoint only ever records a clean state */
	if (cp_path && rc == 0) {
		if ((rc = fs_checkpoint_write(cp_path, auditor, repo, st.prefix, st.hub_key)) < 0)
			goto done;
		cp_state = since ? "moved" : "written";
	}
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = summary_json(&j, &st, rc, &out.list);
		if (cp_state)
			cli_json_str(&j, o, "checkpoint", cp_state);
		if (receipts) {
			cli_json_num(&j, o, "receipts", (double)st.receipts);
			cli_json_num(&j, o, "receipts_other", (double)st.receipts_other);
		}
		rc = cli_json_print(&j) < 0 ? FS_ENOMEM : rc;
	} else {
		if (print_summary(&st, rc, receipts != NULL) < 0) {
			rc = FS_ENOMEM;
			goto done;
		}
		if (cp_state)
			printf(rc != 0 ? _("checkpoint %s: left as it was (an audit with findings never moves it)\n")
			       : since ? _("checkpoint %s: moved forward\n")
				       : _("checkpoint %s: written\n"), cp_path);
	}
	if (rc == FS_EVERIFY) {
		exit_code = FS_EXIT_FAILED;
		rc = 0;
	}
done:
	fs_checkpoint_free(since);
	fs_key_free(auditor);
	cli_json_dispose(&out.list);
	git_repository_free(repo);
	fs_bundle_free(bundle);
	if (tmp[0])
		fs_file_remove_tree(tmp);
	return rc < 0 ? cli_fail(rc, json) : exit_code;
}

const cli_command cli_cmd_audit = {
	"audit", run, "audit [PATH|URL|BUNDLE] [--hub-key KEY|FILE] [--checkpoint FILE --key KEYFILE] "
	"[--receipts DIR] [--jobs N] [--json]",
	N_("Verify a hub's whole signed history (signatures, ownership, schema, merges)."), help
};
