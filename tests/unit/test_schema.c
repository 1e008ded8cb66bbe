/* The validator's messages, references and the shipped schemas. */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "schema/builtin.h"
#include "schema/schema.h"
#include "util/error.h"
#include "util/json.h"

static fs_schema_set *set_with(const char *uri, const char *schema)
{
	fs_schema_set *set = NULL;

	if (fs_schema_set_new(&set) < 0 || fs_schema_set_add(set, uri, schema, strlen(schema)) < 0) {
		fprintf(stderr, "    cannot load: %s\n", fs_error_last()->message);
		fs_schema_set_free(set);
		return NULL;
	}
	return set;
}

/* Validate `inst` and return the report formatted ("" when valid). */
static char *check(fs_schema_set *set, const char *uri, const char *inst)
{
	cJSON *j = NULL;
	fs_schema_report *r = NULL;
	fs_buf out = FS_BUF_INIT;
	int rc;

	if (fs_json_parse(&j, inst, strlen(inst), "instance") < 0)
		return NULL;
	rc = fs_schema_validate(set, uri, j, &r);
	if (rc == FS_EINVALID)
		fs_schema_report_format(r, &out, "x", 0);
	else if (rc < 0)
		fs_buf_printf(&out, "error: %s", fs_error_last()->message);
	fs_schema_report_free(r);
	cJSON_Delete(j);
	return fs_buf_detach(&out);
}

#define EXPECT(set, uri, inst, want)                                                   \
	do {                                                                           \
		char *got_ = check((set), (uri), (inst));                              \
		CHECK_STR(got_, (want));                                               \
		free(got_);                                                            \
	} while (0)

TEST(schema, messages_say_where_what_and_found)
{
	fs_schema_set *set = set_with("urn:t", "{"
		"\"type\": \"object\", \"required\": [\"n\", \"s\"], \"additionalProperties\": false,"
		"\"properties\": {"
		"  \"n\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 8},"
		"  \"s\": {\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3},"
		"  \"e\": {\"enum\": [\"a\", \"b\"]},"
		"  \"a\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"uniqueItems\": true, \"minItems\": 1},"
		"  \"d\": {\"title\": \"a day\", \"type\": \"string\", \"pattern\": \"^[0-9]{4}$\"}"
		"}}");

	REQUIRE(set);
	EXPECT(set, "urn:t", "{\"n\": 3, \"s\": \"ab\"}", "");
	EXPECT(set, "urn:t", "{\"n\": 9, \"s\": \"a\"}",
	       "x: /n: expected a number of at most 8, found 9\n"
	       "x: /s: expected at least 2 characters, found 1\n");
	EXPECT(set, "urn:t", "{\"s\": 5}",
	       "x: /n: expected a value (the field is required), found nothing\n"
	       "x: /s: expected a string, found 5\n");
	EXPECT(set, "urn:t", "{\"n\": 1.5, \"s\": \"abcd\", \"e\": \"c\"}",
	       "x: /n: expected an integer, found 1.5\n"
	       "x: /s: expected at most 3 characters, found 4\n"
	       "x: /e: expected one of \"a\", \"b\", found \"c\"\n");
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"ab\", \"a\": [1, \"x\", 1]}",
	       "x: /a: expected no repeated items, found 1 more than once\n"
	       "x: /a/1: expected an integer, found \"x\"\n");
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"ab\", \"d\": \"12\", \"zz\": [1]}",
	       "x: /d: expected a day, found \"12\"\n"
	       "x: /zz: expected no such field (the schema does not allow it), found an array\n");
	EXPECT(set, "urn:t", "[]", "x: /: expected an object, found an array\n");
	/* lengths count characters, not bytes */
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"\xc3\xa9\xc3\xa9\xc3\xa9\"}", "");
	fs_schema_set_free(set);
}

TEST(schema, long_strings_are_cut_in_messages)
{
	fs_schema_set *set = set_with("urn:t", "{\"const\": \"x\"}");
	char *got;

	REQUIRE(set);
	got = check(set, "urn:t", "\"0123456789012345678901234567890123456789ABCDEFGH\"");
	CHECK_STR(got, "x: /: expected \"x\", found \"0123456789012345678901234567890123456789...\"\n");
	free(got);
	fs_schema_set_free(set);
}

