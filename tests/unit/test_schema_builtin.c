/*
 * The shipped schemas (the JSON files of schema/, compiled in): they load, realistic
 * records pass, and broken ones fail with the pointer and words a clerk
 * needs. Every value here is synthetic: no real person, phone or document.
 */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "schema/builtin.h"
#include "schema/schema.h"
#include "util/embed.h"
#include "util/error.h"

extern const fs_embedded_file fs_schema_files[];

static const char *action =
	"{\"schema\": \"action/1\", \"id\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b10\","
	" \"city\": \"tunis\", \"created\": \"2026-11-24T10:00:00Z\", \"updated\": \"2026-11-24T10:00:00Z\","
	" \"country\": \"TN\", \"title\": \"Centre d'accueil de jour\", \"description\": \"Accueil, "
	"orientation et cours de langue.\", \"start\": \"2023-10\", \"end\": null,"
	" \"commitment\": \"mirror\", \"priorities\": [3, 4], \"categories\": [\"services\", \"climate\"],"
	" \"partners\": [\"Association exemple\"], \"target_groups\": [\"refugee\", \"migrant\"],"
	" \"figures\": {\"people_reached\": 40, \"sessions\": 12}, \"status\": \"ongoing\","
	" \"funding\": \"Budget municipal\"}";

static const char *service =
	"{\"schema\": \"service/1\", \"id\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b11\","
	" \"city\": \"tunis\", \"created\": \"2026-11-24T10:00:00Z\", \"updated\": \"2026-11-24T10:00:00Z\","
	" \"date\": \"2026-11-20\", \"category\": \"health\", \"person\": \"0123456789abcdef0123456789abcdef\","
	" \"population_group\": \"refugee\", \"sex\": \"female\", \"age_band\": \"25-59\","
	" \"nationality\": \"XX\", \"action\": \"01928f3e-8c4b-7a21-9f00-3c5d7e8a9b10\","
	" \"protected\": {\"v\": 1, \"kid\": \"00112233445566778899aabbccddeeff\","
	" \"nonce\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"ct\": \"c3ludGhldGlj\"}}";

static const char *city =
	"{\"schema\": \"city/1\", \"id\": \"tunis\", \"name\": \"Tunis\", \"country\": \"TN\","
	" \"created\": \"2026-11-24T10:00:00Z\"}";

/*
 * Check `base` with `field` set to `value` (JSON text; NULL removes the
 * field): "" if valid, else fs_schema_check's message.
 */
static char *variant(const char *base, const char *field, const char *value)
{
	cJSON *rec = cJSON_Parse(base);
	fs_buf out = FS_BUF_INIT;

	if (!rec)
		return strdup("bad fixture");
	if (value && cJSON_GetObjectItemCaseSensitive(rec, field))
		cJSON_ReplaceItemInObjectCaseSensitive(rec, field, cJSON_Parse(value));
	else if (value)
		cJSON_AddItemToObject(rec, field, cJSON_Parse(value));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(rec, field);
	if (fs_schema_check(rec, "record") < 0)
		fs_buf_puts(&out, fs_error_last()->message);
	cJSON_Delete(rec);
	return fs_buf_detach(&out);
}

#define VARIANT(base, field, value, want)                                               \
	do {                                                                            \
		char *got_ = variant((base), (field), (value));                         \
		CHECK_STR(got_ ? got_ : "", (want));                                    \
		free(got_);                                                             \
	} while (0)

