/* fieldsync show: print one record */
#include "cli/cli.h"
#include "node/record.h"
#include "util/error.h"

static const char help[] =
	"Prints record ID as it is stored: canonical JSON (keys sorted, two-space\n"
	"indent). The output is JSON either way; --json is accepted for symmetry\n"
	"with the other reading commands.\n";

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_buf data = FS_BUF_INIT;
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 1)
		return cli_usage_error(cmd, "show: expected one record id");
	if ((rc = fs_id_check(argv[1])) < 0 || (rc = cli_open_read(&node, ctx)) < 0 ||
	    (rc = fs_record_read(&data, NULL, node, argv[1])) < 0)
		goto done;
	fwrite(data.ptr, 1, data.size, stdout);
done:
	fs_node_free(node);
	fs_buf_dispose(&data);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_show = {
	"show", run, "show ID [--json]", "Print one record.", help
};
