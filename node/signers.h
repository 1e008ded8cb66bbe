/*
 * signers.h - git's allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS)
 *
 * Each line: principals [options] keytype base64-key [comment], where
 * principals is a comma-separated list of patterns and options may hold
 * namespaces="git,...", valid-after="YYYYMMDD[HHMM[SS]][Z]",
 * valid-before="...". The hub keeps its registry of city keys in this form
 * (hub/signers), so stock git and fieldsync read the same file.
 */
#ifndef FS_SIGNERS_H
#define FS_SIGNERS_H

#include <stddef.h>
#include <stdint.h>

#include "node/key.h"
#include "util/buf.h"

typedef struct fs_signers fs_signers;

/* One parsed line; strings borrowed from the fs_signers. */
typedef struct {
	const char *principals;  /* as written: "tunis" or "a,b,*.example" */
	const char *namespaces;  /* NULL when the line has no namespaces= option */
	int64_t valid_after;     /* seconds since the epoch; INT64_MIN when absent */
	int64_t valid_before;    /* INT64_MAX when absent */
	unsigned char public_key[FS_KEY_PUBLIC_BYTES];
	size_t line;             /* 1-based line number in the source */
} fs_signer;

/*
 * Parse an allowed_signers text. `origin` names it in messages
 * ("hub/signers"). Comment lines (#) and blank lines are skipped. A line the
 * parser does not understand (unknown key type, bad base64, an unknown
 * option, cert-authority) is FS_EINVALID with "origin:line: what".
 */
int fs_signers_parse(fs_signers **out, const char *text, size_t len, const char *origin);

size_t fs_signers_count(const fs_signers *s);
const fs_signer *fs_signers_get(const fs_signers *s, size_t i);

/*
 * Is `pk` allowed to sign for `principal` in `namespace_` at time `when`
 * (seconds since the epoch)? Returns the matching entry (borrowed) or NULL.
 * Principal patterns follow ssh's wildcards (* and ?) and ! negation.
 */
const fs_signer *fs_signers_find(const fs_signers *s, const char *principal,
				 const unsigned char pk[FS_KEY_PUBLIC_BYTES],
				 const char *namespace_, int64_t when);

/* The principals (first listed) allowed for key `pk` at `when`, for messages. NULL if none. */
const fs_signer *fs_signers_find_key(const fs_signers *s,
				     const unsigned char pk[FS_KEY_PUBLIC_BYTES],
				     const char *namespace_, int64_t when);

void fs_signers_free(fs_signers *s);

#endif