TEST(schema_builtin, every_shipped_schema_loads)
{
	const fs_schema_set *set;
	size_t n = 0;

	REQUIRE(fs_schema_builtin(&set) == 0);
	for (const fs_embedded_file *f = fs_schema_files; f->name; f++, n++) {
		char uri[256];
		const cJSON *doc, *id;
		snprintf(uri, sizeof(uri), FS_SCHEMA_BASE "%s", f->name);
		doc = fs_schema_set_lookup(set, uri);
		CHECK(doc != NULL);
		/* each file says where it lives */
		id = cJSON_GetObjectItemCaseSensitive(doc, "$id");
		CHECK(cJSON_IsString(id) && strcmp(id->valuestring, uri) == 0);
		if (strncmp(f->name, "vocab/", 6) == 0)
			CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "enum")));
	}
	CHECK(n >= 13);
	/* loaded once */
	{
		const fs_schema_set *again;
		CHECK(fs_schema_builtin(&again) == 0 && again == set);
	}
	fs_schema_builtin_shutdown();
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, schema_names)
{
	fs_buf uri = FS_BUF_INIT;

	CHECK(fs_schema_uri(&uri, "action/1") == 0);
	CHECK_STR(uri.ptr, FS_SCHEMA_BASE "action-1.json");
	fs_buf_clear(&uri);
	CHECK(fs_schema_uri(&uri, "service/1") == 0);
	CHECK_STR(uri.ptr, FS_SCHEMA_BASE "service-1.json");
	fs_buf_clear(&uri);
	CHECK(fs_schema_uri(&uri, "city/1") == 0);
	CHECK_STR(uri.ptr, FS_SCHEMA_BASE "city-1.json");
	fs_buf_clear(&uri);
	CHECK(fs_schema_uri(&uri, "action/2") == FS_EINVALID);
	CHECK_STR(fs_error_last()->message, "expected a schema this version of fieldsync knows "
					    "(action/1, city/1, erasure/1, service/1), found \"action/2\"");
	/* a shared file is not a record schema */
	CHECK(fs_schema_uri(&uri, "defs/1") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "action/01") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "../x/1") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "vocab/countries") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "action") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "Action/1") == FS_EINVALID);
	CHECK(fs_schema_uri(&uri, "") == FS_EINVALID);
	CHECK_STR(fs_error_last()->message,
		  "expected the name of a schema such as \"action/1\", found \"\"");
	CHECK(uri.size == 0);
	fs_buf_dispose(&uri);
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, valid_records_pass)
{
	VARIANT(action, "title", "\"Centre\"", "");
	VARIANT(action, "end", "\"2027\"", "");
	VARIANT(action, "end", "\"2027-02-28\"", "");
	VARIANT(action, "start", "\"2024-02-29\"", "");
	VARIANT(action, "mayor", "\"Le conseil municipal\"", "");
	VARIANT(action, "categories", NULL, "");
	VARIANT(action, "figures", "{}", "");
	VARIANT(service, "nationality", "\"SY\"", "");
	VARIANT(service, "action", NULL, "");
	VARIANT(service, "protected", NULL, "");
	VARIANT(service, "referred_to", "\"Centre de sant\xc3\xa9 de base\"", "");
	VARIANT(city, "name", "\"Sfax\"", "");
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, invalid_records_fail_at_the_right_place)
{
	VARIANT(action, "country", "\"ZZ\"",
		"record: /country: expected one of the 249 values of vocab/countries.json, found \"ZZ\"");
	VARIANT(action, "priorities", "[9]",
		"record: /priorities/0: expected one of 1, 2, 3, 4, 5, 6, 7, 8, found 9");
	VARIANT(action, "priorities", "[2, 3, 2]",
		"record: /priorities: expected no repeated items, found 2 at /priorities/0 and "
		"/priorities/2");
	VARIANT(action, "priorities", "[]", "record: /priorities: expected at least 1 item, found 0");
	VARIANT(action, "title", NULL,
		"record: /title: expected a value (the field is required), found nothing");
	VARIANT(action, "title", "\"\"", "record: /title: expected at least 1 character, found 0");
	VARIANT(action, "commitment", "\"xyz\"",
		"record: /commitment: expected one of \"gcr\", \"gcm\", \"mirror\", \"idp\", found \"xyz\"");
	VARIANT(action, "start", "\"2023-13\"",
		"record: /start: expected a year, a month or a day: YYYY, YYYY-MM or YYYY-MM-DD, "
		"found \"2023-13\"");
	VARIANT(action, "start", "\"2023-02-30\"",
		"record: /start: expected a year, a month or a day: YYYY, YYYY-MM or YYYY-MM-DD, "
		"found \"2023-02-30\"");
	VARIANT(action, "start", "2023", "record: /start: expected a string, found the number 2023");
	VARIANT(action, "end", "\"soon\"",
		"record: /end: expected null (ongoing), or a year, a month or a day: YYYY, YYYY-MM "
		"or YYYY-MM-DD, found \"soon\"");
	VARIANT(action, "figures", "{\"People\": 3}",
		"record: /figures/People: expected a figure name in snake_case, found \"People\"");
	VARIANT(action, "figures", "{\"people\": 1.5}",
		"record: /figures/people: expected an integer, found the number 1.5");
	VARIANT(action, "figures", "{\"people\": -1}",
		"record: /figures/people: expected a number of at least 0, found -1");
	VARIANT(action, "id", "\"not-an-id\"",
		"record: /id: expected a record id (a UUIDv7 in lower case, assigned by the node), "
		"found \"not-an-id\"");
	VARIANT(action, "city", "\"Tunis\"",
		"record: /city: expected a city id: lower-case letters and digits in words joined by "
		"single hyphens, found \"Tunis\"");
	VARIANT(action, "schema", "\"service/1\"",
		"record: /date: expected a value (the field is required), found nothing\n"
		"record: /category: expected a value (the field is required), found nothing\n"
		"record: /person: expected a value (the field is required), found nothing\n"
		"record: /population_group: expected a value (the field is required), found nothing\n"
		"record: /sex: expected a value (the field is required), found nothing\n"
		"record: /age_band: expected a value (the field is required), found nothing\n"
		"record: /country: expected no such field (the schema does not allow it), found \"TN\"\n"
		"record: /title: expected no such field (the schema does not allow it), found \"Centre "
		"d'accueil de jour\"\n"
		"record: /description: expected no such field (the schema does not allow it), found "
		"\"Accueil, orientation et cours de langue.\"\n"
		"record: /start: expected no such field (the schema does not allow it), found \"2023-10\"\n"
		"record: /end: expected no such field (the schema does not allow it), found null\n"
		"record: /commitment: expected no such field (the schema does not allow it), found "
		"\"mirror\"\n"
		"record: /priorities: expected no such field (the schema does not allow it), found an "
		"array\n"
		"record: /categories: expected no such field (the schema does not allow it), found an "
		"array\n"
		"record: /partners: expected no such field (the schema does not allow it), found an "
		"array\n"
		"record: /target_groups: expected no such field (the schema does not allow it), found "
		"an array\n"
		"record: /figures: expected no such field (the schema does not allow it), found an "
		"object\n"
		"record: /status: expected no such field (the schema does not allow it), found "
		"\"ongoing\"\n"
		"record: /funding: expected no such field (the schema does not allow it), found "
		"\"Budget municipal\"");
	VARIANT(service, "name", "\"x\"",
		"record: /name: expected no such field (the schema does not allow it), found \"x\"");
	VARIANT(service, "person", "\"0123\"",
		"record: /person: expected a pseudonymous person id: 32 hex digits derived by the "
		"node, never a name or document number, found \"0123\"");
	VARIANT(service, "person", "\"0123456789ABCDEF0123456789ABCDEF\"",
		"record: /person: expected a pseudonymous person id: 32 hex digits derived by the "
		"node, never a name or document number, found \"0123456789ABCDEF0123456789ABCDEF\"");
	VARIANT(service, "date", "\"2023-02-30\"",
		"record: /date: expected a date as YYYY-MM-DD, found \"2023-02-30\"");
	/* the pattern and the format both refuse it: one line */
	VARIANT(service, "created", "\"2026-11-24 10:00:00\"",
		"record: /created: expected a UTC time as YYYY-MM-DDTHH:MM:SSZ, found \"2026-11-24 "
		"10:00:00\"");
	VARIANT(service, "updated", "\"2026-02-29T10:00:00Z\"",
		"record: /updated: expected a UTC time as YYYY-MM-DDTHH:MM:SSZ, found \"2026-02-29T"
		"10:00:00Z\"");
	VARIANT(service, "nationality", "\"QQ\"",
		"record: /nationality: expected an ISO 3166-1 alpha-2 country code, or XX for "
		"stateless or unknown, found \"QQ\"");
	VARIANT(service, "sex", "\"F\"",
		"record: /sex: expected one of \"female\", \"male\", \"other\", \"unknown\", found \"F\"");
	VARIANT(service, "age_band", "\"34\"",
		"record: /age_band: expected one of \"0-4\", \"5-11\", \"12-17\", \"18-24\", \"25-59\", "
		"\"60+\", \"unknown\", found \"34\"");
	VARIANT(service, "protected", "{\"v\": 1, \"kid\": \"00112233445566778899aabbccddeeff\","
		" \"nonce\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"ct\": \"c3ludGhldGlj\", \"notes\": \"x\"}",
		"record: /protected/notes: expected no such field (the schema does not allow it), "
		"found \"x\"");
	VARIANT(service, "protected", "\"a plain note\"",
		"record: /protected: expected an object, found the string \"a plain note\"");
	VARIANT(city, "country", "\"tn\"",
		"record: /country: expected one of the 249 values of vocab/countries.json, found \"tn\"");
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, the_schema_member_must_name_a_shipped_record_schema)
{
	VARIANT(action, "schema", "\"action/9\"",
		"record: /schema: expected a schema this version of fieldsync knows (action/1, city/1, "
		"erasure/1, service/1), found \"action/9\"");
	VARIANT(service, "schema", NULL,
		"record: /schema: expected the name of a schema such as \"action/1\", found nothing");
	VARIANT(service, "schema", "5",
		"record: /schema: expected the name of a schema such as \"action/1\", found the "
		"number 5");
	VARIANT(service, "schema", "\"defs/1\"",
		"record: /schema: expected a schema this version of fieldsync knows (action/1, city/1, "
		"erasure/1, service/1), found \"defs/1\"");
	VARIANT(service, "schema", "\"service\"",
		"record: /schema: expected the name of a schema such as \"action/1\", found \"service\"");
	{
		cJSON *arr = cJSON_CreateArray();
		CHECK(fs_schema_check(arr, "record") == FS_EINVALID);
		CHECK_STR(fs_error_last()->message, "record: expected a JSON object, found an array");
		cJSON_Delete(arr);
	}
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, a_message_holds_twenty_lines_at_most)
{
	cJSON *rec = cJSON_Parse(action);
	const char *msg, *p;
	int lines = 1;

	REQUIRE(rec);
	/* 30 figures with bad names: 50 are allowed, each name is checked */
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "figures");
	{
		cJSON *fig = cJSON_AddObjectToObject(rec, "figures");
		for (int i = 0; i < 30; i++) {
			char name[16];
			snprintf(name, sizeof(name), "Bad%02d", i);
			cJSON_AddNumberToObject(fig, name, i);
		}
	}
	CHECK(fs_schema_check(rec, "record") == FS_EINVALID);
	msg = fs_error_last()->message;
	for (p = msg; *p; p++)
		lines += *p == '\n';
	CHECK_INT(lines, 21);
	CHECK(strstr(msg, "record: /figures/Bad00: expected a figure name in snake_case, found "
			  "\"Bad00\"\n") == msg);
	CHECK(strstr(msg, "\nrecord: ... and 10 more problems") != NULL);
	CHECK(msg[strlen(msg) - 1] != '\n');
	cJSON_Delete(rec);
	fs_schema_builtin_shutdown();
}

