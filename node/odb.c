#include "node/odb.h"

#include "util/alloc.h"
#include "util/error.h"

int fs_odb_has(git_odb *odb, const git_oid *id)
{
	unsigned long failures = fs_alloc_failures();
	int has = git_odb_exists(odb, id);

	if (fs_alloc_failures() != failures)
		return fs_error_set(FS_ENOMEM, "object %s: out of memory", git_oid_tostr_s(id));
	return has ? 1 : 0;
}
