/* The validator: each keyword, its messages, references, limits. */
#include "tests/unit/test.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Validate `inst` and return the report formatted ("" when valid, "error: ..." on an error). */
static char *check(const fs_schema_set *set, const char *uri, const char *inst)
{
	cJSON *j = NULL;
	fs_schema_report *r = NULL;
	fs_buf out = FS_BUF_INIT;
	int rc;

	if (fs_json_parse(&j, inst, strlen(inst), "instance") < 0)
		return strdup("bad instance");
	rc = fs_schema_validate(set, uri, j, &r);
	if (rc == FS_EINVALID)
		fs_schema_report_format(r, &out, "x", 0);
	else if (rc < 0)
		fs_buf_printf(&out, "error: %s", fs_error_last()->message);
	if ((rc == 0) != (r == NULL))
		fs_buf_puts(&out, "(report and result disagree)");
	fs_schema_report_free(r);
	cJSON_Delete(j);
	return fs_buf_detach(&out);
}

#define EXPECT(set, uri, inst, want)                                                   \
	do {                                                                           \
		char *got_ = check((set), (uri), (inst));                              \
		CHECK_STR(got_ ? got_ : "", (want));                                   \
		free(got_);                                                            \
	} while (0)

/* One schema, one URI: the common case of the tests below. */
#define ONE(schema_text, inst, want)                                                   \
	do {                                                                           \
		fs_schema_set *one_ = set_with("urn:t", (schema_text));                \
		CHECK(one_ != NULL);                                                   \
		if (one_)                                                              \
			EXPECT(one_, "urn:t", (inst), (want));                         \
		fs_schema_set_free(one_);                                              \
	} while (0)

TEST(schema, messages_say_where_what_and_found)
{
	fs_schema_set *set = set_with("urn:t", "{"
		"\"type\": \"object\", \"required\": [\"n\", \"s\"], \"additionalProperties\": false,"
		"\"properties\": {"
		"  \"n\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 8},"
		"  \"s\": {\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3},"
		"  \"e\": {\"enum\": [\"gcr\", \"gcm\", \"mirror\", \"idp\"]},"
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
	       "x: /s: expected a string, found the number 5\n");
	EXPECT(set, "urn:t", "{\"n\": 1.5, \"s\": \"abcd\", \"e\": \"xyz\"}",
	       "x: /n: expected an integer, found the number 1.5\n"
	       "x: /s: expected at most 3 characters, found 4\n"
	       "x: /e: expected one of \"gcr\", \"gcm\", \"mirror\", \"idp\", found \"xyz\"\n");
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"ab\", \"a\": [1, \"x\", 1]}",
	       "x: /a: expected no repeated items, found 1 at /a/0 and /a/2\n"
	       "x: /a/1: expected an integer, found the string \"x\"\n");
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"ab\", \"d\": \"12\", \"name\": [1]}",
	       "x: /d: expected a day, found \"12\"\n"
	       "x: /name: expected no such field (the schema does not allow it), found an array\n");
	EXPECT(set, "urn:t", "[]", "x: /: expected an object, found an empty array\n");
	/* lengths count characters, not bytes */
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"\xc3\xa9\xc3\xa9\xc3\xa9\"}", "");
	EXPECT(set, "urn:t", "{\"n\": 1, \"s\": \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	       "x: /s: expected at most 3 characters, found 4\n");
	fs_schema_set_free(set);
}

TEST(schema, failures_carry_pointer_location_and_keyword)
{
	fs_schema_set *set = set_with("urn:t", "{\"properties\": {\"a~b/c\": {\"items\": "
					       "{\"enum\": [1, 2]}}}}");
	cJSON *j = cJSON_Parse("{\"a~b/c\": [1, 3]}");
	fs_schema_report *r = NULL;
	const fs_schema_failure *f;

	REQUIRE(set && j);
	CHECK(fs_schema_validate(set, "urn:t", j, &r) == FS_EINVALID);
	REQUIRE(fs_schema_report_count(r) == 1);
	f = fs_schema_report_get(r, 0);
	CHECK_STR(f->instance, "/a~0b~1c/1");
	CHECK_STR(f->schema, "urn:t#/properties/a~0b~1c/items/enum");
	CHECK_STR(f->keyword, "enum");
	CHECK_STR(f->expected, "one of 1, 2");
	CHECK_STR(f->found, "3");
	CHECK(fs_schema_report_get(r, 1) == NULL);
	fs_schema_report_free(r);
	cJSON_Delete(j);
	fs_schema_set_free(set);
}