TEST(schema_builtin, vocabulary_labels)
{
	CHECK_STR(fs_schema_label("priorities", "3", "en"), "Protect the most vulnerable");
	CHECK_STR(fs_schema_label("priorities", "3", "fr"),
		  "Prot\xc3\xa9ger les personnes les plus vuln\xc3\xa9rables");
	CHECK_STR(fs_schema_label("sex", "female", "fr"), "F\xc3\xa9minin");
	CHECK_STR(fs_schema_label("sex", "female", "es"), "Femenino");
	CHECK_STR(fs_schema_label("service-categories", "legal-aid", "es"), "Asistencia jur\xc3\xad" "dica");
	CHECK_STR(fs_schema_label("commitments", "mirror", "en"), "Mirror pledge serving both compacts");
	CHECK_STR(fs_schema_label("countries", "TN", "en"), "Tunisia");
	CHECK(fs_schema_label("countries", "TN", "fr") == NULL);
	CHECK(fs_schema_label("age-bands", "0-4", "en") == NULL);
	CHECK(fs_schema_label("priorities", "9", "en") == NULL);
	CHECK(fs_schema_label("priorities", "3", "de") == NULL);
	CHECK(fs_schema_label("priorities", "3", "gcm_objectives") == NULL);
	CHECK(fs_schema_label("no-such-vocab", "3", "en") == NULL);
	CHECK(fs_schema_label("../action-1", "3", "en") == NULL);
	CHECK(fs_schema_label(NULL, "3", "en") == NULL);
	/* every code of a labelled vocabulary has a label in each language, or an English name */
	{
		const fs_schema_set *set;
		REQUIRE(fs_schema_builtin(&set) == 0);
		for (const fs_embedded_file *f = fs_schema_files; f->name; f++) {
			char uri[256], vocab[64];
			const cJSON *doc, *labels;
			size_t len = strlen(f->name);
			if (strncmp(f->name, "vocab/", 6) != 0 || len - 11 >= sizeof(vocab))
				continue;
			snprintf(uri, sizeof(uri), FS_SCHEMA_BASE "%s", f->name);
			snprintf(vocab, sizeof(vocab), "%.*s", (int)(len - 11), f->name + 6);
			doc = fs_schema_set_lookup(set, uri);
			if (!(labels = cJSON_GetObjectItemCaseSensitive(doc, "labels")))
				continue;
			for (const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "enum")->child; e;
			     e = e->next) {
				char code[64];
				if (cJSON_IsString(e))
					snprintf(code, sizeof(code), "%s", e->valuestring);
				else
					snprintf(code, sizeof(code), "%d", e->valueint);
				int plain = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(labels, code));
				if (!fs_schema_label(vocab, code, "en") ||
				    (!plain && (!fs_schema_label(vocab, code, "fr") ||
						!fs_schema_label(vocab, code, "es"))))
					fprintf(stderr, "    %s: no label for %s\n", vocab, code);
				CHECK(fs_schema_label(vocab, code, "en") != NULL);
				CHECK(plain || fs_schema_label(vocab, code, "fr") != NULL);
				CHECK(plain || fs_schema_label(vocab, code, "es") != NULL);
			}
		}
	}
	fs_schema_builtin_shutdown();
}
