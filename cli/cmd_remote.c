/* fieldsync remote: the hubs this node syncs with */
#include <string.h>

#include "cli/cli.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/file.h"

static const char help[] = N_(
	"remote add NAME URL [--host-key KEY|FILE] [--hub-key KEY|FILE]: the node syncs\n"
	"with the hub at URL\n"
	"under NAME. URL is file:///path or a path (a hub on this machine or a mounted\n"
	"disk; the hub's checks run in this process), http:// or https:// (a hub served\n"
	"by 'fieldsync hub serve' or any git server with the hub's hook), or\n"
	"ssh://[USER@]HOST[:PORT]/PATH.\n"
	"remote set-host-key NAME KEY|FILE: pin other host keys for an ssh:// hub.\n"
	"remote list: the remotes, their URLs and pinned host keys.\n"
	"\n"
	"An ssh:// hub's host key must be pinned: the node never talks to a server\n"
	"with another key. KEY is a line of the hub's /etc/ssh/ssh_host_ed25519_key.pub\n"
	"('ssh-ed25519 AAAA...') or a fingerprint ('SHA256:...'); FILE holds such lines\n"
	"(ssh-keyscan's output and known_hosts lines are taken too). The node logs in\n"
	"with its own key: the hub's admin adds the public key 'fieldsync key show'\n"
	"prints to the ssh user's authorized_keys.\n"
	"\n"
	"Only the hub's public branch is ever fetched back (actions and aggregates of\n"
	"all cities, never another city's service records).\n"
	"\n"
	"The hub's own key (--hub-key: 'ssh-ed25519 AAAA...', or a file such as the\n"
	"hub's fieldsync/key.pub) is what public and the hub's receipts must be signed\n"
	"by. Without it the node trusts the key the hub's registry names on the first\n"
	"sync, and pins it from then on.\n"
	"\n"
	"options:\n"
	"  --host-key KEY|FILE  the ssh hub's host key(s)\n"
	"  --hub-key KEY|FILE   the hub's own public key, pinned\n"
	"  --json               print the result as JSON\n");

/* KEY as given, or the text of FILE when the argument names one. */
static int host_keys(fs_buf *out, const char *arg)
{
	if (!fs_file_exists(arg)) {
		fs_buf_puts(out, arg);
		return fs_buf_check(out);
	}
	return fs_file_read(out, arg, 1 << 20, _("host key file"));
}

static int list(const fs_node *node, int json)
{
	git_strarray names = { NULL, 0 };
	fs_buf url = FS_BUF_INIT, pins = FS_BUF_INIT;
	cli_json a = CLI_JSON_INIT;
	int rc;

	if ((rc = fs_remote_list(&names, node)) < 0)
		goto done;
	if (json)
		cli_json_array(&a);
	for (size_t i = 0; i < names.count; i++) {
		if ((rc = fs_remote_url(&url, node, names.strings[i])) < 0 ||
		    (rc = fs_remote_host_keys(&pins, node, names.strings[i])) < 0)
			goto done;
		if (json) {
			cJSON *o = cli_json_push(&a, a.root);
			cli_json_str(&a, o, "name", names.strings[i]);
			cli_json_str(&a, o, "url", url.ptr);
			if (pins.size)
				cli_json_str(&a, o, "host_keys", pins.ptr);
		} else {
			printf("%s\t%s%s%s\n", names.strings[i], url.ptr, pins.size ? "\t" : "",
			       fs_buf_cstr(&pins));
		}
	}
	if (json)
		rc = cli_json_print(&a);
done:
	cli_json_dispose(&a);
	git_strarray_dispose(&names);
	fs_buf_dispose(&url);
	fs_buf_dispose(&pins);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *key_arg = NULL, *hub_arg = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "host-key", 0, &key_arg, NULL },
				    { "hub-key", 0, &hub_arg, NULL }, { NULL, 0, NULL, NULL } };
	unsigned char hub_key[FS_KEY_PUBLIC_BYTES];
	fs_node *node = NULL;
	fs_buf keys = FS_BUF_INIT;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs == 3 && strcmp(argv[1], "add") == 0) {
		/* both keys are read before anything is written */
		if ((key_arg && (rc = host_keys(&keys, key_arg)) < 0) ||
		    (hub_arg && (rc = cli_hub_key_arg(hub_key, hub_arg)) < 0) ||
		    (rc = cli_open_read(&node, ctx)) < 0 ||
		    (rc = fs_remote_add(node, argv[2], argv[3], key_arg ? keys.ptr : NULL)) < 0)
			goto done;
		if (hub_arg && (rc = fs_remote_set_hub_key(node, argv[2], hub_key)) < 0) {
			git_remote_delete(fs_node_repo(node), argv[2]);
			goto done;
		}
		if (json) {
			cli_json j = CLI_JSON_INIT;
			cJSON *o = cli_json_object(&j);
			cli_json_str(&j, o, "name", argv[2]);
			cli_json_str(&j, o, "url", argv[3]);
			rc = cli_json_print(&j);
		} else {
			printf(_("remote '%s' is %s\n"), argv[2], argv[3]);
		}
	} else if (nargs == 3 && strcmp(argv[1], "set-host-key") == 0 && !key_arg && !hub_arg) {
		if ((rc = host_keys(&keys, argv[3])) < 0 || (rc = cli_open_read(&node, ctx)) < 0 ||
		    (rc = fs_remote_set_host_keys(node, argv[2], keys.ptr)) < 0)
			goto done;
		if (json) {
			cli_json j = CLI_JSON_INIT;
			cli_json_str(&j, cli_json_object(&j), "name", argv[2]);
			rc = cli_json_print(&j);
		} else {
			printf(_("remote '%s': host keys pinned\n"), argv[2]);
		}
	} else if (nargs == 1 && strcmp(argv[1], "list") == 0 && !key_arg && !hub_arg) {
		if ((rc = cli_open_read(&node, ctx)) == 0)
			rc = list(node, json);
	} else {
		return cli_usage_error(cmd, "remote: expected 'add NAME URL [--host-key KEY] "
				       "[--hub-key KEY]', "
				       "'set-host-key NAME KEY' or 'list'");
	}
done:
	fs_buf_dispose(&keys);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_remote = {
	"remote", run,
	"remote add NAME URL [--host-key KEY|FILE] [--hub-key KEY|FILE] | "
	"remote set-host-key NAME KEY|FILE | "
	"remote list [--json]",
	N_("Name the hub this node syncs with."), help
};
