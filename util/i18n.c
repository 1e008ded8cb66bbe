#include "util/i18n.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* <bin>/SUFFIX when it is a folder: the catalogues sit beside the program. */
static int locale_dir(char out[PATH_MAX], const char *suffix)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	struct stat st;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", exe, suffix) >= PATH_MAX)
		return -1;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

void fs_i18n_init(void)
{
	char dir[PATH_MAX];

	/*
	 * LC_MESSAGES only. LC_CTYPE stays "C": the schema's patterns run on
	 * bytes (schema/regex.c), formats test ASCII, and every record and
	 * output is UTF-8 whatever the terminal's charset, so translations are
	 * asked for in UTF-8 too.
	 */
	setlocale(LC_MESSAGES, "");
	if (locale_dir(dir, "locale") == 0 || locale_dir(dir, "../share/locale") == 0)
		bindtextdomain(FS_TEXTDOMAIN, dir);
#ifdef FS_LOCALEDIR
	else /* no /proc, or a LOCALEDIR that is not beside BINDIR */
		bindtextdomain(FS_TEXTDOMAIN, FS_LOCALEDIR);
#endif
	bind_textdomain_codeset(FS_TEXTDOMAIN, "UTF-8");
	bind_textdomain_codeset("libc", "UTF-8"); /* strerror() inside our messages */
	textdomain(FS_TEXTDOMAIN);
}

void fs_i18n_plain(void)
{
	setlocale(LC_MESSAGES, "C");
}

const char *fs_gettext(const char *msgid)
{
	/* "" is the catalogue's header in gettext: never look it up */
	return msgid && *msgid ? dgettext(FS_TEXTDOMAIN, msgid) : msgid;
}

const char *fs_ngettext(const char *one, const char *many, unsigned long n)
{
	return dngettext(FS_TEXTDOMAIN, one, many, n);
}
