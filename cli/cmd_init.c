/* fieldsync init: create a city node */
#include <sodium.h>
#include <string.h>

#include "cli/cli.h"
#include "node/sshsig.h"
#include "util/error.h"

static const char help[] = N_(
	"Creates the node in DIR (or -C DIR, or the current folder): a git repository,\n"
	"an Ed25519 key pair (the secret key in DIR/.fieldsync/key, mode 0600, never\n"
	"committed), the settings, and cities/ID/city.json in the first signed commit.\n"
	"\n"
	"options:\n"
	"  --city ID        the city id: lower-case letters, digits, hyphens (sao-paulo)\n"
	"  --name NAME      the city's name as people write it (São Paulo)\n"
	"  --country CC     ISO 3166-1 alpha-2 country code (BR)\n"
	"  --passphrase     protect the secret key with a passphrase (Argon2id); it is\n"
	"                   read from FIELDSYNC_PASSPHRASE or asked on the terminal\n"
	"  --json           print the result as JSON\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	const char *city = NULL, *name = NULL, *country = NULL;
	int json = 0, protect = 0, nargs, rc;
	const cli_option opts[] = {
		{ "city", 0, &city, NULL },       { "name", 0, &name, NULL },
		{ "country", 0, &country, NULL }, { "passphrase", 0, NULL, &protect },
		{ "json", 0, NULL, &json },       { NULL, 0, NULL, NULL },
	};
	char pass[CLI_PASSPHRASE_BYTES];
	fs_node_init_options io;
	fs_node *node = NULL;
	fs_buf pub = FS_BUF_INIT;
	const char *dir;

	pass[0] = '\0';
	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "init: too many arguments");
	if (!city || !name || !country)
		return cli_usage_error(cmd, "init: --city, --name and --country are all needed");
	dir = nargs == 1 ? argv[1] : ctx->dir;
	if (protect && (rc = cli_read_passphrase(pass, _("passphrase for the new key: "), 1)) < 0)
		goto done;
	if (protect && !pass[0]) {
		rc = fs_error_set(FS_EKEY, "init: the passphrase is empty");
		goto done;
	}
	memset(&io, 0, sizeof(io));
	io.city = city;
	io.name = name;
	io.country = country;
	io.passphrase = pass[0] ? pass : NULL;
	if ((rc = fs_node_init(&node, dir, &io)) < 0)
		goto done;
	fs_buf_printf(&pub, "fieldsync:%s", city);
	{
		fs_buf line = FS_BUF_INIT;
		if ((rc = fs_ssh_pubkey_format(&line, fs_node_public_key(node), pub.ptr)) < 0) {
			fs_buf_dispose(&line);
			goto done;
		}
		fs_buf_dispose(&pub);
		pub = line;
	}
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "city", city);
		cli_json_str(&j, o, "name", name);
		cli_json_str(&j, o, "country", country);
		cli_json_str(&j, o, "dir", fs_node_dir(node));
		cli_json_str(&j, o, "public_key", pub.ptr);
		cli_json_bool(&j, o, "passphrase", pass[0] != '\0');
		rc = cli_json_print(&j);
	} else {
		printf(_("initialised node '%s' (%s, %s) in %s\n"), city, name, country, fs_node_dir(node));
		printf(_("public key: %s\n"), pub.ptr);
	}
done:
	sodium_memzero(pass, sizeof(pass));
	fs_buf_dispose(&pub);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_init = {
	"init", run, "init --city ID --name NAME --country CC [--passphrase] [--json] [DIR]",
	N_("Create a city node: a repository, a key pair and the first signed commit."), help
};