TEST(schema, type_names_what_was_found)
{
	const char *s = "{\"type\": [\"string\", \"null\"]}";

	ONE(s, "\"a\"", "");
	ONE(s, "null", "");
	ONE(s, "5", "x: /: expected a string or null, found the number 5\n");
	ONE(s, "true", "x: /: expected a string or null, found true\n");
	ONE(s, "{}", "x: /: expected a string or null, found an empty object\n");
	ONE(s, "[1]", "x: /: expected a string or null, found an array\n");
	ONE("{\"type\": [\"integer\", \"boolean\", \"array\"]}", "\"1\"",
	    "x: /: expected an integer, true or false or an array, found the string \"1\"\n");
	/* an integer is a number without a fraction, however it is written */
	ONE("{\"type\": \"integer\"}", "1.0", "");
	ONE("{\"type\": \"integer\"}", "1e2", "");
	ONE("{\"type\": \"number\"}", "\"1\"", "x: /: expected a number, found the string \"1\"\n");
	/* a value of the wrong type gets one failure, not one per keyword */
	ONE("{\"type\": \"string\", \"enum\": [\"a\"], \"minLength\": 3}", "5",
	    "x: /: expected a string, found the number 5\n");
}

TEST(schema, enum_and_const_compare_json_values)
{
	ONE("{\"enum\": [1, \"1\", [1, {\"a\": null}]]}", "1.0", "");
	ONE("{\"enum\": [1, \"1\", [1, {\"a\": null}]]}", "[1, {\"a\": null}]", "");
	ONE("{\"enum\": [1, \"1\", [1, {\"a\": null}]]}", "[1, {\"a\": false}]",
	    "x: /: expected one of 1, \"1\", an array, found an array\n");
	ONE("{\"enum\": [false]}", "0", "x: /: expected one of false, found 0\n");
	ONE("{\"enum\": []}", "0", "x: /: expected nothing (the list of allowed values is empty), "
				   "found 0\n");
	ONE("{\"const\": {\"a\": [1, 2], \"b\": \"x\"}}", "{\"b\": \"x\", \"a\": [1.0, 2]}", "");
	ONE("{\"const\": {\"a\": [1, 2]}}", "{\"a\": [2, 1]}",
	    "x: /: expected an object, found an object\n");
	ONE("{\"const\": \"action/1\"}", "\"action/2\"",
	    "x: /: expected \"action/1\", found \"action/2\"\n");
	ONE("{\"title\": \"the version 1\", \"const\": 1}", "2",
	    "x: /: expected the version 1, found 2\n");
}

TEST(schema, long_enums_are_named_by_their_document)
{
	fs_schema_set *set = NULL;
	const char *vocab = "{\"$id\": \"https://e.invalid/s/vocab/v.json\", \"enum\": "
			    "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}";
	const char *main_ = "{\"$id\": \"https://e.invalid/s/main.json\", \"properties\": {"
			    "\"v\": {\"$ref\": \"vocab/v.json\"},"
			    "\"w\": {\"enum\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}}";

	REQUIRE(fs_schema_set_new(&set) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, vocab, strlen(vocab)) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, main_, strlen(main_)) == 0);
	EXPECT(set, "https://e.invalid/s/main.json", "{\"v\": 12, \"w\": 11}", "");
	EXPECT(set, "https://e.invalid/s/main.json", "{\"v\": 13, \"w\": 0}",
	       "x: /v: expected one of the 12 values of vocab/v.json, found 13\n"
	       "x: /w: expected one of the 11 values of main.json#/properties/w, found 0\n");
	fs_schema_set_free(set);
}

TEST(schema, numbers)
{
	const char *s = "{\"minimum\": 0.5, \"maximum\": 10, \"exclusiveMaximum\": 10,"
			"\"multipleOf\": 0.01}";

	ONE(s, "7.77", "");
	ONE(s, "0.5", "");
	ONE(s, "9.99", "");
	ONE(s, "0.1", "x: /: expected a number of at least 0.5, found 0.1\n");
	ONE(s, "10", "x: /: expected a number less than 10, found 10\n");
	ONE(s, "10.5", "x: /: expected a number of at most 10, found 10.5\n"
		       "x: /: expected a number less than 10, found 10.5\n");
	ONE(s, "1.005", "x: /: expected a multiple of 0.01, found 1.005\n");
	ONE("{\"exclusiveMinimum\": -1}", "-1", "x: /: expected a number greater than -1, found -1\n");
	/* decimal steps that binary fractions miss by an ulp */
	ONE("{\"multipleOf\": 0.0001}", "0.0075", "");
	ONE("{\"multipleOf\": 0.1}", "0.3", "");
	ONE("{\"multipleOf\": 0.1}", "0.35", "x: /: expected a multiple of 0.1, found 0.35\n");
	/* number keywords ignore other types */
	ONE(s, "\"0\"", "");
}

