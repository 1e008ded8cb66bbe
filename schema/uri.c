#include "schema/uri.h"

#include <string.h>

#include "util/ascii.h"

size_t fs_uri_strip_fragment(const char *uri)
{
	return strcspn(uri, "#");
}

/* Length of "scheme:" at the start of s, or 0 if s has no scheme. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;

	if (!fs_ascii_isalpha((unsigned char)s[0]))
		return 0;
	while (fs_ascii_isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i + 1 : 0;
}

/* Remove "." and ".." segments from a path (RFC 3986, 5.2.4). */
static void remove_dots(fs_buf *out, const char *path, size_t len)
{
	char seg[1024];
	size_t start = out->size;

	while (len) {
		size_t n;
		if (len >= 3 && strncmp(path, "../", 3) == 0) { path += 3; len -= 3; continue; }
		if (len >= 2 && strncmp(path, "./", 2) == 0) { path += 2; len -= 2; continue; }
		if ((len >= 3 && strncmp(path, "/./", 3) == 0)) { path += 2; len -= 2; continue; }
		if (len == 2 && strncmp(path, "/.", 2) == 0) { path = "/"; len = 1; continue; }
		if ((len >= 4 && strncmp(path, "/../", 4) == 0) || (len == 3 && strncmp(path, "/..", 3) == 0)) {
			/* drop the last segment written */
			while (out->size > start && out->ptr[out->size - 1] != '/')
				out->size--;
			if (out->size > start)
				out->size--;
			out->ptr[out->size] = '\0';
			if (len == 3) { path = "/"; len = 1; } else { path += 3; len -= 3; }
			continue;
		}
		if ((len == 1 && *path == '.') || (len == 2 && strncmp(path, "..", 2) == 0))
			break;
		n = 1;
		while (n < len && path[n] != '/')
			n++;
		if (n >= sizeof(seg))
			n = sizeof(seg) - 1;
		fs_buf_put(out, path, n);
		path += n;
		len -= n;
	}
}

int fs_uri_resolve(fs_buf *out, const char *base, const char *ref)
{
	size_t bs = scheme_len(base), auth_end, path_end, base_nofrag;
	int rc;
	const char *q;

	if (scheme_len(ref)) {
		fs_buf_puts(out, ref);
		return fs_buf_check(out);
	}
	base_nofrag = fs_uri_strip_fragment(base);
	if (ref[0] == '#' || ref[0] == '\0') {
		fs_buf_put(out, base, base_nofrag);
		fs_buf_puts(out, ref);
		return fs_buf_check(out);
	}
	/* authority: "//host" after the scheme */
	auth_end = bs;
	if (strncmp(base + bs, "//", 2) == 0)
		auth_end = bs + 2 + strcspn(base + bs + 2, "/?#");
	if (strncmp(ref, "//", 2) == 0) {
		fs_buf_put(out, base, bs);
		fs_buf_puts(out, ref);
		return fs_buf_check(out);
	}
	fs_buf_put(out, base, auth_end);
	if (ref[0] == '/') {
		size_t n = strcspn(ref, "?#");
		remove_dots(out, ref, n);
		fs_buf_puts(out, ref + n);
		return fs_buf_check(out);
	}
	/* merge: the base path up to its last '/', then the reference */
	path_end = auth_end + strcspn(base + auth_end, "?#");
	{
		fs_buf merged = FS_BUF_INIT;
		size_t last = path_end;
		while (last > auth_end && base[last - 1] != '/')
			last--;
		if (last == auth_end && auth_end > bs)
			fs_buf_putc(&merged, '/');
		fs_buf_put(&merged, base + auth_end, last - auth_end);
		q = ref + strcspn(ref, "?#");
		fs_buf_put(&merged, ref, (size_t)(q - ref));
		/* a broken buffer reads as "", which would resolve to the base */
		if ((rc = fs_buf_check(&merged)) == 0) {
			remove_dots(out, fs_buf_cstr(&merged), merged.size);
			fs_buf_puts(out, q);
		}
		fs_buf_dispose(&merged);
		if (rc < 0)
			return rc;
	}
	return fs_buf_check(out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int fs_uri_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '%') {
			int h = hexval(s[1]), l = h < 0 ? -1 : hexval(s[2]);
			if (l < 0)
				return -1;
			*w++ = (char)(h * 16 + l);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}
