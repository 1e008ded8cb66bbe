/*
 * test.h - the unit test harness
 *
 * TEST(suite, name) { ... } registers a test; CHECK(cond) records a failure
 * and goes on, REQUIRE(cond) records it and ends the test. Each test runs in
 * a child process inside a fresh temporary folder (its cwd), so a crash or a
 * leftover file fails only that test.
 */
#ifndef FS_TEST_H
#define FS_TEST_H

#include <string.h>

typedef void (*fs_test_fn)(void);

void fs_test_register(const char *suite, const char *name, fs_test_fn fn);

/* A test made at run time (one per data file, say): fn(arg). Strings are copied. */
typedef void (*fs_test_data_fn)(const void *arg);
void fs_test_register_data(const char *suite, const char *name, fs_test_data_fn fn,
			   const void *arg);
int fs_test_check(int ok, const char *expr, const char *file, int line);
void fs_test_end(void) __attribute__((noreturn));

/* The folder of the source tree (for fixtures), from FIELDSYNC_SRC or ".". */
const char *fs_test_srcdir(void);

#define TEST(suite, name)                                                       \
	static void test_##suite##_##name(void);                                \
	__attribute__((constructor)) static void reg_##suite##_##name(void)     \
	{                                                                       \
		fs_test_register(#suite, #name, test_##suite##_##name);         \
	}                                                                       \
	static void test_##suite##_##name(void)

#define CHECK(cond) fs_test_check(!!(cond), #cond, __FILE__, __LINE__)
#define REQUIRE(cond)                                                          \
	do {                                                                    \
		if (!fs_test_check(!!(cond), #cond, __FILE__, __LINE__))        \
			fs_test_end();                                          \
	} while (0)
#define CHECK_STR(a, b) fs_test_check_str((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_INT(a, b) fs_test_check_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)

int fs_test_check_str(const char *a, const char *b, const char *ea, const char *eb,
		      const char *file, int line);
int fs_test_check_int(long long a, long long b, const char *ea, const char *eb,
		      const char *file, int line);

#endif