TEST(schema, refs_across_documents_and_anchors)
{
	fs_schema_set *set = NULL;
	const char *vocab = "{\"$id\": \"https://e.invalid/s/vocab/v.json\", \"enum\": [1, 2]}";
	const char *defs = "{\"$id\": \"https://e.invalid/s/defs.json\", \"$defs\": {"
			   "\"pos\": {\"$anchor\": \"positive\", \"type\": \"integer\", \"minimum\": 1},"
			   "\"a~b/c\": {\"type\": \"string\"}}}";
	const char *main_ = "{\"$id\": \"https://e.invalid/s/main.json\", \"properties\": {"
			    "\"v\": {\"$ref\": \"vocab/v.json\"},"
			    "\"p\": {\"$ref\": \"defs.json#positive\"},"
			    "\"q\": {\"$ref\": \"defs.json#/$defs/pos\"},"
			    "\"e\": {\"$ref\": \"defs.json#/$defs/a~0b~1c\"},"
			    "\"m\": {\"$ref\": \"missing.json\"}}}";

	REQUIRE(fs_schema_set_new(&set) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, vocab, strlen(vocab)) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, defs, strlen(defs)) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, main_, strlen(main_)) == 0);
	EXPECT(set, "https://e.invalid/s/main.json", "{\"v\": 2, \"p\": 3, \"q\": 1, \"e\": \"s\"}", "");
	EXPECT(set, "https://e.invalid/s/main.json", "{\"v\": 3, \"p\": 0, \"e\": 1}",
	       "x: /v: expected one of 1, 2, found 3\n"
	       "x: /p: expected a number of at least 1, found 0\n"
	       "x: /e: expected a string, found 1\n");
	{
		char *got = check(set, "https://e.invalid/s/main.json", "{\"m\": 1}");
		CHECK(got && strstr(got, "cannot resolve $ref 'missing.json'"));
		free(got);
	}
	/* a fragment in the URI asked for */
	EXPECT(set, "https://e.invalid/s/defs.json#/$defs/pos", "0",
	       "x: /: expected a number of at least 1, found 0\n");
	fs_schema_set_free(set);
}

TEST(schema, ref_loops_end_in_an_error)
{
	fs_schema_set *set = set_with("urn:loop", "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"},"
						  "\"b\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}");
	char *got;

	REQUIRE(set);
	got = check(set, "urn:loop", "1");
	CHECK(got && strstr(got, "nested too deeply"));
	free(got);
	fs_schema_set_free(set);
}

TEST(schema, unsupported_keywords_refuse_to_load)
{
	fs_schema_set *set = NULL;
	const char *s = "{\"properties\": {\"a\": {\"unevaluatedProperties\": false}}}";
	const char *re = "{\"pattern\": \"(?=x)\"}";

	REQUIRE(fs_schema_set_new(&set) == 0);
	CHECK(fs_schema_set_add(set, "urn:u", s, strlen(s)) == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "\"unevaluatedProperties\" is not supported") != NULL);
	CHECK(fs_schema_set_add(set, "urn:r", re, strlen(re)) == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "look-around is not supported") != NULL);
	fs_schema_set_free(set);
}

TEST(schema, formats_assert_only_when_asked)
{
	fs_schema_set *set = set_with("urn:f", "{\"format\": \"date\"}");

	REQUIRE(set);
	EXPECT(set, "urn:f", "\"2023-02-30\"", "");
	fs_schema_set_assert_formats(set, 1);
	EXPECT(set, "urn:f", "\"2023-02-30\"", "x: /: expected a valid date, found \"2023-02-30\"\n");
	EXPECT(set, "urn:f", "\"2024-02-29\"", "");
	EXPECT(set, "urn:f", "\"2100-02-29\"", "x: /: expected a valid date, found \"2100-02-29\"\n");
	EXPECT(set, "urn:f", "5", "");
	fs_schema_set_free(set);
}

TEST(schema, report_format_limits_lines)
{
	fs_schema_set *set = set_with("urn:t", "{\"items\": {\"type\": \"string\"}}");
	cJSON *j = cJSON_Parse("[1, 2, 3, 4]");
	fs_schema_report *r = NULL;
	fs_buf out = FS_BUF_INIT;

	REQUIRE(set && j);
	CHECK(fs_schema_validate(set, "urn:t", j, &r) == FS_EINVALID);
	CHECK(fs_schema_report_count(r) == 4);
	CHECK(strcmp(fs_schema_report_get(r, 2)->instance, "/2") == 0);
	CHECK(strcmp(fs_schema_report_get(r, 2)->keyword, "type") == 0);
	fs_schema_report_format(r, &out, "rec", 2);
	CHECK_STR(out.ptr, "rec: /0: expected a string, found 1\nrec: /1: expected a string, found 2\n"
			   "rec: ... and 2 more problems\n");
	fs_buf_dispose(&out);
	fs_schema_report_free(r);
	cJSON_Delete(j);
	fs_schema_set_free(set);
}

/* ---- the shipped schemas ---------------------------------------------------- */

static const char *action =
	"{\"schema\": \"action/1\", \"id\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b10\","
	" \"city\": \"tunis\", \"created\": \"2026-11-24T10:00:00Z\", \"updated\": \"2026-11-24T10:00:00Z\","
	" \"country\": \"TN\", \"title\": \"Centre d'accueil\", \"description\": \"Accueil.\","
	" \"start\": \"2023-10\", \"end\": null, \"commitment\": \"mirror\", \"priorities\": [3, 4],"
	" \"categories\": [\"services\"], \"target_groups\": [\"refugee\"],"
	" \"figures\": {\"people_reached\": 40}, \"status\": \"ongoing\"}";

