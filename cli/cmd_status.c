/* fieldsync status: what waits for the hub */
#include <string.h>

#include "cli/cli.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/time.h"

static const char help[] = N_(
	"For each remote: the commits and the estimated bytes that wait to be pushed\n"
	"(counted from what the hub had at the last successful sync), and when that\n"
	"sync was. Reads only this node: it works with no link.\n"
	"\n"
	"options:\n"
	"  --json   [{\"remote\", \"url\", \"pending_commits\", \"pending_bytes\",\n"
	"            \"last_sync\"}] (last_sync null when never)\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	git_strarray names = { NULL, 0 };
	fs_node *node = NULL;
	fs_buf url = FS_BUF_INIT;
	cli_json a = CLI_JSON_INIT;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs)
		return cli_usage_error(cmd, "status: no arguments");
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	if ((rc = fs_remote_list(&names, node)) < 0) {
		goto done;
	}
	if (json)
		cli_json_array(&a);
	else if (names.count == 0)
		printf(_("city '%s': no remote yet (fieldsync remote add NAME URL)\n"), fs_node_city(node));
	for (size_t i = 0; i < names.count; i++) {
		size_t commits, bytes;
		int64_t when;
		git_oid has;
		char t[FS_TIME_RFC3339_BYTES];
		if ((rc = fs_remote_url(&url, node, names.strings[i])) < 0 ||
		    (rc = fs_sync_last(node, names.strings[i], &when, &has)) < 0 ||
		    (rc = fs_sync_pending(node, names.strings[i], &commits, &bytes)) < 0)
			goto done;
		if (when)
			fs_time_rfc3339(t, when);
		if (json) {
			cJSON *o = cli_json_push(&a, a.root);
			cli_json_str(&a, o, "remote", names.strings[i]);
			cli_json_str(&a, o, "url", url.ptr);
			cli_json_num(&a, o, "pending_commits", (double)commits);
			cli_json_num(&a, o, "pending_bytes", (double)bytes);
			cli_json_str(&a, o, "last_sync", when ? t : NULL);
		} else {
			cli_count_buf c;
			printf(_("%s (%s): %s, about %zu KiB to push; last sync: %s\n"), names.strings[i],
			       url.ptr, cli_count(&c, P_("%zu commit", "%zu commits", commits), commits),
			       (bytes + 1023) / 1024, when ? t : _("never"));
		}
	}
	if (json)
		rc = cli_json_print(&a);
done:
	cli_json_dispose(&a);
	git_strarray_dispose(&names);
	fs_buf_dispose(&url);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_status = {
	"status", run, "status [--json]", N_("What waits to be pushed, and when the last sync was."),
	help
};
