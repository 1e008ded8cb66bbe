#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "node/id.h"
#include "node/record.h"
#include "util/error.h"
#include "util/time.h"

TEST(id, well_formed_and_time_ordered)
{
	char prev[FS_ID_BYTES] = "", id[FS_ID_BYTES];
	long long before = fs_time_now_ms();

	for (int i = 0; i < 20000; i++) {
		REQUIRE(fs_id_new(id) == 0);
		REQUIRE(fs_id_valid(id));
		/* strictly increasing, even many times within one millisecond */
		REQUIRE(strcmp(prev, id) < 0);
		memcpy(prev, id, sizeof(id));
	}
	CHECK(fs_id_time_ms(id) >= before);
	CHECK(fs_id_time_ms(id) <= fs_time_now_ms() + 50);
	CHECK(id[14] == '7');
	CHECK(strchr("89ab", id[19]) != NULL);
}

TEST(id, refuses_what_is_not_an_id)
{
	CHECK(fs_id_valid("0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10"));
	CHECK(!fs_id_valid("0192f3e4-8c4b-4a21-9f00-3c5d7e8a9b10"));  /* v4 */
	CHECK(!fs_id_valid("0192F3E4-8C4B-7A21-9F00-3C5D7E8A9B10"));  /* upper case */
	CHECK(!fs_id_valid("0192f3e4-8c4b-7a21-cf00-3c5d7e8a9b10"));  /* variant */
	CHECK(!fs_id_valid("0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b1"));
	CHECK(!fs_id_valid("0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b100"));
	CHECK(!fs_id_valid(""));
	CHECK(fs_id_check("../x") == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "never contain '/' or '..'") != NULL);
	CHECK(fs_id_check("abc") == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "not a record id") != NULL);
}

TEST(id, paths_fan_out)
{
	fs_buf a = FS_BUF_INIT, b = FS_BUF_INIT;
	int buckets[256] = { 0 }, used = 0;
	char id[FS_ID_BYTES];

	CHECK(fs_record_path(&a, "tunis", FS_KIND_ACTION, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK(fs_record_path(&b, "tunis", FS_KIND_ACTION, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK_STR(a.ptr, b.ptr);
	CHECK(strncmp(a.ptr, "cities/tunis/actions/", 21) == 0);
	CHECK(strlen(a.ptr) == strlen("cities/tunis/actions/a/b/c/d/") + 36 + 5);
	/* ids made in one burst share their time prefix but not their bucket */
	for (int i = 0; i < 2000; i++) {
		unsigned x;
		fs_buf p = FS_BUF_INIT;
		fs_id_new(id);
		fs_record_path(&p, "x", FS_KIND_SERVICE, id);
		unsigned hi, lo;
		sscanf(p.ptr + strlen("cities/x/services/"), "%1x/%1x", &hi, &lo);
		x = hi << 4 | lo;
		buckets[x & 255]++;
		fs_buf_dispose(&p);
	}
	for (int i = 0; i < 256; i++)
		used += buckets[i] > 0;
	CHECK(used > 240);
	fs_buf_dispose(&a);
	fs_buf_dispose(&b);
}
