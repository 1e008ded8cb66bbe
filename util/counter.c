#include "util/counter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct {
	char *key; /* NULL: empty slot */
	long long count;
} slot;

/*
 * Keys are never removed from the slots (a zero count stays as a tombstone
 * that the same key can reuse), so probing needs no deletion markers; the
 * tables of an aggregate only ever hold a few thousand distinct cells.
 */
struct fs_counter {
	slot *v;
	size_t cap;   /* a power of two */
	size_t used;  /* slots with a key */
	size_t nonzero;
};

int fs_counter_new(fs_counter **out)
{
	fs_counter *c = fs_calloc(1, sizeof(*c));

	*out = NULL;
	if (!c || !(c->v = fs_calloc(64, sizeof(slot)))) {
		fs_free(c);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	c->cap = 64;
	*out = c;
	return 0;
}

void fs_counter_free(fs_counter *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		fs_free(c->v[i].key);
	fs_free(c->v);
	fs_free(c);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static slot *find(const fs_counter *c, const char *key)
{
	size_t mask = c->cap - 1, i = (size_t)hash(key) & mask;

	while (c->v[i].key && strcmp(c->v[i].key, key) != 0)
		i = (i + 1) & mask;
	return &c->v[i];
}

static int grow(fs_counter *c)
{
	fs_counter bigger = { fs_calloc(c->cap * 2, sizeof(slot)), c->cap * 2, 0, 0 };

	if (!bigger.v)
		return fs_error_set(FS_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->v[i].key)
			continue;
		if (!c->v[i].count) { /* tombstones do not move */
			fs_free(c->v[i].key);
			continue;
		}
		*find(&bigger, c->v[i].key) = c->v[i];
		bigger.used++;
		bigger.nonzero++;
	}
	fs_free(c->v);
	*c = bigger;
	return 0;
}

int fs_counter_add(fs_counter *c, const char *key, long long delta)
{
	slot *s = find(c, key);

	if (!s->key) {
		if (!delta)
			return 0;
		if ((c->used + 1) * 4 > c->cap * 3) {
			if (grow(c) < 0)
				return FS_ENOMEM;
			s = find(c, key);
		}
		if (!(s->key = fs_strdup(key)))
			return fs_error_set(FS_ENOMEM, "out of memory");
		c->used++;
	}
	if (!s->count && delta)
		c->nonzero++;
	s->count += delta;
	if (!s->count && delta)
		c->nonzero--;
	return 0;
}

long long fs_counter_get(const fs_counter *c, const char *key)
{
	const slot *s = find(c, key);

	return s->key ? s->count : 0;
}

size_t fs_counter_size(const fs_counter *c)
{
	return c->nonzero;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int fs_counter_keys(const char ***out, size_t *n, const fs_counter *c)
{
	const char **keys = fs_malloc((c->nonzero ? c->nonzero : 1) * sizeof(*keys));
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!keys)
		return fs_error_set(FS_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->cap; i++)
		if (c->v[i].key && c->v[i].count)
			keys[k++] = c->v[i].key;
	qsort(keys, k, sizeof(*keys), by_key);
	*out = keys;
	*n = k;
	return 0;
}
