/* fieldsync gc: pack the node's objects into one pack */
#include <git2.h>

#include "cli/cli.h"
#include "node/pack.h"
#include "util/error.h"

static const char help[] = N_(
	"Writes every object reachable from the node's branches into one pack and\n"
	"removes the other packs and every loose object. Each commit already lands\n"
	"as a small pack and small packs are merged as the node grows; gc does the\n"
	"rest at a quiet moment (it rewrites the whole store).\n"
	"\n"
	"options:\n"
	"  --json    {\"before\": {...}, \"after\": {...}}\n");

static void stats_json(cli_json *j, cJSON *obj, const char *name, const fs_pack_stats *s)
{
	cJSON *o = cli_json_add_object(j, obj, name);
	cli_json_num(j, o, "packs", (double)s->packs);
	cli_json_num(j, o, "loose", (double)s->loose);
	cli_json_num(j, o, "bytes", (double)s->bytes);
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_pack_stats before, after;
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 0)
		return cli_usage_error(cmd, "gc: takes no arguments");
	if ((rc = cli_open_write(&node, ctx)) < 0 ||
	    (rc = fs_pack_gc(fs_node_repo(node), fs_node_is_hub(node) ? FS_PACK_HUB : FS_PACK_NODE,
			     &before, &after)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		stats_json(&j, o, "before", &before);
		stats_json(&j, o, "after", &after);
		cli_json_num(&j, o, "objects", (double)after.objects);
		rc = cli_json_print(&j);
	} else {
		printf(_("packed %zu objects: %zu packs and %zu loose objects (%lld bytes) "
		       "-> %zu pack (%lld bytes)\n"), after.objects, before.packs, before.loose,
		       before.bytes, after.packs, after.bytes);
	}
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_gc = {
	"gc", run, "gc [--json]", N_("Pack the node's objects into one pack."), help
};
