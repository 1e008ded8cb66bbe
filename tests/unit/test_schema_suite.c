/*
 * The official JSON Schema Test Suite, draft 2020-12, as Debian's
 * libtest-json-schema-acceptance-perl ships it: one test per suite file. A
 * file passes when every case in it gets the suite's answer. The files left
 * out, and the few cases left out of files that run, are listed below with
 * the reason; docs/schemas.md repeats the list.
 */
#include "tests/unit/test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema/schema.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#define SUITE_ROOT "/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance"
#define SUITE SUITE_ROOT "/tests/draft2020-12"
#define REMOTES SUITE_ROOT "/remotes"

/* Files that do not run, and why. */
static const struct {
	const char *file, *why;
} left_out[] = {
	{ "dynamicRef.json", "$dynamicRef is not supported (no shipped schema needs it)" },
	{ "defs.json", "validates schemas against the 2020-12 metaschema, which needs $dynamicRef" },
	{ "unevaluatedItems.json", "unevaluatedItems is not supported" },
	{ "unevaluatedProperties.json", "unevaluatedProperties is not supported" },
	{ "vocabulary.json", "custom metaschemas and $vocabulary are not supported" },
	{ "optional/bignum.json", "numbers are IEEE doubles (cJSON)" },
	{ "optional/cross-draft.json", "only draft 2020-12 is supported" },
	{ "optional/ecmascript-regex.json", "patterns run on POSIX regular expressions (see schema/regex.h)" },
	{ "optional/non-bmp-regex.json", "patterns run on POSIX regular expressions" },
	{ "optional/format-assertion.json", "format assertion is a set option, not a metaschema vocabulary" },
	{ "optional/dependencies-compatibility.json", "the pre-2019 \"dependencies\" keyword is not supported (dependentRequired and dependentSchemas are)" },
	{ NULL, NULL },
};

/* Optional files that run; format files with format assertion on. */
static const char *const optional_run[] = {
	"optional/float-overflow.json", "optional/no-schema.json", "optional/refOfUnknownKeyword.json",
	"optional/format/date.json", "optional/format/date-time.json", "optional/format/time.json",
	"optional/format/unknown.json", NULL,
};

/* Groups (test NULL) or single cases left out of files that run, and why. */
static const struct {
	const char *file, *group, *test, *why;
} case_left_out[] = {
#define META "validates a schema against the 2020-12 metaschema, which needs $dynamicRef"
#define UNEVAL "uses unevaluatedProperties"
	{ "id.json", "Valid use of empty fragments in location-independent $id", NULL, META },
	{ "id.json", "Invalid use of fragments in location-independent $id", NULL, META },
	{ "anchor.json", "invalid anchors", NULL, META },
	{ "ref.json", "URN base URI with f-component", NULL, META },
	{ "id.json", "Unnormalized $ids are allowed but discouraged", NULL, META },
	{ "ref.json", "remote ref, containing refs itself", NULL, META },
	{ "ref.json", "ref creates new scope when adjacent to keywords", NULL, UNEVAL },
	{ "not.json", "collect annotations inside a 'not', even if collection is disabled", NULL, UNEVAL },
	{ NULL, NULL, NULL, NULL },
};

static int skipped(const char *file, const char *group, const char *test)
{
	for (size_t i = 0; case_left_out[i].file; i++)
		if (strcmp(case_left_out[i].file, file) == 0 &&
		    strcmp(case_left_out[i].group, group) == 0 &&
		    (!case_left_out[i].test || (test && strcmp(case_left_out[i].test, test) == 0)))
			return 1;
	return 0;
}

static void add_remotes(fs_schema_set *set, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[1024], sub[512], uri[1024];
		struct stat st;
		fs_buf text = FS_BUF_INIT;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			add_remotes(set, path, sub);
			continue;
		}
		snprintf(uri, sizeof(uri), "http://localhost:1234/%s", sub);
		/* a remote that uses an unsupported keyword is simply not there */
		if (fs_file_read(&text, path, 1 << 20, path) == 0)
			fs_schema_set_add(set, uri, text.ptr, text.size);
		fs_buf_dispose(&text);
	}
	closedir(d);
}

