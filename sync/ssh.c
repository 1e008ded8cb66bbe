#include "sync/ssh.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "node/sshsig.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"

/* The largest key blob we take: a 16384-bit RSA key is about 2 KiB. */
#define BLOB_BYTES 4096
#define FINGERPRINT_PREFIX "SHA256:"
/* "SHA256:" and 43 characters of unpadded base64 */
#define FINGERPRINT_BYTES (sizeof(FINGERPRINT_PREFIX) + 44)
#define MAX_TOKENS 8

/* Decode base64 `s` (`len` chars) into `blob`; its length, or 0 when it is not base64. */
static size_t decode(unsigned char blob[BLOB_BYTES], const char *s, size_t len, int variant)
{
	size_t n = 0;

	if (sodium_base642bin(blob, BLOB_BYTES, s, len, NULL, &n, NULL, variant) < 0)
		return 0;
	return n;
}

/* The key type a blob names (its first ssh string), in `type`. */
static int blob_type(char type[64], const unsigned char *blob, size_t len)
{
	size_t n;

	if (len < 4)
		return -1;
	n = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3];
	if (n == 0 || n >= 64 || n > len - 4)
		return -1;
	memcpy(type, blob + 4, n);
	type[n] = '\0';
	return 0;
}

static void fingerprint(char out[FINGERPRINT_BYTES], const unsigned char *blob, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, len);
	memcpy(out, FINGERPRINT_PREFIX, sizeof(FINGERPRINT_PREFIX) - 1);
	sodium_bin2base64(out + sizeof(FINGERPRINT_PREFIX) - 1, FINGERPRINT_BYTES -
			  (sizeof(FINGERPRINT_PREFIX) - 1), h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

typedef struct {
	const char *p;
	size_t n;
} token;

/* One line's pin, appended to `out`: 1 found, 0 none. */
static int line_pin(fs_buf *out, const token *t, size_t nt)
{
	unsigned char blob[BLOB_BYTES], h[crypto_hash_sha256_BYTES];
	char type[64];
	size_t n;

	for (size_t i = 0; i < nt; i++) {
		const size_t plen = sizeof(FINGERPRINT_PREFIX) - 1;
		if (t[i].n > plen && strncmp(t[i].p, FINGERPRINT_PREFIX, plen) == 0) {
			if (sodium_base642bin(h, sizeof(h), t[i].p + plen, t[i].n - plen, NULL, &n,
					      NULL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) < 0 ||
			    n != sizeof(h))
				return 0;
			fs_buf_printf(out, "%s%.*s", out->size ? ", " : "", (int)t[i].n, t[i].p);
			return 1;
		}
		/* "TYPE BASE64": the blob must name the type the line gives */
		if (i + 1 < nt &&
		    (n = decode(blob, t[i + 1].p, t[i + 1].n, sodium_base64_VARIANT_ORIGINAL)) &&
		    blob_type(type, blob, n) == 0 && strlen(type) == t[i].n &&
		    memcmp(type, t[i].p, t[i].n) == 0) {
			fs_buf_printf(out, "%s%s %.*s", out->size ? ", " : "", type, (int)t[i + 1].n,
				      t[i + 1].p);
			return 1;
		}
	}
	return 0;
}

int fs_ssh_pins_parse(fs_buf *out, const char *text)
{
	size_t lineno = 0, found = 0;
	const char *s = text;

	while (*s) {
		size_t len = strcspn(s, "\n"), nt = 0;
		token t[MAX_TOKENS];
		const char *p = s, *end = s + len;

		lineno++;
		s = *end ? end + 1 : end;
		while (p < end && nt < MAX_TOKENS) {
			size_t n;
			p += strspn(p, " \t\r");
			n = strcspn(p, " \t\r\n");
			if (p + n > end)
				n = (size_t)(end - p);
			if (n == 0)
				break;
			t[nt].p = p;
			t[nt++].n = n;
			p += n;
		}
		if (nt == 0 || t[0].p[0] == '#')
			continue;
		/* "@revoked host key": pinning such a line would trust what it revokes */
		if (t[0].p[0] == '@')
			return fs_error_set(FS_EINVALID, "host key, line %zu: '%.*s' lines are not "
					    "taken; give the keys themselves", lineno, (int)t[0].n,
					    t[0].p);
		if (!line_pin(out, t, nt))
			return fs_error_set(FS_EINVALID, "host key, line %zu: expected 'TYPE BASE64' "
					    "(as in the hub's /etc/ssh/ssh_host_ed25519_key.pub or "
					    "ssh-keyscan's output) or a fingerprint 'SHA256:...'",
					    lineno);
		found++;
	}
	if (!found)
		return fs_error_set(FS_EINVALID, "host key: none given (expected 'TYPE BASE64' or "
				    "'SHA256:...')");
	return fs_buf_check(out);
}

/* Is the presented key `blob` one of the pins? */
static int pinned(const char *pins, const unsigned char *blob, size_t len)
{
	unsigned char want[BLOB_BYTES];
	char fp[FINGERPRINT_BYTES];
	const char *s = pins;

	fingerprint(fp, blob, len);
	while (*s) {
		size_t n = strcspn(s, ","), m;
		const char *b64 = memchr(s, ' ', n);
		if (n == strlen(fp) && memcmp(s, fp, n) == 0)
			return 1;
		if (b64 && (m = decode(want, b64 + 1, (size_t)(s + n - b64 - 1),
				       sodium_base64_VARIANT_ORIGINAL)) == len &&
		    memcmp(want, blob, len) == 0)
			return 1;
		s += n;
		s += strspn(s, ", ");
	}
	return 0;
}

int fs_ssh_check_host(fs_ssh_login *login, git_cert *cert, const char *host)
{
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	char fp[FINGERPRINT_BYTES], type[64];

	/* TLS: libgit2's own check against the system's certificate authorities */
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (!(hk->type & GIT_CERT_SSH_RAW) || !hk->hostkey || hk->hostkey_len == 0) {
		snprintf(login->why, sizeof(login->why), _("remote '%s': the ssh library did not show "
			 "the key of '%s', so it cannot be checked"), login->remote, host);
		login->refused = 1;
		return GIT_ECERTIFICATE;
	}
	if (login->pins && pinned(login->pins, (const unsigned char *)hk->hostkey, hk->hostkey_len))
		return 0;
	fingerprint(fp, (const unsigned char *)hk->hostkey, hk->hostkey_len);
	if (blob_type(type, (const unsigned char *)hk->hostkey, hk->hostkey_len) < 0)
		snprintf(type, sizeof(type), "%s", _("unknown type"));
	snprintf(login->why, sizeof(login->why),
		 _("remote '%s': host '%s' presented the key %s (%s), which is not the one pinned; "
		 "not connecting (if the hub's key did change, pin the new one: fieldsync remote "
		 "set-host-key %s KEY)"), login->remote, host, fp, type, login->remote);
	login->refused = 1;
	return GIT_ECERTIFICATE;
}

/* libssh2 asks for the challenge's signature; it frees it with its allocator, free(). */
static int sign(LIBSSH2_SESSION *session, unsigned char **sig, size_t *sig_len,
		const unsigned char *data, size_t data_len, void **abstract)
{
	const fs_ssh_login *login = *abstract;
	const fs_key *key = fs_node_key(login->node);
	unsigned char *out;

	(void)session;
	if (!key || !(out = fs_malloc(FS_KEY_SIGNATURE_BYTES)))
		return -1;
	if (fs_key_sign(key, out, data, data_len) < 0) {
		fs_free(out);
		return -1;
	}
	*sig = out;
	*sig_len = FS_KEY_SIGNATURE_BYTES;
	return 0;
}

int fs_ssh_credentials(fs_ssh_login *login, git_credential **out, const char *user,
		       unsigned int allowed)
{
	fs_buf blob = FS_BUF_INIT;
	int rc;

	if (!user) {
		/* as ssh does: the local user's name when the URL names none */
		const struct passwd *pw = getpwuid(getuid());
		user = pw ? pw->pw_name : "git";
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	/* a second ask means the server did not take the node's key */
	if (!(allowed & GIT_CREDENTIAL_SSH_CUSTOM) || login->tries++ > 0 ||
	    !fs_node_key(login->node)) {
		snprintf(login->why, sizeof(login->why),
			 _("remote '%s': the hub's ssh server does not let user '%s' in with this "
			 "node's key (the hub's admin adds the public key 'fieldsync key show' prints to "
			 "that user's ~/.ssh/authorized_keys)"), login->remote, user);
		login->refused = 1;
		return GIT_EAUTH;
	}
	if ((rc = fs_ssh_pubkey_blob(&blob, fs_node_public_key(login->node))) < 0)
		goto done;
	rc = git_credential_ssh_custom_new(out, user, blob.ptr, blob.size, sign, login);
done:
	fs_buf_dispose(&blob);
	return rc;
}