TEST(schema, strings_and_patterns)
{
	ONE("{\"pattern\": \"^[a-z]+$\"}", "\"Ab\"",
	    "x: /: expected a string matching the pattern ^[a-z]+$, found \"Ab\"\n");
	ONE("{\"pattern\": \"b\"}", "\"abc\"", ""); /* a search, not a whole match */
	ONE("{\"pattern\": \"^\\\\d{4}-\\\\d{2}$\"}", "\"2023-10\"", "");
	ONE("{\"pattern\": \"^\\\\d{4}-\\\\d{2}$\"}", "\"2023-1\"",
	    "x: /: expected a string matching the pattern ^\\d{4}-\\d{2}$, found \"2023-1\"\n");
	ONE("{\"pattern\": \"^\\\\w+\\\\s\\\\S$\"}", "\"a_1 x\"", "");
	/* one character, however many bytes */
	ONE("{\"pattern\": \"^.$\"}", "\"\xc3\xa9\"", "");
	ONE("{\"pattern\": \"^[^a]$\"}", "\"\xe2\x82\xac\"", "");
	ONE("{\"pattern\": \"^\xc3\xa9+$\"}", "\"\xc3\xa9\xc3\xa9\"", "");
	ONE("{\"pattern\": \"^[\\\\u0600-\\\\u06FF ]+$\"}", "\"\xd8\xaa\xd9\x88\xd9\x86\xd8\xb3\"", "");
	ONE("{\"pattern\": \"^\\\\s$\"}", "\"\xc2\xa0\"", "");
	ONE("{\"pattern\": \"^a+?$\"}", "\"aa\"", "");
	ONE("{\"minLength\": 1}", "\"\"", "x: /: expected at least 1 character, found 0\n");
	/* string keywords ignore other types */
	ONE("{\"minLength\": 1, \"pattern\": \"x\"}", "[]", "");
}

