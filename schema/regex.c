#include "schema/regex.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"

struct fs_regex {
	regex_t re;
};

static void put_utf8(fs_buf *b, unsigned cp, int escape)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		if (escape && strchr(".[]()*+?{}|^$\\", (int)cp) && cp)
			fs_buf_putc(b, '\\');
		fs_buf_putc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
	} else {
		u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
	}
	fs_buf_put(b, u, n);
}

static int unsupported(const char *pattern, const char *what)
{
	return fs_error_set(FS_EINVALID, "pattern '%s': %s is not supported", pattern, what);
}

/* ECMA-262 -> POSIX ERE */
static int translate(fs_buf *out, const char *pat)
{
	int in_class = 0;

	for (const char *p = pat; *p; p++) {
		if (*p == '\\') {
			char c = *++p;
			unsigned cp;
			if (!c)
				return unsupported(pat, "a trailing backslash");
			switch (c) {
			case 'd': fs_buf_puts(out, in_class ? "0-9" : "[0-9]"); continue;
			case 'w': fs_buf_puts(out, in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]"); continue;
			case 's': fs_buf_puts(out, in_class ? "[:space:]" : "[[:space:]]"); continue;
			case 'D': case 'W': case 'S':
				if (in_class)
					return unsupported(pat, "a negated class escape inside []");
				fs_buf_puts(out, c == 'D' ? "[^0-9]" : c == 'W' ? "[^A-Za-z0-9_]" : "[^[:space:]]");
				continue;
			case 'n': fs_buf_putc(out, '\n'); continue;
			case 't': fs_buf_putc(out, '\t'); continue;
			case 'r': fs_buf_putc(out, '\r'); continue;
			case 'u':
				if (fs_hex4(p + 1, &cp) < 0)
					return unsupported(pat, "a malformed \\u escape");
				put_utf8(out, cp, !in_class);
				p += 4;
				continue;
			default:
				if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
					return unsupported(pat, "this backslash escape");
				if (in_class) {
					/* in a POSIX bracket a backslash is literal: drop it */
					if (c == ']' || c == '-' || c == '^')
						return unsupported(pat, "an escaped ], - or ^ inside []");
					fs_buf_putc(out, c);
				} else {
					fs_buf_putc(out, '\\');
					fs_buf_putc(out, c);
				}
				continue;
			}
		}
		if (in_class) {
			if (*p == ']')
				in_class = 0;
			fs_buf_putc(out, *p);
			continue;
		}
		if (*p == '[') {
			in_class = 1;
			fs_buf_putc(out, '[');
			if (p[1] == '^')
				fs_buf_putc(out, *++p);
			if (p[1] == ']')
				fs_buf_putc(out, *++p);
			continue;
		}
		if (*p == '(' && p[1] == '?') {
			if (p[2] == ':') {
				fs_buf_putc(out, '(');
				p += 2;
				continue;
			}
			return unsupported(pat, "look-around");
		}
		if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '?')
			return unsupported(pat, "a lazy quantifier");
		fs_buf_putc(out, *p);
	}
	return fs_buf_check(out);
}

int fs_regex_compile(fs_regex **out, const char *pattern)
{
	fs_buf ere = FS_BUF_INIT;
	fs_regex *re = NULL;
	int rc;

	*out = NULL;
	if ((rc = translate(&ere, pattern)) < 0)
		goto done;
	if (!(re = malloc(sizeof(*re)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if (regcomp(&re->re, fs_buf_cstr(&ere), REG_EXTENDED | REG_NOSUB) != 0) {
		free(re);
		re = NULL;
		rc = fs_error_set(FS_EINVALID, "pattern '%s': not a regular expression this "
				  "validator can use", pattern);
		goto done;
	}
	*out = re;
done:
	fs_buf_dispose(&ere);
	return rc;
}

int fs_regex_search(const fs_regex *re, const char *s)
{
	return regexec(&re->re, s, 0, NULL, 0) == 0;
}

void fs_regex_free(fs_regex *re)
{
	if (!re)
		return;
	regfree(&re->re);
	free(re);
}
