/* fieldsync keystore: the node's keys of people (init, export, import) */
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "node/forget.h"
#include "node/keystore.h"
#include "util/error.h"

static const char help[] = N_(
	"The keystore holds what the node must keep and git must never see: the city\n"
	"secret that person pseudonyms are derived with ('fieldsync person id') and\n"
	"one key per person, which seals the protected part of that person's service\n"
	"records. It lives in .fieldsync/keystore, sealed under a passphrase\n"
	"(FIELDSYNC_KEYSTORE_PASSPHRASE, else asked on the terminal). See\n"
	"docs/privacy.md.\n"
	"\n"
	"  init           make the keystore of this node\n"
	"  export FILE    write a backup of every key to FILE, sealed under a backup\n"
	"                 passphrase (FIELDSYNC_BACKUP_PASSPHRASE, else asked twice);\n"
	"                 FILE must not exist\n"
	"  import FILE    make this node's keystore from a backup (a node without\n"
	"                 one: a new disk after the old one died). Keys that a signed\n"
	"                 erasure record of the node's history says were destroyed\n"
	"                 are left out: an old backup does not bring a person back.\n"
	"\n"
	"options:\n"
	"  --json    {\"keystore\": PATH, ...} on stdout\n");

static int ks_init(fs_node *node, int json)
{
	char pass[CLI_PASSPHRASE_BYTES];
	int rc;

	if (fs_keystore_exists(fs_node_private_dir(node)))
		return fs_error_set(FS_EEXISTS, "keystore: this node has one already");
	if ((rc = cli_read_secret(pass, CLI_KEYSTORE_ENV, _("passphrase for the new keystore: "),
				  1)) == 0)
		rc = fs_keystore_init(fs_node_private_dir(node), fs_node_city(node), pass);
	sodium_memzero(pass, sizeof(pass));
	if (rc == 0 && !json)
		printf(_("keystore made in %s/keystore\n"), fs_node_private_dir(node));
	return rc;
}

static int ks_export(fs_node *node, const char *path, int json)
{
	char pass[CLI_PASSPHRASE_BYTES];
	fs_keystore *ks;
	int rc;

	if ((rc = fs_node_keystore(&ks, node)) < 0)
		return rc;
	if ((rc = cli_read_secret(pass, CLI_BACKUP_ENV, _("passphrase for the backup: "), 1)) == 0)
		rc = fs_keystore_export(ks, path, pass);
	sodium_memzero(pass, sizeof(pass));
	if (rc == 0 && !json)
		printf(_("keystore backup written to %s\n"), path);
	return rc;
}

static int erased(const char *person, const char *kid, void *payload)
{
	return fs_erasures_find(payload, person, kid, NULL) != NULL;
}

static int ks_import(fs_node *node, const char *path, size_t *restored, size_t *skipped,
		     int json)
{
	char backup[CLI_PASSPHRASE_BYTES], pass[CLI_PASSPHRASE_BYTES];
	fs_erasures *e = NULL;
	int rc;

	if (fs_keystore_exists(fs_node_private_dir(node)))
		return fs_error_set(FS_EEXISTS, "keystore: this node has one already; a backup is "
				    "restored only into a node without one");
	if ((rc = fs_erasures_load(&e, node)) < 0 ||
	    (rc = cli_read_secret(backup, CLI_BACKUP_ENV, _("passphrase of the backup: "), 0)) < 0 ||
	    (rc = cli_read_secret(pass, CLI_KEYSTORE_ENV, _("passphrase for the new keystore: "),
				  1)) < 0)
		goto done;
	rc = fs_keystore_import(fs_node_private_dir(node), fs_node_city(node), path, backup, pass,
				erased, e, restored, skipped);
	if (rc == 0 && !json) {
		cli_count_buf c[2];
		printf(_("keystore restored from %s: %s, %s left out (erased)\n"), path,
		       cli_count(&c[0], P_("%zu person key", "%zu person keys", *restored), *restored),
		       cli_count(&c[1], P_("%zu key", "%zu keys", *skipped), *skipped));
	}
done:
	sodium_memzero(backup, sizeof(backup));
	sodium_memzero(pass, sizeof(pass));
	fs_erasures_free(e);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	size_t restored = 0, skipped = 0;
	fs_node *node = NULL;
	const char *what;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	what = nargs >= 1 ? argv[1] : "";
	if (!((nargs == 1 && strcmp(what, "init") == 0) ||
	      (nargs == 2 && (strcmp(what, "export") == 0 || strcmp(what, "import") == 0))))
		return cli_usage_error(cmd, "keystore: expected 'init', 'export FILE' or "
				       "'import FILE'");
	/* the writer lock: a keystore is made while no add can be sealing into it */
	if ((rc = fs_node_open(&node, ctx->dir, FS_NODE_LOCK, NULL)) < 0)
		goto done;
	cli_use_keystore(node);
	if (strcmp(what, "init") == 0)
		rc = ks_init(node, json);
	else if (strcmp(what, "export") == 0)
		rc = ks_export(node, argv[2], json);
	else
		rc = ks_import(node, argv[2], &restored, &skipped, json);
	if (rc == 0 && json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		fs_buf path = FS_BUF_INIT;
		cli_json_note(&j, fs_buf_printf(&path, "%s/keystore", fs_node_private_dir(node)));
		cli_json_str(&j, o, "keystore", fs_buf_cstr(&path));
		if (nargs == 2)
			cli_json_str(&j, o, "backup", argv[2]);
		if (strcmp(what, "import") == 0) {
			cli_json_num(&j, o, "restored", (double)restored);
			cli_json_num(&j, o, "left_out", (double)skipped);
		}
		fs_buf_dispose(&path);
		rc = cli_json_print(&j);
	}
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_keystore = {
	"keystore", run, "keystore init | export FILE | import FILE [--json]",
	N_("Make, back up or restore the keystore of people's keys."), help
};
