#include "node/sshsig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define KEYTYPE "ssh-ed25519"
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define ARMOR_WIDTH 70
/* an Ed25519 SSHSIG is about 300 bytes; anything far larger is not one */
#define MAX_BLOB 4096

/* ---- SSH wire encoding (RFC 4251): uint32 lengths, big-endian ---------- */

static void put_u32(fs_buf *b, uint32_t v)
{
	unsigned char p[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	fs_buf_put(b, p, 4);
}

static void put_string(fs_buf *b, const void *data, size_t len)
{
	put_u32(b, (uint32_t)len);
	fs_buf_put(b, data, len);
}

static void put_cstring(fs_buf *b, const char *s)
{
	put_string(b, s, strlen(s));
}

static void put_pubkey_blob(fs_buf *b, const unsigned char pk[FS_KEY_PUBLIC_BYTES])
{
	put_cstring(b, KEYTYPE);
	put_string(b, pk, FS_KEY_PUBLIC_BYTES);
}

int fs_ssh_pubkey_blob(fs_buf *out, const unsigned char pk[FS_KEY_PUBLIC_BYTES])
{
	put_pubkey_blob(out, pk);
	return fs_buf_check(out);
}

typedef struct {
	const unsigned char *p, *end;
} reader;

static int get_u32(reader *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return 0;
}

static int get_string(reader *r, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (get_u32(r, &n) < 0 || (size_t)(r->end - r->p) < n)
		return -1;
	*s = r->p;
	*len = n;
	r->p += n;
	return 0;
}

static int string_is(const unsigned char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* An ssh-ed25519 public key blob: string "ssh-ed25519", string key[32]. */
static int parse_pubkey_blob(unsigned char pk[FS_KEY_PUBLIC_BYTES], const unsigned char *blob,
			     size_t len, const char *what)
{
	reader r = { blob, blob + len };
	const unsigned char *type, *key;
	size_t tlen, klen;

	if (get_string(&r, &type, &tlen) < 0)
		return fs_error_set(FS_EINVALID, "%s: truncated public key", what);
	if (!string_is(type, tlen, KEYTYPE))
		return fs_error_set(FS_EINVALID, "%s: key type '%.*s': only ssh-ed25519 keys are "
				    "supported", what, (int)(tlen > 40 ? 40 : tlen), (const char *)type);
	if (get_string(&r, &key, &klen) < 0 || klen != FS_KEY_PUBLIC_BYTES || r.p != r.end)
		return fs_error_set(FS_EINVALID, "%s: malformed ssh-ed25519 public key", what);
	memcpy(pk, key, FS_KEY_PUBLIC_BYTES);
	return 0;
}

/* The bytes that are actually signed (PROTOCOL.sshsig). */
static int signed_data(fs_buf *out, const char *namespace_, const char *hash, const void *data,
		       size_t len)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t hlen;

	if (strcmp(hash, "sha512") == 0) {
		crypto_hash_sha512(h, data, len);
		hlen = crypto_hash_sha512_BYTES;
	} else if (strcmp(hash, "sha256") == 0) {
		crypto_hash_sha256(h, data, len);
		hlen = crypto_hash_sha256_BYTES;
	} else {
		return fs_error_set(FS_EINVALID, "signature: hash '%s' is not supported "
				    "(sha512 or sha256)", hash);
	}
	fs_buf_put(out, MAGIC, MAGIC_LEN);
	put_cstring(out, namespace_);
	put_string(out, "", 0);
	put_cstring(out, hash);
	put_string(out, h, hlen);
	return fs_buf_check(out);
}

int fs_sshsig_sign(fs_buf *out, const fs_key *key, const char *namespace_, const void *data,
		   size_t len)
{
	unsigned char sig[FS_KEY_SIGNATURE_BYTES];
	fs_buf msg = FS_BUF_INIT, blob = FS_BUF_INIT, inner = FS_BUF_INIT;
	char *b64 = NULL;
	size_t b64len;
	int rc;

	if ((rc = signed_data(&msg, namespace_, "sha512", data, len)) < 0 ||
	    (rc = fs_key_sign(key, sig, (const unsigned char *)msg.ptr, msg.size)) < 0)
		goto done;
	fs_buf_put(&blob, MAGIC, MAGIC_LEN);
	put_u32(&blob, 1);
	put_pubkey_blob(&inner, fs_key_public(key));
	put_string(&blob, inner.ptr, inner.size);
	put_cstring(&blob, namespace_);
	put_string(&blob, "", 0);
	put_cstring(&blob, "sha512");
	fs_buf_clear(&inner);
	put_cstring(&inner, KEYTYPE);
	put_string(&inner, sig, sizeof(sig));
	put_string(&blob, inner.ptr, inner.size);
	if ((rc = fs_buf_check(&blob)) < 0 || (rc = fs_buf_check(&inner)) < 0)
		goto done;
	b64len = sodium_base64_ENCODED_LEN(blob.size, sodium_base64_VARIANT_ORIGINAL);
	if (!(b64 = fs_malloc(b64len))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	sodium_bin2base64(b64, b64len, (unsigned char *)blob.ptr, blob.size,
			  sodium_base64_VARIANT_ORIGINAL);
	/* the armor exactly as ssh-keygen -Y sign writes it */
	fs_buf_puts(out, ARMOR_BEGIN "\n");
	for (size_t i = 0, n = strlen(b64); i < n; i += ARMOR_WIDTH) {
		fs_buf_put(out, b64 + i, n - i < ARMOR_WIDTH ? n - i : ARMOR_WIDTH);
		fs_buf_putc(out, '\n');
	}
	fs_buf_puts(out, ARMOR_END "\n");
	rc = fs_buf_check(out);
done:
	fs_free(b64);
	fs_buf_dispose(&msg);
	fs_buf_dispose(&blob);
	fs_buf_dispose(&inner);
	return rc;
}

static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Base64 between the armor lines, whitespace dropped, decoded. */
static int dearmor(unsigned char *blob, size_t *blob_len, const char *armored, size_t len)
{
	const char *begin, *end, *p;
	char b64[MAX_BLOB * 2];
	size_t n = 0;

	begin = find(armored, len, ARMOR_BEGIN);
	if (!begin)
		return fs_error_set(FS_EINVALID, "signature: no '%s' line", ARMOR_BEGIN);
	p = begin + strlen(ARMOR_BEGIN);
	end = find(p, len - (size_t)(p - armored), ARMOR_END);
	if (!end)
		return fs_error_set(FS_EINVALID, "signature: no '%s' line", ARMOR_END);
	for (; p < end; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			continue;
		if (n + 1 >= sizeof(b64))
			return fs_error_set(FS_EINVALID, "signature: too long");
		b64[n++] = *p;
	}
	b64[n] = '\0';
	for (p = end + strlen(ARMOR_END); p < armored + len; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			return fs_error_set(FS_EINVALID, "signature: data after the armor");
	for (p = armored; p < begin; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			return fs_error_set(FS_EINVALID, "signature: data before the armor");
	if (sodium_base642bin(blob, MAX_BLOB, b64, n, NULL, blob_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return fs_error_set(FS_EINVALID, "signature: bad base64");
	return 0;
}

int fs_sshsig_parse(fs_sshsig *out, const char *armored, size_t len)
{
	unsigned char blob[MAX_BLOB];
	const unsigned char *pk, *ns, *reserved, *hash, *sig, *type, *raw;
	size_t blob_len, pklen, nslen, rlen, hlen, siglen, tlen, rawlen;
	uint32_t version = 0;
	reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dearmor(blob, &blob_len, armored, len)) < 0)
		return rc;
	r.p = blob;
	r.end = blob + blob_len;
	if (blob_len < MAGIC_LEN || memcmp(blob, MAGIC, MAGIC_LEN) != 0)
		return fs_error_set(FS_EINVALID, "signature: not an SSHSIG blob");
	r.p += MAGIC_LEN;
	if (get_u32(&r, &version) < 0 || version != 1)
		return fs_error_set(FS_EINVALID, "signature: SSHSIG version %u is not supported",
				    (unsigned)version);
	if (get_string(&r, &pk, &pklen) < 0 || get_string(&r, &ns, &nslen) < 0 ||
	    get_string(&r, &reserved, &rlen) < 0 || get_string(&r, &hash, &hlen) < 0 ||
	    get_string(&r, &sig, &siglen) < 0)
		return fs_error_set(FS_EINVALID, "signature: truncated SSHSIG blob");
	if (r.p != r.end)
		return fs_error_set(FS_EINVALID, "signature: trailing bytes in the SSHSIG blob");
	if ((rc = parse_pubkey_blob(out->public_key, pk, pklen, "signature")) < 0)
		return rc;
	if (nslen == 0 || nslen >= sizeof(out->namespace_) || memchr(ns, '\0', nslen))
		return fs_error_set(FS_EINVALID, "signature: bad namespace");
	memcpy(out->namespace_, ns, nslen);
	if (hlen >= sizeof(out->hash) || memchr(hash, '\0', hlen))
		return fs_error_set(FS_EINVALID, "signature: bad hash name");
	memcpy(out->hash, hash, hlen);
	if (strcmp(out->hash, "sha512") != 0 && strcmp(out->hash, "sha256") != 0)
		return fs_error_set(FS_EINVALID, "signature: hash '%s' is not supported", out->hash);
	r.p = sig;
	r.end = sig + siglen;
	if (get_string(&r, &type, &tlen) < 0 || !string_is(type, tlen, KEYTYPE) ||
	    get_string(&r, &raw, &rawlen) < 0 || rawlen != FS_KEY_SIGNATURE_BYTES || r.p != r.end)
		return fs_error_set(FS_EINVALID, "signature: not an ssh-ed25519 signature");
	memcpy(out->signature, raw, FS_KEY_SIGNATURE_BYTES);
	(void)reserved;
	(void)rlen;
	return 0;
}

int fs_sshsig_check(const fs_sshsig *sig, const char *namespace_, const void *data, size_t len)
{
	fs_buf msg = FS_BUF_INIT;
	int rc;

	if (strcmp(sig->namespace_, namespace_) != 0)
		return fs_error_set(FS_EVERIFY, "signature is for namespace '%s', not '%s'",
				    sig->namespace_, namespace_);
	if ((rc = signed_data(&msg, sig->namespace_, sig->hash, data, len)) < 0)
		goto done;
	if (crypto_sign_verify_detached(sig->signature, (const unsigned char *)msg.ptr, msg.size,
					sig->public_key) != 0)
		rc = fs_error_set(FS_EVERIFY, "the signature does not match the signed bytes");
done:
	fs_buf_dispose(&msg);
	return rc;
}

int fs_sshsig_verify(const char *armored, size_t armored_len, const char *namespace_,
		     const void *data, size_t len, unsigned char public_key[FS_KEY_PUBLIC_BYTES])
{
	fs_sshsig sig;
	int rc;

	if ((rc = fs_sshsig_parse(&sig, armored, armored_len)) < 0)
		return rc == FS_EINVALID ? FS_EVERIFY : rc;
	if ((rc = fs_sshsig_check(&sig, namespace_, data, len)) < 0)
		return rc;
	if (public_key)
		memcpy(public_key, sig.public_key, FS_KEY_PUBLIC_BYTES);
	return 0;
}

int fs_sshsig_text_sign(fs_buf *text, const fs_key *key, const char *namespace_)
{
	fs_buf sig = FS_BUF_INIT;
	int rc;

	if ((rc = fs_buf_check(text)) == 0 &&
	    (rc = fs_sshsig_sign(&sig, key, namespace_, text->ptr, text->size)) == 0)
		rc = fs_buf_put(text, sig.ptr, sig.size);
	fs_buf_dispose(&sig);
	return rc;
}

int fs_sshsig_text_verify(size_t *text_len, const char *file, size_t len,
			  const char *namespace_, unsigned char public_key[FS_KEY_PUBLIC_BYTES])
{
	const char *armor = strstr(file, "\n-----BEGIN SSH SIGNATURE-----");
	size_t body;
	int rc;

	*text_len = 0;
	if (!armor || (size_t)(armor - file) >= len)
		return fs_error_set(FS_EINVALID, "no signature block");
	body = (size_t)(armor + 1 - file);
	if ((rc = fs_sshsig_verify(armor + 1, len - body, namespace_, file, body, public_key)) ==
	    FS_ENOMEM)
		return rc;
	if (rc < 0)
		return fs_error_set(FS_EVERIFY, "the signature does not hold (changed since it "
				    "was signed, or not signed in namespace %s)", namespace_);
	*text_len = body;
	return 0;
}

int fs_ssh_pubkey_format(fs_buf *out, const unsigned char pk[FS_KEY_PUBLIC_BYTES],
			 const char *comment)
{
	fs_buf blob = FS_BUF_INIT;
	char b64[128];
	int rc;

	put_pubkey_blob(&blob, pk);
	if ((rc = fs_buf_check(&blob)) < 0)
		goto done;
	sodium_bin2base64(b64, sizeof(b64), (unsigned char *)blob.ptr, blob.size,
			  sodium_base64_VARIANT_ORIGINAL);
	fs_buf_printf(out, KEYTYPE " %s%s%s", b64, comment && *comment ? " " : "",
		      comment && *comment ? comment : "");
	rc = fs_buf_check(out);
done:
	fs_buf_dispose(&blob);
	return rc;
}

int fs_ssh_pubkey_parse(unsigned char pk[FS_KEY_PUBLIC_BYTES], const char *text)
{
	unsigned char blob[256];
	const char *p = text, *b64;
	size_t n, blob_len;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n != strlen(KEYTYPE) || strncmp(p, KEYTYPE, n) != 0)
		return fs_error_set(FS_EINVALID, "public key: '%.*s' is not an ssh-ed25519 key "
				    "(only ssh-ed25519 keys are supported)", (int)(n > 40 ? 40 : n), p);
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	b64 = p;
	n = strcspn(p, " \t\r\n");
	if (n == 0 || sodium_base642bin(blob, sizeof(blob), b64, n, NULL, &blob_len, NULL,
					sodium_base64_VARIANT_ORIGINAL) != 0)
		return fs_error_set(FS_EINVALID, "public key: bad base64");
	return parse_pubkey_blob(pk, blob, blob_len, _("public key"));
}

int fs_ssh_pubkey_fingerprint(fs_buf *out, const unsigned char pk[FS_KEY_PUBLIC_BYTES])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	fs_buf blob = FS_BUF_INIT;
	char b64[64];
	size_t n;
	int rc;

	put_pubkey_blob(&blob, pk);
	if ((rc = fs_buf_check(&blob)) < 0)
		goto done;
	crypto_hash_sha256(h, (unsigned char *)blob.ptr, blob.size);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	while (n && b64[n - 1] == '=')
		b64[--n] = '\0';
	rc = fs_buf_printf(out, "SHA256:%s", b64);
done:
	fs_buf_dispose(&blob);
	return rc;
}
