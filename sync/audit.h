/*
 * audit.h - the auditor: a hub's whole signed history, judged on any clone
 *
 * An auditor has a clone of a hub (a mirror, or an ordinary clone whose
 * refs are refs/remotes/<name>/...) and, ideally, the hub's public key. The
 * audit walks every commit of
 *   hub            the registry (hub/signers): each change signed by the hub
 *                  key, and only ever ending a key's validity or adding a key
 *                  from the time of the change on, so that the registry at its
 *                  tip is the registry as it stood at every point of history;
 *   cities/<id>    every commit from the root, with the hub's receive checks
 *                  (sync/check.h) against that registry: signature by a key
 *                  valid for the city at the commit's time, one parent, only
 *                  cities/<id>/, every record valid;
 *   unified        each merge signed by the hub key, its tree recomputed from
 *                  its parents (sync/merge.h), and every city head it merged
 *                  still in that city's branch (a rewritten or dropped city
 *                  shows here even without a checkpoint);
 *   public         each commit signed by the hub key, no service record.
 * Anything wrong is a finding, and the audit goes on: an auditor wants the
 * whole list, not the first line of it.
 */
#ifndef FS_AUDIT_H
#define FS_AUDIT_H

#include <stddef.h>

#include <git2.h>

#include "node/key.h"
#include "sync/checkpoint.h"

typedef struct {
	const char *ref;     /* "cities/tunis", "unified", ...: without the prefix */
	git_oid commit;      /* all zero when the finding is about the ref itself */
	const char *path;    /* the file at fault, or "" */
	const char *problem; /* in words */
} fs_audit_finding;

/* Hears each finding as it is made; a non-zero return stops the audit and is returned. */
typedef int (*fs_audit_cb)(const fs_audit_finding *f, void *payload);

typedef struct {
	size_t commits;   /* commits checked, all refs together */
	size_t records;   /* record versions validated */
	size_t cities;    /* city branches */
	size_t keys;      /* keys in the registry */
	size_t findings;
	size_t receipts;  /* receipts that verified (opts->receipts) */
	size_t receipts_other; /* well signed by another key: another hub's, not judged */
	unsigned char hub_key[FS_KEY_PUBLIC_BYTES];
	int hub_key_given; /* 0: taken from the registry's first commit */
	char prefix[128];  /* where the hub's branches were found, e.g. "refs/heads/" */
} fs_audit_stats;

typedef struct {
	const unsigned char *hub_key; /* NULL: the one the registry's first commit names */
	const fs_checkpoint *since;   /* NULL, or a previous audit's: no head may go back */
	const char *receipts;         /* NULL, or a folder of a city's receipts (sync/receipt.h) */
	unsigned jobs;                /* worker processes for the city branches; 0: one per processor */
} fs_audit_opts;

/*
 * Audit the hub history in `repo`. Without opts->hub_key the key is the
 * one the registry's first commit names for the hub, which the report must
 * say. With opts->since, every head of that checkpoint must still be in its
 * branch (sync/checkpoint.h). With opts->receipts, each receipt in that
 * folder must be signed by the hub key and its head still be in its city's
 * branch; one that is not is a finding. Trees recomputed for `unified` are kept in memory, so `repo`
 * is left as it was. Returns 0 when there is no finding, FS_EVERIFY when
 * there is any, FS_ENOTFOUND when `repo` holds no hub history, another
 * code when it cannot be read.
 */
int fs_audit_run(git_repository *repo, const fs_audit_opts *opts, fs_audit_cb cb,
		 void *payload, fs_audit_stats *stats);

#endif
