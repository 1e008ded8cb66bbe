#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/counter.h"
#include "util/csv.h"

TEST(counter, up_down_and_sorted)
{
	fs_counter *c = NULL;
	const char **keys = NULL;
	size_t n = 0;
	char key[32];

	REQUIRE(fs_counter_new(&c) == 0);
	/* enough keys to grow the table several times */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%04d", 999 - i);
		REQUIRE(fs_counter_add(c, key, i + 1) == 0);
	}
	CHECK_INT(fs_counter_size(c), 1000);
	CHECK_INT(fs_counter_get(c, "k0999"), 1);
	CHECK_INT(fs_counter_get(c, "k0000"), 1000);
	CHECK_INT(fs_counter_get(c, "absent"), 0);
	/* back to zero: the key is gone from the keys, and can come back */
	REQUIRE(fs_counter_add(c, "k0999", -1) == 0);
	CHECK_INT(fs_counter_size(c), 999);
	REQUIRE(fs_counter_add(c, "k0998", -2) == 0);
	REQUIRE(fs_counter_add(c, "k0998", 5) == 0);
	CHECK_INT(fs_counter_get(c, "k0998"), 5);
	REQUIRE(fs_counter_add(c, "neg", -3) == 0);
	CHECK_INT(fs_counter_get(c, "neg"), -3);
	REQUIRE(fs_counter_add(c, "zero", 0) == 0);
	CHECK_INT(fs_counter_size(c), 1000);
	REQUIRE(fs_counter_keys(&keys, &n, c) == 0);
	CHECK_INT(n, 1000);
	CHECK_STR(keys[0], "k0000");
	CHECK_STR(keys[998], "k0998");
	CHECK_STR(keys[999], "neg");
	for (size_t i = 1; i < n; i++)
		CHECK(strcmp(keys[i - 1], keys[i]) < 0);
	free(keys);
	fs_counter_free(c);
	fs_counter_free(NULL);
}

TEST(csv, quotes_only_what_must_be)
{
	fs_buf b = FS_BUF_INIT;
	const char *row[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\r" };

	REQUIRE(fs_csv_row(&b, row, 6) == 0);
	CHECK_STR(b.ptr, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"cr\r\"\r\n");
	fs_buf_dispose(&b);
}
