/* fieldsync hub enroll / revoke: the registry of city keys */
#include <string.h>

#include "cli/cli.h"
#include "sync/hub.h"
#include "util/error.h"
#include "util/file.h"
#include "util/time.h"

static const char enroll_help[] = N_(
	"Allows KEY to sign for CITY: one signed change of hub/signers. KEY is the\n"
	"city's public key as 'fieldsync key show' prints it (ssh-ed25519 AAAA...), in\n"
	"one argument or two, or a file that holds it (key.pub).\n"
	"\n"
	"A city's first key is valid for all its history, including what it recorded\n"
	"offline before it was enrolled. Enrolling a new key for an enrolled city is a\n"
	"rotation: the old key stops now and the new one starts now, so commits are\n"
	"judged by the key that was valid at their time.\n"
	"\n"
	"A key signs for one city, unless --regional says it is a regional hub's:\n"
	"that key is enrolled once for each city of its region, which the regional\n"
	"hub then sends up (fieldsync sync on a hub).\n"
	"\n"
	"options:\n"
	"  --regional  KEY is a regional hub's key (`git config fieldsync.publicKey` on\n"
	"              it): it may sign for several cities\n"
	"  --json      print the result as JSON\n");

static const char revoke_help[] = N_(
	"Stops every key of CITY now: commits signed after this moment are refused;\n"
	"what the city signed before stays valid. One signed change of hub/signers.\n"
	"Enroll a new key to let the city push again.\n"
	"\n"
	"options:\n"
	"  --json   print the result as JSON\n");

/* KEY as "ssh-ed25519 AAAA...", as two arguments, or as a file holding it. */
static int key_text(fs_buf *out, int nargs, char **args)
{
	if (nargs == 2) {
		fs_buf_printf(out, "%s %s", args[0], args[1]);
		return fs_buf_check(out);
	}
	if (strncmp(args[0], "ssh-", 4) != 0 && fs_file_exists(args[0])) {
		int rc = fs_file_read(out, args[0], 16384, _("key file"));
		while (rc == 0 && out->size && (out->ptr[out->size - 1] == '\n' ||
						out->ptr[out->size - 1] == '\r'))
			out->ptr[--out->size] = '\0';
		return rc;
	}
	fs_buf_puts(out, args[0]);
	return fs_buf_check(out);
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx, int enroll)
{
	int json = 0, regional = 0, nargs, rc;
	const cli_option enroll_opts[] = { { "json", 0, NULL, &json },
					   { "regional", 0, NULL, &regional },
					   { NULL, 0, NULL, NULL } };
	const cli_option revoke_opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	const cli_option *opts = enroll ? enroll_opts : revoke_opts;
	fs_node *hub = NULL;
	fs_buf key = FS_BUF_INIT;
	const char *city;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (enroll ? nargs < 2 || nargs > 3 : nargs != 1)
		return enroll ? cli_usage_error(cmd, "%s: expected CITY and KEY", cmd->name)
			      : cli_usage_error(cmd, "%s: expected CITY", cmd->name);
	city = argv[1];
	if ((rc = cli_open_hub(&hub, ctx, FS_NODE_WRITE)) < 0)
		goto done;
	if (enroll) {
		if ((rc = key_text(&key, nargs - 1, argv + 2)) < 0)
			goto done;
		rc = fs_hub_enroll(hub, city, key.ptr, fs_time_now(),
				   regional ? FS_HUB_ENROLL_REGIONAL : 0);
	} else {
		rc = fs_hub_revoke(hub, city, fs_time_now());
	}
	if (rc < 0 && rc != FS_EUNCHANGED)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "city", city);
		cli_json_bool(&j, o, "changed", rc == 0);
		rc = cli_json_print(&j);
	} else if (rc == FS_EUNCHANGED) {
		printf("%s\n", fs_error_last()->message);
		rc = 0;
	} else {
		printf(enroll ? _("enrolled city '%s'\n") : _("revoked the keys of city '%s'\n"), city);
	}
done:
	fs_buf_dispose(&key);
	fs_node_free(hub);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

static int run_enroll(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	return run(cmd, argc, argv, ctx, 1);
}

static int run_revoke(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	return run(cmd, argc, argv, ctx, 0);
}

const cli_command cli_cmd_hub_enroll = {
	"hub enroll", run_enroll, "hub enroll CITY KEY [--regional] [--json]",
	N_("Allow a city's key to sign for it (or rotate its key)."), enroll_help
};

const cli_command cli_cmd_hub_revoke = {
	"hub revoke", run_revoke, "hub revoke CITY [--json]",
	N_("Stop every key of a city from now on."), revoke_help
};
