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

TEST(id, paths_fan_out_by_time)
{
	fs_buf a = FS_BUF_INIT, b = FS_BUF_INIT, c = FS_BUF_INIT, v1 = FS_BUF_INIT;

	CHECK(fs_record_path(&a, "tunis", FS_KIND_ACTION, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK_STR(a.ptr, "cities/tunis/actions/019/2/f/3/e/4/8/c/4/0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10.json");
	/* made in the same 16 ms: the same folder; 16 ms later: the next one */
	CHECK(fs_record_path(&b, "tunis", FS_KIND_ACTION, "0192f3e4-8c4f-7000-8000-000000000000") == 0);
	CHECK_STR(b.ptr, "cities/tunis/actions/019/2/f/3/e/4/8/c/4/0192f3e4-8c4f-7000-8000-000000000000.json");
	CHECK(fs_record_path(&c, "tunis", FS_KIND_SERVICE, "0192f3e4-8c5b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK_STR(c.ptr, "cities/tunis/services/019/2/f/3/e/4/8/c/5/0192f3e4-8c5b-7a21-9f00-3c5d7e8a9b10.json");
	/* layout 1, still read: four hex digits of the id's BLAKE2b-128 */
	CHECK(fs_record_path_v1(&v1, "tunis", FS_KIND_SERVICE, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK_STR(v1.ptr, "cities/tunis/services/7/5/9/0/0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10.json");
	/* the folders are the id's characters: never from what is not an id */
	fs_buf_clear(&a);
	CHECK(fs_record_path(&a, "tunis", FS_KIND_ACTION, "x") == FS_EINVALID);
	CHECK(fs_record_path_v1(&a, "tunis", FS_KIND_ACTION, "../0192f3e4") == FS_EINVALID);
	fs_buf_dispose(&a);
	fs_buf_dispose(&b);
	fs_buf_dispose(&c);
	fs_buf_dispose(&v1);
}
