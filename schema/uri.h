/*
 * uri.h - the part of RFC 3986 that JSON Schema's $id and $ref need
 */
#ifndef FS_SCHEMA_URI_H
#define FS_SCHEMA_URI_H

#include "util/buf.h"

/* Resolve `ref` against the absolute URI `base` into `out` (RFC 3986, 5.2). */
int fs_uri_resolve(fs_buf *out, const char *base, const char *ref);

/* Length of `uri` without its fragment (the part from '#'). */
size_t fs_uri_strip_fragment(const char *uri);

/* Decode %XX escapes of a URI fragment in place; -1 on a bad escape. */
int fs_uri_unescape(char *s);

#endif
