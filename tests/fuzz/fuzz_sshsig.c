/*
 * fuzz_sshsig.c - SSHSIG armor, parsing and verification
 *
 * The input is an armored signature, optionally followed by a NUL and the
 * message it claims to sign (the seeds are real signatures, so mutations
 * reach the Ed25519 check). A signature that holds must hold for that
 * message and namespace only.
 */
#include <string.h>

#include "node/sshsig.h"
#include "tests/fuzz/fuzz.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t sig_len = nul ? (size_t)(nul - data) : size;
	const unsigned char *msg = nul ? nul + 1 : (const unsigned char *)"";
	size_t msg_len = nul ? size - sig_len - 1 : 0;
	unsigned char *other = NULL;
	fs_sshsig sig;

	if (fs_sshsig_parse(&sig, (const char *)data, sig_len) < 0)
		goto done;
	FUZZ_ASSERT(memchr(sig.namespace_, 0, sizeof(sig.namespace_)) != NULL);
	if (fs_sshsig_check(&sig, sig.namespace_, msg, msg_len) < 0)
		goto done;
	FUZZ_ASSERT(fs_sshsig_check(&sig, "fieldsync-not-this-one", msg, msg_len) < 0);
	if (msg_len > 0 && (other = malloc(msg_len))) {
		memcpy(other, msg, msg_len);
		other[msg_len / 2] ^= 1;
		FUZZ_ASSERT(fs_sshsig_check(&sig, sig.namespace_, other, msg_len) < 0);
	}
done:
	fs_error_clear();
	free(other);
	return 0;
}