/* A program that sets a UTF-8 LC_CTYPE must judge records as every other does. */
TEST(schema, patterns_do_not_follow_the_locale)
{
	char *old = setlocale(LC_CTYPE, NULL), saved[64];

	snprintf(saved, sizeof(saved), "%s", old ? old : "C");
	REQUIRE(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
	ONE("{\"pattern\": \"^.{1,3}$\"}", "\"S\xc3\xa3o\"", "");
	ONE("{\"pattern\": \"^\\\\S+$\"}", "\"\xe6\x97\xa5\xe6\x9c\xac\"", "");
	ONE("{\"pattern\": \"^.$\"}", "\"\xc3\xa9\"", "");
	ONE("{\"pattern\": \"^[^a]$\"}", "\"\xe2\x82\xac\"", "");
	setlocale(LC_CTYPE, saved);
}

TEST(schema, patterns_that_cannot_be_honoured_refuse_to_load)
{
	static const char *const bad[] = { "(?=x)", "(?<!x)y", "\\\\bword", "(a)\\\\1",
					   "\\\\p{L}", "[a", "\\\\q" };
	fs_schema_set *set = NULL;

	REQUIRE(fs_schema_set_new(&set) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char schema[128], uri[32];
		snprintf(schema, sizeof(schema), "{\"properties\": {\"a\": {\"pattern\": \"%s\"}}}",
			 bad[i]);
		snprintf(uri, sizeof(uri), "urn:bad%zu", i);
		CHECK(fs_schema_set_add(set, uri, schema, strlen(schema)) == FS_EINVALID);
		CHECK(strstr(fs_error_last()->message, "pattern '") != NULL);
	}
	CHECK(strstr(fs_error_last()->message, "is not supported") != NULL);
	fs_schema_set_free(set);
}

TEST(schema, objects)
{
	const char *s = "{\"properties\": {\"a\": {\"type\": \"integer\"}},"
			"\"patternProperties\": {\"^x_\": {\"type\": \"string\"}},"
			"\"additionalProperties\": {\"type\": \"boolean\"},"
			"\"propertyNames\": {\"title\": \"a name in lower case\", \"pattern\": \"^[a-z_]+$\"},"
			"\"minProperties\": 1, \"maxProperties\": 3,"
			"\"dependentRequired\": {\"a\": [\"b\"]},"
			"\"dependentSchemas\": {\"c\": {\"required\": [\"d\"]}}}";

	ONE(s, "{\"a\": 1, \"b\": true, \"x_y\": \"s\"}", "");
	ONE(s, "{}", "x: /: expected at least 1 field, found 0\n");
	ONE(s, "{\"a\": 1, \"b\": true, \"x_a\": \"s\", \"x_b\": \"s\"}",
	    "x: /: expected at most 3 fields, found 4\n");
	ONE(s, "{\"a\": 1}",
	    "x: /b: expected a value (required when \"a\" is present), found nothing\n");
	ONE(s, "{\"b\": true, \"x_y\": 1, \"Q\": true}",
	    "x: /x_y: expected a string, found the number 1\n"
	    "x: /Q: expected a name in lower case, found \"Q\"\n");
	ONE(s, "{\"b\": 1}", "x: /b: expected true or false, found the number 1\n");
	ONE(s, "{\"c\": true}", "x: /d: expected a value (the field is required), found nothing\n");
	/* object keywords ignore other types */
	ONE(s, "3", "");
}

TEST(schema, arrays)
{
	const char *s = "{\"prefixItems\": [{\"type\": \"string\"}, {\"type\": \"integer\"}],"
			"\"items\": false, \"minItems\": 1}";
	const char *c = "{\"contains\": {\"title\": \"an even number\", \"multipleOf\": 2},"
			"\"minContains\": 2, \"maxContains\": 3}";

	ONE(s, "[\"a\", 1]", "");
	ONE(s, "[\"a\"]", "");
	ONE(s, "[]", "x: /: expected at least 1 item, found 0\n");
	ONE(s, "[1, \"a\", null]",
	    "x: /0: expected a string, found the number 1\n"
	    "x: /1: expected an integer, found the string \"a\"\n"
	    "x: /2: expected nothing (no value is allowed here), found null\n");
	ONE(c, "[2, 4, 5]", "");
	ONE(c, "[2, 3]", "x: /: expected at least 2 items matching an even number, found 1\n");
	ONE(c, "[2, 4, 6, 8]", "x: /: expected at most 3 items matching an even number, found 4\n");
	ONE("{\"contains\": {\"const\": 1}, \"minContains\": 0}", "[]", "");
	ONE("{\"maxItems\": 1}", "[1, 2]", "x: /: expected at most 1 item, found 2\n");
	/* uniqueItems names each repeated value once, with its places */
	ONE("{\"uniqueItems\": true}", "[1, 2, 1.0, {\"a\": [1]}, {\"a\": [1]}, 1, 3]",
	    "x: /: expected no repeated items, found 1 at /0, /2 and /5\n"
	    "x: /: expected no repeated items, found an object at /3 and /4\n");
	ONE("{\"uniqueItems\": true}", "[0, 0, 0, 0, 0, 0, 0, 0]",
	    "x: /: expected no repeated items, found 0 at /0, /1, /2, /3, /4 and 3 more places\n");
	ONE("{\"uniqueItems\": true}", "[1, true, \"1\", [1], [true]]", "");
}

TEST(schema, combinators_report_once_at_the_value)
{
	const char *any = "{\"anyOf\": [{\"type\": \"null\"}, {\"type\": \"string\", \"pattern\": \"^[0-9]{4}$\"}]}";
	const char *titled = "{\"title\": \"null, or a year as YYYY\", \"anyOf\": [{\"type\": \"null\"},"
			     "{\"type\": \"string\", \"pattern\": \"^[0-9]{4}$\"}]}";
	const char *one = "{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 2}]}";

	ONE(any, "null", "");
	ONE(any, "\"2023\"", "");
	ONE(any, "\"soon\"", "x: /: expected it to match one of 2 alternatives, found \"soon\"\n");
	ONE(titled, "\"soon\"", "x: /: expected null, or a year as YYYY, found \"soon\"\n");
	ONE(one, "1", "");
	ONE(one, "2.5", "");
	ONE(one, "3", "x: /: expected it to match only one of 2 alternatives, found 3\n");
	ONE(one, "1.5", "x: /: expected it to match one of 2 alternatives, found 1.5\n");
	ONE("{\"not\": {\"type\": \"null\"}}", "null",
	    "x: /: expected a value the \"not\" schema refuses, found null\n");
	ONE("{\"title\": \"anything but null\", \"not\": {\"type\": \"null\"}}", "null",
	    "x: /: expected anything but null, found null\n");
	/* allOf reports what each branch found wrong */
	ONE("{\"allOf\": [{\"minimum\": 2}, {\"multipleOf\": 2}]}", "1",
	    "x: /: expected a number of at least 2, found 1\n"
	    "x: /: expected a multiple of 2, found 1\n");
	ONE("{\"if\": {\"minimum\": 10}, \"then\": {\"multipleOf\": 10}, \"else\": {\"maximum\": 5}}",
	    "15", "x: /: expected a multiple of 10, found 15\n");
	ONE("{\"if\": {\"minimum\": 10}, \"then\": {\"multipleOf\": 10}, \"else\": {\"maximum\": 5}}",
	    "7", "x: /: expected a number of at most 5, found 7\n");
	ONE("{\"if\": {\"minimum\": 10}, \"then\": {\"multipleOf\": 10}, \"else\": {\"maximum\": 5}}",
	    "20", "");
}

TEST(schema, boolean_schemas)
{
	ONE("true", "{\"anything\": [1]}", "");
	ONE("false", "1", "x: /: expected nothing (no value is allowed here), found 1\n");
	ONE("{\"properties\": {\"a\": false}}", "{\"a\": \"x\"}",
	    "x: /a: expected nothing (no value is allowed here), found \"x\"\n");
}

TEST(schema, long_strings_are_cut_in_messages)
{
	ONE("{\"const\": \"x\"}", "\"0123456789012345678901234567890123456789ABCDEFGH\"",
	    "x: /: expected \"x\", found \"0123456789012345678901234567890123456789...\"\n");
	/* cut after 40 characters, not 40 bytes; control characters escaped */
	ONE("{\"const\": \"x\"}", "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\\n12\"",
	    "x: /: expected \"x\", found \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\\n...\"\n");
}

TEST(schema, refs_across_documents_and_anchors)
{
	fs_schema_set *set = NULL;
	const char *vocab = "{\"$id\": \"https://e.invalid/s/vocab/v.json\", \"enum\": [1, 2]}";
	const char *defs = "{\"$id\": \"https://e.invalid/s/defs.json\", \"$defs\": {"
			   "\"pos\": {\"$anchor\": \"positive\", \"type\": \"integer\", \"minimum\": 1},"
			   "\"a~b/c\": {\"type\": \"string\"},"
			   "\"sp ace\": {\"const\": \"sp\"},"
			   "\"up\": {\"$ref\": \"../t/top.json\"}}}";
	const char *top = "{\"$id\": \"https://e.invalid/t/top.json\", \"const\": \"top\"}";
	const char *main_ = "{\"$id\": \"https://e.invalid/s/main.json\", \"properties\": {"
			    "\"v\": {\"$ref\": \"vocab/v.json\"},"
			    "\"p\": {\"$ref\": \"defs.json#positive\"},"
			    "\"q\": {\"$ref\": \"defs.json#/$defs/pos\"},"
			    "\"e\": {\"$ref\": \"defs.json#/$defs/a~0b~1c\"},"
			    "\"s\": {\"$ref\": \"defs.json#/$defs/sp%20ace\"},"
			    "\"u\": {\"$ref\": \"defs.json#/$defs/up\"},"
			    "\"m\": {\"$ref\": \"missing.json\"}}}";
	cJSON *j = cJSON_Parse("{\"p\": 0}");
	fs_schema_report *r = NULL;

	REQUIRE(j && fs_schema_set_new(&set) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, vocab, strlen(vocab)) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, defs, strlen(defs)) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, top, strlen(top)) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, main_, strlen(main_)) == 0);
	EXPECT(set, "https://e.invalid/s/main.json",
	       "{\"v\": 2, \"p\": 3, \"q\": 1, \"e\": \"s\", \"s\": \"sp\", \"u\": \"top\"}", "");
	EXPECT(set, "https://e.invalid/s/main.json",
	       "{\"v\": 3, \"p\": 0, \"e\": 1, \"s\": \"x\", \"u\": \"x\"}",
	       "x: /v: expected one of 1, 2, found 3\n"
	       "x: /p: expected a number of at least 1, found 0\n"
	       "x: /e: expected a string, found the number 1\n"
	       "x: /s: expected \"sp\", found \"x\"\n"
	       "x: /u: expected \"top\", found \"x\"\n");
	/* the failure's location is where the keyword is, past the $ref */
	CHECK(fs_schema_validate(set, "https://e.invalid/s/main.json", j, &r) == FS_EINVALID);
	REQUIRE(fs_schema_report_count(r) == 1);
	CHECK_STR(fs_schema_report_get(r, 0)->schema,
		  "https://e.invalid/s/defs.json#/$defs/pos/minimum");
	fs_schema_report_free(r);
	r = NULL;
	{
		char *got = check(set, "https://e.invalid/s/main.json", "{\"m\": 1}");
		CHECK(got && strstr(got, "error: ") && strstr(got, "cannot resolve $ref 'missing.json'"));
		free(got);
	}
	/* a fragment in the URI asked for, a pointer or an anchor */
	EXPECT(set, "https://e.invalid/s/defs.json#/$defs/pos", "0",
	       "x: /: expected a number of at least 1, found 0\n");
	EXPECT(set, "https://e.invalid/s/defs.json#positive", "2", "");
	CHECK(fs_schema_validate(set, "https://e.invalid/s/nope.json", j, &r) == FS_ENOTFOUND);
	CHECK(fs_schema_validate(set, "https://e.invalid/s/defs.json#/$defs/nope", j, &r) ==
	      FS_ENOTFOUND);
	CHECK(r == NULL);
	/* lookup reads annotations */
	CHECK(fs_schema_set_lookup(set, "https://e.invalid/s/defs.json#/$defs/pos/minimum") != NULL);
	CHECK(fs_schema_set_lookup(set, "https://e.invalid/s/defs.json#nope") == NULL);
	cJSON_Delete(j);
	fs_schema_set_free(set);
}

