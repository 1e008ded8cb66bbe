/* fieldsync edit: replace a record */
#include "cli/cli.h"
#include "node/record.h"
#include "util/error.h"
#include "util/file.h"

static const char help[] = N_(
	"Reads the new content of record ID as JSON from FILE (or standard input)\n"
	"and stores it in one signed commit. The input may repeat the record's id,\n"
	"city and created time (as 'fieldsync show' prints them) but not change them;\n"
	"updated is set by the node. A record cannot change kind. When nothing but\n"
	"the time would change, no commit is made.\n"
	"\n"
	"options:\n"
	"  --json    print {\"id\": ..., \"changed\": true|false}\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_buf input = FS_BUF_INIT, what = FS_BUF_INIT;
	fs_node *node = NULL;
	const char *file;
	int changed = 1;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs < 1 || nargs > 2)
		return cli_usage_error(cmd, "edit: expected a record id and at most one file");
	file = nargs == 2 ? argv[2] : "-";
	if ((rc = fs_id_check(argv[1])) < 0)
		goto done;
	fs_buf_printf(&what, _("record file '%s'"), file);
	if ((rc = fs_file_read(&input, file, FS_RECORD_MAX_BYTES, fs_buf_cstr(&what))) < 0)
		goto done;
	if ((rc = cli_open_write(&node, ctx)) < 0)
		goto done;
	rc = fs_record_edit(node, argv[1], input.ptr, input.size);
	if (rc == FS_EUNCHANGED) {
		changed = 0;
		rc = 0;
	}
	if (rc < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "id", argv[1]);
		cli_json_bool(&j, o, "changed", changed);
		rc = cli_json_print(&j);
	} else {
		printf(changed ? "%s\n" : _("record '%s': no change\n"), argv[1]);
	}
done:
	fs_node_free(node);
	fs_buf_dispose(&input);
	fs_buf_dispose(&what);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_edit = {
	"edit", run, "edit ID [FILE|-] [--json]",
	N_("Replace the content of a record in one signed commit."), help
};
