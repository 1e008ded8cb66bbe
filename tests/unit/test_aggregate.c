#include "tests/unit/test.h"

#include <stdio.h>
#include <string.h>

#include "sync/aggregate.h"
#include "util/error.h"

#define HEAD "{\"format\":1,\"city\":\"tunis\",\"suppress_below\":5,\"columns\":[\"month\"," \
	     "\"category\",\"population_group\",\"sex\",\"age_band\",\"services\"],\"rows\":["

static int check(const char *text)
{
	return fs_aggregates_check_table("tunis", text, strlen(text), "t.json");
}

TEST(aggregate, a_table_as_a_hub_writes_it)
{
	CHECK_INT(check(HEAD "\n[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",\"<5\"],\n"
			     "[\"2026-11\",\"health\",\"refugee\",\"female\",\"25-59\",7]\n]}\n"), 0);
	CHECK_INT(check(HEAD "]}\n"), 0);
	/* hidden by a hub below under its higher threshold: stays hidden */
	CHECK_INT(check(HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",\"<10\"]]}"), 0);
}

TEST(aggregate, a_bad_table_is_refused_saying_where)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "not json", "t.json" },
		{ "{\"format\":2,\"city\":\"tunis\",\"suppress_below\":5,\"columns\":[],\"rows\":[]}",
		  "expected {\"format\": 1" },
		{ "{\"format\":1,\"city\":\"quito\",\"suppress_below\":5,\"columns\":[],\"rows\":[]}",
		  "\"city\": \"tunis\"" },
		{ "{\"format\":1,\"city\":\"tunis\",\"suppress_below\":0,\"columns\":[],\"rows\":[]}",
		  "suppress_below" },
		{ "{\"format\":1,\"city\":\"tunis\",\"suppress_below\":5,\"columns\":[\"month\"],"
		  "\"rows\":[]}", "columns: expected month" },
		{ "{\"format\":1,\"city\":\"tunis\",\"suppress_below\":5,\"columns\":[],\"rows\":[],"
		  "\"extra\":1}", "expected {" },
		/* a small count shown: what suppression exists to prevent */
		{ HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",2]]}", "row 1" },
		{ HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",\"<4\"]]}", "row 1" },
		{ HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",7.5]]}", "row 1" },
		{ HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",\"<05\"]]}", "row 1" },
		{ HEAD "{\"a\":\"2026-10\",\"b\":\"food\",\"c\":\"refugee\",\"d\":\"male\",\"e\":\"18-24\",\"f\":7}]}", "row 1" },
		{ "{\"format\":1,\"city\":\"tunis\",\"suppress_below\":5,\"columns\":{\"a\":\"month\"},"
		  "\"rows\":[]}", "expected {" },
		{ HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",7]]}", "row 1" },
		{ HEAD "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",7,8]]}", "row 1" },
		{ HEAD "[\"2026-10\",\"fo\\u0001od\",\"refugee\",\"male\",\"18-24\",7]]}", "row 1" },
		{ HEAD "[\"2026-10\",\"\",\"refugee\",\"male\",\"18-24\",7]]}", "row 1" },
		{ HEAD "[\"2026-11\",\"food\",\"refugee\",\"male\",\"18-24\",7],"
		       "[\"2026-10\",\"food\",\"refugee\",\"male\",\"18-24\",7]]}", "row 2: rows must be sorted" },
		{ HEAD "[\"2026-11\",\"food\",\"refugee\",\"male\",\"18-24\",7],"
		       "[\"2026-11\",\"food\",\"refugee\",\"male\",\"18-24\",9]]}", "row 2: rows must be sorted" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = check(bad[i].text);
		if (!CHECK(rc == FS_EINVALID)) {
			fprintf(stderr, "    accepted: %s\n", bad[i].text);
			continue;
		}
		if (!CHECK(strstr(fs_error_last()->message, bad[i].says) != NULL))
			fprintf(stderr, "    for %s\n    said: %s\n", bad[i].text,
				fs_error_last()->message);
	}
}
