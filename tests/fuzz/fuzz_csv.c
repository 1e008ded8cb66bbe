/*
 * fuzz_csv.c - the reader of form tools' CSV exports
 *
 * Whatever it accepts has a header and rows of the header's width, each
 * starting on a line that exists, in order.
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "util/csvread.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fs_csv *csv = NULL;
	size_t lines = 1;

	/* line ends: LF, CRLF, or a CR alone (which ends a record too) */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	if (fs_csv_parse(&csv, (const char *)data, size, 0, "input") < 0)
		goto done;
	FUZZ_ASSERT(fs_csv_count(csv) >= 1 && fs_csv_width(csv) >= 1);
	for (size_t r = 0; r < fs_csv_count(csv); r++) {
		FUZZ_ASSERT(fs_csv_line(csv, r) >= 1 && fs_csv_line(csv, r) <= lines);
		FUZZ_ASSERT(r == 0 || fs_csv_line(csv, r) > fs_csv_line(csv, r - 1));
		for (size_t c = 0; c < fs_csv_width(csv); c++)
			FUZZ_ASSERT(strlen(fs_csv_field_at(csv, r, c)) <= size);
	}
done:
	fs_error_clear();
	fs_csv_free(csv);
	return 0;
}
