/*
 * workers.h - independent items worked on in other processes, told in order
 *
 * The audit's cities are independent of one another. Threads over one
 * libgit2 do not scale: libgit2 keeps each pack file once per process, with
 * a lock taken on every object read, and two threads reading the same pack
 * spent a third of their time waiting on it (9.1 s for 12.4 s alone on 2
 * cores). Processes share no lock: each worker is a fork of the caller that
 * opens its repository itself (libgit2 1.5 still reuses the pack files the
 * caller had open, by path: read through mmap, which a fork copies), works on the items it is given one at a time,
 * and sends back what each one gave as bytes. The caller gets them in the
 * order of the items, whichever worker was faster, so that what it reports
 * is the same for any number of workers.
 */
#ifndef FS_WORKERS_H
#define FS_WORKERS_H

#include <stddef.h>

#include "util/buf.h"

/* The most worker processes fs_workers_run starts. */
#define FS_WORKERS_MAX 64

/*
 * Work on item `item` and append what it gives to `out` (empty on the way
 * in), in a worker process or, with one job, in the caller's. 0, or an
 * error: its code and message reach the caller when the item's turn comes,
 * and end the run.
 */
typedef int (*fs_workers_work_fn)(size_t item, fs_buf *out, void *payload);

/*
 * In the caller's process, item after item in order: what the item's work
 * gave. A worker that dies ends the run at once, with the items after the
 * last one handed left unhanded. Non-zero stops the run (no item is given out after it) and is
 * returned.
 */
typedef int (*fs_workers_done_fn)(size_t item, const char *data, size_t len, void *payload);

/*
 * In a worker process, before it exits: free what its works kept (a
 * repository opened once for all its items). May be NULL.
 */
typedef void (*fs_workers_end_fn)(void *payload);

typedef struct {
	fs_workers_work_fn work;
	fs_workers_done_fn done;
	fs_workers_end_fn end;
	void *payload;
	/*
	 * NULL, or the order in which the items are given out (a permutation
	 * of 0..n-1, else FS_EUSAGE before any work): the longest first, so
	 * that it does not end alone. They are handed to `done` in their own
	 * order all the same.
	 */
	const size_t *order;
} fs_workers_fns;

/*
 * Run the work of `n` items on up to `jobs` worker processes, and `done` on
 * each in order. With one job, or one item, or where no process can be
 * started, the items are worked on here, one after the other, through the
 * same bytes. Returns 0, what a `done` returned, a work's error, FS_ENOMEM
 * when an allocation of a work failed (libgit2 may carry on without what
 * it could not allocate), FS_ERROR when a worker died (its signal is
 * named), FS_EIO when talking to one failed.
 */
int fs_workers_run(size_t n, unsigned jobs, const fs_workers_fns *fns);

/* The processors online, at least 1 and at most FS_WORKERS_MAX. */
unsigned fs_workers_cpus(void);

#endif
