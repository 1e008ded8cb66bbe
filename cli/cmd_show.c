/* fieldsync show: print one record */
#include <sodium.h>

#include "cli/cli.h"
#include "node/forget.h"
#include "node/protect.h"
#include "node/record.h"
#include "util/error.h"
#include "util/json.h"

static const char help[] = N_(
	"Prints record ID in canonical JSON (keys sorted, two-space indent). A\n"
	"service's protected part is shown opened, as the fields it holds, when the\n"
	"node's keystore has the person's key (its passphrase from\n"
	"FIELDSYNC_KEYSTORE_PASSPHRASE or the terminal). When it cannot be opened\n"
	"(no keystore, the person forgotten, the key lost) the record is shown as\n"
	"stored and a note on stderr says why; a wrong passphrase is an error.\n"
	"\n"
	"options:\n"
	"  --raw     the record exactly as stored (the protected part sealed)\n"
	"  --json    accepted for symmetry with the other reading commands\n");

/* Replace the sealed part of `rec` by what it holds, or leave it and say why. */
static int open_protected(cJSON *rec, const fs_node *node, const char *id)
{
	const cJSON *sealed = cJSON_GetObjectItemCaseSensitive(rec, "protected");
	const char *person = fs_json_string(rec, "person"), *kid = fs_json_string(sealed, "kid");
	const char *erasure, *when = NULL;
	fs_erasures *e = NULL;
	cJSON *plain = NULL;
	fs_keystore *ks;
	int rc;

	if (!sealed || !person || !kid)
		return 0;
	if ((rc = fs_node_keystore(&ks, node)) == FS_ENOTFOUND) {
		fprintf(stderr, _("note: record '%s': the protected part is shown sealed: %s\n"), id,
			fs_error_last()->message);
		fs_error_clear();
		return 0;
	}
	if (rc < 0 || (rc = fs_erasures_load(&e, node)) < 0)
		goto done;
	/* an erased key stays unused even if an old keystore brought it back */
	if ((erasure = fs_erasures_find(e, person, kid, &when))) {
		fprintf(stderr, _("note: record '%s': the protected part cannot be read: the person "
			"was forgotten on %s (erasure %s)\n"), id, when, erasure);
		goto done;
	}
	rc = fs_protect_open(&plain, ks, fs_node_city(node), id, person, sealed);
	if (rc == FS_ENOTFOUND) {
		fprintf(stderr, _("note: record '%s': the protected part cannot be read: %s (lost? "
			"restore the keystore from a backup with 'fieldsync keystore import')\n"),
			id, fs_error_last()->message);
		fs_error_clear();
		rc = 0;
	} else if (rc < 0) {
		rc = fs_error_prefix("record '%s'", id);
	} else {
		rc = fs_json_set(rec, "protected", plain);
	}
done:
	fs_erasures_free(e);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, raw = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json },
				    { "raw", 0, NULL, &raw },
				    { NULL, 0, NULL, NULL } };
	fs_buf data = FS_BUF_INIT, out = FS_BUF_INIT;
	fs_node *node = NULL;
	cJSON *rec = NULL;
	fs_kind kind;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 1)
		return cli_usage_error(cmd, "show: expected one record id");
	if ((rc = fs_id_check(argv[1])) < 0 || (rc = cli_open_read(&node, ctx)) < 0 ||
	    (rc = fs_record_read(&data, &kind, node, argv[1])) < 0)
		goto done;
	if (raw || kind != FS_KIND_SERVICE) {
		fwrite(data.ptr, 1, data.size, stdout);
		goto done;
	}
	if ((rc = fs_json_parse(&rec, data.ptr, data.size, _("stored record"))) < 0 ||
	    (rc = open_protected(rec, node, argv[1])) < 0 || (rc = fs_json_canonical(&out, rec)) < 0)
		goto done;
	fwrite(out.ptr, 1, out.size, stdout);
done:
	fs_json_delete_secure(rec);
	fs_node_free(node);
	fs_buf_dispose_secure(&out);
	fs_buf_dispose(&data);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_show = {
	"show", run, "show ID [--raw] [--json]", N_("Print one record."), help
};
