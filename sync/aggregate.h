/*
 * aggregate.h - the unified dataset's aggregates
 *
 * Each merge writes, below the unified tree's hub/:
 *
 *   aggregates/actions.json, .csv     actions by priority x country x year x
 *                                     commitment, every city together
 *   aggregates/services/<city>.json,  one city's services by month x category
 *              <city>.csv             x population group x sex x age band, a
 *                                     count from 1 to threshold-1 shown "<N"
 *   counts/<city>.json                the same cells with exact counts
 *
 * A city whose subtree holds no services/ but a table (aggregates/
 * services.json, sent up by a regional hub) has that table, hidden cells
 * kept hidden, as its services table, and no exact counts.
 *
 * Actions are public and count no person, so their table is exact. Service
 * counts are suppressed where small, so that nobody can single out a few
 * people; the exact counts stay in the unified tree (which holds the service
 * records themselves anyway) and never go to `public`. A merge updates them
 * from the tree diff of each changed city: old records count -1, new ones +1,
 * which costs what changed, not what is stored, and gives the same cells as
 * counting everything again.
 */
#ifndef FS_AGGREGATE_H
#define FS_AGGREGATE_H

#include <git2.h>

#define FS_AGGREGATE_THRESHOLD 5    /* the default: 1 to 4 shown as "<5" */
#define FS_AGGREGATE_THRESHOLD_MAX 1000
/* A services table sent up for one city is refused above this. */
#define FS_AGGREGATE_TABLE_MAX_BYTES (16 * 1024 * 1024)

typedef struct fs_aggregates fs_aggregates;

/*
 * Start from `prev_hub`, the hub/ part of the previous unified tree, written
 * with the same `threshold` (NULL: there is none, or nothing to build on:
 * every city must then be given from nothing).
 */
int fs_aggregates_new(fs_aggregates **out, git_repository *repo, const git_tree *prev_hub,
		      int threshold);

/* City `city`'s subtree went from `old` (NULL: it had none) to `new_`. */
int fs_aggregates_city(fs_aggregates *a, const char *city, const git_tree *old,
		       const git_tree *new_);

/* Put "aggregates" and "counts" into the hub/ tree being built. */
int fs_aggregates_write(fs_aggregates *a, git_treebuilder *hub);

void fs_aggregates_free(fs_aggregates *a);

/*
 * Is `data` a city's services table in the one form a hub writes it
 * (aggregates/services.json of what a regional hub sends up, sync/uplink.h):
 * format 1, this city, the service columns, sorted rows of five fields and a
 * count at or over its suppress_below, or "<suppress_below"? FS_EINVALID
 * naming `what` and the row otherwise.
 */
int fs_aggregates_check_table(const char *city, const char *data, size_t len, const char *what);

#endif