static void run_file(const void *arg)
{
	const char *file = arg;
	char path[1024];
	fs_buf text = FS_BUF_INIT;
	cJSON *groups = NULL;
	int gi = 0, cases = 0, wrong = 0;
	int formats = strncmp(file, "optional/format/", 16) == 0;

	snprintf(path, sizeof(path), SUITE "/%s", file);
	if (fs_file_read(&text, path, 16 << 20, path) < 0) {
		fprintf(stderr, "    %s (run scripts/install-deps)\n", fs_error_last()->message);
		REQUIRE(0);
	}
	/* not fs_json_parse: the suite has strings with NUL characters on purpose */
	groups = cJSON_ParseWithLength(text.ptr, text.size);
	REQUIRE(groups != NULL);
	for (const cJSON *g = groups->child; g; g = g->next, gi++) {
		const char *gdesc = cJSON_GetObjectItem(g, "description")->valuestring;
		const cJSON *schema = cJSON_GetObjectItem(g, "schema");
		fs_schema_set *set = NULL;
		fs_buf stext = FS_BUF_INIT;
		char uri[256];
		int loaded;

		if (skipped(file, gdesc, NULL))
			continue;
		REQUIRE(fs_schema_set_new(&set) == 0);
		fs_schema_set_assert_formats(set, formats);
		add_remotes(set, REMOTES, "");
		snprintf(uri, sizeof(uri), "https://fieldsync.invalid/suite/%d.json", gi);
		/* our own writer: cJSON's printer rounds integers past 2^53 */
		REQUIRE(fs_json_canonical(&stext, schema) == 0);
		loaded = fs_schema_set_add(set, uri, stext.ptr, stext.size);
		fs_buf_dispose(&stext);
		if (loaded < 0) {
			fprintf(stderr, "    %s: group \"%s\": schema not loaded: %s\n", file, gdesc,
				fs_error_last()->message);
			wrong++;
			fs_schema_set_free(set);
			continue;
		}
		for (const cJSON *t = cJSON_GetObjectItem(g, "tests")->child; t; t = t->next) {
			const char *tdesc = cJSON_GetObjectItem(t, "description")->valuestring;
			int want = cJSON_IsTrue(cJSON_GetObjectItem(t, "valid")), got, rc;
			fs_schema_report *report = NULL;
			if (skipped(file, gdesc, tdesc))
				continue;
			cases++;
			rc = fs_schema_validate(set, uri, cJSON_GetObjectItem(t, "data"), &report);
			got = rc == 0;
			if ((rc < 0 && rc != FS_EINVALID) || got != want) {
				wrong++;
				fprintf(stderr, "    %s: \"%s\" / \"%s\": expected %s, got %s%s%s\n", file,
					gdesc, tdesc, want ? "valid" : "invalid",
					rc < 0 && rc != FS_EINVALID ? "an error: " : got ? "valid" : "invalid",
					rc < 0 && rc != FS_EINVALID ? fs_error_last()->message : "", "");
			}
			fs_schema_report_free(report);
		}
		fs_schema_set_free(set);
	}
	CHECK(cases > 0);
	CHECK_INT(wrong, 0);
	cJSON_Delete(groups);
	fs_buf_dispose(&text);
}

static int left_out_file(const char *file)
{
	for (size_t i = 0; left_out[i].file; i++)
		if (strcmp(left_out[i].file, file) == 0)
			return 1;
	return 0;
}

__attribute__((constructor)) static void register_suite(void)
{
	DIR *d = opendir(SUITE);
	struct dirent *e;
	char *names[256];
	size_t n = 0;

	if (!d) {
		/* the suite must be there: its absence is a failure, not a skip */
		fs_test_register_data("schema_suite", "installed", (fs_test_data_fn)run_file,
				      "additionalProperties.json");
		return;
	}
	while ((e = readdir(d)) != NULL && n < 200) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && !left_out_file(e->d_name))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 0; optional_run[i] && n < 256; i++)
		names[n++] = strdup(optional_run[i]);
	for (size_t i = 0; i < n; i++)
		fs_test_register_data("schema_suite", names[i], run_file, names[i]);
}
