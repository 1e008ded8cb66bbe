/* util/workers.c: items worked on in other processes, handed back in order */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/test.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/workers.h"

#define ITEMS 12

typedef struct {
	size_t order[ITEMS]; /* the items `done` saw, in the order it saw them */
	size_t seen;
	pid_t pids[ITEMS];   /* the process that worked on each */
	long fail_item;      /* -1, or the item whose work fails */
	long kill_item;      /* -1, or the item whose worker dies */
	long stop_item;      /* -1, or the item whose `done` stops the run */
} run;

/* The first items take longest: a worker given a later one finishes first. */
static int work(size_t item, fs_buf *out, void *payload)
{
	run *r = payload;
	struct timespec ts = { 0, (long)(ITEMS - item) * 2000000L };

	nanosleep(&ts, NULL);
	if ((long)item == r->kill_item)
		raise(SIGKILL);
	if ((long)item == r->fail_item)
		return fs_error_set(FS_EINVALID, "item %zu: cannot be worked on", item);
	return fs_buf_printf(out, "item %zu by %ld", item, (long)getpid());
}

static int done(size_t item, const char *data, size_t len, void *payload)
{
	run *r = payload;
	char want[32];
	long pid = 0;

	snprintf(want, sizeof(want), "item %zu by ", item);
	CHECK(len == strlen(data));
	CHECK(strncmp(data, want, strlen(want)) == 0);
	pid = atol(data + strlen(want));
	r->pids[item] = (pid_t)pid;
	r->order[r->seen++] = item;
	return (long)item == r->stop_item ? 7 : 0;
}

static int go(run *r, unsigned jobs)
{
	fs_workers_fns fns = { work, done, NULL, r };

	return fs_workers_run(ITEMS, jobs, &fns);
}

static run fresh(void)
{
	run r;

	memset(&r, 0, sizeof(r));
	r.fail_item = r.kill_item = r.stop_item = -1;
	return r;
}

TEST(workers, items_are_handed_back_in_order_whichever_finishes_first)
{
	unsigned jobs[] = { 1, 2, 5 };

	for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
		run r = fresh();
		size_t others = 0;
		CHECK_INT(go(&r, jobs[j]), 0);
		CHECK_INT(r.seen, ITEMS);
		for (size_t i = 0; i < r.seen; i++) {
			CHECK_INT(r.order[i], i);
			others += r.pids[i] != getpid();
		}
		/* one job works here; more work elsewhere, never here */
		CHECK_INT(others, jobs[j] == 1 ? 0 : ITEMS);
	}
}

TEST(workers, a_failed_work_ends_the_run_with_its_error_after_the_items_before_it)
{
	run r = fresh();

	r.fail_item = 4;
	CHECK_INT(go(&r, 3), FS_EINVALID);
	CHECK_STR(fs_error_last()->message, "item 4: cannot be worked on");
	CHECK_INT(r.seen, 4);
	r = fresh();
	r.fail_item = 4;
	CHECK_INT(go(&r, 1), FS_EINVALID);
	CHECK_INT(r.seen, 4);
}

TEST(workers, a_worker_that_dies_is_an_error_that_names_its_signal)
{
	run r = fresh();
	int rc;

	r.kill_item = 6;
	rc = go(&r, 2);
	CHECK_INT(rc, FS_ERROR);
	CHECK(strstr(fs_error_last()->message, "killed by signal 9") != NULL);
	CHECK(r.seen <= 6);
}

TEST(workers, done_stops_the_run)
{
	run r = fresh();

	r.stop_item = 2;
	CHECK_INT(go(&r, 3), 7);
	CHECK_INT(r.seen, 3);
}

static int work_alloc_fails(size_t item, fs_buf *out, void *payload)
{
	(void)payload;
	/* libgit2 1.5 sometimes succeeds after an allocation failed under it */
	if (item == 1) {
		fs_alloc_fail_at(1);
		fs_free(fs_malloc(16));
	}
	return fs_buf_printf(out, "item %zu", item);
}

static int done_quiet(size_t item, const char *data, size_t len, void *payload)
{
	(void)item, (void)data, (void)len, (void)payload;
	return 0;
}

TEST(workers, a_failed_allocation_in_a_work_that_succeeds_is_out_of_memory)
{
	fs_workers_fns fns = { work_alloc_fails, done_quiet, NULL, NULL };

	CHECK_INT(fs_workers_run(3, 2, &fns), FS_ENOMEM);
	CHECK_INT(fs_workers_run(3, 1, &fns), FS_ENOMEM);
}

/* work, noting in ./given, in the order they start, the items worked on */
static int work_noted(size_t item, fs_buf *out, void *payload)
{
	FILE *f = fopen("given", "a");

	if (f) {
		fprintf(f, "%zu\n", item);
		fclose(f);
	}
	return work(item, out, payload);
}

/* where item `item` stands in ./given, or -1 */
static long given_at(size_t item)
{
	FILE *f = fopen("given", "r");
	size_t got;
	long at = 0, found = -1;

	while (f && found < 0 && fscanf(f, "%zu", &got) == 1) {
		if (got == item)
			found = at;
		at++;
	}
	if (f)
		fclose(f);
	return found;
}

/* `end` in each worker: leaves a file named after its process */
static void end_mark(void *payload)
{
	char name[64];
	FILE *f;

	(void)payload;
	snprintf(name, sizeof(name), "end.%ld", (long)getpid());
	if ((f = fopen(name, "w")))
		fclose(f);
}

TEST(workers, the_order_given_out_changes_nothing_handed_back_and_each_worker_ends)
{
	size_t backwards[ITEMS];
	run r = fresh();
	fs_workers_fns fns = { work_noted, done, end_mark, &r, backwards };
	char name[64];
	size_t ends = 0;

	for (size_t i = 0; i < ITEMS; i++)
		backwards[i] = ITEMS - 1 - i;
	CHECK_INT(fs_workers_run(ITEMS, 3, &fns), 0);
	CHECK_INT(r.seen, ITEMS);
	for (size_t i = 0; i < r.seen; i++)
		CHECK_INT(r.order[i], i);
	/* given out last first: item 0 waited for a worker to be free */
	CHECK(given_at(ITEMS - 1) >= 0 && given_at(0) > given_at(ITEMS - 1));
	/* every worker that worked ran `end`, and only workers did */
	for (size_t i = 0; i < ITEMS; i++) {
		int again = 0;
		for (size_t k = 0; k < i; k++)
			again |= r.pids[k] == r.pids[i];
		snprintf(name, sizeof(name), "end.%ld", (long)r.pids[i]);
		if (!again)
			ends += CHECK(access(name, F_OK) == 0);
	}
	CHECK(ends >= 1 && ends <= 3);
	snprintf(name, sizeof(name), "end.%ld", (long)getpid());
	CHECK(access(name, F_OK) != 0);
}

TEST(workers, an_order_that_is_not_a_permutation_is_refused_before_any_work)
{
	size_t twice[ITEMS], out_of_range[ITEMS];
	run r = fresh();
	fs_workers_fns fns = { work, done, NULL, &r, twice };

	for (size_t i = 0; i < ITEMS; i++)
		twice[i] = out_of_range[i] = i;
	twice[5] = 4;
	CHECK_INT(fs_workers_run(ITEMS, 3, &fns), FS_EUSAGE);
	CHECK(strstr(fs_error_last()->message, "(4 at 5)") != NULL);
	out_of_range[0] = ITEMS;
	fns.order = out_of_range;
	CHECK_INT(fs_workers_run(ITEMS, 3, &fns), FS_EUSAGE);
	CHECK_INT(r.seen, 0);
}
