/*
 * fuzz_signers.c - the allowed_signers parser (hub/signers)
 *
 * Every entry parsed comes from a line of the input, and looking a key up
 * finds only entries that hold that key.
 */
#include <string.h>

#include "node/signers.h"
#include "tests/fuzz/fuzz.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fs_signers *s = NULL;
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (fs_signers_parse(&s, (const char *)data, size, "signers") < 0)
		goto done;
	FUZZ_ASSERT(fs_signers_count(s) <= lines);
	for (size_t i = 0; i < fs_signers_count(s); i++) {
		const fs_signer *e = fs_signers_get(s, i), *f;
		FUZZ_ASSERT(e->line >= 1 && e->line <= lines);
		FUZZ_ASSERT(e->principals != NULL);
		f = fs_signers_find_key(s, e->public_key, "git", e->valid_after);
		if (f)
			FUZZ_ASSERT(memcmp(f->public_key, e->public_key, sizeof(e->public_key)) == 0);
		f = fs_signers_find(s, e->principals, e->public_key, "git", e->valid_before - 1);
		if (f)
			FUZZ_ASSERT(memcmp(f->public_key, e->public_key, sizeof(e->public_key)) == 0);
	}
done:
	fs_error_clear();
	fs_signers_free(s);
	return 0;
}
