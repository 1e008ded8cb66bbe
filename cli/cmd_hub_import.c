/* fieldsync hub import: a bundle that came on a USB stick */
#include <string.h>

#include "cli/cli.h"
#include "node/odb.h"
#include "node/walk.h"
#include "sync/apply.h"
#include "sync/bundle.h"
#include "sync/check.h"
#include "sync/receipt.h"
#include "util/error.h"
#include "util/file.h"
#include "util/time.h"

static const char help[] = N_(
	"Applies a git bundle (from 'fieldsync bundle create', or stock 'git bundle\n"
	"create') with the same checks as a push: every new commit signed by a key\n"
	"the registry allows for the city at its time, only the city's own paths,\n"
	"records that parse and validate, fast-forward only. A bundle that fails any\n"
	"check, or is cut off, damaged or forged, changes nothing. Importing the same\n"
	"bundle twice changes nothing the second time.\n"
	"\n"
	"--receipt FILE writes the hub's receipt for the city's head, signed with the\n"
	"hub's key (city, head commit, time), once the hub holds it: the city carries\n"
	"it back with the stick and keeps it with 'fieldsync receipts add FILE'. The\n"
	"bundle must then hold one city's branch.\n"
	"\n"
	"options:\n"
	"  --receipt FILE  write the hub's signed receipt to FILE\n"
	"  --json          print {\"objects\", \"commits\", \"updated\", \"current\",\n"
	"                  \"receipt\"}\n");

/* The one city branch of the bundle, for its receipt. */
static int city_ref(const fs_ref_update **out, const fs_bundle *b, const char *path)
{
	const fs_ref_update *refs = fs_bundle_refs(b);

	*out = NULL;
	for (size_t i = 0; i < fs_bundle_ref_count(b); i++) {
		if (strncmp(refs[i].ref, FS_CITY_REF_PREFIX, strlen(FS_CITY_REF_PREFIX)) != 0)
			continue;
		if (*out)
			return fs_error_set(FS_EUSAGE, "bundle '%s': --receipt is for a bundle of one "
					    "city, and it holds several", path);
		*out = &refs[i];
	}
	return *out ? 0 : fs_error_set(FS_EUSAGE, "bundle '%s': --receipt: it holds no city "
				       "branch", path);
}

/* Sign the receipt for `u` once the hub's branch holds its commit, and write it to `path`. */
static int write_receipt(fs_node *hub, const cli_context *ctx, const fs_ref_update *u,
			 const char *path)
{
	fs_buf text = FS_BUF_INIT;
	git_oid now;
	int rc;

	if ((rc = git_reference_name_to_id(&now, fs_node_repo(hub), u->ref)) < 0) {
		rc = fs_error_git(rc, "%s", u->ref);
		goto done;
	}
	/* the hub is ahead of an old bundle: the receipt is still for what the city brought */
	if (!git_oid_equal(&now, &u->new) &&
	    (rc = fs_descendant_of(fs_node_repo(hub), &now, &u->new)) != 1) {
		rc = rc < 0 ? fs_error_git(rc, "%s: cannot read the history", u->ref)
			    : fs_error_set(FS_EVERIFY, "%s does not hold %s", u->ref,
					   git_oid_tostr_s(&u->new));
		goto done;
	}
	if ((rc = cli_load_key(hub, ctx)) < 0 ||
	    (rc = fs_receipt_issue(&text, fs_node_key(hub), fs_node_name(hub),
				   u->ref + strlen(FS_CITY_REF_PREFIX), &u->new, fs_time_now())) < 0 ||
	    (rc = fs_file_write_atomic(path, text.ptr, text.size, 0644)) < 0)
		fs_error_prefix("receipt '%s'", path);
done:
	fs_buf_dispose(&text);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *receipt = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "receipt", 0, &receipt, NULL },
				    { NULL, 0, NULL, NULL } };
	const fs_ref_update *city = NULL;
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
	if ((rc = fs_bundle_read(&b, argv[1])) < 0 ||
	    (receipt && (rc = city_ref(&city, b, argv[1])) < 0))
		goto done;
	for (size_t i = 0; i < fs_bundle_prerequisite_count(b); i++) {
		const git_oid *id = fs_bundle_prerequisite(b, i);
		git_odb *odb = NULL;
		int has = git_repository_odb(&odb, fs_node_repo(hub));
		if (has < 0)
			has = fs_error_git(has, "hub '%s': cannot read its objects", fs_node_dir(hub));
		else
			has = fs_odb_has(odb, id);
		git_odb_free(odb);
		if (has < 0) {
			rc = has;
			goto done;
		}
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
	if (receipt && (rc = write_receipt(hub, ctx, city, receipt)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_num(&j, o, "objects", (double)st.objects);
		cli_json_num(&j, o, "commits", (double)st.commits);
		cli_json_num(&j, o, "updated", (double)st.updated);
		cli_json_num(&j, o, "current", (double)st.current);
		if (receipt)
			cli_json_str(&j, o, "receipt", receipt);
		rc = cli_json_print(&j);
	} else if (st.updated == 0) {
		printf(_("bundle '%s': nothing new (the hub has it all)\n"), argv[1]);
	} else {
		cli_count_buf c[2];
		printf(_("bundle '%s': %s checked, %s moved\n"), argv[1],
		       cli_count(&c[0], P_("%zu commit", "%zu commits", st.commits), st.commits),
		       cli_count(&c[1], P_("%zu ref", "%zu refs", st.updated), st.updated));
	}
	if (!json && receipt)
		printf(_("receipt written to '%s': take it back to the city (fieldsync receipts "
		       "add)\n"), receipt);
done:
	fs_bundle_free(b);
	fs_hub_close_after_receive(hub, st.updated > 0);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_hub_import = {
	"hub import", run, "hub import [--receipt FILE] [--json] BUNDLE",
	N_("Apply a bundle with the same checks as a push."), help
};
