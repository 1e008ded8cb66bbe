#define _GNU_SOURCE /* RTLD_NEXT */
#include "node/certs.h"

#include <dlfcn.h>
#include <limits.h>
#include <string.h>

#include <git2.h>

#include "util/alloc.h"
#include "util/error.h"

/*
 * mbedTLS's two certificate loaders, as libgit2 calls them. A function of
 * the executable comes before the same name in a shared library, so libgit2
 * calls these; once libgit2 has started they hand every call to mbedTLS.
 */
struct mbedtls_x509_crt;
int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);
int mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path);

typedef int (*loader_fn)(struct mbedtls_x509_crt *, const char *);

static int deferring;
static char deferred_file[PATH_MAX], deferred_dir[PATH_MAX];

static int load(const char *name, struct mbedtls_x509_crt *chain, const char *path, char *keep)
{
	loader_fn real;

	if (deferring) {
		/* libgit2 takes the empty chain; fs_certs_load replaces it */
		if (strlen(path) < PATH_MAX)
			memcpy(keep, path, strlen(path) + 1);
		return 0;
	}
	*(void **)&real = dlsym(RTLD_NEXT, name);
	return real ? real(chain, path) : -1;
}

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	return load("mbedtls_x509_crt_parse_file", chain, path, deferred_file);
}

int mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path)
{
	return load("mbedtls_x509_crt_parse_path", chain, path, deferred_dir);
}

void fs_certs_defer(int on)
{
	deferring = on;
}

int fs_certs_load(void)
{
	const char *file = deferred_file[0] ? deferred_file : NULL;
	const char *dir = deferred_dir[0] ? deferred_dir : NULL;
	unsigned long failures;
	int rc;

	if (!file && !dir)
		return 0;
	failures = fs_alloc_failures();
	rc = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir);
	/*
	 * A file libgit2 cannot read is what it ignores when it starts: only an
	 * https:// server is then refused, for want of a trusted certificate.
	 * Out of memory is an error, as everywhere.
	 */
	if (rc < 0 && fs_alloc_failures() != failures)
		return fs_error_git(rc, "cannot read the CA certificates '%s'", file ? file : dir);
	deferred_file[0] = deferred_dir[0] = '\0';
	return 0;
}
