/*
 * alloc.h - every allocation of fieldsync, libgit2 and cJSON, and a fault
 * injector for the tests
 *
 * Our code allocates with fs_malloc and friends and frees with fs_free;
 * fs_alloc_init() routes libgit2 (GIT_OPT_SET_ALLOCATOR) and cJSON
 * (cJSON_InitHooks) through the same functions, so that one counter sees
 * them all. Memory that libgit2 or cJSON hand out is still released through
 * their own free functions (git_buf_dispose, cJSON_free, ...).
 *
 * Fault injection, for tests/e2e/oom.sh; the environment is read once, at
 * the first allocation:
 *
 *   FIELDSYNC_FAIL_ALLOC=N   the Nth allocation fails (returns NULL), only
 *                            that one: the cleanup after it runs with memory
 *                            again, as after a transient shortage
 *   FIELDSYNC_FAIL_ALLOC=N+  the Nth and every later allocation fails
 *   FIELDSYNC_COUNT_ALLOC=1  print "fieldsync: N allocations" on stderr at exit
 *
 * When the injected failure fires, the process writes the line
 * "fieldsync: injected allocation failure N (WHO)" to stderr, WHO being
 * fieldsync, libgit2 or cJSON, so that a test knows it reached N and whose
 * allocation failed: the first N without that line is past the last one.
 * Counts are per process; a child fieldsync (a hook) counts its own. The
 * few allocations of fs_alloc_git_errors() are not counted and never fail.
 *
 * What fs_malloc and friends return is the C library's memory: free() and
 * fs_free() are the same, so a library that frees what it was given with
 * free() (libssh2's signature callback) may be given fs_malloc'd memory.
 */
#ifndef FS_ALLOC_H
#define FS_ALLOC_H

#include <stddef.h>

void *fs_malloc(size_t size);
void *fs_calloc(size_t nmemb, size_t size);
void *fs_realloc(void *ptr, size_t size);
char *fs_strdup(const char *s);
char *fs_strndup(const char *s, size_t n);
void fs_free(void *ptr);

/*
 * Route libgit2's and cJSON's allocations through the functions above.
 * Before git_libgit2_init(), so that what it allocates is counted and freed
 * by the same allocator. Returns 0 or FS_ERROR.
 */
int fs_alloc_init(void);

/*
 * After git_libgit2_init(): make libgit2's per-thread error state now, where
 * no fault is injected, since libgit2 1.5 cannot survive a failure there
 * (alloc.c says how). Returns 0 or FS_ENOMEM.
 */
int fs_alloc_git_errors(void);

/*
 * 1 when the last allocation of this thread failed. libgit2 sometimes puts
 * its own message ("failed to insert ...") over the "out of memory" of the
 * allocation that failed under it: fs_error_git asks this to tell.
 */
int fs_alloc_last_failed(void);

/*
 * Allocations that failed so far in this process. libgit2 1.5 sometimes
 * carries on without what it could not allocate and reports success (a list
 * of refs without some of them): code whose result must be whole compares
 * this before and after.
 */
unsigned long fs_alloc_failures(void);

/*
 * For tests within one process: the nth allocation from now on fails, only
 * that one, without a word on stderr; 0 fails none.
 */
void fs_alloc_fail_at(unsigned long n);

/* Allocations made so far by this process. */
unsigned long fs_alloc_count(void);

#endif
