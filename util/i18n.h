/*
 * i18n.h - messages in the reader's language (gettext)
 *
 * Every message a person reads is written in English in the source and
 * looked up in the catalogue of the "fieldsync" text domain. Error messages
 * need no marking at their call site: fs_error_set() and its kin look up
 * their format themselves (xgettext knows them as keywords, po/Makevars).
 * Machine output (--json keys, codes, record fields, file formats) is never
 * translated.
 */
#ifndef FS_I18N_H
#define FS_I18N_H

#define FS_TEXTDOMAIN "fieldsync"

/* A message looked up now. */
#define _(s) fs_gettext(s)
/* A message marked for the catalogue but looked up where it is shown. */
#define N_(s) s
/* The form of a message for the count n ("%zu commit", "%zu commits"). */
#define P_(one, many, n) fs_ngettext(one, many, n)

/*
 * Take the language from the environment (LC_ALL, LC_MESSAGES, LANG,
 * LANGUAGE) and find the catalogues next to the program: <bin>/locale in the
 * build folder, <bin>/../share/locale once installed, else the LOCALEDIR it
 * was built for. Only LC_MESSAGES follows the locale: character classes,
 * numbers, dates and sorting stay as in "C" so that validation, files and
 * machine output are the same everywhere; messages are always UTF-8.
 */
void fs_i18n_init(void);

/*
 * Messages in English from now on, whatever the locale: for output another
 * program reads (the hub's hooks, whose "error: " lines a pushing node picks
 * out and shows to its own clerk, in whatever language that is).
 */
void fs_i18n_plain(void);

/* The translation of msgid, or msgid itself. */
const char *fs_gettext(const char *msgid) __attribute__((format_arg(1)));
const char *fs_ngettext(const char *one, const char *many, unsigned long n)
	__attribute__((format_arg(1))) __attribute__((format_arg(2)));

#endif
