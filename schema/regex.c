#include "schema/regex.h"

#include <locale.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/i18n.h"

struct fs_regex {
	regex_t re;
};

#define MAX_CP 0x10FFFF
#define MAX_RANGES 256

/*
 * A set of characters: ASCII members one by one, the rest as ranges of code
 * points. Classes, ".", \s and their negations all become one of these, and
 * a set is written out as byte-level alternatives that match whole UTF-8
 * characters (POSIX regexec in the C locale sees bytes).
 */
typedef struct {
	unsigned char ascii[128];
	unsigned lo[MAX_RANGES + 1], hi[MAX_RANGES + 1]; /* + 1: a complement */
	size_t n;
} cset;

typedef struct {
	const char *pat; /* the whole pattern, for messages */
	const char *p;   /* the next character to read */
	fs_buf *out;
} tr;

/* ECMA-262 WhiteSpace and LineTerminator past ASCII, as ranges */
static const unsigned uspace[][2] = {
	{ 0xA0, 0xA0 }, { 0x1680, 0x1680 }, { 0x2000, 0x200A }, { 0x2028, 0x2029 },
	{ 0x202F, 0x202F }, { 0x205F, 0x205F }, { 0x3000, 0x3000 }, { 0xFEFF, 0xFEFF },
};

static int unsupported(const tr *t, const char *what)
{
	return fs_error_set(FS_EINVALID, "pattern '%s': %s is not supported", t->pat, what);
}

static int add_range(const tr *t, cset *s, unsigned lo, unsigned hi)
{
	for (; lo <= hi && lo < 0x80; lo++)
		s->ascii[lo] = 1;
	if (lo > hi)
		return 0;
	if (s->n == MAX_RANGES)
		return unsupported(t, _("a character class this large"));
	s->lo[s->n] = lo;
	s->hi[s->n] = hi;
	s->n++;
	return 0;
}

/* Sort and merge the ranges (insertion sort: classes are small). */
static void normalize(cset *s)
{
	size_t w = 0;

	for (size_t i = 1; i < s->n; i++) {
		unsigned lo = s->lo[i], hi = s->hi[i];
		size_t j = i;
		for (; j > 0 && s->lo[j - 1] > lo; j--) {
			s->lo[j] = s->lo[j - 1];
			s->hi[j] = s->hi[j - 1];
		}
		s->lo[j] = lo;
		s->hi[j] = hi;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (w && s->lo[i] <= s->hi[w - 1] + 1) {
			if (s->hi[i] > s->hi[w - 1])
				s->hi[w - 1] = s->hi[i];
			continue;
		}
		s->lo[w] = s->lo[i];
		s->hi[w] = s->hi[i];
		w++;
	}
	s->n = w;
}

/* Every character not in s (NUL excepted: it cannot occur in a C string). */
static void complement(cset *s)
{
	cset c;
	unsigned next = 0x80;

	memset(&c, 0, sizeof(c));
	normalize(s);
	for (int i = 1; i < 128; i++)
		c.ascii[i] = !s->ascii[i];
	for (size_t i = 0; i < s->n; i++) {
		if (s->lo[i] > next) {
			c.lo[c.n] = next;
			c.hi[c.n++] = s->lo[i] - 1;
		}
		next = s->hi[i] + 1;
	}
	if (next <= MAX_CP) {
		c.lo[c.n] = next;
		c.hi[c.n++] = MAX_CP;
	}
	*s = c;
}

