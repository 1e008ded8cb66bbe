/* fieldsync list: the records of the node */
#include <string.h>

#include "cli/cli.h"
#include "node/record.h"
#include "util/error.h"
#include "util/json.h"

static const char help[] =
	"Lists the node's records, oldest first: for actions the id, start, status\n"
	"and title; for services the id, date, category and population group.\n"
	"\n"
	"options:\n"
	"  --json    a JSON array of the whole records\n";

typedef struct {
	int json;
	unsigned kinds;
	size_t n;
} list_state;

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "-";
}

static int print_one(const char *id, fs_kind kind, const char *data, size_t len, void *payload)
{
	list_state *st = payload;
	cJSON *rec = cJSON_ParseWithLength(data, len);
	int rc = 0;

	if (!rec)
		return fs_error_set(FS_EINVALID, "record '%s': stored JSON does not parse", id);
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

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	list_state st = { 0, FS_KIND_ALL, 0 };
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
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	if (json)
		fputs("[", stdout);
	rc = fs_record_foreach(node, st.kinds, print_one, &st);
	if (json)
		fputs("]\n", stdout);
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_list = {
	"list", run, "list [action|service] [--json]", "List the node's records.", help
};
