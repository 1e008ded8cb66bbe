/* fieldsync key: the node's public key */
#include <string.h>

#include "cli/cli.h"
#include "node/sshsig.h"
#include "util/error.h"
#include "util/file.h"

#include <sodium.h>

static const char help[] = N_(
	"key show: prints the node's public key in OpenSSH form, its fingerprint, and\n"
	"the line to put in an allowed_signers file (the hub's registry, or\n"
	"gpg.ssh.allowedSignersFile for stock git) so that others can check this\n"
	"node's signatures. The secret key never leaves the node.\n"
	"\n"
	"key new FILE: a key pair of one's own, outside any node (an auditor's, which\n"
	"signs audit checkpoints): FILE (mode 0600, sealed with the passphrase asked\n"
	"for or FIELDSYNC_PASSPHRASE, none if empty) and FILE.pub.\n"
	"\n"
	"options:\n"
	"  --json    {\"principal\", \"public_key\", \"fingerprint\", \"allowed_signers\"}\n");

static int key_new(const char *path, int json)
{
	char pass[CLI_PASSPHRASE_BYTES] = "";
	fs_buf pub = FS_BUF_INIT, pub_path = FS_BUF_INIT;
	fs_key *key = NULL;
	int rc;

	fs_buf_printf(&pub_path, "%s.pub", path);
	if ((rc = fs_buf_check(&pub_path)) < 0)
		goto done;
	if (fs_file_exists(path) || fs_file_exists(pub_path.ptr)) {
		rc = fs_error_set(FS_EEXISTS, "key '%s': the file exists (a key is never "
				  "overwritten)", fs_file_exists(path) ? path : pub_path.ptr);
		goto done;
	}
	if ((rc = cli_read_passphrase(pass, _("passphrase for the new key (empty: none): "), 1)) < 0 ||
	    (rc = fs_key_generate(&key)) < 0 ||
	    (rc = fs_ssh_pubkey_format(&pub, fs_key_public(key), "fieldsync:auditor")) < 0 ||
	    (rc = fs_buf_putc(&pub, '\n')) < 0 || (rc = fs_key_save(key, path, pass)) < 0 ||
	    (rc = fs_file_write_atomic(pub_path.ptr, pub.ptr, pub.size, 0644)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "path", path);
		pub.ptr[--pub.size] = '\0';
		cli_json_str(&j, o, "public_key", pub.ptr);
		rc = cli_json_print(&j);
	} else {
		printf("%s", pub.ptr);
	}
done:
	sodium_memzero(pass, sizeof(pass));
	fs_key_free(key);
	fs_buf_dispose(&pub);
	fs_buf_dispose(&pub_path);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_buf pub = FS_BUF_INIT, fp = FS_BUF_INIT, line = FS_BUF_INIT, comment = FS_BUF_INIT;
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs == 2 && strcmp(argv[1], "new") == 0)
		return key_new(argv[2], json);
	if (nargs != 1 || strcmp(argv[1], "show") != 0)
		return cli_usage_error(cmd, "key: expected 'show' or 'new FILE'");
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
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "principal", fs_node_city(node));
		cli_json_str(&j, o, "public_key", pub.ptr);
		cli_json_str(&j, o, "fingerprint", fp.ptr);
		cli_json_str(&j, o, "allowed_signers", line.ptr);
		rc = cli_json_print(&j);
	} else {
		printf(_("public key:      %s\nfingerprint:     %s\nallowed signers: %s\n"), pub.ptr,
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
	"key", run, "key show [--json] | key new FILE [--json]",
	N_("Show the node's public key; make a key pair outside any node."), help
};