TEST(schema, embedded_ids_change_the_base)
{
	fs_schema_set *set = NULL;
	const char *doc = "{\"$id\": \"https://e.invalid/root.json\", \"properties\": {"
			  "\"a\": {\"$ref\": \"sub/item.json\"},"
			  "\"b\": {\"$ref\": \"https://e.invalid/sub/item.json#/$defs/n\"}},"
			  "\"$defs\": {\"item\": {\"$id\": \"sub/item.json\", \"$ref\": \"#/$defs/n\","
			  "\"$defs\": {\"n\": {\"$ref\": \"other.json\"}}},"
			  "\"other\": {\"$id\": \"sub/other.json\", \"type\": \"integer\"}}}";

	REQUIRE(fs_schema_set_new(&set) == 0);
	REQUIRE(fs_schema_set_add(set, NULL, doc, strlen(doc)) == 0);
	EXPECT(set, "https://e.invalid/root.json", "{\"a\": 1, \"b\": 2}", "");
	EXPECT(set, "https://e.invalid/root.json", "{\"a\": \"1\", \"b\": null}",
	       "x: /a: expected an integer, found the string \"1\"\n"
	       "x: /b: expected an integer, found null\n");
	EXPECT(set, "https://e.invalid/sub/other.json", "1", "");
	fs_schema_set_free(set);
}

