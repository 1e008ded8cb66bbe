#include "util/csv.h"

#include <string.h>

int fs_csv_field(fs_buf *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")])
		return fs_buf_puts(out, s);
	fs_buf_putc(out, '"');
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		fs_buf_put(out, s, (size_t)(q - s) + 1);
		fs_buf_putc(out, '"');
	}
	fs_buf_puts(out, s);
	return fs_buf_putc(out, '"');
}

int fs_csv_row(fs_buf *out, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fs_buf_putc(out, ',');
		fs_csv_field(out, fields[i]);
	}
	return fs_buf_puts(out, "\r\n");
}
