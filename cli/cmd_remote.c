/* fieldsync remote: the hubs this node syncs with */
#include <string.h>

#include "cli/cli.h"
#include "sync/sync.h"
#include "util/error.h"

static const char help[] =
	"remote add NAME URL: the node syncs with the hub at URL under NAME.\n"
	"URL is file:///path or a path (a hub on this machine or a mounted disk;\n"
	"the hub's checks run in this process), http:// or https:// (a hub served by\n"
	"'fieldsync hub serve' or any git server with the hub's hook), or ssh://.\n"
	"remote list: the remotes and their URLs.\n"
	"\n"
	"Only the hub's public branch is ever fetched back (actions and aggregates of\n"
	"all cities, never another city's service records).\n"
	"\n"
	"options:\n"
	"  --json   print the result as JSON\n";

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	git_strarray names = { NULL, 0 };
	fs_node *node = NULL;
	fs_buf url = FS_BUF_INIT;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs == 3 && strcmp(argv[1], "add") == 0) {
		if ((rc = cli_open_read(&node, ctx)) < 0 ||
		    (rc = fs_remote_add(node, argv[2], argv[3])) < 0)
			goto done;
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", argv[2]);
			cJSON_AddStringToObject(o, "url", argv[3]);
			rc = cli_print_json(o);
		} else {
			printf("remote '%s' is %s\n", argv[2], argv[3]);
		}
	} else if (nargs == 1 && strcmp(argv[1], "list") == 0) {
		cJSON *a = json ? cJSON_CreateArray() : NULL;
		if ((rc = cli_open_read(&node, ctx)) < 0)
			goto done;
		if ((rc = fs_remote_list(&names, node)) < 0)
			goto done;
		for (size_t i = 0; i < names.count; i++) {
			if ((rc = fs_remote_url(&url, node, names.strings[i])) < 0)
				goto done;
			if (json) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "name", names.strings[i]);
				cJSON_AddStringToObject(o, "url", url.ptr);
				cJSON_AddItemToArray(a, o);
			} else {
				printf("%s\t%s\n", names.strings[i], url.ptr);
			}
		}
		if (json)
			rc = cli_print_json(a);
	} else {
		return cli_usage_error(cmd, "remote: expected 'add NAME URL' or 'list'");
	}
done:
	git_strarray_dispose(&names);
	fs_buf_dispose(&url);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_remote = {
	"remote", run, "remote add NAME URL | remote list [--json]",
	"Name the hub this node syncs with.", help
};
