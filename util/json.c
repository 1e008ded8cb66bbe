#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/i18n.h"

/* ---- strict syntax check ------------------------------------------------ */

typedef struct {
	const unsigned char *p, *end, *line_start;
	size_t line;
	int depth;
	const char *err;
} scanner;

static void skip_ws(scanner *s)
{
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '\n') {
			s->line++;
			s->line_start = s->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		s->p++;
	}
}

static int fail(scanner *s, const char *why)
{
	s->err = why;
	return -1;
}

static int scan_string(scanner *s)
{
	s->p++; /* opening quote */
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(s, _("control character in string (escape it)"));
		if (c == '\\') {
			unsigned u, lo;
			if (s->end - s->p < 2)
				break;
			switch (s->p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				s->p += 2;
				continue;
			case 'u':
				if (s->end - s->p < 6 || fs_hex4((const char *)s->p + 2, &u) < 0)
					return fail(s, _("bad \\u escape"));
				if (u == 0)
					return fail(s, _("NUL character in string"));
				if (u >= 0xDC00 && u <= 0xDFFF)
					return fail(s, _("lone low surrogate in \\u escape"));
				s->p += 6;
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
					    fs_hex4((const char *)s->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
						return fail(s, _("lone high surrogate in \\u escape"));
					s->p += 6;
				}
				continue;
			default:
				return fail(s, _("unknown escape in string"));
			}
		}
		if (c < 0x80) {
			s->p++;
			continue;
		}
		size_t n = fs_utf8_valid_prefix(s->p, (size_t)(s->end - s->p));
		if (n == 0)
			return fail(s, _("invalid UTF-8 in string"));
		s->p += n;
	}
	return fail(s, _("unterminated string"));
}

static int digits(scanner *s)
{
	const unsigned char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

static int scan_number(scanner *s)
{
	const unsigned char *start = s->p;

	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
		if (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			return fail(s, _("leading zero in number"));
	} else if (digits(s) < 0) {
		return fail(s, _("bad number"));
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s) < 0)
			return fail(s, _("bad number: digits expected after '.'"));
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) < 0)
			return fail(s, _("bad number: digits expected in exponent"));
	}
	if (s->p - start > 63) /* cJSON's limit for one number */
		return fail(s, _("number too long"));
	return 0;
}

static int scan_literal(scanner *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, _("unexpected character"));
	s->p += n;
	return 0;
}

static int scan_value(scanner *s);

static int scan_container(scanner *s, unsigned char close)
{
	if (++s->depth > FS_JSON_MAX_DEPTH)
		return fail(s, _("nested too deeply"));
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end)
			return fail(s, close == '}' ? _("unterminated object") : _("unterminated array"));
		if (close == '}') {
			if (*s->p != '"')
				return fail(s, _("expected a string key"));
			if (scan_string(s) < 0)
				return -1;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return fail(s, _("expected ':' after key"));
			s->p++;
		}
		if (scan_value(s) < 0)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			if (s->p < s->end && *s->p == close)
				return fail(s, _("trailing comma"));
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			return 0;
		}
		if (s->p >= s->end)
			return fail(s, close == '}' ? _("unterminated object") : _("unterminated array"));
		return fail(s, close == '}' ? _("expected ',' or '}'") : _("expected ',' or ']'"));
	}
}

static int scan_value(scanner *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, _("unexpected end of input"));
	switch (*s->p) {
	case '{': return scan_container(s, '}');
	case '[': return scan_container(s, ']');
	case '"': return scan_string(s);
	case 't': return scan_literal(s, "true");
	case 'f': return scan_literal(s, "false");
	case 'n': return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return fail(s, _("unexpected character"));
	}
}

static int syntax_error(scanner *s, const char *what)
{
	size_t col = 1;
	for (const unsigned char *q = s->line_start; q < s->p && q < s->end; q++)
		if ((*q & 0xC0) != 0x80)
			col++;
	return fs_error_set(FS_EINVALID, "%s: malformed JSON at line %zu, column %zu: %s",
			    what, s->line, col, s->err);
}

