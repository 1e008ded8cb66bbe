/*
 * regex.h - JSON Schema patterns (ECMA-262 syntax) on POSIX regular expressions
 *
 * The ECMA features that map onto POSIX extended expressions are translated
 * (\d \w \s and their negations, \uXXXX, (?:...), escaped specials); the rest
 * (look-around, back-references, lazy quantifiers, \b) is refused when the
 * schema is loaded, never silently mismatched.
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