static size_t utf8_encode(unsigned cp, unsigned char *u)
{
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	u[0] = (unsigned char)(0xF0 | cp >> 18);
	u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	u[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void put_byte_range(fs_buf *out, unsigned char lo, unsigned char hi)
{
	if (lo == hi) {
		fs_buf_putc(out, (char)lo);
		return;
	}
	fs_buf_putc(out, '[');
	fs_buf_putc(out, (char)lo);
	fs_buf_putc(out, '-');
	fs_buf_putc(out, (char)hi);
	fs_buf_putc(out, ']');
}

/*
 * Alternatives matching the UTF-8 encodings of [lo, hi] (non-ASCII, of one
 * encoded length): split until each piece is a fixed prefix followed by full
 * continuation ranges, the way RE2 and Rust's regex-syntax do.
 */
static void utf8_alts(fs_buf *out, unsigned lo, unsigned hi, int *first)
{
	unsigned char a[4], b[4];
	size_t n;

	for (int i = 1; i < 4; i++) {
		unsigned m = (1u << (6 * i)) - 1;
		if ((lo & ~m) == (hi & ~m))
			continue;
		if ((lo & m) != 0) {
			utf8_alts(out, lo, lo | m, first);
			utf8_alts(out, (lo | m) + 1, hi, first);
			return;
		}
		if ((hi & m) != m) {
			utf8_alts(out, lo, (hi & ~m) - 1, first);
			utf8_alts(out, hi & ~m, hi, first);
			return;
		}
	}
	n = utf8_encode(lo, a);
	utf8_encode(hi, b);
	if (!*first)
		fs_buf_putc(out, '|');
	*first = 0;
	for (size_t k = 0; k < n; k++)
		put_byte_range(out, a[k], b[k]);
}

/* Split at the encoded-length boundaries and around the surrogates. */
static void range_alts(fs_buf *out, unsigned lo, unsigned hi, int *first)
{
	static const unsigned bounds[][2] = { { 0x80, 0x7FF }, { 0x800, 0xD7FF },
					      { 0xE000, 0xFFFF }, { 0x10000, MAX_CP } };

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		unsigned a = lo > bounds[i][0] ? lo : bounds[i][0];
		unsigned b = hi < bounds[i][1] ? hi : bounds[i][1];
		if (a <= b)
			utf8_alts(out, a, b, first);
	}
}

static void put_literal(fs_buf *out, unsigned cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		if (strchr(".[]()*+?{}|^$\\", (int)cp))
			fs_buf_putc(out, '\\');
		fs_buf_putc(out, (char)cp);
		return;
	}
	/* a group, so that a quantifier applies to the whole character */
	n = utf8_encode(cp, u);
	fs_buf_putc(out, '(');
	fs_buf_put(out, u, n);
	fs_buf_putc(out, ')');
}

/*
 * A POSIX bracket for the ASCII members: "]" first, "-" last, "^" never
 * first, "[" never followed by ":", "." or "="; runs in between are ranges.
 */
static void put_bracket(fs_buf *out, const unsigned char *ascii)
{
	int lead = 0;

	fs_buf_putc(out, '[');
	if (ascii[']']) {
		fs_buf_putc(out, ']');
		lead = 1;
	}
	for (int c = 1; c < 128; c++) {
		int e = c;
		if (!ascii[c] || c == ']' || c == '-' || c == '^' || c == '[')
			continue;
		while (e + 1 < 128 && ascii[e + 1] && e + 1 != ']' && e + 1 != '-' && e + 1 != '^' &&
		       e + 1 != '[')
			e++;
		fs_buf_putc(out, (char)c);
		if (e >= c + 2)
			fs_buf_putc(out, '-');
		if (e > c)
			fs_buf_putc(out, (char)e);
		c = e;
		lead = 1;
	}
	if (ascii['[']) {
		fs_buf_putc(out, '[');
		lead = 1;
	}
	if (ascii['^'] && !lead && ascii['-']) {
		fs_buf_puts(out, "-^]");
		return;
	}
	if (ascii['^'])
		fs_buf_putc(out, '^');
	if (ascii['-'])
		fs_buf_putc(out, '-');
	fs_buf_putc(out, ']');
}

static void put_set(fs_buf *out, cset *s)
{
	size_t nascii = 0;
	int last = 0, first = 1;

	normalize(s);
	for (int c = 1; c < 128; c++)
		if (s->ascii[c]) {
			nascii++;
			last = c;
		}
	if (nascii == 0 && s->n == 0) {
		/* matches nothing: the one character left out is NUL */
		fs_buf_puts(out, "[^\x01-\x7f\x80-\xff]");
		return;
	}
	if (s->n == 0 && nascii == 1) {
		put_literal(out, (unsigned)last);
		return;
	}
	if (s->n == 0) {
		put_bracket(out, s->ascii);
		return;
	}
	fs_buf_putc(out, '(');
	if (nascii) {
		if (nascii == 1)
			put_literal(out, (unsigned)last);
		else
			put_bracket(out, s->ascii);
		first = 0;
	}
	for (size_t i = 0; i < s->n; i++)
		range_alts(out, s->lo[i], s->hi[i], &first);
	fs_buf_putc(out, ')');
}

