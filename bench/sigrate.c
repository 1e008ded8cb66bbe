/*
 * bench/sigrate: how many commit signatures one core can verify, as the
 * audit verifies them (fs_sshsig_verify: armor, SSHSIG blob, SHA-512 of the
 * commit, libsodium's Ed25519 verify), and libsodium's verify alone. The
 * ceiling of `fieldsync audit` on this machine: bench/audit prints it next
 * to the audit's own rate. Not a test.
 *
 *   sigrate [N]   N distinct signed commits (default 5000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "node/key.h"
#include "node/node.h"
#include "node/sshsig.h"
#include "util/buf.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 5000, good = 0;
	fs_key *key = NULL;
	fs_buf *commits = NULL, *sigs = NULL;
	unsigned char (*raw)[FS_KEY_SIGNATURE_BYTES] = NULL;
	double t0, t1, t2;
	int rc = 1;

	if (n == 0 || fs_global_init() < 0 || fs_key_generate(&key) < 0 ||
	    !(commits = calloc(n, sizeof(*commits))) || !(sigs = calloc(n, sizeof(*sigs))) ||
	    !(raw = calloc(n, sizeof(*raw))))
		goto done;
	/* commits of the size a one-record commit has, each different */
	for (size_t i = 0; i < n; i++) {
		fs_buf_printf(&commits[i], "tree %040zx\nparent %040zx\nauthor city-001 "
			      "<city-001@fieldsync> 1764000000 +0000\ncommitter city-001 "
			      "<city-001@fieldsync> 1764000000 +0000\n\nadd service %zu\n", i, i, i);
		if (fs_sshsig_sign(&sigs[i], key, "git", commits[i].ptr, commits[i].size) < 0 ||
		    fs_key_sign(key, raw[i], (const unsigned char *)commits[i].ptr, commits[i].size) < 0)
			goto done;
	}
	t0 = now();
	for (size_t i = 0; i < n; i++)
		good += fs_sshsig_verify(sigs[i].ptr, sigs[i].size, "git", commits[i].ptr,
					 commits[i].size, NULL) == 0;
	t1 = now();
	for (size_t i = 0; i < n; i++)
		good += crypto_sign_verify_detached(raw[i], (const unsigned char *)commits[i].ptr,
						    commits[i].size, fs_key_public(key)) == 0;
	t2 = now();
	if (good != 2 * n) {
		fprintf(stderr, "sigrate: %zu of %zu signatures failed\n", 2 * n - good, 2 * n);
		goto done;
	}
	printf("signatures verified per second of CPU, one core, %zu each:\n", n);
	printf("  as the audit does (SSHSIG, SHA-512, Ed25519): %.0f/s, %.1f us each\n",
	       (double)n / (t1 - t0), (t1 - t0) / (double)n * 1e6);
	printf("  libsodium's Ed25519 verify alone:             %.0f/s, %.1f us each\n",
	       (double)n / (t2 - t1), (t2 - t1) / (double)n * 1e6);
	rc = 0;
done:
	for (size_t i = 0; i < n && commits && sigs; i++) {
		fs_buf_dispose(&commits[i]);
		fs_buf_dispose(&sigs[i]);
	}
	free(commits);
	free(sigs);
	free(raw);
	fs_key_free(key);
	return rc;
}
