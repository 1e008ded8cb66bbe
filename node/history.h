/*
 * history.h - what happened to a record, and to the node
 */
#ifndef FS_HISTORY_H
#define FS_HISTORY_H

#include <stdint.h>

#include <git2.h>

#include "node/node.h"

typedef struct {
	git_oid commit;
	int64_t time;        /* committer time, seconds since the epoch */
	const char *change;  /* "add", "edit", "rm"; NULL in a whole-node log */
	const char *summary; /* the commit message's first line */
} fs_history_entry;

/* Called per entry, newest first; a non-zero return stops the walk and is returned. */
typedef int (*fs_history_cb)(const fs_history_entry *e, void *payload);

/*
 * The commits that added, changed or removed record `id`, newest first.
 * FS_ENOTFOUND if the record never existed in this node.
 */
int fs_history_record(const fs_node *node, const char *id, fs_history_cb cb, void *payload);

/* Every commit of the node's history, newest first (at most `max`, 0 = all). */
int fs_history_all(const fs_node *node, size_t max, fs_history_cb cb, void *payload);

#endif
