#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/error.h"

int fs_buf_grow(fs_buf *buf, size_t extra)
{
	size_t need, asize;
	char *p;

	if (buf->broken)
		return FS_ENOMEM;
	if (extra > SIZE_MAX - buf->size - 1)
		goto broken;
	need = buf->size + extra + 1;
	if (need <= buf->asize)
		return 0;
	asize = buf->asize ? buf->asize : 64;
	while (asize < need)
		asize = asize > SIZE_MAX / 2 ? need : asize * 2;
	p = fs_realloc(buf->ptr, asize);
	if (!p)
		goto broken;
	buf->ptr = p;
	buf->asize = asize;
	return 0;
broken:
	buf->broken = 1;
	return fs_error_set(FS_ENOMEM, "out of memory");
}

int fs_buf_put(fs_buf *buf, const void *data, size_t len)
{
	if (fs_buf_grow(buf, len) < 0)
		return FS_ENOMEM;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int fs_buf_puts(fs_buf *buf, const char *s)
{
	return fs_buf_put(buf, s, strlen(s));
}

int fs_buf_putc(fs_buf *buf, char c)
{
	return fs_buf_put(buf, &c, 1);
}

int fs_buf_vprintf(fs_buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return fs_error_set(FS_ERROR, "bad format string");
	if (fs_buf_grow(buf, (size_t)n) < 0)
		return FS_ENOMEM;
	vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	buf->size += (size_t)n;
	return 0;
}

int fs_buf_printf(fs_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fs_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return rc;
}

void fs_buf_clear(fs_buf *buf)
{
	buf->size = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

void fs_buf_dispose(fs_buf *buf)
{
	fs_free(buf->ptr);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
	buf->broken = 0;
}

void fs_buf_dispose_secure(fs_buf *buf)
{
	if (buf->ptr)
		sodium_memzero(buf->ptr, buf->asize);
	fs_buf_dispose(buf);
}

char *fs_buf_detach(fs_buf *buf)
{
	char *p = buf->ptr;

	if (!p)
		p = fs_calloc(1, 1);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
	return p;
}

int fs_buf_check(const fs_buf *buf)
{
	return buf->broken ? fs_error_set(FS_ENOMEM, "out of memory") : 0;
}

const char *fs_buf_cstr(const fs_buf *buf)
{
	return buf->ptr ? buf->ptr : "";
}
