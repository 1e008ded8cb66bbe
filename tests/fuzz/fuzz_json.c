/*
 * fuzz_json.c - the strict JSON reader and the canonical writer
 *
 * Whatever parses has one canonical form, which parses again to the same
 * form: the same record is always the same blob on every node.
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "util/error.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *a = NULL, *b = NULL;
	fs_buf c1 = FS_BUF_INIT, c2 = FS_BUF_INIT, compact = FS_BUF_INIT;

	if (fs_json_parse(&a, (const char *)data, size, "input") < 0)
		goto done;
	if (fs_json_canonical(&c1, a) < 0 || fs_json_compact(&compact, a) < 0)
		goto done; /* out of memory only */
	FUZZ_ASSERT(fs_json_parse(&b, c1.ptr, c1.size, "canonical") == 0);
	FUZZ_ASSERT(fs_json_canonical(&c2, b) == 0);
	FUZZ_ASSERT(c1.size == c2.size && memcmp(c1.ptr, c2.ptr, c1.size) == 0);
	FUZZ_ASSERT(c1.size > 0 && c1.ptr[c1.size - 1] == '\n');
	cJSON_Delete(b);
	b = NULL;
	/* the one-line form is the same document */
	FUZZ_ASSERT(memchr(compact.ptr, '\n', compact.size) == NULL);
	FUZZ_ASSERT(fs_json_parse(&b, compact.ptr, compact.size, "compact") == 0);
	fs_buf_clear(&c2);
	FUZZ_ASSERT(fs_json_canonical(&c2, b) == 0);
	FUZZ_ASSERT(c1.size == c2.size && memcmp(c1.ptr, c2.ptr, c1.size) == 0);
done:
	fs_error_clear();
	cJSON_Delete(a);
	cJSON_Delete(b);
	fs_buf_dispose(&c1);
	fs_buf_dispose(&c2);
	fs_buf_dispose(&compact);
	return 0;
}
