#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "util/alloc.h"
#include "util/i18n.h"

/*
 * Fixed storage: an error path must not need an allocation that can fail.
 * Long multi-line reports (schema failures) are cut at this size, which still
 * holds dozens of lines.
 */
#define FS_ERROR_MAX 8192

static _Thread_local char msg_buf[FS_ERROR_MAX];
static _Thread_local fs_error last;
static _Thread_local int have_last;

const fs_error *fs_error_last(void)
{
	return have_last ? &last : NULL;
}

void fs_error_clear(void)
{
	have_last = 0;
	msg_buf[0] = '\0';
}

/* The format is looked up in the catalogue here, so call sites need no _(). */
int fs_error_vset(int code, const char *fmt, va_list ap)
{
	vsnprintf(msg_buf, sizeof(msg_buf), _(fmt), ap);
	last.code = code;
	last.message = msg_buf;
	have_last = 1;
	return code;
}

int fs_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int fs_error_prefix(const char *fmt, ...)
{
	char prefix[512], old[FS_ERROR_MAX];
	int code = have_last ? last.code : FS_ERROR;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), _(fmt), ap);
	va_end(ap);
	memcpy(old, msg_buf, sizeof(old));
	return fs_error_set(code, "%s: %s", prefix, have_last ? old : _("unknown error"));
}

static int map_git(int git_code)
{
	switch (git_code) {
	case GIT_ENOTFOUND: return FS_ENOTFOUND;
	case GIT_EEXISTS: return FS_EEXISTS;
	case GIT_ELOCKED: return FS_ELOCKED;
	case GIT_EINVALID:
	case GIT_EINVALIDSPEC: return FS_EINVALID;
	default: return FS_ERROR;
	}
}

int fs_error_git(int git_code, const char *fmt, ...)
{
	char what[512];
	const git_error *ge = git_error_last();
	int oom = git_code == GIT_ERROR && ge && ge->klass == GIT_ERROR_NOMEMORY;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), _(fmt), ap);
	va_end(ap);
	/*
	 * libgit2 returns -1 for a failed allocation and says so in the class, if
	 * at all: some paths report it as another error ("failed to insert",
	 * even "object not found")
	 */
	if (!oom && fs_alloc_last_failed())
		return fs_error_set(FS_ENOMEM, "%s: out of memory (%s)", what,
				    ge && ge->message ? ge->message : _("libgit2 error"));
	return fs_error_set(oom ? FS_ENOMEM : map_git(git_code), "%s: %s", what,
			    ge && ge->message ? ge->message : _("libgit2 error"));
}

int fs_error_git_absent(int git_code)
{
	return git_code == GIT_ENOTFOUND && !fs_alloc_last_failed();
}

int fs_error_os(const char *fmt, ...)
{
	char what[512];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), _(fmt), ap);
	va_end(ap);
	return fs_error_set(e == ENOMEM ? FS_ENOMEM : FS_EIO, "%s: %s", what, strerror(e));
}

const char *fs_error_name(int code)
{
	switch (code) {
	case FS_OK: return "ok";
	case FS_ENOTFOUND: return "not-found";
	case FS_EEXISTS: return "exists";
	case FS_EINVALID: return "invalid";
	case FS_EVERIFY: return "verify";
	case FS_ELOCKED: return "locked";
	case FS_EKEY: return "key";
	case FS_ENOMEM: return "no-memory";
	case FS_EIO: return "io";
	case FS_ENOTNODE: return "not-a-node";
	case FS_EUSAGE: return "usage";
	case FS_ETOOBIG: return "too-big";
	case FS_EUNCHANGED: return "unchanged";
	case FS_EREFUSED: return "refused";
	case FS_ENET: return "network";
	default: return "error";
	}
}
