/*
 * util/alloc: the injected failure hits the allocation it names and no
 * other, and the shipped schemas, which make most of a command's
 * allocations (cJSON's), fail cleanly at every one of them: "out of
 * memory", never a record judged invalid, and nothing leaked (the
 * sanitizer build checks at exit).
 */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "schema/builtin.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

TEST(alloc, fails_the_nth_allocation_only)
{
	unsigned long before = fs_alloc_failures();
	char *a, *b, *c;

	fs_alloc_fail_at(2);
	a = fs_malloc(8);
	b = fs_strdup("x");
	c = fs_calloc(2, 4);
	fs_alloc_fail_at(0);
	CHECK(a != NULL);
	CHECK(b == NULL);
	CHECK(c != NULL);
	CHECK_INT(fs_alloc_failures() - before, 1);
	CHECK(!fs_alloc_last_failed());
	fs_free(a);
	fs_free(c);
}

/* What a node does with a record: parse it, check it against the shipped schemas. */
static int check_record(const char *text)
{
	cJSON *rec = NULL;
	int rc;

	if ((rc = fs_json_parse(&rec, text, strlen(text), "record")) == 0)
		rc = fs_schema_check(rec, "record");
	cJSON_Delete(rec);
	return rc;
}

static void every_allocation(const char *text)
{
	unsigned long n, failures;
	int rc;

	REQUIRE(fs_alloc_init() == 0);
	for (n = 1;; n++) {
		/* from nothing each time: the schemas load on first use */
		fs_schema_builtin_shutdown();
		failures = fs_alloc_failures();
		fs_alloc_fail_at(n);
		rc = check_record(text);
		fs_alloc_fail_at(0);
		if (fs_alloc_failures() == failures)
			break;
		if (!CHECK_INT(rc, FS_ENOMEM)) {
			fprintf(stderr, "    allocation %lu: %s\n", n, fs_error_last()->message);
			break;
		}
	}
	CHECK_INT(rc, 0);
	CHECK(n > 1000);
	fs_schema_builtin_shutdown();
}

TEST(alloc, an_action_checks_or_runs_out_of_memory_at_every_allocation)
{
	every_allocation("{\"schema\": \"action/1\", \"id\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b10\","
			 " \"city\": \"tunis\", \"created\": \"2026-11-24T10:00:00Z\","
			 " \"updated\": \"2026-11-24T10:00:00Z\", \"country\": \"TN\","
			 " \"title\": \"Centre\", \"description\": \"Accueil.\", \"start\": \"2023-10\","
			 " \"end\": null, \"commitment\": \"mirror\", \"priorities\": [3, 4],"
			 " \"status\": \"ongoing\"}");
}

TEST(alloc, a_service_checks_or_runs_out_of_memory_at_every_allocation)
{
	every_allocation("{\"schema\": \"service/1\", \"id\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b11\","
			 " \"city\": \"tunis\", \"created\": \"2026-11-24T10:00:00Z\","
			 " \"updated\": \"2026-11-24T10:00:00Z\", \"date\": \"2026-11-20\","
			 " \"category\": \"health\", \"person\": \"0123456789abcdef0123456789abcdef\","
			 " \"population_group\": \"refugee\", \"sex\": \"female\", \"age_band\": \"25-59\"}");
}
