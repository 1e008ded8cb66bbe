/*
 * error.h - error codes and the last error message
 *
 * Every fallible function returns 0 or one of the negative codes below and
 * leaves a message that the caller can fetch once with fs_error_last(), the
 * way libgit2 keeps git_error_last(). The message names the thing that went
 * wrong ("record 'x': ..."); it may span several lines, one per problem.
 */
#ifndef FS_ERROR_H
#define FS_ERROR_H

#include <stdarg.h>

typedef enum {
	FS_OK = 0,
	FS_ERROR = -1,      /* anything without a better code */
	FS_ENOTFOUND = -3,  /* no such record, ref, file */
	FS_EEXISTS = -4,    /* would overwrite something */
	FS_EINVALID = -5,   /* input that fails parsing, schema or ownership */
	FS_EVERIFY = -6,    /* a signature or a check did not hold */
	FS_ELOCKED = -7,    /* another writer holds the node */
	FS_EKEY = -8,       /* key missing, unreadable, loose mode, wrong passphrase */
	FS_ENOMEM = -9,
	FS_EIO = -10,       /* the operating system refused a read or write */
	FS_ENOTNODE = -11,  /* the directory is not a fieldsync node */
	FS_EUSAGE = -12,    /* the caller asked for something meaningless */
	FS_ETOOBIG = -13,   /* input over a size limit */
	FS_EUNCHANGED = -14, /* nothing to do: not a failure for most callers */
	FS_EREFUSED = -15,  /* the hub refused a change: signature, ownership, schema, history */
	FS_ENET = -16       /* the link failed: no connection, a timeout, a cut; try again */
} fs_error_code;

typedef struct {
	int code;
	const char *message;
} fs_error;

/* The last error of this thread, or NULL. Valid until the next fs_ call. */
const fs_error *fs_error_last(void);

/* Forget the last error. */
void fs_error_clear(void);

/* Set the last error and return `code`, so that `return fs_error_set(...)` reads well. */
int fs_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fs_error_vset(int code, const char *fmt, va_list ap);

/* Put "prefix: " before the current message (keeps the code). Returns the code. */
int fs_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Turn a libgit2 failure into ours: the message becomes "<what>: <libgit2's
 * message>". Returns the mapped code (GIT_ENOTFOUND -> FS_ENOTFOUND, ...).
 */
int fs_error_git(int git_code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * git_code is GIT_ENOTFOUND, and not one that stands for a failed allocation
 * (libgit2 1.5 says "not found" for some: a config or pack lookup).
 */
int fs_error_git_absent(int git_code);

/* Same for a failed system call: "<what>: strerror(errno)". */
int fs_error_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A short constant name for a code ("invalid", "not found"), for --json output. */
const char *fs_error_name(int code);

#endif
