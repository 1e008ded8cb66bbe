#include "util/csvread.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

struct fs_csv {
	char *text;     /* every field, NUL-terminated, one after the other */
	size_t *fields; /* offset of each field in text, row by row */
	size_t *lines;  /* line each record starts on */
	size_t size;    /* of text, to wipe it: form exports hold names */
	size_t rows, width;
};

static char guess(const char *p, const char *end)
{
	size_t commas = 0, semis = 0;

	for (; p < end && *p != '\n'; p++)
		commas += *p == ',', semis += *p == ';';
	return semis > commas ? ';' : ',';
}

static int grow(size_t **v, size_t *cap, size_t n)
{
	size_t *p;

	if (n < *cap)
		return 0;
	if (!(p = fs_realloc(*v, (*cap ? 2 * *cap : 256) * sizeof(**v))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	*v = p;
	*cap = *cap ? 2 * *cap : 256;
	return 0;
}

int fs_csv_parse(fs_csv **out, const char *data, size_t len, char delim, const char *what)
{
	const char *p = data, *end = data + len;
	size_t line = 1, nf = 0, capf = 0, capl = 0, in_row = 0;
	fs_buf text = FS_BUF_INIT;
	fs_csv *c = fs_calloc(1, sizeof(*c));
	int rc = 0;

	*out = NULL;
	if (!c)
		return fs_error_set(FS_ENOMEM, "out of memory");
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	if (!delim)
		delim = guess(p, end);
	while (p < end && rc == 0) {
		size_t start = line;
		/* one record: fields until an unquoted line end */
		in_row = 0;
		for (;;) {
			if ((rc = grow(&c->fields, &capf, nf)) < 0)
				break;
			c->fields[nf++] = text.size;
			in_row++;
			if (p < end && *p == '"') {
				for (p++;; p++) {
					if (p >= end) {
						rc = fs_error_set(FS_EINVALID, "%s: line %zu: a quote that "
								  "never closes", what, start);
						break;
					}
					if (*p == '"' && p + 1 < end && p[1] == '"') {
						fs_buf_putc(&text, '"');
						p++;
					} else if (*p == '"') {
						p++;
						break;
					} else {
						line += *p == '\n';
						fs_buf_putc(&text, *p);
					}
				}
				if (rc < 0)
					break;
				if (p < end && *p != delim && *p != '\n' && *p != '\r') {
					rc = fs_error_set(FS_EINVALID, "%s: line %zu: text after a closing "
							  "quote", what, line);
					break;
				}
			} else {
				const char *s = p;
				while (p < end && *p != delim && *p != '\n' && *p != '\r')
					p++;
				fs_buf_put(&text, s, (size_t)(p - s));
			}
			fs_buf_putc(&text, '\0');
			if (p < end && *p == delim) {
				p++;
				continue;
			}
			if (p < end && *p == '\r')
				p++;
			if (p < end && *p == '\n')
				p++;
			line++;
			break;
		}
		if (rc < 0)
			break;
		if (c->rows == 0)
			c->width = in_row;
		else if (in_row == 1 && text.ptr[c->fields[nf - 1]] == '\0') {
			nf--; /* a blank line */
			continue;
		} else if (in_row != c->width) {
			rc = fs_error_set(FS_EINVALID, "%s: line %zu: %zu fields, the header has %zu",
					  what, start, in_row, c->width);
			break;
		}
		if ((rc = grow(&c->lines, &capl, c->rows)) < 0)
			break;
		c->lines[c->rows++] = start;
	}
	if (rc == 0)
		rc = fs_buf_check(&text);
	if (rc == 0 && c->rows == 0)
		rc = fs_error_set(FS_EINVALID, "%s: empty (no header line)", what);
	if (rc < 0) {
		fs_buf_dispose_secure(&text);
		fs_csv_free(c);
		return rc;
	}
	c->size = text.size;
	c->text = fs_buf_detach(&text);
	*out = c;
	return 0;
}

void fs_csv_free(fs_csv *c)
{
	if (!c)
		return;
	if (c->text)
		sodium_memzero(c->text, c->size);
	fs_free(c->text);
	fs_free(c->fields);
	fs_free(c->lines);
	fs_free(c);
}

size_t fs_csv_count(const fs_csv *c) { return c->rows; }
size_t fs_csv_width(const fs_csv *c) { return c->width; }
size_t fs_csv_line(const fs_csv *c, size_t row) { return c->lines[row]; }

const char *fs_csv_field_at(const fs_csv *c, size_t row, size_t col)
{
	return c->text + c->fields[row * c->width + col];
}
