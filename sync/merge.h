/*
 * merge.h - the hub's unified dataset: one signed merge of every city
 *
 * refs/heads/unified is a merge commit signed by the hub. Its first parent is
 * the previous unified head; the others are the city heads (and the hub's own
 * head) that changed since. Its tree is
 *
 *   cities/<id>/       each city's subtree, taken by id from the city's head
 *   hub/               the hub branch's hub/ (signers), and
 *   hub/unified.json   {"cities": {"<id>": "<commit>", ...}, "format": 2,
 *                       "hub": "<commit>", "suppress_below": 5}: which commit
 *                       each part is from, and the aggregates' threshold
 *   hub/aggregates/    hub/counts/: the aggregates (sync/aggregate.h)
 *
 * so the tree is a function of the heads alone: the same histories give the
 * same tree id on any hub, whatever order they arrived in, and a merge with
 * nothing new makes no commit. Each parent after the first replaces its own
 * part of the first parent's tree, which costs what changed (subtrees of the
 * other cities are reused by id) and lets anyone recompute a unified tree from
 * its parents (fs_merge_check).
 *
 * refs/heads/public follows: what every city may see, the cities' city.json
 * and actions/ and the hub's hub/ (unified.json and the exact counts aside),
 * never a service record. Its commits have only the previous public head as parent, so that
 * fetching it can never bring a city's history (and its services) along.
 */
#ifndef FS_MERGE_H
#define FS_MERGE_H

#include "node/node.h"
#include "util/buf.h"

#define FS_UNIFIED_REF "refs/heads/unified"
#define FS_PUBLIC_REF "refs/heads/public"
#define FS_MERGE_FORMAT 2

typedef struct {
	size_t cities;    /* in the unified tree */
	size_t changed;   /* city and hub heads merged now */
	int made;         /* a unified commit was made (0: nothing new) */
	int public_made;  /* a public commit was made */
	git_oid unified;  /* the heads after the merge */
	git_oid public_;
} fs_merge_result;

/*
 * Merge every city head that changed into refs/heads/unified, then update
 * refs/heads/public. The hub must be open for writing (its key signs).
 * FS_EINVALID when a city of the unified dataset has lost its branch (a merge
 * never drops a city) or a branch holds something that is not a city's.
 */
int fs_merge(fs_node *hub, fs_merge_result *out);

/*
 * Recompute the tree of the unified commit `rev` from its parents. 0 when it
 * matches; FS_EVERIFY when it does not, with what differs; FS_EINVALID when
 * the commit is not a unified commit at all.
 */
int fs_merge_check(fs_node *hub, const char *rev, git_oid *commit);

/*
 * The same for commit `id` of any repository that holds a hub's history (an
 * auditor's clone). Recomputing writes trees: give `repo` an object database
 * that keeps them in memory if it must stay untouched.
 */
int fs_merge_verify(git_repository *repo, const git_oid *id);

#endif
