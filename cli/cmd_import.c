/* fieldsync import: many records from an NDJSON file */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "node/formmap.h"
#include "node/import.h"
#include "util/alloc.h"
#include "util/csvread.h"
#include "util/error.h"
#include "util/file.h"
#include "util/time.h"

/* Form exports are read whole; a city's year of visits is far below this. */
#define FORM_MAX_BYTES (256u << 20)

static const char help[] = N_(
	"Reads one record per line (NDJSON) from FILE ('-' for standard input).\n"
	"Every line is checked first: if any is bad, the bad lines are listed by\n"
	"number and nothing is imported. Then the records are committed in batches\n"
	"(--batch, or the setting fieldsync.importBatch, default 1000 records per\n"
	"signed commit). Each batch lands whole or not at all. Running the same\n"
	"import again after an interruption skips the batches that already landed.\n"
	"Blank lines are skipped. Progress is shown on a terminal.\n"
	"\n"
	"With --from kobo or --from odk, FILE is the CSV export of a KoboToolbox or\n"
	"ODK Central form (a byte order mark, ';' or ',' between fields, quoted\n"
	"line breaks and empty cells are all fine), and --map MAP.json says which\n"
	"column becomes which field of a service record, which column holds the\n"
	"city's local id of the person (it becomes the pseudonym) and which are\n"
	"sealed in the protected part. Columns the map does not name are never\n"
	"read; a personal column can never go into a plain field. Bad rows are\n"
	"listed by their line in FILE and nothing is imported. See\n"
	"docs/commands/import.md.\n"
	"\n"
	"options:\n"
	"  --batch N   records per commit (1 to 10000)\n"
	"  --from kobo|odk   FILE is a form tool's CSV export (service records)\n"
	"  --map MAP.json    how its columns become fields (with --from)\n"
	"  --json      print {\"total\", \"imported\", \"skipped\", \"commits\"}\n");

typedef struct {
	int64_t start;
} progress_state;

static void progress(size_t done, size_t total, void *payload)
{
	progress_state *ps = payload;
	int64_t secs = fs_time_now() - ps->start;

	fputc('\r', stderr);
	if (total == 0) {
		fputs(_("checking records..."), stderr);
	} else {
		fprintf(stderr, _("importing: %zu/%zu records (%zu%%), %lld s"), done, total,
			done * 100 / total, (long long)secs);
		fputs("   ", stderr);
	}
	fflush(stderr);
}

/* A form tool's CSV export, through a map, imported as NDJSON that never touches the disk. */
static int import_form(fs_node *node, const char *from, const char *path, const char *map_path,
		       const fs_import_options *io, fs_import_stats *st)
{
	fs_buf file = FS_BUF_INIT, maptext = FS_BUF_INIT, ndjson = FS_BUF_INIT;
	fs_formmap *map = NULL;
	fs_csv *csv = NULL;
	size_t *lines = NULL, n = 0;
	char what[4200];
	int rc;

	snprintf(what, sizeof(what), _("map '%s'"), map_path);
	if ((rc = fs_file_read(&maptext, map_path, 1 << 20, _("map"))) < 0 ||
	    (rc = fs_formmap_parse(&map, maptext.ptr, maptext.size, what)) < 0)
		goto done;
	snprintf(what, sizeof(what), "'%s'", path);
	if ((rc = fs_file_read(&file, path, FORM_MAX_BYTES, _("form export"))) < 0 ||
	    (rc = fs_csv_parse(&csv, file.ptr, file.size, strcmp(from, "odk") == 0 ? ',' : 0,
			       what)) < 0 ||
	    (rc = fs_buf_grow(&ndjson, 2 * file.size + 4096)) < 0 ||
	    (rc = fs_formmap_apply(&ndjson, &lines, &n, map, csv, node, what)) < 0)
		goto done;
	rc = fs_import_buffer(node, FS_KIND_SERVICE, ndjson.ptr, ndjson.size, path, lines, n, io,
			      st);
done:
	fs_formmap_free(map);
	fs_csv_free(csv);
	fs_free(lines);
	fs_buf_dispose_secure(&file);
	fs_buf_dispose(&maptext);
	fs_buf_dispose_secure(&ndjson);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *batch = NULL, *from = NULL, *map = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "batch", 0, &batch, NULL },
				    { "from", 0, &from, NULL }, { "map", 0, &map, NULL },
				    { NULL, 0, NULL, NULL } };
	fs_import_options io = { 0, NULL, NULL };
	fs_import_stats st = { 0, 0, 0, 0 };
	progress_state ps = { fs_time_now() };
	fs_node *node = NULL;
	fs_kind kind;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs != 2)
		return cli_usage_error(cmd, "import: expected a record kind and a file");
	if (fs_kind_parse(&kind, argv[1]) < 0)
		return cli_usage_error(cmd, "import: %s", fs_error_last()->message);
	if (from && strcmp(from, "kobo") != 0 && strcmp(from, "odk") != 0)
		return cli_usage_error(cmd, "import: --from '%s': expected kobo or odk", from);
	if (!from != !map)
		return cli_usage_error(cmd, "import: --from and --map go together");
	if (from && kind != FS_KIND_SERVICE)
		return cli_usage_error(cmd, "import: --from reads service records only");
	if (batch) {
		long long b;
		if (cli_number(&b, batch, 1, FS_IMPORT_BATCH_MAX) < 0)
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
	rc = from ? import_form(node, from, argv[2], map, &io, &st)
		  : fs_import(node, kind, argv[2], &io, &st);
	if (io.progress)
		fputs("\n", stderr);
	if (rc == FS_EUNCHANGED) {
		if (!json)
			printf("%s\n", fs_error_last()->message);
		rc = 0;
	} else if (rc < 0) {
		goto done;
	} else if (!json) {
		cli_count_buf c[2];
		size_t n = st.imported;
		printf(_("imported %s in %s"),
		       cli_count(&c[0], kind == FS_KIND_ACTION
						? P_("%zu action record", "%zu action records", n)
						: P_("%zu service record", "%zu service records", n), n),
		       cli_count(&c[1], P_("%zu commit", "%zu commits", st.commits), st.commits));
		if (st.skipped)
			printf(P_(" (%zu imported before was skipped)",
				  " (%zu imported before were skipped)", st.skipped), st.skipped);
		printf("\n");
	}
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_num(&j, o, "total", (double)st.total);
		cli_json_num(&j, o, "imported", (double)st.imported);
		cli_json_num(&j, o, "skipped", (double)st.skipped);
		cli_json_num(&j, o, "commits", (double)st.commits);
		rc = cli_json_print(&j);
	}
done:
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_import = {
	"import", run, "import action|service FILE.ndjson [--batch N] [--json] | import service --from kobo|odk FILE.csv --map MAP.json",
	N_("Import many records, in signed commits of bounded size."), help
};
