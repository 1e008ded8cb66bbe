/* fieldsync receipts: what the hub signed that it took from this city */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "node/sshsig.h"
#include "sync/receipt.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/time.h"

/* the marker and namespace are spelled out: a catalogue needs one literal (receipt.h) */
static const char help[] = N_(
	"receipts: the receipts this node keeps, oldest first: when the hub took the\n"
	"city's history, up to which commit, and which hub. Each is a text file signed\n"
	"by the hub's key, kept in .fieldsync/receipts/ (never committed); each is\n"
	"checked again against the hub keys the node has pinned when listed.\n"
	"receipts add FILE: check and keep a receipt the hub wrote with 'hub import\n"
	"--receipt' (a bundle's receipt, carried back on the stick). 'sync' keeps the\n"
	"receipts of a push itself.\n"
	"\n"
	"A receipt is refused, and nothing kept, when its signature does not hold or\n"
	"is not by a hub key the node knows (the one pinned for a remote: 'remote add\n"
	"--hub-key', or on the first sync; or --hub-key here, which the node then keeps\n"
	"as fieldsync.hubKey), when it is for another\n"
	"city, or when it names a commit that is not in the node's history.\n"
	"\n"
	"With the receipts an auditor shows what a hub dropped: 'fieldsync audit HUB\n"
	"--receipts .fieldsync/receipts'. Stock ssh-keygen checks one too: cut the file\n"
	"at the '-----BEGIN SSH SIGNATURE-----' line, then\n"
	"  ssh-keygen -Y verify -n fieldsync-receipt -f allowed_signers -I hub -s SIG < TEXT\n"
	"\n"
	"options:\n"
	"  --hub-key KEY|FILE  (add) the hub's key, besides the pinned ones; kept in\n"
	"                      the setting fieldsync.hubKey once a receipt it signed is\n"
	"                      added\n"
	"  --json              print the receipts as [{\"time\", \"city\", \"head\", \"hub\",\n"
	"                      \"hub_key\", \"file\"}], or the one added\n"
	"\n"
	"exit codes: 0 done, 1 a receipt refused (or one kept that no longer verifies)\n");

typedef struct {
	fs_receipt *r;
	char *file;
} entry;

typedef struct {
	const unsigned char *keys;
	size_t nkeys;
	entry *v;
	size_t n;
	size_t bad;
} listing;

/* The members of receipt r, kept at `file`, in object o of j */
static void receipt_json(cli_json *j, cJSON *o, const fs_receipt *r, const char *file)
{
	char when[FS_TIME_RFC3339_BYTES];
	fs_buf fp = FS_BUF_INIT;

	fs_time_rfc3339(when, fs_receipt_time(r));
	cli_json_str(j, o, "time", when);
	cli_json_str(j, o, "city", fs_receipt_city(r));
	cli_json_str(j, o, "head", git_oid_tostr_s(fs_receipt_head(r)));
	cli_json_str(j, o, "hub", fs_receipt_hub(r));
	cli_json_note(j, fs_ssh_pubkey_fingerprint(&fp, fs_receipt_hub_key(r)));
	cli_json_str(j, o, "hub_key", fs_buf_cstr(&fp));
	cli_json_str(j, o, "file", file);
	fs_buf_dispose(&fp);
}

