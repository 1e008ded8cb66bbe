/*
 * buf.h - a growable byte buffer, always NUL-terminated
 *
 * Start with FS_BUF_INIT, release with fs_buf_dispose(). After an allocation
 * failure the buffer is marked broken: further appends do nothing and return
 * FS_ENOMEM, so a caller can build a string in many steps and check once.
 */
#ifndef FS_BUF_H
#define FS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *ptr;
	size_t size;  /* bytes used, not counting the NUL */
	size_t asize; /* bytes allocated; 0 with a broken buffer */
	int broken;
} fs_buf;

#define FS_BUF_INIT { NULL, 0, 0, 0 }

int fs_buf_grow(fs_buf *buf, size_t extra);
int fs_buf_put(fs_buf *buf, const void *data, size_t len);
int fs_buf_puts(fs_buf *buf, const char *s);
int fs_buf_putc(fs_buf *buf, char c);
int fs_buf_printf(fs_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fs_buf_vprintf(fs_buf *buf, const char *fmt, va_list ap);

/* Empty the buffer but keep its memory. */
void fs_buf_clear(fs_buf *buf);

/* Wipe (sodium_memzero) and free: for buffers that held secrets. */
void fs_buf_dispose_secure(fs_buf *buf);
void fs_buf_dispose(fs_buf *buf);

/* Take the string out of the buffer; the caller frees it with fs_free(). */
char *fs_buf_detach(fs_buf *buf);

/* 0, or FS_ENOMEM (with the error set) if an append failed. */
int fs_buf_check(const fs_buf *buf);

/* The contents as a C string: "" for an empty buffer, never NULL. */
const char *fs_buf_cstr(const fs_buf *buf);

#endif