enum { ESC_CHAR, ESC_SET };

static int class_escape(const tr *t, cset *s, char c)
{
	int rc = 0;

	switch (c) {
	case 'd': case 'D':
		rc = add_range(t, s, '0', '9');
		break;
	case 'w': case 'W':
		if ((rc = add_range(t, s, '0', '9')) == 0 && (rc = add_range(t, s, 'A', 'Z')) == 0 &&
		    (rc = add_range(t, s, 'a', 'z')) == 0)
			rc = add_range(t, s, '_', '_');
		break;
	default: /* s, S */
		if ((rc = add_range(t, s, '\t', '\r')) == 0)
			rc = add_range(t, s, ' ', ' ');
		for (size_t i = 0; rc == 0 && i < sizeof(uspace) / sizeof(uspace[0]); i++)
			rc = add_range(t, s, uspace[i][0], uspace[i][1]);
		break;
	}
	if (rc == 0 && (c == 'D' || c == 'W' || c == 'S'))
		complement(s);
	return rc;
}

/*
 * Read the escape after a backslash (t->p points past it). Either one
 * character (*cp, ESC_CHAR) or a class escape added to *s (ESC_SET).
 */
static int read_escape(tr *t, int in_class, unsigned *cp, cset *s)
{
	char c = *t->p;
	size_t n;

	if (!c)
		return unsupported(t, _("a trailing backslash"));
	t->p++;
	switch (c) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		return class_escape(t, s, c) < 0 ? FS_EINVALID : ESC_SET;
	case 't': *cp = '\t'; return ESC_CHAR;
	case 'n': *cp = '\n'; return ESC_CHAR;
	case 'v': *cp = '\v'; return ESC_CHAR;
	case 'f': *cp = '\f'; return ESC_CHAR;
	case 'r': *cp = '\r'; return ESC_CHAR;
	case 'c':
		if (!((*t->p >= 'a' && *t->p <= 'z') || (*t->p >= 'A' && *t->p <= 'Z')))
			return unsupported(t, _("\\c without a letter"));
		*cp = (unsigned)(*t->p++ % 32);
		return ESC_CHAR;
	case 'x':
		if (fs_hex_digits(t->p, 2, cp) < 0)
			return unsupported(t, "a malformed \\x escape");
		t->p += 2;
		break;
	case 'u':
		if (*t->p == '{') {
			const char *e = strchr(t->p, '}');
			if (!e || e - t->p < 2 || e - t->p > 7 ||
			    fs_hex_digits(t->p + 1, (int)(e - t->p - 1), cp) < 0 || *cp > MAX_CP)
				return unsupported(t, "a malformed \\u{...} escape");
			t->p = e + 1;
		} else {
			if (fs_hex4(t->p, cp) < 0)
				return unsupported(t, "a malformed \\u escape");
			t->p += 4;
			if (*cp >= 0xD800 && *cp <= 0xDBFF) {
				unsigned low;
				if (t->p[0] != '\\' || t->p[1] != 'u' || fs_hex4(t->p + 2, &low) < 0 ||
				    low < 0xDC00 || low > 0xDFFF)
					return unsupported(t, _("a lone surrogate"));
				*cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
				t->p += 6;
			}
		}
		if (*cp >= 0xD800 && *cp <= 0xDFFF)
			return unsupported(t, _("a lone surrogate"));
		break;
	case 'b':
		if (in_class) {
			*cp = '\b';
			return ESC_CHAR;
		}
		return unsupported(t, _("a word boundary (\\b)"));
	case 'B':
		return unsupported(t, _("a word boundary (\\B)"));
	case 'p': case 'P':
		return unsupported(t, _("a Unicode property escape (\\p, \\P)"));
	case 'k':
		return unsupported(t, "a back-reference (\\k)");
	default:
		if (c >= '0' && c <= '9')
			return unsupported(t, c == '0' ? _("a NUL character (\\0)") : "a back-reference");
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return unsupported(t, _("this letter escape"));
		if ((unsigned char)c < 0x80) {
			*cp = (unsigned char)c;
			return ESC_CHAR;
		}
		/* an escaped non-ASCII character is itself */
		t->p--;
		n = fs_utf8_valid_prefix((const unsigned char *)t->p, strlen(t->p));
		if (!n)
			return unsupported(t, _("invalid UTF-8"));
		goto decode;
	}
	if (*cp == 0)
		return unsupported(t, _("a NUL character"));
	return ESC_CHAR;