/* ---- checks that need the tree ------------------------------------------ */

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

/* Children of an object, sorted by key. The caller frees the array. */
static const cJSON **sorted_children(const cJSON *obj, size_t *count)
{
	size_t n = 0, i = 0;
	const cJSON *c;
	const cJSON **v;

	for (c = obj->child; c; c = c->next)
		n++;
	v = fs_malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (c = obj->child; c; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cmp_keys);
	*count = n;
	return v;
}

static int check_tree(const cJSON *item, const char *what)
{
	const cJSON *c;

	if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
		return fs_error_set(FS_EINVALID, "%s: number out of range", what);
	if (cJSON_IsObject(item) && item->child) {
		size_t n;
		const cJSON **v = sorted_children(item, &n);
		if (!v)
			return fs_error_set(FS_ENOMEM, "out of memory");
		for (size_t i = 1; i < n; i++) {
			if (strcmp(v[i - 1]->string, v[i]->string) == 0) {
				int rc = fs_error_set(FS_EINVALID, "%s: duplicate key \"%s\"", what,
						      v[i]->string);
				fs_free(v);
				return rc;
			}
		}
		fs_free(v);
	}
	for (c = item->child; c; c = c->next)
		if (check_tree(c, what) < 0)
			return fs_error_last()->code;
	return 0;
}

int fs_json_parse(cJSON **out, const char *data, size_t len, const char *what)
{
	scanner s;
	cJSON *root = NULL;
	const char *end = NULL;

	*out = NULL;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3; /* a byte order mark is allowed to be ignored (RFC 8259 8.1) */
		len -= 3;
	}
	s.p = s.line_start = (const unsigned char *)data;
	s.end = s.p + len;
	s.line = 1;
	s.depth = 0;
	s.err = NULL;
	if (memchr(data, '\0', len)) {
		s.p = memchr(data, '\0', len);
		s.err = _("NUL byte in input");
		return syntax_error(&s, what);
	}
	if (scan_value(&s) < 0)
		return syntax_error(&s, what);
	skip_ws(&s);
	if (s.p != s.end) {
		s.err = _("unexpected data after the JSON value");
		return syntax_error(&s, what);
	}
	root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!root)
		return fs_error_set(FS_ENOMEM, "%s: out of memory while parsing", what);
	if (check_tree(root, what) < 0) {
		cJSON_Delete(root);
		return fs_error_last()->code;
	}
	*out = root;
	return 0;
}

int fs_json_set(cJSON *obj, const char *name, cJSON *v)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!v)
		return fs_error_set(FS_ENOMEM, "out of memory");
	if (old && (v->string = cJSON_malloc(strlen(name) + 1))) {
		strcpy(v->string, name);
		v->type &= ~cJSON_StringIsConst;
		cJSON_ReplaceItemViaPointer(obj, old, v);
		return 0;
	}
	if (!old && cJSON_AddItemToObject(obj, name, v))
		return 0;
	cJSON_Delete(v);
	return fs_error_set(FS_ENOMEM, "out of memory");
}

int fs_json_parse_stored(cJSON **out, const char *data, size_t len, const char *what)
{
	if ((*out = cJSON_ParseWithLength(data, len)))
		return 0;
	return fs_json_parse(out, data, len, what);
}

/* ---- canonical output ---------------------------------------------------- */

int fs_json_is_integer(double v)
{
	return isfinite(v) && v == floor(v) && fabs(v) <= 9007199254740992.0;
}

int fs_json_put_number(fs_buf *out, double v)
{
	char tmp[40];

	if (!isfinite(v))
		return fs_error_set(FS_EINVALID, "number is not finite");
	if (fs_json_is_integer(v))
		return fs_buf_printf(out, "%lld", (long long)v + 0LL);
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return fs_buf_puts(out, tmp);
}

