/* fieldsync hub merge: every city into one signed unified dataset */
#include <string.h>

#include "cli/cli.h"
#include "sync/merge.h"
#include "util/error.h"

static const char help[] = N_(
	"Moves refs/heads/unified to a new merge commit, signed by the hub's key,\n"
	"whose parents are the previous unified head and every city head (and the\n"
	"hub's own head) that changed since, and whose tree is every city's\n"
	"cities/<id>/ plus the hub's hub/ and hub/unified.json (which commit each\n"
	"part is from), and the aggregates: hub/aggregates/actions.csv (actions by\n"
	"priority, country, year, commitment) and hub/aggregates/services/<city>.csv\n"
	"(services by month, category, population group, sex, age band; counts\n"
	"under the setting fieldsync.suppressBelow, default 5, shown as \"<5\"). The\n"
	"same city histories give the same tree on any hub, in any order; a merge\n"
	"with nothing new makes no commit. Then moves refs/heads/public: every\n"
	"city's city.json and actions, the hub's hub/ with the aggregates, and\n"
	"never a service record. Cities fetch public on sync.\n"
	"\n"
	"--check REV recomputes the tree of the unified commit REV from its parents\n"
	"and says whether it matches (exit 0) or not (exit 1).\n"
	"\n"
	"--on-receive is what the hub's post-receive hook runs: a merge when the\n"
	"setting fieldsync.mergeOnReceive is true (the hub's key must then have no\n"
	"passphrase), else nothing.\n"
	"\n"
	"options:\n"
	"  --check REV   recompute a unified commit's tree from its parents\n"
	"  --on-receive  merge only if fieldsync.mergeOnReceive is true\n"
	"  --json        print {\"unified\", \"public\", \"cities\", \"merged\", \"made\"}\n");

/* Does the hub in `dir` want a merge after every accepted push? */
static int merge_on_receive(const cli_context *ctx)
{
	fs_node *hub = NULL;
	git_config *cfg = NULL;
	int on = 0;

	if (fs_node_open(&hub, ctx->dir, FS_NODE_READ, NULL) == 0 &&
	    git_repository_config_snapshot(&cfg, fs_node_repo(hub)) == 0 &&
	    git_config_get_bool(&on, cfg, "fieldsync.mergeOnReceive") < 0)
		on = 0;
	git_config_free(cfg);
	fs_node_free(hub);
	fs_error_clear();
	return on;
}

static int check(const cli_context *ctx, const char *rev, int json)
{
	fs_node *hub = NULL;
	git_oid id;
	int rc;

	if ((rc = cli_open_hub(&hub, ctx, FS_NODE_READ)) < 0)
		goto done;
	rc = fs_merge_check(hub, rev, &id);
	if (rc < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "commit", git_oid_tostr_s(&id));
		cli_json_bool(&j, o, "matches", 1);
		rc = cli_json_print(&j);
	} else {
		printf(_("unified commit %s: its tree is what its parents make\n"), git_oid_tostr_s(&id));
	}
done:
	fs_node_free(hub);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, on_receive = 0, nargs, rc;
	const char *rev = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "check", 0, &rev, NULL },
				    { "on-receive", 0, NULL, &on_receive },
				    { NULL, 0, NULL, NULL } };
	fs_node *hub = NULL;
	fs_merge_result res;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 0)
		return cli_usage_error(cmd, "hub merge: no arguments expected");
	if (rev && on_receive)
		return cli_usage_error(cmd, "hub merge: --check and --on-receive exclude each other");
	if (rev) {
		rc = check(ctx, rev, json);
		goto done;
	}
	if (on_receive)
		fs_i18n_plain(); /* run by the hook: its lines go to the pushing node */
	if (on_receive && !merge_on_receive(ctx))
		return 0;
	if ((rc = cli_open_hub(&hub, ctx, FS_NODE_WRITE)) < 0 || (rc = fs_merge(hub, &res)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "unified", git_oid_tostr_s(&res.unified));
		cli_json_str(&j, o, "public", git_oid_tostr_s(&res.public_));
		cli_json_num(&j, o, "cities", (double)res.cities);
		cli_json_num(&j, o, "merged", (double)res.changed);
		cli_json_bool(&j, o, "made", res.made);
		rc = cli_json_print(&j);
	} else if (!res.made) {
		printf(P_("unified is up to date (%zu city)\n", "unified is up to date (%zu cities)\n",
			  res.cities), res.cities);
	} else {
		cli_count_buf c[2];
		printf(_("unified: %s, %s merged, now %s\n"),
		       cli_count(&c[0], P_("%zu city", "%zu cities", res.cities), res.cities),
		       cli_count(&c[1], P_("%zu head", "%zu heads", res.changed), res.changed),
		       git_oid_tostr_s(&res.unified));
	}
done:
	fs_node_free(hub);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_hub_merge = {
	"hub merge", run, "hub merge [--check REV] [--on-receive] [--json]",
	N_("Merge every city into the signed unified dataset and the public branch."), help
};
