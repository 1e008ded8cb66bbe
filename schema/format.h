/*
 * format.h - the "format" values the validator can assert
 *
 * Draft 2020-12 makes "format" an annotation unless the format-assertion
 * vocabulary is on. fieldsync turns it on for its own schemas, so that a
 * date such as 2023-02-30 is refused.
 *
 * Known: "date", "time", "date-time" (RFC 3339, section 5.6: real month
 * lengths, leap years, a leap second only at 23:59:60 UTC) and "email"
 * (RFC 5321 mailbox, ASCII only). Other formats are annotations.
 */
#ifndef FS_SCHEMA_FORMAT_H
#define FS_SCHEMA_FORMAT_H

/* 1 valid, 0 invalid, -1 a format this validator does not know (passes). */
int fs_format_check(const char *format, const char *value);

#endif
