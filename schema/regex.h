/*
 * regex.h - JSON Schema patterns (ECMA-262 syntax) on POSIX regular expressions
 *
 * A pattern is translated into a POSIX extended expression that glibc runs
 * byte by byte (fieldsync never calls setlocale, so regcomp works in the C
 * locale), written so that it still matches whole UTF-8 characters:
 *
 *   - "." and negated classes ([^a-z], \D, \W, \S) match one whole character,
 *     multi-byte ones included; "." does not match \n, \r, U+2028, U+2029;
 *   - a literal non-ASCII character is one unit for quantifiers ("é+");
 *   - \d and \w are ASCII, as in ECMA-262; \s is ECMA-262's white space and
 *     line terminators (U+00A0, U+FEFF, U+2000..U+200A, ... included);
 *   - escapes: \t \n \v \f \r \cX \xHH \uXXXX (surrogate pairs too), \u{...},
 *     and escaped punctuation; (?:...) and (?<name>...) are plain groups;
 *   - lazy quantifiers (*? +? ?? {n,m}?) become greedy: a pattern only tells
 *     whether the string matches somewhere, which laziness does not change.
 *
 * Refused when the schema is loaded, never silently mismatched: look-around,
 * back-references, \b \B, \p{...} Unicode properties, non-ASCII ranges inside
 * a class ([à-ÿ]), \D \W \S inside a class, and NUL characters.
 */
#ifndef FS_SCHEMA_REGEX_H
#define FS_SCHEMA_REGEX_H

typedef struct fs_regex fs_regex;

/* FS_EINVALID with a message for a pattern that cannot be supported. */
int fs_regex_compile(fs_regex **out, const char *pattern);

/* 1 if the pattern matches somewhere in `s`, else 0. */
int fs_regex_search(const fs_regex *re, const char *s);

void fs_regex_free(fs_regex *re);

#endif