decode:
	{
		const unsigned char *u = (const unsigned char *)t->p;
		*cp = n == 2 ? (u[0] & 0x1Fu) << 6 | (u[1] & 0x3Fu) :
		      n == 3 ? (u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu) :
			       (u[0] & 0x07u) << 18 | (u[1] & 0x3Fu) << 12 | (u[2] & 0x3Fu) << 6 |
				       (u[3] & 0x3Fu);
		t->p += n;
	}
	return ESC_CHAR;
}

/* One literal character of the pattern (not a backslash). */
static int read_char(tr *t, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)t->p;
	size_t n = fs_utf8_valid_prefix(u, strlen(t->p));

	if (!n)
		return unsupported(t, _("invalid UTF-8"));
	*cp = n == 1 ? u[0] :
	      n == 2 ? (u[0] & 0x1Fu) << 6 | (u[1] & 0x3Fu) :
	      n == 3 ? (u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu) :
		       (u[0] & 0x07u) << 18 | (u[1] & 0x3Fu) << 12 | (u[2] & 0x3Fu) << 6 |
			       (u[3] & 0x3Fu);
	t->p += n;
	return ESC_CHAR;
}

/* One item of a class: a character, or a class escape added to *s. */
static int class_atom(tr *t, unsigned *cp, cset *s)
{
	if (*t->p == '\\') {
		t->p++;
		return read_escape(t, 1, cp, s);
	}
	return read_char(t, cp);
}

/* t->p is past the "[" */
static int translate_class(tr *t)
{
	cset s;
	int negated = 0, rc;

	memset(&s, 0, sizeof(s));
	if (*t->p == '^') {
		negated = 1;
		t->p++;
	}
	while (*t->p != ']') {
		unsigned lo, hi;
		cset part;
		if (!*t->p)
			return unsupported(t, _("an unclosed ["));
		memset(&part, 0, sizeof(part));
		if ((rc = class_atom(t, &lo, &part)) < 0)
			return rc;
		if (rc == ESC_SET) {
			/* merge the escape's set into the class */
			for (int c = 1; c < 128; c++)
				s.ascii[c] |= part.ascii[c];
			for (size_t i = 0; i < part.n; i++)
				if ((rc = add_range(t, &s, part.lo[i], part.hi[i])) < 0)
					return rc;
			continue;
		}
		hi = lo;
		if (t->p[0] == '-' && t->p[1] && t->p[1] != ']') {
			t->p++;
			if ((rc = class_atom(t, &hi, &part)) < 0)
				return rc;
			if (rc == ESC_SET)
				return unsupported(t, _("a class escape as the end of a range"));
			if (hi < lo)
				return unsupported(t, _("a range out of order"));
		}
		if ((rc = add_range(t, &s, lo, hi)) < 0)
			return rc;
	}
	t->p++;
	if (negated)
		complement(&s);
	put_set(t->out, &s);
	return 0;
}