int fs_json_put_string(fs_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	fs_buf_putc(out, '"');
	for (; *p; p++) {
		const char *esc = NULL;
		char u[8];
		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (*p < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x", *p);
				esc = u;
			}
		}
		if (esc) {
			fs_buf_put(out, run, (size_t)(p - run));
			fs_buf_puts(out, esc);
			run = p + 1;
		}
	}
	fs_buf_put(out, run, (size_t)(p - run));
	fs_buf_putc(out, '"');
	return fs_buf_check(out);
}

static void indent(fs_buf *out, int level)
{
	for (int i = 0; i < level; i++)
		fs_buf_put(out, "  ", 2);
}

/* level < 0: compact, no whitespace at all */
static void newline(fs_buf *out, int level)
{
	if (level < 0)
		return;
	fs_buf_putc(out, '\n');
	indent(out, level);
}

static int put_value(fs_buf *out, const cJSON *item, int level)
{
	int inner = level < 0 ? level : level + 1;

	if (cJSON_IsNull(item))
		return fs_buf_puts(out, "null");
	if (cJSON_IsTrue(item))
		return fs_buf_puts(out, "true");
	if (cJSON_IsFalse(item))
		return fs_buf_puts(out, "false");
	if (cJSON_IsNumber(item))
		return fs_json_put_number(out, item->valuedouble);
	if (cJSON_IsString(item))
		return fs_json_put_string(out, item->valuestring);
	if (cJSON_IsArray(item)) {
		const cJSON *c;
		if (!item->child)
			return fs_buf_puts(out, "[]");
		fs_buf_putc(out, '[');
		for (c = item->child; c; c = c->next) {
			newline(out, inner);
			if (put_value(out, c, inner) < 0)
				return -1;
			if (c->next)
				fs_buf_putc(out, ',');
		}
		newline(out, level);
		return fs_buf_putc(out, ']');
	}
	if (cJSON_IsObject(item)) {
		size_t n;
		const cJSON **v;
		int rc = 0;
		if (!item->child)
			return fs_buf_puts(out, "{}");
		if (!(v = sorted_children(item, &n)))
			return fs_error_set(FS_ENOMEM, "out of memory");
		fs_buf_putc(out, '{');
		for (size_t i = 0; i < n && rc == 0; i++) {
			newline(out, inner);
			fs_json_put_string(out, v[i]->string);
			fs_buf_puts(out, level < 0 ? ":" : ": ");
			rc = put_value(out, v[i], inner);
			if (i + 1 < n)
				fs_buf_putc(out, ',');
		}
		fs_free(v);
		if (rc < 0)
			return rc;
		newline(out, level);
		return fs_buf_putc(out, '}');
	}
	return fs_error_set(FS_EINVALID, "not a JSON value");
}

int fs_json_canonical(fs_buf *out, const cJSON *item)
{
	int rc = put_value(out, item, 0);
	if (rc < 0)
		return rc;
	fs_buf_putc(out, '\n');
	return fs_buf_check(out);
}

int fs_json_compact(fs_buf *out, const cJSON *item)
{
	int rc = put_value(out, item, -1);
	return rc < 0 ? rc : fs_buf_check(out);
}

const char *fs_json_string(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Zero the keys and strings of `item`, of what it holds, and with `siblings`, of those after it. */
static void wipe(cJSON *item, int siblings)
{
	for (; item; item = siblings ? item->next : NULL) {
		if (item->string)
			sodium_memzero(item->string, strlen(item->string));
		if (item->valuestring)
			sodium_memzero(item->valuestring, strlen(item->valuestring));
		wipe(item->child, 1);
	}
}

void fs_json_delete_secure(cJSON *item)
{
	/* the siblings of a detached item are not its own: only it and below */
	wipe(item, 0);
	cJSON_Delete(item);
}