TEST(schema, ref_loops_and_blow_ups_end_in_an_error)
{
	char *got;
	fs_schema_set *set = set_with("urn:loop", "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"},"
						  "\"b\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}");
	fs_buf s = FS_BUF_INIT;

	REQUIRE(set);
	got = check(set, "urn:loop", "1");
	CHECK(got && strstr(got, "error: ") && strstr(got, "nested too deeply"));
	free(got);
	fs_schema_set_free(set);
	/* 2^40 paths without a loop: the step budget ends it */
	fs_buf_puts(&s, "{\"$defs\": {");
	for (int i = 0; i < 40; i++)
		fs_buf_printf(&s, "\"d%d\": {\"anyOf\": [{\"$ref\": \"#/$defs/d%d\"}, "
			      "{\"$ref\": \"#/$defs/d%d\"}]},", i, i + 1, i + 1);
	fs_buf_puts(&s, "\"d40\": false}, \"$ref\": \"#/$defs/d0\"}");
	REQUIRE(fs_buf_check(&s) == 0);
	set = set_with("urn:blow", s.ptr);
	REQUIRE(set);
	got = check(set, "urn:blow", "1");
	CHECK(got && strstr(got, "error: ") && strstr(got, "too many steps"));
	free(got);
	fs_schema_set_free(set);
	fs_buf_dispose(&s);
}

