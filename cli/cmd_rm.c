/* fieldsync rm: remove a record */
#include "cli/cli.h"
#include "node/record.h"
#include "util/error.h"

static const char help[] = N_(
	"Removes record ID from the node's current state in one signed commit.\n"
	"Its history stays: 'fieldsync log ID' still shows it, and every copy of the\n"
	"history keeps the old content.\n"
	"\n"
	"options:\n"
	"  --json    print {\"id\": ..., \"removed\": true}\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 1)
		return cli_usage_error(cmd, "rm: expected one record id");
	if ((rc = fs_id_check(argv[1])) < 0 || (rc = cli_open_write(&node, ctx)) < 0 ||
	    (rc = fs_record_rm(node, argv[1])) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "id", argv[1]);
		cli_json_bool(&j, o, "removed", 1);
		rc = cli_json_print(&j);
	} else {
		printf(_("removed %s\n"), argv[1]);
	}
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_rm = {
	"rm", run, "rm ID [--json]", N_("Remove a record in one signed commit (history keeps it)."), help
};
