/*
 * The official JSON Schema Test Suite, draft 2020-12, as Debian's
 * libtest-json-schema-acceptance-perl ships it: one test per suite file. A
 * file passes when every case in it gets the suite's answer.
 *
 * Every .json file under the suite's draft2020-12 folder runs, optional/
 * included, unless it is in left_out[] below with the reason; files under
 * optional/format/ run with format assertion on. The few groups and cases
 * left out of files that run are in case_left_out[]. schema_suite.coverage
 * fails when an entry of either list no longer names anything in the suite,
 * so the lists cannot go stale. docs/schemas.md repeats them.
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
#define MAX_FILES 256

#define NO_FORMAT "a format fieldsync does not assert: with assertion on, its invalid cases pass"

/* Files that do not run, and why. */
static const struct {
	const char *file, *why;
} left_out[] = {
	{ "dynamicRef.json", "$dynamicRef is not supported" },
	{ "defs.json", "validates schemas against the 2020-12 metaschema, which needs $dynamicRef "
		       "(and the suite does not ship the metaschema)" },
	{ "unevaluatedItems.json", "unevaluatedItems is not supported" },
	{ "unevaluatedProperties.json", "unevaluatedProperties is not supported" },
	{ "vocabulary.json", "custom metaschemas and $vocabulary are not supported" },
	{ "optional/bignum.json", "numbers are IEEE doubles (cJSON)" },
	{ "optional/cross-draft.json", "only draft 2020-12 is supported" },
	{ "optional/format-assertion.json", "format assertion is an option of the set, not a "
					    "metaschema vocabulary" },
	{ "optional/dependencies-compatibility.json", "the pre-2019 \"dependencies\" keyword is "
						      "not supported (dependentRequired and "
						      "dependentSchemas are)" },
	{ "optional/unicode.json", "empty in this version of the suite (no cases)" },
	{ "optional/format/duration.json", NO_FORMAT },
	{ "optional/format/hostname.json", NO_FORMAT },
	{ "optional/format/idn-email.json", NO_FORMAT },
	{ "optional/format/idn-hostname.json", NO_FORMAT },
	{ "optional/format/ipv4.json", NO_FORMAT },
	{ "optional/format/ipv6.json", NO_FORMAT },
	{ "optional/format/iri-reference.json", NO_FORMAT },
	{ "optional/format/iri.json", NO_FORMAT },
	{ "optional/format/json-pointer.json", NO_FORMAT },
	{ "optional/format/regex.json", NO_FORMAT },
	{ "optional/format/relative-json-pointer.json", NO_FORMAT },
	{ "optional/format/uri-reference.json", NO_FORMAT },
	{ "optional/format/uri-template.json", NO_FORMAT },
	{ "optional/format/uri.json", NO_FORMAT },
	{ "optional/format/uuid.json", NO_FORMAT },
	{ NULL, NULL },
};