/* A kept receipt that no longer verifies is said, and the others still listed. */
static int gather(const char *path, const fs_buf *text, void *payload)
{
	listing *l = payload;
	fs_receipt *r = NULL;
	entry *nv;

	if (fs_receipt_parse(&r, text->ptr, text->size, l->keys, l->nkeys, path) < 0) {
		fprintf(stderr, _("error: %s\n"), fs_error_last()->message);
		fs_error_clear();
		l->bad++;
		return 0;
	}
	if (!(nv = fs_realloc(l->v, (l->n + 1) * sizeof(*nv))) || !(nv[l->n].file = fs_strdup(path))) {
		l->v = nv ? nv : l->v;
		fs_receipt_free(r);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	l->v = nv;
	nv[l->n++].r = r;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	int64_t x = fs_receipt_time(((const entry *)a)->r), y = fs_receipt_time(((const entry *)b)->r);
	return x < y ? -1 : x > y;
}

static int list(const fs_node *node, const fs_buf *keys, int json, int *failed)
{
	listing l = { (const unsigned char *)keys->ptr, keys->size / FS_KEY_PUBLIC_BYTES, NULL, 0, 0 };
	fs_buf dir = FS_BUF_INIT, fp = FS_BUF_INIT;
	cli_json a = CLI_JSON_INIT;
	int rc;

	if ((rc = fs_receipt_dir(&dir, node)) < 0)
		goto done;
	rc = fs_receipt_each_file(dir.ptr, gather, &l);
	if (rc == FS_ENOTFOUND) {
		fs_error_clear();
		rc = 0;
	}
	if (rc < 0)
		goto done;
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_time);
	if (json)
		cli_json_array(&a);
	for (size_t i = 0; i < l.n; i++) {
		char when[FS_TIME_RFC3339_BYTES];
		if (json) {
			receipt_json(&a, cli_json_push(&a, a.root), l.v[i].r, l.v[i].file);
			continue;
		}
		fs_time_rfc3339(when, fs_receipt_time(l.v[i].r));
		fs_buf_clear(&fp);
		if ((rc = fs_ssh_pubkey_fingerprint(&fp, fs_receipt_hub_key(l.v[i].r))) < 0)
			goto done;
		printf("%s  %s  %s  %s (%s)\n", when, fs_receipt_city(l.v[i].r),
		       git_oid_tostr_s(fs_receipt_head(l.v[i].r)), fs_receipt_hub(l.v[i].r),
		       fs_buf_cstr(&fp));
	}
	if (json)
		rc = cli_json_print(&a);
	else if (!l.n && !l.bad)
		printf(_("no receipts yet (a sync or 'receipts add' keeps them)\n"));
	*failed = l.bad > 0;
done:
	for (size_t i = 0; i < l.n; i++) {
		fs_receipt_free(l.v[i].r);
		fs_free(l.v[i].file);
	}
	fs_free(l.v);
	cli_json_dispose(&a);
	fs_buf_dispose(&dir);
	fs_buf_dispose(&fp);
	return rc;
}

/* Keep the receipt at `path`; `vouched` (may be NULL), the --hub-key given, is trusted from
 * now on if it is the key that signed it. */
static int add(const fs_node *node, const fs_buf *keys, const char *path,
	       const unsigned char *vouched, int json)
{
	fs_buf text = FS_BUF_INIT, kept = FS_BUF_INIT;
	fs_receipt *r = NULL;
	char what[4200];
	int rc;

	snprintf(what, sizeof(what), _("receipt '%s'"), path);
	if ((rc = fs_file_read(&text, path, 64 * 1024, _("receipt"))) < 0 ||
	    (rc = fs_receipt_parse(&r, text.ptr, text.size, (const unsigned char *)keys->ptr,
				   keys->size / FS_KEY_PUBLIC_BYTES, what)) < 0)
		goto done;
	if ((rc = fs_receipt_keep(node, r, &kept)) < 0) {
		fs_error_prefix("'%s'", path);
		goto done;
	}
	if (vouched && sodium_memcmp(vouched, fs_receipt_hub_key(r), FS_KEY_PUBLIC_BYTES) == 0 &&
	    (rc = fs_receipt_trust_key(node, vouched)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		receipt_json(&j, cli_json_object(&j), r, kept.ptr);
		rc = cli_json_print(&j);
	} else {
		printf(_("receipt kept: %s at %.12s, from %s\n"), fs_receipt_city(r),
		       git_oid_tostr_s(fs_receipt_head(r)), fs_receipt_hub(r));
	}
done:
	fs_receipt_free(r);
	fs_buf_dispose(&text);
	fs_buf_dispose(&kept);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc, failed = 0;
	const char *key_arg = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "hub-key", 0, &key_arg, NULL },
				    { NULL, 0, NULL, NULL } };
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	fs_buf keys = FS_BUF_INIT;
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (!(nargs == 0 && !key_arg) && !(nargs == 2 && strcmp(argv[1], "add") == 0))
		return cli_usage_error(cmd, "receipts: expected no arguments, or 'add FILE'");
	if ((key_arg && (rc = cli_hub_key_arg(pk, key_arg)) < 0) ||
	    (rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	if (fs_node_is_hub(node)) {
		rc = fs_error_set(FS_ENOTNODE, "'%s' is a hub: receipts are a city node's",
				  fs_node_dir(node));
		goto done;
	}
	if ((rc = fs_receipt_node_keys(&keys, node)) < 0 ||
	    (key_arg && (rc = fs_buf_put(&keys, pk, sizeof(pk))) < 0))
		goto done;
	/* the key the user vouched for, once a receipt it signed holds: kept for the next ones */
	rc = nargs ? add(node, &keys, argv[2], key_arg ? pk : NULL, json)
		   : list(node, &keys, json, &failed);
done:
	fs_buf_dispose(&keys);
	fs_node_free(node);
	if (rc < 0)
		return cli_fail(rc, json);
	return failed ? FS_EXIT_FAILED : 0;
}

const cli_command cli_cmd_receipts = {
	"receipts", run, "receipts [--json] | receipts add FILE [--hub-key KEY|FILE] [--json]",
	N_("The hub's signed receipts for what it took from this city."), help
};
