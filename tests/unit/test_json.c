#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"
#include "util/json.h"

static char *canon(const char *text)
{
	cJSON *j = NULL;
	fs_buf b = FS_BUF_INIT;

	if (fs_json_parse(&j, text, strlen(text), "input") < 0)
		return NULL;
	fs_json_canonical(&b, j);
	cJSON_Delete(j);
	return fs_buf_detach(&b);
}

static int refused(const char *text, const char *needle)
{
	cJSON *j = NULL;
	int rc = fs_json_parse(&j, text, strlen(text), "input");
	const fs_error *e = fs_error_last();
	int ok = rc == FS_EINVALID && j == NULL && e && strstr(e->message, needle);

	if (!ok)
		fprintf(stderr, "    input %s: rc %d, message: %s\n", text, rc, e ? e->message : "-");
	cJSON_Delete(j);
	return ok;
}

TEST(json, canonical_sorts_and_indents)
{
	char *s = canon("{\"b\": [1, 2.5, {\"y\":null,\"x\":true}], \"a\": \"\\u00e9\\n\", \"c\": {}, \"d\": []}");
	CHECK_STR(s, "{\n  \"a\": \"\xc3\xa9\\n\",\n  \"b\": [\n    1,\n    2.5,\n    {\n"
		     "      \"x\": true,\n      \"y\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": []\n}\n");
	free(s);
}

TEST(json, canonical_is_a_fixed_point)
{
	const char *in = "{\"z\":1e2,\"k\":-0,\"f\":0.1,\"s\":\"tab\\there \\\"q\\\" \\\\ \\u0001\"}";
	char *a = canon(in), *b = a ? canon(a) : NULL;
	REQUIRE(a && b);
	CHECK_STR(a, b);
	CHECK(strstr(a, "\"z\": 100") != NULL);
	CHECK(strstr(a, "\"k\": 0") != NULL);
	CHECK(strstr(a, "\"f\": 0.1\n") != NULL || strstr(a, "\"f\": 0.1,") != NULL);
	CHECK(strstr(a, "\\u0001") != NULL);
	free(a);
	free(b);
}

TEST(json, keys_sort_by_utf8_bytes)
{
	char *s = canon("{\"\xc3\xa9\":1,\"z\":2,\"Z\":3}");
	CHECK_STR(s, "{\n  \"Z\": 3,\n  \"z\": 2,\n  \"\xc3\xa9\": 1\n}\n");
	free(s);
}

TEST(json, refuses_malformed_input)
{
	CHECK(refused("{\"a\":1,}", "trailing comma"));
	CHECK(refused("[1,2", "unterminated array"));
	CHECK(refused("{\"a\" 1}", "expected ':'"));
	CHECK(refused("{\"a\":01}", "leading zero"));
	CHECK(refused("{\"a\":1.}", "digits expected"));
	CHECK(refused("{\"a\":+1}", "unexpected character"));
	CHECK(refused("{\"a\":\"x\ty\"}", "control character"));
	CHECK(refused("{\"a\":\"\\ud800\"}", "surrogate"));
	CHECK(refused("{\"a\":\"\\u0000\"}", "NUL"));
	CHECK(refused("{\"a\":\"\xc3\x28\"}", "invalid UTF-8"));
	CHECK(refused("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8"));
	CHECK(refused("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8"));
	CHECK(refused("{\"a\":1} x", "after the JSON value"));
	CHECK(refused("{\"a\":1,\"a\":2}", "duplicate key \"a\""));
	CHECK(refused("{\"a\":1e999}", "out of range"));
	CHECK(refused("", "unexpected end"));
	CHECK(refused("tru", "unexpected character"));
	CHECK(refused("{\"a\":\"\\x\"}", "unknown escape"));
}

TEST(json, reports_line_and_column)
{
	CHECK(refused("{\n  \"a\": 1,\n  \"b\": ]\n}", "line 3, column 8"));
}

TEST(json, refuses_deep_nesting)
{
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	cJSON *j = NULL;
	CHECK(fs_json_parse(&j, deep, 200, "x") == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "nested too deeply") != NULL);
}

TEST(json, ignores_a_byte_order_mark)
{
	char *s = canon("\xef\xbb\xbf{\"a\":1}");
	CHECK_STR(s, "{\n  \"a\": 1\n}\n");
	free(s);
}