static const char *service =
	"{\"schema\": \"service/1\", \"id\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b11\","
	" \"city\": \"tunis\", \"created\": \"2026-11-24T10:00:00Z\", \"updated\": \"2026-11-24T10:00:00Z\","
	" \"date\": \"2026-11-20\", \"category\": \"health\", \"person\": \"0123456789abcdef0123456789abcdef\","
	" \"population_group\": \"refugee\", \"sex\": \"female\", \"age_band\": \"25-59\","
	" \"nationality\": \"XX\", \"action\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b10\"}";

/* check `base` with `field` set to `value` (JSON text; NULL removes it) */
static char *variant(const char *base, const char *field, const char *value)
{
	cJSON *rec = cJSON_Parse(base);
	fs_buf out = FS_BUF_INIT;
	int rc;

	if (value && cJSON_GetObjectItem(rec, field))
		cJSON_ReplaceItemInObject(rec, field, cJSON_Parse(value));
	else if (value)
		cJSON_AddItemToObject(rec, field, cJSON_Parse(value));
	else
		cJSON_DeleteItemFromObject(rec, field);
	rc = fs_schema_check(rec, "record");
	if (rc < 0)
		fs_buf_puts(&out, fs_error_last()->message);
	cJSON_Delete(rec);
	return fs_buf_detach(&out);
}

#define VARIANT(base, field, value, want)                                               \
	do {                                                                            \
		char *got_ = variant((base), (field), (value));                         \
		if (!got_ || !strstr(got_, (want))) {                                   \
			CHECK_STR(got_, (want));                                        \
		}                                                                       \
		free(got_);                                                             \
	} while (0)

TEST(schema_builtin, every_shipped_schema_loads)
{
	const fs_schema_set *set;
	fs_buf uri = FS_BUF_INIT;

	CHECK(fs_schema_builtin(&set) == 0);
	CHECK(fs_schema_uri(&uri, "action/1") == 0);
	CHECK_STR(uri.ptr, FS_SCHEMA_BASE "action-1.json");
	fs_buf_clear(&uri);
	CHECK(fs_schema_uri(&uri, "service/1") == 0);
	fs_buf_clear(&uri);
	CHECK(fs_schema_uri(&uri, "city/1") == 0);
	CHECK(fs_schema_uri(&uri, "action/2") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "../x/1") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "action") == FS_EINVALID);
	fs_buf_dispose(&uri);
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, valid_records_pass)
{
	VARIANT(action, "title", "\"Centre\"", "");
	VARIANT(action, "end", "\"2027\"", "");
	VARIANT(action, "mayor", "\"S.E. le maire\"", "");
	VARIANT(service, "nationality", "\"SY\"", "");
	VARIANT(service, "action", NULL, "");
}

TEST(schema_builtin, invalid_records_fail_at_the_right_place)
{
	VARIANT(action, "country", "\"ZZ\"", "record: /country: expected one of the 249 values of vocab/countries.json, found \"ZZ\"");
	VARIANT(action, "priorities", "[9]", "record: /priorities/0: expected one of 1, 2, 3, 4, 5, 6, 7, 8, found 9");
	VARIANT(action, "priorities", "[2, 2]", "record: /priorities: expected no repeated items, found 2 more than once");
	VARIANT(action, "priorities", "[]", "record: /priorities: expected at least 1 item, found 0");
	VARIANT(action, "title", NULL, "record: /title: expected a value (the field is required), found nothing");
	VARIANT(action, "start", "\"2023-13\"", "record: /start: expected a year, a month or a day: YYYY, YYYY-MM or YYYY-MM-DD, found \"2023-13\"");
	VARIANT(action, "end", "\"soon\"", "record: /end: expected null (ongoing), or a year");
	VARIANT(action, "figures", "{\"People\": 3}", "record: /figures/People: expected a figure name in snake_case");
	VARIANT(action, "figures", "{\"people\": 1.5}", "record: /figures/people: expected an integer, found 1.5");
	VARIANT(action, "id", "\"not-an-id\"", "record: /id: expected a record id");
	VARIANT(action, "city", "\"Tunis\"", "record: /city: expected a city id");
	VARIANT(service, "name", "\"x\"", "record: /name: expected no such field");
	VARIANT(service, "person", "\"0123\"", "record: /person: expected a pseudonymous person id");
	VARIANT(service, "date", "\"2023-02-30\"", "record: /date: expected a date as YYYY-MM-DD, found \"2023-02-30\"");
	VARIANT(service, "created", "\"2026-11-24 10:00:00\"", "record: /created: expected a UTC time");
	VARIANT(service, "nationality", "\"QQ\"", "record: /nationality: expected an ISO 3166-1 alpha-2 country code, or XX");
	VARIANT(service, "sex", "\"F\"", "record: /sex: expected one of \"female\", \"male\", \"other\", \"unknown\", found \"F\"");
	VARIANT(service, "protected", "{\"notes\": \"x\"}", "record: /protected/notes: expected no such field");
	VARIANT(service, "schema", "\"service/9\"", "record: /schema: schema 'service/9' is not known");
	VARIANT(service, "schema", NULL, "record: /schema: expected the name of a schema");
}
