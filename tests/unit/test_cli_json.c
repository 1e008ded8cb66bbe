/*
 * cli/json.c: a --json document is printed whole or not at all. At every
 * allocation of building and printing one, a failure gives FS_ENOMEM and
 * prints nothing (cJSON's Add functions leave a member out and go on); a
 * failure before the document, which the program recovered from, does not
 * refuse it.
 */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/error.h"

/* stdout goes to ./out, emptied each time; printed() reads it back */
static void capture(void)
{
	REQUIRE(freopen("out", "w", stdout) != NULL);
}

static const char *printed(void)
{
	static char text[4096];
	FILE *f;
	size_t n;

	fflush(stdout);
	REQUIRE((f = fopen("out", "r")) != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* Every kind of part a command puts in its document: what `verify`, `gc` and `bundle` print */
static int print_document(int note)
{
	cli_json j = CLI_JSON_INIT, list = CLI_JSON_INIT;
	cJSON *o, *x;

	cli_json_array(&list);
	for (int i = 0; i < 3; i++) {
		x = cli_json_push(&list, list.root);
		cli_json_str(&list, x, "commit", "5c76f033c17e92e5e5df0546007d8f7d427d5a93");
		cli_json_bool(&list, x, "good", i != 1);
	}
	o = cli_json_object(&j);
	cli_json_str(&j, o, "city", "tunis");
	cli_json_num(&j, o, "checked", 3);
	cli_json_null(&j, o, "since");
	cli_json_str(&j, o, "last_sync", NULL);
	cli_json_num(&j, cli_json_add_object(&j, o, "before"), "packs", 2);
	cli_json_note(&j, note);
	cli_json_take(&j, o, "commits", &list);
	return cli_json_print(&j);
}

static const char whole[] =
	"{\"city\":\"tunis\",\"checked\":3,\"since\":null,\"last_sync\":null,\"before\":{\"packs\":2},"
	"\"commits\":[{\"commit\":\"5c76f033c17e92e5e5df0546007d8f7d427d5a93\",\"good\":true},"
	"{\"commit\":\"5c76f033c17e92e5e5df0546007d8f7d427d5a93\",\"good\":false},"
	"{\"commit\":\"5c76f033c17e92e5e5df0546007d8f7d427d5a93\",\"good\":true}]}\n";

TEST(cli_json, a_document_prints_whole)
{
	capture();
	CHECK_INT(print_document(0), 0);
	CHECK_STR(printed(), whole);
}

TEST(cli_json, a_failed_allocation_anywhere_prints_nothing)
{
	unsigned long n, failures;
	int rc;

	REQUIRE(fs_alloc_init() == 0);
	for (n = 1;; n++) {
		capture();
		failures = fs_alloc_failures();
		fs_alloc_fail_at(n);
		rc = print_document(0);
		fs_alloc_fail_at(0);
		if (fs_alloc_failures() == failures)
			break;
		if (!CHECK_INT(rc, FS_ENOMEM) || !CHECK_STR(printed(), "")) {
			fprintf(stderr, "    allocation %lu\n", n);
			break;
		}
		CHECK_STR(fs_error_last()->message, "out of memory while making the --json output");
	}
	CHECK_INT(rc, 0);
	CHECK_STR(printed(), whole);
	/* each member, object and key, and the printed text: many chances to leave one out */
	CHECK(n > 30);
}

TEST(cli_json, a_failure_before_does_not_refuse_a_whole_document)
{
	unsigned long failures;

	REQUIRE(fs_alloc_init() == 0);
	capture();
	failures = fs_alloc_failures();
	fs_alloc_fail_at(1);
	CHECK(fs_malloc(64) == NULL);
	fs_alloc_fail_at(0);
	CHECK_INT(fs_alloc_failures() - failures, 1);
	CHECK_INT(print_document(0), 0);
	CHECK_STR(printed(), whole);
}

TEST(cli_json, a_part_made_outside_that_failed_refuses_it)
{
	capture();
	CHECK_INT(print_document(FS_ENOMEM), FS_ENOMEM);
	CHECK_STR(printed(), "");
}

TEST(cli_json, items_of_a_streamed_array)
{
	capture();
	for (size_t i = 0; i < 2; i++) {
		cli_json j = CLI_JSON_INIT;
		cli_json_num(&j, cli_json_object(&j), "n", (double)i);
		CHECK_INT(cli_json_print_item(&j, i), 0);
	}
	CHECK_STR(printed(), "{\"n\":0},\n{\"n\":1}");
}
