/* fieldsync key: the node's public key */
#include <string.h>

#include "cli/cli.h"
#include "node/sshsig.h"
#include "util/error.h"

static const char help[] =
	"key show: prints the node's public key in OpenSSH form, its fingerprint, and\n"
	"the line to put in an allowed_signers file (the hub's registry, or\n"
	"gpg.ssh.allowedSignersFile for stock git) so that others can check this\n"
	"node's signatures. The secret key never leaves the node.\n"
	"\n"
	"options:\n"
	"  --json    {\"principal\", \"public_key\", \"fingerprint\", \"allowed_signers\"}\n";

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_buf pub = FS_BUF_INIT, fp = FS_BUF_INIT, line = FS_BUF_INIT, comment = FS_BUF_INIT;
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 1 || strcmp(argv[1], "show") != 0)
		return cli_usage_error(cmd, "key: expected 'show'");
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	fs_buf_printf(&comment, "fieldsync:%s", fs_node_city(node));
	fs_buf_printf(&line, "%s namespaces=\"git\" ", fs_node_city(node));
	if ((rc = fs_buf_check(&comment)) < 0 ||
	    (rc = fs_ssh_pubkey_format(&pub, fs_node_public_key(node), comment.ptr)) < 0 ||
	    (rc = fs_ssh_pubkey_fingerprint(&fp, fs_node_public_key(node))) < 0 ||
	    (rc = fs_ssh_pubkey_format(&line, fs_node_public_key(node), NULL)) < 0)
		goto done;
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "principal", fs_node_city(node));
		cJSON_AddStringToObject(o, "public_key", pub.ptr);
		cJSON_AddStringToObject(o, "fingerprint", fp.ptr);
		cJSON_AddStringToObject(o, "allowed_signers", line.ptr);
		rc = cli_print_json(o);
	} else {
		printf("public key:      %s\nfingerprint:     %s\nallowed signers: %s\n", pub.ptr,
		       fp.ptr, line.ptr);
	}
done:
	fs_node_free(node);
	fs_buf_dispose(&pub);
	fs_buf_dispose(&fp);
	fs_buf_dispose(&line);
	fs_buf_dispose(&comment);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_key = {
	"key", run, "key show [--json]", "Show the node's public key and its allowed_signers line.", help
};