TEST(schema, bad_schemas_refuse_to_load)
{
	static const char *const bad[] = {
		"{\"properties\": {\"a\": {\"unevaluatedProperties\": false}}}",
		"{\"$dynamicRef\": \"#x\"}",
		"{\"minLength\": -1}",
		"{\"maxItems\": 1.5}",
		"{\"type\": \"text\"}",
		"{\"required\": [1]}",
		"{\"multipleOf\": 0}",
		"{\"properties\": {\"a\": 1}}",
		"{\"allOf\": []}",
		"{\"items\": [{}]}",
		"{\"$defs\": {\"a\": {\"$id\": \"urn:x#frag\"}}}",
		"[]",
	};
	fs_schema_set *set = NULL;

	REQUIRE(fs_schema_set_new(&set) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char uri[32];
		int rc;
		snprintf(uri, sizeof(uri), "urn:bad%zu", i);
		rc = fs_schema_set_add(set, uri, bad[i], strlen(bad[i]));
		if (rc != FS_EINVALID)
			fprintf(stderr, "    loaded: %s\n", bad[i]);
		CHECK(rc == FS_EINVALID);
	}
	CHECK(fs_schema_set_add(set, "urn:u", bad[0], strlen(bad[0])) == FS_EINVALID);
	CHECK_STR(fs_error_last()->message,
		  "schema urn:u#/properties/a: keyword \"unevaluatedProperties\" is not supported");
	CHECK(fs_schema_set_add(set, NULL, "{}", 2) == FS_EINVALID);
	fs_schema_set_free(set);
}

TEST(schema, a_document_that_fails_to_load_cannot_be_named)
{
	fs_schema_set *set = NULL;
	const char *bad = "{\"$id\": \"https://e.invalid/v.json\", \"$defs\": {\"x\": {\"$anchor\": "
			  "\"x\"}}, \"minLength\": -1}";
	const char *good = "{\"$id\": \"https://e.invalid/v.json\", \"$defs\": {\"x\": {\"$anchor\": "
			   "\"x\", \"type\": \"string\"}}}";
	cJSON *j = cJSON_Parse("1");
	fs_schema_report *r = NULL;

	REQUIRE(j && fs_schema_set_new(&set) == 0);
	CHECK(fs_schema_set_add(set, NULL, bad, strlen(bad)) == FS_EINVALID);
	CHECK(fs_schema_validate(set, "https://e.invalid/v.json", j, &r) == FS_ENOTFOUND);
	CHECK(fs_schema_validate(set, "https://e.invalid/v.json#x", j, &r) == FS_ENOTFOUND);
	/* and its URI is free for a corrected version */
	CHECK(fs_schema_set_add(set, NULL, good, strlen(good)) == 0);
	CHECK(fs_schema_validate(set, "https://e.invalid/v.json#x", j, &r) == FS_EINVALID);
	fs_schema_report_free(r);
	cJSON_Delete(j);
	fs_schema_set_free(set);
}

TEST(schema, unknown_keywords_are_annotations)
{
	ONE("{\"labels\": {\"1\": {\"en\": \"one\"}}, \"x-anything\": [1], \"enum\": [1]}", "1", "");
	/* a $ref may still point into one */
	ONE("{\"stash\": {\"type\": \"integer\"}, \"$ref\": \"#/stash\"}", "\"a\"",
	    "x: /: expected an integer, found the string \"a\"\n");
}

