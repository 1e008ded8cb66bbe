/*
 * ascii.h - character classes that do not follow the locale
 *
 * <ctype.h> answers by LC_CTYPE: a byte of a UTF-8 character can be a letter
 * in a Latin-1 locale. Formats, URIs and ids are defined over ASCII, and a
 * record must be judged the same on every machine.
 */
#ifndef FS_ASCII_H
#define FS_ASCII_H

static inline int fs_ascii_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int fs_ascii_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int fs_ascii_isalnum(int c)
{
	return fs_ascii_isalpha(c) || fs_ascii_isdigit(c);
}

#endif
