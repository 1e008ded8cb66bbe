/* fieldsync import: many records from an NDJSON file */
#include <stdlib.h>

#include "cli/cli.h"
#include "node/import.h"
#include "util/error.h"
#include "util/time.h"

static const char help[] =
	"Reads one record per line (NDJSON) from FILE ('-' for standard input).\n"
	"Every line is checked first: if any is bad, the bad lines are listed by\n"
	"number and nothing is imported. Then the records are committed in batches\n"
	"(--batch, or the setting fieldsync.importBatch, default 1000 records per\n"
	"signed commit). Each batch lands whole or not at all. Running the same\n"
	"import again after an interruption skips the batches that already landed.\n"
	"Blank lines are skipped. Progress is shown on a terminal.\n"
	"\n"
	"options:\n"
	"  --batch N   records per commit (1 to 10000)\n"
	"  --json      print {\"total\", \"imported\", \"skipped\", \"commits\"}\n";

typedef struct {
	int64_t start;
} progress_state;

static void progress(size_t done, size_t total, void *payload)
{
	progress_state *ps = payload;
	int64_t secs = fs_time_now() - ps->start;

	if (total == 0)
		fprintf(stderr, "\rchecking records...");
	else
		fprintf(stderr, "\rimporting: %zu/%zu records (%zu%%), %lld s   ", done, total,
			done * 100 / total, (long long)secs);
	fflush(stderr);
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *batch = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "batch", 0, &batch, NULL },
				    { NULL, 0, NULL, NULL } };
	fs_import_options io = { 0, NULL, NULL };
	fs_import_stats st = { 0, 0, 0, 0 };
	progress_state ps = { fs_time_now() };
	fs_node *node = NULL;
	fs_kind kind;
	char *end;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 2)
		return cli_usage_error(cmd, "import: expected a record kind and a file");
	if (fs_kind_parse(&kind, argv[1]) < 0)
		return cli_usage_error(cmd, "import: %s", fs_error_last()->message);
	if (batch) {
		long b = strtol(batch, &end, 10);
		if (*end || b < 1 || b > FS_IMPORT_BATCH_MAX)
			return cli_usage_error(cmd, "import: --batch '%s': expected 1 to %d", batch,
					       FS_IMPORT_BATCH_MAX);
		io.batch = (size_t)b;
	}
	if (cli_progress_enabled() && !json) {
		io.progress = progress;
		io.payload = &ps;
	}
	if ((rc = cli_open_write(&node, ctx)) < 0)
		goto done;
	rc = fs_import(node, kind, argv[2], &io, &st);
	if (io.progress)
		fputs("\n", stderr);
	if (rc == FS_EUNCHANGED) {
		if (!json)
			printf("%s\n", fs_error_last()->message);
		rc = 0;
	} else if (rc < 0) {
		goto done;
	} else if (!json) {
		printf("imported %zu %s record%s in %zu commit%s", st.imported, fs_kind_name(kind),
		       st.imported == 1 ? "" : "s", st.commits, st.commits == 1 ? "" : "s");
		if (st.skipped)
			printf(" (%zu imported before were skipped)", st.skipped);
		printf("\n");
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "total", (double)st.total);
		cJSON_AddNumberToObject(o, "imported", (double)st.imported);
		cJSON_AddNumberToObject(o, "skipped", (double)st.skipped);
		cJSON_AddNumberToObject(o, "commits", (double)st.commits);
		rc = cli_print_json(o);
	}
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_import = {
	"import", run, "import action|service FILE.ndjson [--batch N] [--json]",
	"Import many records, in signed commits of bounded size.", help
};
