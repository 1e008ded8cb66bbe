/*
 * fuzz_bundle.c - the header of a git bundle (what `hub import` reads first)
 *
 * A bundle accepted names at least one valid ref, each id well formed, and
 * is followed by something that starts like a pack.
 */
#include <string.h>

#include "sync/bundle.h"
#include "tests/fuzz/fuzz.h"
#include "util/error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	git_libgit2_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fs_bundle *b = NULL;
	const unsigned char *pack;
	size_t len;

	if (fs_bundle_parse(&b, data, size, "input") < 0)
		goto done;
	FUZZ_ASSERT(fs_bundle_ref_count(b) >= 1);
	FUZZ_ASSERT(fs_bundle_ref_count(b) + fs_bundle_prerequisite_count(b) <= FS_BUNDLE_MAX_REFS);
	for (size_t i = 0; i < fs_bundle_ref_count(b); i++)
		FUZZ_ASSERT(git_reference_is_valid_name(fs_bundle_refs(b)[i].ref));
	pack = fs_bundle_pack(b, &len);
	FUZZ_ASSERT(len >= 32 && len < size && memcmp(pack, "PACK", 4) == 0);
done:
	fs_error_clear();
	fs_bundle_free(b);
	return 0;
}
