/* fieldsync report: the hub's unified dataset as a page to look at */
#include <string.h>

#include "cli/cli.h"
#include "sync/report.h"
#include "util/error.h"
#include "util/file.h"

static const char help[] = N_(
	"Writes DIR/index.html: one self-contained page (no script, no font, nothing\n"
	"fetched: it opens offline) with charts drawn as inline SVG: actions per\n"
	"priority and per country, services per month and per category, and the\n"
	"cities with when each last synced. On a hub, from its last unified commit;\n"
	"on a city node, from the public dataset the last sync fetched.\n"
	"No count of services under the threshold of the aggregates is shown:\n"
	"totals add up the cells that the aggregates show.\n"
	"\n"
	"options:\n"
	"  --html DIR  the folder to write index.html in (made if needed)\n"
	"  --json      print {\"path\": ...}\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	const char *dir = NULL;
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "html", 0, &dir, NULL }, { "json", 0, NULL, &json },
				    { NULL, 0, NULL, NULL } };
	fs_node *hub = NULL;
	fs_buf page = FS_BUF_INIT, path = FS_BUF_INIT;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 0)
		return cli_usage_error(cmd, "report: takes no arguments");
	if (!dir || !*dir)
		return cli_usage_error(cmd, "report: --html DIR is required");
	if ((rc = cli_open_read(&hub, ctx)) < 0 ||
	    (rc = fs_report_html(&page, hub)) < 0)
		goto done;
	fs_buf_printf(&path, "%s/index.html", dir);
	if ((rc = fs_buf_check(&path)) < 0 || (rc = fs_file_mkdir_p(dir, 0755)) < 0 ||
	    (rc = fs_file_write_atomic(path.ptr, page.ptr, page.size, 0644)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cli_json_str(&j, cli_json_object(&j), "path", path.ptr);
		rc = cli_json_print(&j);
	} else {
		printf("%s\n", path.ptr);
	}
done:
	fs_buf_dispose(&page);
	fs_buf_dispose(&path);
	fs_node_free(hub);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_report = {
	"report", run, "report --html DIR [--json]",
	N_("Write the unified (or public) dataset as an HTML page with charts."), help
};