TEST(schema, formats_assert_only_when_asked)
{
	fs_schema_set *set = set_with("urn:f", "{\"properties\": {"
		"\"d\": {\"format\": \"date\"}, \"t\": {\"format\": \"date-time\"},"
		"\"h\": {\"format\": \"time\"}, \"e\": {\"format\": \"email\"},"
		"\"u\": {\"format\": \"no-such-format\"},"
		"\"n\": {\"title\": \"a day as YYYY-MM-DD\", \"format\": \"date\"}}}");

	REQUIRE(set);
	EXPECT(set, "urn:f", "{\"d\": \"2023-02-30\", \"t\": \"x\", \"h\": \"x\", \"e\": \"x\"}", "");
	fs_schema_set_assert_formats(set, 1);
	EXPECT(set, "urn:f", "{\"d\": \"2023-02-30\"}",
	       "x: /d: expected a valid date, found \"2023-02-30\"\n");
	EXPECT(set, "urn:f", "{\"n\": \"2023-02-30\"}",
	       "x: /n: expected a day as YYYY-MM-DD, found \"2023-02-30\"\n");
	EXPECT(set, "urn:f", "{\"d\": \"2024-02-29\"}", "");
	EXPECT(set, "urn:f", "{\"d\": \"2000-02-29\"}", "");
	EXPECT(set, "urn:f", "{\"d\": \"2100-02-29\"}",
	       "x: /d: expected a valid date, found \"2100-02-29\"\n");
	EXPECT(set, "urn:f", "{\"d\": \"2023-04-31\"}",
	       "x: /d: expected a valid date, found \"2023-04-31\"\n");
	EXPECT(set, "urn:f", "{\"d\": \"2023-4-01\"}",
	       "x: /d: expected a valid date, found \"2023-4-01\"\n");
	EXPECT(set, "urn:f", "{\"t\": \"2026-11-24T10:00:00Z\"}", "");
	EXPECT(set, "urn:f", "{\"t\": \"2026-11-24T10:00:00.5+01:00\"}", "");
	EXPECT(set, "urn:f", "{\"t\": \"2016-12-31T23:59:60Z\"}", "");
	EXPECT(set, "urn:f", "{\"t\": \"2026-11-24T10:59:60Z\"}",
	       "x: /t: expected a valid date-time, found \"2026-11-24T10:59:60Z\"\n");
	EXPECT(set, "urn:f", "{\"t\": \"2026-11-24 10:00:00Z\"}",
	       "x: /t: expected a valid date-time, found \"2026-11-24 10:00:00Z\"\n");
	EXPECT(set, "urn:f", "{\"t\": \"2026-11-24T10:00:00\"}",
	       "x: /t: expected a valid date-time, found \"2026-11-24T10:00:00\"\n");
	EXPECT(set, "urn:f", "{\"h\": \"24:00:00Z\"}",
	       "x: /h: expected a valid time, found \"24:00:00Z\"\n");
	EXPECT(set, "urn:f", "{\"e\": \"clerk@city.example\", \"u\": \"anything\"}", "");
	EXPECT(set, "urn:f", "{\"e\": \"clerk.@city.example\"}",
	       "x: /e: expected a valid email, found \"clerk.@city.example\"\n");
	/* formats apply to strings only */
	EXPECT(set, "urn:f", "{\"d\": 5}", "");
	fs_schema_set_free(set);
}

TEST(schema, one_line_for_the_same_words_at_one_place)
{
	fs_schema_set *set = set_with("urn:t", "{\"title\": \"a UTC time\", \"pattern\": \"Z$\","
					       "\"format\": \"date-time\"}");

	REQUIRE(set);
	fs_schema_set_assert_formats(set, 1);
	EXPECT(set, "urn:t", "\"2026-11-24 10:00\"", "x: /: expected a UTC time, found \"2026-11-24 10:00\"\n");
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
	CHECK_STR(fs_schema_report_get(r, 2)->instance, "/2");
	CHECK_STR(fs_schema_report_get(r, 2)->keyword, "type");
	CHECK_STR(fs_schema_report_get(r, 2)->schema, "urn:t#/items/type");
	fs_schema_report_format(r, &out, "rec", 2);
	CHECK_STR(out.ptr, "rec: /0: expected a string, found the number 1\n"
			   "rec: /1: expected a string, found the number 2\n"
			   "rec: ... and 2 more problems\n");
	fs_buf_clear(&out);
	fs_schema_report_format(r, &out, "rec", 3);
	CHECK(strstr(out.ptr, "rec: ... and 1 more problem\n") != NULL);
	fs_buf_clear(&out);
	fs_schema_report_format(r, &out, "rec", 4);
	CHECK(strstr(out.ptr, "more") == NULL);
	fs_buf_dispose(&out);
	fs_schema_report_free(r);
	cJSON_Delete(j);
	fs_schema_set_free(set);
}

TEST(schema, a_report_keeps_a_thousand_failures_and_counts_the_rest)
{
	fs_schema_set *set = set_with("urn:t", "{\"items\": {\"type\": \"string\"}}");
	cJSON *j = cJSON_CreateArray();
	fs_schema_report *r = NULL;
	fs_buf out = FS_BUF_INIT;

	REQUIRE(set && j);
	for (int i = 0; i < 1500; i++)
		cJSON_AddItemToArray(j, cJSON_CreateNumber(i));
	CHECK(fs_schema_validate(set, "urn:t", j, &r) == FS_EINVALID);
	CHECK(fs_schema_report_count(r) == 1000);
	fs_schema_report_format(r, &out, "rec", 20);
	CHECK(strstr(out.ptr, "rec: /19: expected a string, found the number 19\n"
			      "rec: ... and 1480 more problems\n") != NULL);
	fs_buf_dispose(&out);
	fs_schema_report_free(r);
	cJSON_Delete(j);
	fs_schema_set_free(set);
}
