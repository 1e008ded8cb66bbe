/* fieldsync list: the records of the node */
#include <string.h>

#include "cli/cli.h"
#include "node/record.h"
#include "node/tree.h"
#include "sync/sync.h"
#include "util/counter.h"
#include "util/error.h"
#include "util/json.h"

static const char help[] = N_(
	"Lists the node's records, oldest first: for actions the id, start, status\n"
	"and title; for services the id, date, category and population group.\n"
	"\n"
	"--all adds every other city's actions, from the hub's public branch as the\n"
	"last sync fetched it, each line starting with the city.\n"
	"\n"
	"options:\n"
	"  --all     other cities' actions too (what `sync` fetched)\n"
	"  --json    a JSON array of the whole records\n");

typedef struct {
	int json, all;
	unsigned kinds;
	size_t n;
	fs_counter *seen; /* --all: the cities listed so far */
} list_state;

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "-";
}

static int print_one(const char *id, fs_kind kind, const char *data, size_t len, void *payload)
{
	list_state *st = payload;
	cJSON *rec = NULL;
	int rc;

	/* damaged JSON, or memory that ran out: fs_json_parse_stored tells them apart */
	if ((rc = fs_json_parse_stored(&rec, data, len, _("stored record"))) < 0)
		return fs_error_prefix("record '%s'", id);
	if (st->json) {
		char *s = cJSON_PrintUnformatted(rec);
		if (!s) {
			rc = fs_error_set(FS_ENOMEM, "out of memory");
		} else {
			printf("%s%s", st->n ? ",\n" : "", s);
			cJSON_free(s);
		}
	} else {
		const char *prefix = st->kinds == FS_KIND_ALL ? fs_kind_name(kind) : NULL;
		if (st->all)
			printf("%-12s", str(rec, "city"));
		if (prefix)
			printf("%-8s", prefix);
		if (kind == FS_KIND_ACTION)
			printf("%s  %-10s  %-9s  %s\n", id, str(rec, "start"), str(rec, "status"),
			       str(rec, "title"));
		else
			printf("%s  %-10s  %-19s  %s\n", id, str(rec, "date"), str(rec, "category"),
			       str(rec, "population_group"));
	}
	st->n++;
	cJSON_Delete(rec);
	return rc;
}

/*
 * Other cities' actions: the public branch of each remote, in remote order, a
 * city only once (the node's own city is listed from its own head).
 */
static int list_others(fs_node *node, list_state *st)
{
	git_repository *repo = fs_node_repo(node);
	git_strarray refs = { NULL, 0 };
	git_object *obj = NULL;
	git_tree *tree = NULL, *cities = NULL;
	int rc;

	if ((rc = fs_counter_add(st->seen, fs_node_city(node), 1)) < 0 ||
	    (rc = fs_remote_public_refs(&refs, node)) < 0)
		return rc;
	for (size_t i = 0; i < refs.count; i++) {
		git_tree_entry *e = NULL;
		if ((rc = git_revparse_single(&obj, repo, refs.strings[i])) < 0 ||
		    (rc = git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE)) < 0) {
			rc = fs_error_git(rc, "cannot read %s", refs.strings[i]);
			goto done;
		}
		if ((rc = fs_tree_find(&e, tree, "cities")) < 0) {
			fs_error_prefix("%s", refs.strings[i]);
			goto done;
		}
		if (e && (rc = fs_tree_lookup(&cities, repo, git_tree_entry_id(e))) < 0) {
			git_tree_entry_free(e);
			rc = fs_error_git(rc, "cannot read %s", refs.strings[i]);
			goto done;
		}
		git_tree_entry_free(e);
		for (size_t k = 0; cities && k < git_tree_entrycount(cities); k++) {
			const char *city = git_tree_entry_name(git_tree_entry_byindex(cities, k));
			if (fs_counter_get(st->seen, city))
				continue;
			if ((rc = fs_counter_add(st->seen, city, 1)) < 0 ||
			    (rc = fs_record_foreach_tree(repo, tree, city, FS_KIND_ACTION, print_one,
							 st)) < 0)
				goto done;
		}
		git_tree_free(cities);
		git_tree_free(tree);
		git_object_free(obj);
		cities = NULL;
		tree = NULL;
		obj = NULL;
	}
done:
	git_tree_free(cities);
	git_tree_free(tree);
	git_object_free(obj);
	git_strarray_dispose(&refs);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, all = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "all", 0, NULL, &all },
				    { NULL, 0, NULL, NULL } };
	list_state st = { 0, 0, FS_KIND_ALL, 0, NULL };
	fs_node *node = NULL;
	fs_kind kind;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "list: expected at most one record kind");
	if (nargs == 1) {
		if (fs_kind_parse(&kind, argv[1]) < 0)
			return cli_usage_error(cmd, "list: %s", fs_error_last()->message);
		st.kinds = kind;
	}
	st.json = json;
	st.all = all;
	if ((rc = cli_open_read(&node, ctx)) < 0 || (all && (rc = fs_counter_new(&st.seen)) < 0))
		goto done;
	if (json)
		fputs("[", stdout);
	rc = fs_record_foreach(node, st.kinds, print_one, &st);
	/* other cities publish actions only */
	if (rc == 0 && all && (st.kinds & FS_KIND_ACTION))
		rc = list_others(node, &st);
	if (json)
		fputs("]\n", stdout);
done:
	fs_counter_free(st.seen);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_list = {
	"list", run, "list [action|service] [--all] [--json]", N_("List the node's records."), help
};