/* "{n}", "{n,}", "{n,m}" at p: its length, or 0 if it is not a quantifier. */
static size_t quantifier(const char *p)
{
	size_t i = 1;

	if (*p != '{' || !(p[i] >= '0' && p[i] <= '9'))
		return 0;
	while (p[i] >= '0' && p[i] <= '9')
		i++;
	if (p[i] == ',') {
		i++;
		while (p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return p[i] == '}' ? i + 1 : 0;
}

/* ECMA-262 -> POSIX ERE */
static int translate(fs_buf *out, const char *pat)
{
	tr t = { pat, pat, out };
	cset s;
	unsigned cp;
	size_t q;
	int rc;

	while (*t.p) {
		char c = *t.p;
		switch (c) {
		case '\\':
			t.p++;
			memset(&s, 0, sizeof(s));
			if ((rc = read_escape(&t, 0, &cp, &s)) < 0)
				return rc;
			if (rc == ESC_SET)
				put_set(out, &s);
			else
				put_literal(out, cp);
			continue;
		case '[':
			t.p++;
			if ((rc = translate_class(&t)) < 0)
				return rc;
			continue;
		case '.':
			/* any character but the line terminators */
			memset(&s, 0, sizeof(s));
			if ((rc = add_range(&t, &s, '\n', '\n')) < 0 ||
			    (rc = add_range(&t, &s, '\r', '\r')) < 0 ||
			    (rc = add_range(&t, &s, 0x2028, 0x2029)) < 0)
				return rc;
			complement(&s);
			put_set(out, &s);
			t.p++;
			continue;
		case '(':
			t.p++;
			if (*t.p == '?') {
				if (t.p[1] == ':') {
					t.p += 2;
				} else if (t.p[1] == '<' && t.p[2] != '=' && t.p[2] != '!') {
					/* a named group: only back-references would use the name */
					const char *e = strchr(t.p, '>');
					if (!e)
						return unsupported(&t, _("an unclosed group name"));
					t.p = e + 1;
				} else {
					return unsupported(&t, "look-around");
				}
			}
			fs_buf_putc(out, '(');
			continue;
		case '*': case '+': case '?':
			fs_buf_putc(out, c);
			t.p++;
			if (*t.p == '?')
				t.p++; /* lazy: see regex.h */
			continue;
		case '{':
			if ((q = quantifier(t.p)) == 0) {
				fs_buf_puts(out, "\\{");
				t.p++;
				continue;
			}
			fs_buf_put(out, t.p, q);
			t.p += q;
			if (*t.p == '?')
				t.p++;
			continue;
		case '}': case ']':
			put_literal(out, (unsigned char)c);
			t.p++;
			continue;
		case '^': case '$': case '|': case ')':
			fs_buf_putc(out, c);
			t.p++;
			continue;
		default:
			if ((rc = read_char(&t, &cp)) < 0)
				return rc;
			put_literal(out, cp);
			continue;
		}
	}
	return fs_buf_check(out);
}

/*
 * The C locale for regcomp and regexec. The translation above writes byte
 * alternatives for regexec to match byte by byte, which it does only in the
 * C locale; the program's LC_CTYPE follows the reader's language
 * (fs_i18n_init), and under a UTF-8 one glibc would match multibyte
 * characters instead (another meaning for a byte class, and a wide-character
 * copy of every string searched, the costliest part of a record's check).
 */
static locale_t c_locale(void)
{
	static locale_t c;

	if (!c)
		c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return c;
}

int fs_regex_compile(fs_regex **out, const char *pattern)
{
	locale_t c = c_locale(), was;
	fs_buf ere = FS_BUF_INIT;
	fs_regex *re = NULL;
	int rc;

	*out = NULL;
	if ((rc = translate(&ere, pattern)) < 0)
		goto done;
	if (!c || !(re = malloc(sizeof(*re)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	was = uselocale(c);
	rc = regcomp(&re->re, fs_buf_cstr(&ere), REG_EXTENDED | REG_NOSUB);
	uselocale(was);
	if (rc != 0) {
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
	/* set when the expression was compiled */
	locale_t was = uselocale(c_locale());
	int rc = regexec(&re->re, s, 0, NULL, 0) == 0;

	uselocale(was);
	return rc;
}

void fs_regex_free(fs_regex *re)
{
	if (!re)
		return;
	regfree(&re->re);
	free(re);
}
