/* fieldsync add: record one action or service */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "node/record.h"
#include "util/error.h"
#include "util/file.h"

static const char help[] = N_(
	"Reads one record as JSON from FILE (or standard input, '-' or nothing),\n"
	"checks it against its schema, gives it an id, stores it in canonical form\n"
	"and makes one signed commit. Prints the new id.\n"
	"\n"
	"The node sets id, created and updated, and city when it is absent; leave\n"
	"them out. \"schema\" defaults to action/1 or service/1.\n"
	"\n"
	"options:\n"
	"  --json    print {\"id\": ..., \"kind\": ...}\n"
	"\n"
	"exit codes: 0 stored, 1 the record is bad (nothing was written), 2 usage,\n"
	"3 no node or key problem, 4 another writer is busy, 5 system error\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	char id[FS_ID_BYTES];
	fs_buf input = FS_BUF_INIT, what = FS_BUF_INIT;
	fs_node *node = NULL;
	fs_kind kind;
	const char *file;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs < 1 || nargs > 2)
		return cli_usage_error(cmd, "add: expected a record kind and at most one file");
	if (fs_kind_parse(&kind, argv[1]) < 0)
		return cli_usage_error(cmd, "add: %s", fs_error_last()->message);
	file = nargs == 2 ? argv[2] : "-";
	if (strcmp(file, "-") == 0 && isatty(STDIN_FILENO))
		fputs(kind == FS_KIND_ACTION
			      ? _("reading the action as JSON from the terminal; end with Ctrl-D\n")
			      : _("reading the service as JSON from the terminal; end with Ctrl-D\n"),
		      stderr);
	fs_buf_printf(&what, _("record file '%s'"), file);
	/* one byte over the limit is enough to say it is too big */
	if ((rc = fs_file_read(&input, file, FS_RECORD_MAX_BYTES, fs_buf_cstr(&what))) < 0)
		goto done;
	if ((rc = cli_open_write(&node, ctx)) < 0)
		goto done;
	if ((rc = fs_record_add(node, kind, input.ptr, input.size, id)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "id", id);
		cli_json_str(&j, o, "kind", fs_kind_name(kind));
		/* the record is stored: an add run again would store it twice */
		if ((rc = cli_json_print(&j)) < 0)
			fs_error_prefix(_("record '%s' was added (do not add it again)"), id);
	} else {
		printf("%s\n", id);
	}
done:
	fs_node_free(node);
	fs_buf_dispose(&input);
	fs_buf_dispose(&what);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_add = {
	"add", run, "add action|service [FILE|-] [--json]",
	N_("Record one action or service: validate, assign the id, make a signed commit."), help
};
