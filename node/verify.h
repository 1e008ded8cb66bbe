/*
 * verify.h - checking the signature of every commit in a history
 *
 * fieldsync reads the SSHSIG in each commit's gpgsig header and checks it
 * with libsodium, so it agrees with `git verify-commit` without forking
 * ssh-keygen once per commit.
 */
#ifndef FS_VERIFY_H
#define FS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "node/key.h"
#include "node/signers.h"

/* Whom to trust: an allowed_signers registry, or else one key. */
typedef struct {
	const fs_signers *signers;  /* when set: the key must be allowed for `principal` */
	const char *principal;      /* e.g. the city id */
	const unsigned char *key;   /* when signers is NULL: the one trusted key */
	const char *key_name;       /* what to call it in messages; NULL: "the node's key" */
} fs_verify_trust;

typedef struct {
	git_oid commit;
	int64_t time;
	int good;            /* 1: signed by a trusted key and the signature holds */
	const char *problem; /* when !good: what is wrong, in words */
	const char *signer;  /* when good: the principal (or "node key") */
	const char *summary;
} fs_verify_result;

typedef int (*fs_verify_cb)(const fs_verify_result *r, void *payload);

typedef struct {
	size_t checked;
	size_t bad;
} fs_verify_stats;

/*
 * Verify each commit of `range` in git's revision syntax: "A..B", or "REV"
 * for REV and all its ancestors; NULL means HEAD. `cb` (may be NULL) hears
 * about each commit, newest first. Returns 0 when every commit is good,
 * FS_EVERIFY when any is not, another code when the range cannot be read.
 */
int fs_verify_range(git_repository *repo, const char *range, const fs_verify_trust *trust,
		    fs_verify_cb cb, void *payload, fs_verify_stats *stats);

/*
 * Check one commit. Fills `r` (r->problem may point into `problem`, which
 * must hold at least 256 bytes). Returns 0 (good or not: see r->good) or a
 * code when the commit cannot be read.
 */
int fs_verify_commit(git_repository *repo, const git_oid *id, const fs_verify_trust *trust,
		     fs_verify_result *r, char *problem, size_t problem_size);

/*
 * As fs_verify_commit, for a commit the caller has read: r->summary then
 * points into `c` and lasts as long as it does.
 */
int fs_verify_parsed(git_commit *c, const fs_verify_trust *trust, fs_verify_result *r,
		     char *problem, size_t problem_size);

#endif
