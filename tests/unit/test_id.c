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
	fs_buf a = FS_BUF_INIT, b = FS_BUF_INIT, v1 = FS_BUF_INIT;
	char id[FS_ID_BYTES], first[FS_ID_BYTES];

	CHECK(fs_record_path(&a, "tunis", FS_KIND_ACTION, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK(fs_record_path(&b, "tunis", FS_KIND_ACTION, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK_STR(a.ptr, b.ptr);
	CHECK_STR(a.ptr, "cities/tunis/actions/019/2/f/3/e/4/8/c/4/0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10.json");
	/* layout 1, still read: four hex digits of the id's BLAKE2b-128 */
	CHECK(fs_record_path_v1(&v1, "tunis", FS_KIND_SERVICE, "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10") == 0);
	CHECK(strncmp(v1.ptr, "cities/tunis/services/", 22) == 0);
	CHECK(strlen(v1.ptr) == strlen("cities/tunis/services/a/b/c/d/") + 36 + 5);
	CHECK(strcmp(v1.ptr + 22, a.ptr + 21) != 0);
	/* ids made within 16 ms share their folder: a batch touches few trees */
	fs_id_new(first);
	for (int i = 0; i < 200; i++) {
		fs_buf p = FS_BUF_INIT, q = FS_BUF_INIT;
		fs_id_new(id);
		fs_record_path(&p, "x", FS_KIND_SERVICE, id);
		fs_record_path(&q, "x", FS_KIND_SERVICE, first);
		if (strncmp(id, first, 12) == 0)
			CHECK(strcmp(strrchr(p.ptr, '/'), strrchr(q.ptr, '/')) != 0 &&
			      strncmp(p.ptr, q.ptr, strlen(p.ptr) - 41) == 0);
		fs_buf_dispose(&p);
		fs_buf_dispose(&q);
	}
	fs_buf_dispose(&a);
	fs_buf_dispose(&b);
	fs_buf_dispose(&v1);
}
