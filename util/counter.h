/*
 * counter.h - counts by string key, for aggregates
 *
 * An open-addressing hash table from a key (a tuple of fields joined by
 * FS_COUNTER_SEP) to a signed count. Counts go up and down as records are
 * added and removed; a key whose count comes back to zero is dropped, so the
 * table holds exactly the cells an aggregate shows. Keys come out sorted
 * (strcmp), so what is written from a table is a function of its contents.
 */
#ifndef FS_COUNTER_H
#define FS_COUNTER_H

#include <stddef.h>

/* Joins the fields of a key: a control character no vocabulary code holds. */
#define FS_COUNTER_SEP '\x1f'

typedef struct fs_counter fs_counter;

int fs_counter_new(fs_counter **out);
void fs_counter_free(fs_counter *c);

/* Add `delta` (may be negative) to `key`'s count. */
int fs_counter_add(fs_counter *c, const char *key, long long delta);

/* The count of `key`, 0 when absent. */
long long fs_counter_get(const fs_counter *c, const char *key);

/* Keys with a non-zero count. */
size_t fs_counter_size(const fs_counter *c);

/*
 * The keys with a non-zero count, sorted: a new array of borrowed strings
 * (free the array with fs_free(), not the strings), valid until the next add.
 */
int fs_counter_keys(const char ***out, size_t *n, const fs_counter *c);

#endif