/* Groups (test NULL) or single cases left out of files that run, and why. */
static const struct {
	const char *file, *group, *test, *why;
} case_left_out[] = {
#define META "validates a schema against the 2020-12 metaschema, which needs $dynamicRef"
#define UNEVAL "uses unevaluatedProperties"
#define UPROP "uses \\p{...} Unicode property escapes"
	{ "id.json", "Invalid use of fragments in location-independent $id", NULL, META },
	{ "id.json", "Valid use of empty fragments in location-independent $id", NULL, META },
	{ "id.json", "Unnormalized $ids are allowed but discouraged", NULL, META },
	{ "anchor.json", "invalid anchors", NULL, META },
	{ "ref.json", "remote ref, containing refs itself", NULL, META },
	{ "ref.json", "URN base URI with f-component", NULL, META },
	{ "ref.json", "ref creates new scope when adjacent to keywords", NULL, UNEVAL },
	{ "not.json", "collect annotations inside a 'not', even if collection is disabled", NULL,
	  UNEVAL },
	{ "optional/ecmascript-regex.json", "\\a is not an ECMA 262 control escape", NULL, META },
	{ "optional/ecmascript-regex.json", "patterns always use unicode semantics with pattern",
	  NULL, UPROP },
	{ "optional/ecmascript-regex.json", "pattern with non-ASCII digits", NULL, UPROP },
	{ "optional/ecmascript-regex.json",
	  "patterns always use unicode semantics with patternProperties", NULL, UPROP },
	{ "optional/ecmascript-regex.json", "patternProperties with non-ASCII digits", NULL, UPROP },
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

static const char *left_out_why(const char *file)
{
	for (size_t i = 0; left_out[i].file; i++)
		if (strcmp(left_out[i].file, file) == 0)
			return left_out[i].why;
	return NULL;
}

/* Each remote as http://localhost:1234/<its path under remotes/>, as the suite says. */
static int add_remotes(fs_schema_set *set, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
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
			n += add_remotes(set, path, sub);
			continue;
		}
		snprintf(uri, sizeof(uri), "http://localhost:1234/%s", sub);
		/*
		 * Remotes for other drafts or with unsupported keywords do not load;
		 * a case that needs one then fails on its unresolvable $ref.
		 */
		if (fs_file_read(&text, path, 1 << 20, path) == 0 &&
		    fs_schema_set_add(set, uri, text.ptr, text.size) == 0)
			n++;
		fs_buf_dispose(&text);
	}
	closedir(d);
	return n;
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
		fprintf(stderr, "    %s\n    the JSON Schema Test Suite is missing: run "
			"scripts/install-deps\n", fs_error_last()->message);
		REQUIRE(0);
	}
	/* not fs_json_parse: the suite has strings with NUL characters on purpose */
	groups = cJSON_ParseWithLength(text.ptr, text.size);
	REQUIRE(cJSON_IsArray(groups));
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
		REQUIRE(add_remotes(set, REMOTES, "") > 10);
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
				fprintf(stderr, "    %s: \"%s\" / \"%s\": expected %s, got %s%s\n", file,
					gdesc, tdesc, want ? "valid" : "invalid",
					rc < 0 && rc != FS_EINVALID ? "an error: " : got ? "valid" : "invalid",
					rc < 0 && rc != FS_EINVALID ? fs_error_last()->message : "");
			}
			/* an invalid instance always comes with its reasons */
			if (rc == FS_EINVALID && fs_schema_report_count(report) == 0) {
				wrong++;
				fprintf(stderr, "    %s: \"%s\" / \"%s\": invalid without a failure\n",
					file, gdesc, tdesc);
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

/* The .json files under dir, as paths relative to the suite folder. */
static void list_files(const char *dir, const char *rel, char **names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL && *n < MAX_FILES) {
		char path[1024], sub[512];
		struct stat st;
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			list_files(path, sub, names, n);
		else if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			names[(*n)++] = strdup(sub);
	}
	closedir(d);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Both lists name only what the suite has: a stale entry is a failure. */
TEST(schema_suite, coverage)
{
	char *names[MAX_FILES];
	size_t n = 0, run = 0;

	list_files(SUITE, "", names, &n);
	if (n == 0)
		fprintf(stderr, "    no suite in " SUITE ": run scripts/install-deps\n");
	REQUIRE(n > 0);
	for (size_t i = 0; left_out[i].file; i++) {
		int found = 0;
		for (size_t j = 0; j < n && !found; j++)
			found = strcmp(names[j], left_out[i].file) == 0;
		if (!found)
			fprintf(stderr, "    left_out names %s, not in the suite\n", left_out[i].file);
		CHECK(found);
	}
	for (size_t i = 0; case_left_out[i].file; i++) {
		char path[1024];
		fs_buf text = FS_BUF_INIT;
		cJSON *groups = NULL;
		int found = 0;
		snprintf(path, sizeof(path), SUITE "/%s", case_left_out[i].file);
		if (fs_file_read(&text, path, 16 << 20, path) == 0)
			groups = cJSON_ParseWithLength(text.ptr, text.size);
		for (const cJSON *g = groups ? groups->child : NULL; g && !found; g = g->next) {
			const cJSON *d = cJSON_GetObjectItem(g, "description");
			if (!cJSON_IsString(d) || strcmp(d->valuestring, case_left_out[i].group) != 0)
				continue;
			if (!case_left_out[i].test)
				found = 1;
			for (const cJSON *t = cJSON_GetObjectItem(g, "tests")->child; t && !found;
			     t = t->next)
				found = strcmp(cJSON_GetObjectItem(t, "description")->valuestring,
					       case_left_out[i].test) == 0;
		}
		if (!found)
			fprintf(stderr, "    case_left_out names %s / %s, not in the suite\n",
				case_left_out[i].file, case_left_out[i].group);
		CHECK(found);
		CHECK(left_out_why(case_left_out[i].file) == NULL);
		cJSON_Delete(groups);
		fs_buf_dispose(&text);
	}
	for (size_t j = 0; j < n; j++) {
		run += left_out_why(names[j]) == NULL;
		free(names[j]);
	}
	/* most of the suite runs: 47 files of 72 in the suite this was written for */
	CHECK(run >= 45);
}

__attribute__((constructor)) static void register_suite(void)
{
	static char *names[MAX_FILES];
	size_t n = 0;

	list_files(SUITE, "", names, &n);
	if (n == 0) {
		/* the suite must be there: its absence is a failure, not a skip */
		fs_test_register_data("schema_suite", "installed", run_file, "type.json");
		return;
	}
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++)
		if (!left_out_why(names[i]))
			fs_test_register_data("schema_suite", names[i], run_file, names[i]);
}
