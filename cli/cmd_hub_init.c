/* fieldsync hub init: create a regional hub */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "node/sshsig.h"
#include "sync/hub.h"
#include "util/error.h"

static const char help[] = N_(
	"Creates a hub in DIR (or -C DIR): a bare git repository that any git server\n"
	"can host, the hub's Ed25519 key (DIR/fieldsync/key, mode 0600), hub/signers\n"
	"(the registry of city keys) in the first signed commit on refs/heads/hub, and\n"
	"a pre-receive hook that runs 'fieldsync hub receive-check', so that no push\n"
	"moves a ref before its commits pass the checks. receive.fsckObjects,\n"
	"receive.denyNonFastForwards, receive.denyDeletes and core.fsync are set.\n"
	"\n"
	"options:\n"
	"  --name NAME   the hub's name as people write it (default: the folder's name)\n"
	"  --passphrase  protect the hub's key with a passphrase (FIELDSYNC_PASSPHRASE\n"
	"                or the terminal)\n"
	"  --json        print the result as JSON\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	const char *name = NULL, *dir;
	int json = 0, protect = 0, nargs, rc;
	const cli_option opts[] = {
		{ "name", 0, &name, NULL }, { "passphrase", 0, NULL, &protect },
		{ "json", 0, NULL, &json }, { NULL, 0, NULL, NULL },
	};
	char pass[CLI_PASSPHRASE_BYTES], self[PATH_MAX];
	fs_node *hub = NULL;
	fs_buf pub = FS_BUF_INIT;

	pass[0] = '\0';
	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "hub init: too many arguments");
	dir = nargs == 1 ? argv[1] : ctx->dir;
	if (!name) {
		const char *slash = strrchr(dir, '/');
		name = slash && slash[1] ? slash + 1 : dir;
	}
	/* the hook runs this very program */
	if (!realpath("/proc/self/exe", self)) {
		rc = fs_error_os("cannot find the fieldsync program");
		goto done;
	}
	if (protect && (rc = cli_read_passphrase(pass, _("passphrase for the hub's key: "), 1)) < 0)
		goto done;
	if ((rc = fs_hub_init(&hub, dir, name, self, pass[0] ? pass : NULL)) < 0)
		goto done;
	if ((rc = fs_ssh_pubkey_format(&pub, fs_node_public_key(hub), "fieldsync:hub")) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "dir", fs_node_dir(hub));
		cli_json_str(&j, o, "name", fs_node_name(hub));
		cli_json_str(&j, o, "public_key", pub.ptr);
		rc = cli_json_print(&j);
	} else {
		printf(_("initialised hub '%s' in %s\npublic key: %s\n"), fs_node_name(hub),
		       fs_node_dir(hub), pub.ptr);
	}
done:
	sodium_memzero(pass, sizeof(pass));
	fs_buf_dispose(&pub);
	fs_node_free(hub);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_hub_init = {
	"hub init", run, "hub init [--name NAME] [--passphrase] [--json] [DIR]",
	N_("Create a hub: a bare repository, a key, the registry, the receive hook."), help
};
