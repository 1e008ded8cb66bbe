/* The unit test runner: `unit [FILTER]` runs the tests whose "suite.name" contains FILTER. */
#include "tests/unit/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 2048

typedef struct {
	const char *suite, *name;
	fs_test_fn fn;
	fs_test_data_fn data_fn;
	const void *arg;
} test_entry;

static test_entry tests[MAX_TESTS];
static int ntests;
static int failures; /* in the child: checks failed in this test */

void fs_test_register(const char *suite, const char *name, fs_test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests++] = (test_entry){ suite, name, fn, NULL, NULL };
}

void fs_test_register_data(const char *suite, const char *name, fs_test_data_fn fn,
			   const void *arg)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests++] = (test_entry){ strdup(suite), strdup(name), NULL, fn, arg };
}

int fs_test_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		failures++;
		fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

int fs_test_check_str(const char *a, const char *b, const char *ea, const char *eb,
		      const char *file, int line)
{
	int ok = a && b && strcmp(a, b) == 0;

	if (!ok) {
		failures++;
		fprintf(stderr, "    %s:%d: check failed: %s == %s\n      left:  \"%s\"\n      right: \"%s\"\n",
			file, line, ea, eb, a ? a : "(null)", b ? b : "(null)");
	}
	return ok;
}

int fs_test_check_int(long long a, long long b, const char *ea, const char *eb,
		      const char *file, int line)
{
	if (a != b) {
		failures++;
		fprintf(stderr, "    %s:%d: check failed: %s == %s (%lld != %lld)\n", file, line,
			ea, eb, a, b);
	}
	return a == b;
}

void fs_test_end(void)
{
	fflush(NULL);
	exit(failures ? 1 : 0);
}

const char *fs_test_srcdir(void)
{
	const char *s = getenv("FIELDSYNC_SRC");
	return s && *s ? s : ".";
}

static int run_one(const test_entry *t)
{
	char dir[] = "/tmp/fs-unit-XXXXXX";
	pid_t pid;
	int status = 0;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 0;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 0;
	}
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(3);
		if (t->fn)
			t->fn();
		else
			t->data_fn(t->arg);
		fs_test_end();
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		fprintf(stderr, "    killed by signal %d\n", WTERMSIG(status));
	{
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "    could not remove %s\n", dir);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *shard = getenv("FIELDSYNC_SHARD");
	int passed = 0, failed = 0, k = 0, n = 1, seen = 0;
	char full[256];

	/* FIELDSYNC_SHARD=K/N: only every Nth matching test from the Kth, so
	 * tests/check can run one suite as N jobs at once */
	if (shard && (sscanf(shard, "%d/%d", &k, &n) != 2 || n < 1 || k < 0 || k >= n)) {
		fprintf(stderr, "unit: FIELDSYNC_SHARD '%s': expected K/N with 0 <= K < N\n", shard);
		return 2;
	}

	/* the srcdir must survive the chdir into each test's folder */
	if (!getenv("FIELDSYNC_SRC")) {
		char cwd[4096];
		if (getcwd(cwd, sizeof(cwd)))
			setenv("FIELDSYNC_SRC", cwd, 1);
	}
	for (int i = 0; i < ntests; i++) {
		snprintf(full, sizeof(full), "%s.%s", tests[i].suite, tests[i].name);
		if (filter && !strstr(full, filter))
			continue;
		if (seen++ % n != k)
			continue;
		if (run_one(&tests[i])) {
			printf("PASS unit: %s\n", full);
			passed++;
		} else {
			printf("FAIL unit: %s\n", full);
			failed++;
		}
		fflush(stdout);
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
