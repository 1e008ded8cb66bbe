/* fieldsync hub import: a bundle that came on a USB stick */
#include "cli/cli.h"
#include "sync/apply.h"
#include "sync/bundle.h"
#include "util/error.h"

static const char help[] =
	"Applies a git bundle (from 'fieldsync bundle create', or stock 'git bundle\n"
	"create') with the same checks as a push: every new commit signed by a key\n"
	"the registry allows for the city at its time, only the city's own paths,\n"
	"records that parse and validate, fast-forward only. A bundle that fails any\n"
	"check, or is cut off, damaged or forged, changes nothing. Importing the same\n"
	"bundle twice changes nothing the second time.\n"
	"\n"
	"options:\n"
	"  --json   print {\"objects\", \"commits\", \"updated\", \"current\"}\n";

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	fs_bundle *b = NULL;
	fs_node *hub = NULL;
	fs_apply_stats st = { 0, 0, 0, 0 };
	const void *pack;
	size_t len;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 1)
		return cli_usage_error(cmd, "hub import: expected a bundle file");
	if ((rc = cli_open_hub(&hub, ctx, FS_NODE_LOCK)) < 0)
		goto done;
	if ((rc = fs_bundle_read(&b, argv[1])) < 0)
		goto done;
	for (size_t i = 0; i < fs_bundle_prerequisite_count(b); i++) {
		const git_oid *id = fs_bundle_prerequisite(b, i);
		git_odb *odb = NULL;
		int has = git_repository_odb(&odb, fs_node_repo(hub)) == 0 && git_odb_exists(odb, id);
		git_odb_free(odb);
		if (!has) {
			rc = fs_error_set(FS_EREFUSED, "bundle '%s': it continues from commit %s, which "
					  "the hub does not have; import the bundle before it first",
					  argv[1], git_oid_tostr_s(id));
			goto done;
		}
	}
	pack = fs_bundle_pack(b, &len);
	if ((rc = fs_hub_apply(hub, pack, len, fs_bundle_refs(b), fs_bundle_ref_count(b), &st)) < 0) {
		fs_error_prefix("bundle '%s'", argv[1]);
		goto done;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "objects", (double)st.objects);
		cJSON_AddNumberToObject(o, "commits", (double)st.commits);
		cJSON_AddNumberToObject(o, "updated", (double)st.updated);
		cJSON_AddNumberToObject(o, "current", (double)st.current);
		rc = cli_print_json(o);
	} else if (st.updated == 0) {
		printf("bundle '%s': nothing new (the hub has it all)\n", argv[1]);
	} else {
		printf("bundle '%s': %zu commit%s checked, %zu ref%s moved\n", argv[1], st.commits,
		       st.commits == 1 ? "" : "s", st.updated, st.updated == 1 ? "" : "s");
	}
done:
	fs_bundle_free(b);
	fs_hub_close_after_receive(hub, rc >= 0 && st.updated);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_hub_import = {
	"hub import", run, "hub import [--json] FILE",
	"Apply a bundle with the same checks as a push.", help
};
