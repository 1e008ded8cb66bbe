/* fieldsync export: records as CSV, NDJSON or HXL, from a node or a hub */
#include <string.h>

#include "cli/cli.h"
#include "node/export.h"
#include "node/tree.h"
#include "sync/merge.h"
#include "util/error.h"

static const char help[] = N_(
	"Writes records to standard output: a city node's own records, or on a hub\n"
	"every city's records in the unified dataset (run `fieldsync hub merge`\n"
	"first). City by city, each city's records in creation order. Streams:\n"
	"memory stays flat however many records there are.\n"
	"\n"
	"  csv     RFC 4180, a header row, one kind of record (action or service);\n"
	"          lists joined by \"; \", figures as \"name=value; ...\"\n"
	"  hxl     the same with a row of HXL hashtags under the header\n"
	"  ndjson  every record whole, one JSON object per line (the lossless form)\n"
	"\n"
	"options:\n"
	"  --format F  csv (the default), ndjson or hxl\n"
	"  --city ID   only this city's records\n"
	"  --since D   only records updated at or after D: YYYY, YYYY-MM, YYYY-MM-DD\n"
	"              or YYYY-MM-DDThh:mm:ssZ (UTC)\n");

/* The tree to export: a city's head, or a hub's unified dataset. */
static int export_root(git_tree **out, fs_node *node)
{
	git_repository *repo = fs_node_repo(node);
	git_commit *c = NULL;
	git_oid id;
	int rc;

	*out = NULL;
	if (!fs_node_is_hub(node)) {
		if ((rc = fs_node_head(&c, node)) < 0)
			return rc;
	} else if ((rc = git_reference_name_to_id(&id, repo, FS_UNIFIED_REF)) < 0 ||
		   (rc = git_commit_lookup(&c, repo, &id)) < 0) {
		return rc == GIT_ENOTFOUND
			       ? fs_error_set(FS_ENOTFOUND, "hub '%s' has no unified dataset yet: "
					      "run 'fieldsync hub merge'", fs_node_dir(node))
			       : fs_error_git(rc, "cannot read %s", FS_UNIFIED_REF);
	}
	rc = git_commit_tree(out, c);
	git_commit_free(c);
	return rc < 0 ? fs_error_git(rc, "cannot read the tree to export") : 0;
}

/* 1 when `root` has a folder for `city`, 0 when not, or an error */
static int has_city(const git_tree *root, const char *city)
{
	git_tree_entry *e = NULL;
	char path[128];
	int rc, has;

	snprintf(path, sizeof(path), "cities/%s", city);
	rc = fs_tree_find(&e, root, path);
	has = e != NULL;
	git_tree_entry_free(e);
	return rc < 0 ? rc : has;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	const char *format = "csv";
	fs_export_options o = { FS_EXPORT_CSV, FS_KIND_ALL, NULL, NULL };
	const cli_option opts[] = { { "format", 0, &format, NULL }, { "city", 0, &o.city, NULL },
				    { "since", 0, &o.since, NULL }, { NULL, 0, NULL, NULL } };
	fs_node *node = NULL;
	git_tree *root = NULL;
	fs_kind kind;
	size_t n = 0;
	int nargs, rc;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "export: expected at most one record kind");
	if (nargs == 1) {
		if (fs_kind_parse(&kind, argv[1]) < 0)
			return cli_usage_error(cmd, "export: %s", fs_error_last()->message);
		o.kinds = kind;
	}
	if (fs_export_format_parse(&o.format, format) < 0 ||
	    (o.since && fs_export_since_check(o.since) < 0) ||
	    (o.city && fs_city_id_check(o.city, "--city") < 0))
		return cli_usage_error(cmd, "export: %s", fs_error_last()->message);
	if (o.format != FS_EXPORT_NDJSON && o.kinds == FS_KIND_ALL)
		return cli_usage_error(cmd, "export: --format %s holds one kind of record: name "
				       "action or service", format);
	if ((rc = cli_open_read(&node, ctx)) < 0 || (rc = export_root(&root, node)) < 0)
		goto done;
	if (o.city && (rc = has_city(root, o.city)) <= 0) {
		if (rc < 0)
			goto done;
		rc = fs_error_set(FS_ENOTFOUND, "--city '%s': no such city in %s", o.city,
				  fs_node_is_hub(node) ? _("the unified dataset") : _("this node"));
		goto done;
	}
	rc = fs_export(stdout, &n, fs_node_repo(node), root, &o);
	if (rc == 0 && cli_progress_enabled())
		fprintf(stderr, P_("%zu record exported\n", "%zu records exported\n", n), n);
done:
	git_tree_free(root);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, 0) : 0;
}

const cli_command cli_cmd_export = {
	"export", run, "export [action|service] [--format csv|ndjson|hxl] [--city ID] [--since DATE]",
	N_("Write records as CSV, NDJSON or HXL."), help
};
