/* fieldsync log: the history of the node, or of one record */
#include <limits.h>

#include "cli/cli.h"
#include "node/history.h"
#include "node/id.h"
#include "util/error.h"
#include "util/time.h"

static const char help[] = N_(
	"Without ID: the node's commits, newest first. With ID: the commits that\n"
	"added, changed or removed that record.\n"
	"\n"
	"options:\n"
	"  -n N      at most N commits (whole-node log only)\n"
	"  --json    a JSON array of {commit, time, change, summary}\n");

typedef struct {
	int json;
	size_t n;
} log_state;

static int print_entry(const fs_history_entry *e, void *payload)
{
	log_state *st = payload;
	char when[FS_TIME_RFC3339_BYTES], hex[GIT_OID_HEXSZ + 1];

	fs_time_rfc3339(when, e->time);
	git_oid_tostr(hex, sizeof(hex), &e->commit);
	if (st->json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		int rc;
		cli_json_str(&j, o, "commit", hex);
		cli_json_str(&j, o, "time", when);
		if (e->change)
			cli_json_str(&j, o, "change", e->change);
		cli_json_str(&j, o, "summary", e->summary ? e->summary : "");
		if ((rc = cli_json_print_item(&j, st->n)) < 0)
			return rc;
	} else if (e->change) {
		printf("%.12s  %s  %-4s  %s\n", hex, when, e->change, e->summary ? e->summary : "");
	} else {
		printf("%.12s  %s  %s\n", hex, when, e->summary ? e->summary : "");
	}
	st->n++;
	return 0;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *max = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "max-count", 'n', &max, NULL },
				    { NULL, 0, NULL, NULL } };
	log_state st = { 0, 0 };
	fs_node *node = NULL;
	long long n = 0;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "log: expected at most one record id");
	if (max && cli_number(&n, max, 1, LLONG_MAX) < 0)
		return cli_usage_error(cmd, "log: -n '%s': expected a positive number", max);
	st.json = json;
	if (nargs == 1 && (rc = fs_id_check(argv[1])) < 0)
		goto done;
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	if (json)
		fputs("[", stdout);
	rc = nargs == 1 ? fs_history_record(node, argv[1], print_entry, &st)
			: fs_history_all(node, (size_t)n, print_entry, &st);
	if (json)
		fputs("]\n", stdout);
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_log = {
	"log", run, "log [ID] [-n N] [--json]", N_("Show the history of the node or of one record."), help
};
