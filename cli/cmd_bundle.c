/* fieldsync bundle create: the history on a USB stick */
#include <string.h>

#include "cli/cli.h"
#include "node/walk.h"
#include "sync/bundle.h"
#include "sync/check.h"
#include "sync/sync.h"
#include "util/error.h"

static const char help[] = N_(
	"bundle create FILE: writes a standard git bundle of the city's history that\n"
	"the hub does not have yet, for a hub with no link at all: carry FILE on a USB\n"
	"stick and run 'fieldsync hub import FILE' there. What the hub has is what the\n"
	"last sync left (refs/remotes/<remote>/cities/<city>); with no sync yet, the\n"
	"whole history. Stock 'git bundle verify' and 'git fetch FILE' read it.\n"
	"\n"
	"options:\n"
	"  --since REV   leave out REV and its history (the hub must have them)\n"
	"  --all         the whole history, whatever the hub has\n"
	"  --json        print {\"file\", \"objects\", \"since\"}\n");

/* What the hub is known to have: the newest tracking ref of any remote. */
static int known(git_oid *out, fs_node *node)
{
	git_strarray names = { NULL, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fs_remote_list(&names, node)) < 0)
		return rc;
	for (size_t i = 0; i < names.count; i++) {
		char ref[512];
		git_oid id;
		snprintf(ref, sizeof(ref), "refs/remotes/%s/cities/%s", names.strings[i],
			 fs_node_city(node));
		if (git_reference_name_to_id(&id, fs_node_repo(node), ref) < 0)
			continue;
		int newer = git_oid_is_zero(out) ? 1 : fs_descendant_of(fs_node_repo(node), &id, out);
		if (newer < 0) {
			git_strarray_dispose(&names);
			return fs_error_git(newer, "%s: cannot read the history", ref);
		}
		if (newer)
			git_oid_cpy(out, &id);
	}
	git_strarray_dispose(&names);
	return 0;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, all = 0, nargs, rc;
	const char *since = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "since", 0, &since, NULL },
				    { "all", 0, NULL, &all }, { NULL, 0, NULL, NULL } };
	fs_node *node = NULL;
	git_commit *head = NULL;
	git_object *obj = NULL, *commit = NULL;
	git_oid base;
	char ref[256], hex[GIT_OID_HEXSZ + 1] = "";
	size_t objects = 0;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 2 || strcmp(argv[1], "create") != 0)
		return cli_usage_error(cmd, "bundle: expected 'create FILE'");
	if (since && all)
		return cli_usage_error(cmd, "bundle: --since and --all do not go together");
	if ((rc = cli_open_read(&node, ctx)) < 0 || (rc = fs_node_head(&head, node)) < 0)
		goto done;
	memset(&base, 0, sizeof(base));
	if (since) {
		if ((rc = git_revparse_single(&obj, fs_node_repo(node), since)) < 0 ||
		    (rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) < 0) {
			rc = fs_error_git(rc, "bundle: --since '%s'", since);
			goto done;
		}
		git_oid_cpy(&base, git_object_id(commit));
	} else if (!all && (rc = known(&base, node)) < 0) {
		goto done;
	}
	if (git_oid_equal(&base, git_commit_id(head))) {
		rc = fs_error_set(FS_EUNCHANGED, "bundle: the hub has the whole history already "
				  "(use --all for a bundle of everything)");
		goto done;
	}
	snprintf(ref, sizeof(ref), FS_CITY_REF_PREFIX "%s", fs_node_city(node));
	if ((rc = fs_bundle_create(fs_node_repo(node), argv[2], git_commit_id(head), ref,
				   git_oid_is_zero(&base) ? NULL : &base, &objects)) < 0)
		goto done;
	if (!git_oid_is_zero(&base))
		git_oid_tostr(hex, sizeof(hex), &base);
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "file", argv[2]);
		cli_json_num(&j, o, "objects", (double)objects);
		cli_json_str(&j, o, "since", hex[0] ? hex : NULL);
		rc = cli_json_print(&j);
	} else {
		if (hex[0])
			printf(_("wrote %s: %zu objects, after %s\n"), argv[2], objects, hex);
		else
			printf(_("wrote %s: %zu objects\n"), argv[2], objects);
	}
done:
	git_object_free(commit);
	git_object_free(obj);
	git_commit_free(head);
	fs_node_free(node);
	if (rc == FS_EUNCHANGED) {
		fprintf(stderr, "%s\n", fs_error_last()->message);
		return FS_EXIT_OK;
	}
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_bundle = {
	"bundle", run, "bundle create [--since REV | --all] [--json] FILE",
	N_("Write the history the hub lacks to a file, for a hub with no link."), help
};
