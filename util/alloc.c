#include "util/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <git2.h>
#include <git2/sys/alloc.h>

#include "util/error.h"

static atomic_ulong count;
static atomic_int configured;
static unsigned long fail_at; /* 0: never */
static int fail_after;        /* every allocation from fail_at on fails */
static int exempt;            /* while fs_alloc_git_errors works: none fails */
static int announce;          /* say when the failure fires: the environment asked */
static _Thread_local int last_failed;
static atomic_ulong failures;

static void print_count(void)
{
	fprintf(stderr, "fieldsync: %lu allocations\n", fs_alloc_count()); /* untranslated: tests read it */
}

/* getenv and atexit do not come back here: no recursion. */
static void configure(void)
{
	const char *v = getenv("FIELDSYNC_FAIL_ALLOC"), *c = getenv("FIELDSYNC_COUNT_ALLOC");
	char *end;

	if (v && *v) {
		fail_at = strtoul(v, &end, 10);
		fail_after = *end == '+';
		announce = 1;
	}
	if (c && strcmp(c, "1") == 0)
		atexit(print_count);
	atomic_store(&configured, 1);
}

/* Count one allocation by `who`; nonzero when it must fail. */
static int injected(const char *who)
{
	unsigned long n;
	char line[80];
	int len;

	if (!atomic_load(&configured))
		configure();
	if (exempt)
		return 0;
	n = atomic_fetch_add(&count, 1) + 1;
	if (fail_at == 0 || n < fail_at || (n > fail_at && !fail_after))
		return 0;
	if (n == fail_at && announce) {
		/* a fixed buffer and write(2): stdio could allocate */
		len = snprintf(line, sizeof(line), "fieldsync: injected allocation failure %lu (%s)\n",
			       n, who);
		if (write(STDERR_FILENO, line, (size_t)len) < 0)
			return 1;
	}
	return 1;
}

void fs_alloc_fail_at(unsigned long n)
{
	if (!atomic_load(&configured))
		configure();
	fail_at = n ? atomic_load(&count) + n : 0;
	fail_after = 0;
	announce = 0;
}

int fs_alloc_last_failed(void)
{
	return last_failed;
}

unsigned long fs_alloc_failures(void)
{
	return atomic_load(&failures);
}

unsigned long fs_alloc_count(void)
{
	return atomic_load(&count);
}

/* who allocates: the marker line names the library whose allocation failed */
#define BY_US "fieldsync"
#define BY_GIT "libgit2"

/* Remember whether this allocation failed; p is what it gave. */
static void *noted(void *p)
{
	last_failed = !p;
	if (!p)
		atomic_fetch_add(&failures, 1);
	return p;
}

static void *alloc_by(const char *who, size_t size)
{
	return noted(injected(who) ? NULL : malloc(size));
}

static void *calloc_by(const char *who, size_t nmemb, size_t size)
{
	return noted(injected(who) ? NULL : calloc(nmemb, size));
}

/* Like realloc: on failure ptr stays allocated and unchanged. */
static void *realloc_by(const char *who, void *ptr, size_t size)
{
	if (size == 0)
		return realloc(ptr, 0); /* a free: nothing to fail */
	return noted(injected(who) ? NULL : realloc(ptr, size));
}

static char *strndup_by(const char *who, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = alloc_by(who, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

void *fs_malloc(size_t size)
{
	return alloc_by(BY_US, size);
}

void *fs_calloc(size_t nmemb, size_t size)
{
	return calloc_by(BY_US, nmemb, size);
}

void *fs_realloc(void *ptr, size_t size)
{
	return realloc_by(BY_US, ptr, size);
}

char *fs_strndup(const char *s, size_t n)
{
	return strndup_by(BY_US, s, n);
}

char *fs_strdup(const char *s)
{
	return fs_strndup(s, SIZE_MAX);
}

void fs_free(void *ptr)
{
	free(ptr);
}

static void *cjson_malloc(size_t size)
{
	return alloc_by("cJSON", size);
}

/* ---- libgit2 ---------------------------------------------------------------- */

/* libgit2's own allocator sets its "out of memory" error, so must we. */
static void *git_oom(void *p)
{
	if (!p)
		git_error_set_oom();
	return p;
}

static void *git_malloc_cb(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return git_oom(alloc_by(BY_GIT, n));
}

static void *git_calloc_cb(size_t nelem, size_t elsize, const char *file, int line)
{
	(void)file, (void)line;
	return git_oom(calloc_by(BY_GIT, nelem, elsize));
}

static char *git_strdup_cb(const char *str, const char *file, int line)
{
	(void)file, (void)line;
	return git_oom(strndup_by(BY_GIT, str, SIZE_MAX));
}

static char *git_strndup_cb(const char *str, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return git_oom(strndup_by(BY_GIT, str, n));
}

/* exactly n bytes, NULs and all */
static char *git_substrdup_cb(const char *str, size_t n, const char *file, int line)
{
	char *p;

	(void)file, (void)line;
	if (n == SIZE_MAX || !(p = alloc_by(BY_GIT, n + 1)))
		return git_oom(NULL);
	memcpy(p, str, n);
	p[n] = '\0';
	return p;
}

static void *git_realloc_cb(void *ptr, size_t size, const char *file, int line)
{
	(void)file, (void)line;
	return git_oom(realloc_by(BY_GIT, ptr, size));
}

static void *git_reallocarray_cb(void *ptr, size_t nelem, size_t elsize, const char *file, int line)
{
	(void)file, (void)line;
	if (elsize && nelem > SIZE_MAX / elsize)
		return git_oom(NULL);
	return git_oom(realloc_by(BY_GIT, ptr, nelem * elsize));
}

static void *git_mallocarray_cb(size_t nelem, size_t elsize, const char *file, int line)
{
	return git_reallocarray_cb(NULL, nelem, elsize, file, line);
}

static git_allocator git_allocator_fs = {
	git_malloc_cb, git_calloc_cb, git_strdup_cb, git_strndup_cb, git_substrdup_cb,
	git_realloc_cb, git_reallocarray_cb, git_mallocarray_cb, fs_free,
};

int fs_alloc_init(void)
{
	cJSON_Hooks hooks = { cjson_malloc, fs_free };

	cJSON_InitHooks(&hooks);
	if (git_libgit2_opts(GIT_OPT_SET_ALLOCATOR, &git_allocator_fs) < 0)
		return fs_error_set(FS_ERROR, "libgit2 refuses the allocator");
	return 0;
}

/*
 * libgit2 1.5 keeps its last error in a per-thread state that it allocates on
 * first use, and dereferences NULL when that allocation fails (errors.c,
 * GIT_THREADSTATE). When growing the message buffer fails, the buffer becomes
 * a static placeholder that git_error_clear() then hands to the error, and
 * git_libgit2_shutdown() frees it: an abort. So the state is made here, with
 * room for any message libgit2 writes, and no fault is injected meanwhile: a
 * process that cannot allocate its first few KiB cannot do anything anyway.
 */
#define GIT_ERROR_ROOM 4096

int fs_alloc_git_errors(void)
{
	char room[GIT_ERROR_ROOM];
	int rc = 0;

	memset(room, 'x', sizeof(room) - 1);
	room[sizeof(room) - 1] = '\0';
	exempt = 1;
	if (git_error_set_str(GIT_ERROR_NONE, room) < 0)
		rc = fs_error_set(FS_ENOMEM, "out of memory");
	git_error_clear();
	exempt = 0;
	return rc;
}
