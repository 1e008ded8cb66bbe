#include "node/protect.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/i18n.h"

#define AEAD_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_ORIGINAL

int fs_protect_is_sealed(const cJSON *v)
{
	static const char *const names[] = { "v", "kid", "nonce", "ct" };
	int n = 0;

	if (!cJSON_IsObject(v))
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!cJSON_GetObjectItemCaseSensitive(v, names[i]))
			return 0;
	for (const cJSON *c = v->child; c; c = c->next)
		n++;
	return n == 4;
}

/* "fieldsync protected 1", city, record id, person, key id: NUL-separated */
static int make_ad(fs_buf *ad, const char *city, const char *id, const char *person,
		   const char *kid)
{
	const char *parts[] = { "fieldsync protected 1", city, id, person, kid };

	for (size_t i = 0; i < 5; i++)
		fs_buf_put(ad, parts[i], strlen(parts[i]) + 1);
	return fs_buf_check(ad);
}

int fs_protect_seal(cJSON **out, fs_keystore *ks, const char *city, const char *id,
		    const char *person, const cJSON *plain)
{
	unsigned char key[FS_PERSON_KEY_BYTES], nonce[AEAD_NONCE], *padded = NULL, *ct = NULL;
	char kid[FS_KID_HEX_BYTES], nonce64[sodium_base64_ENCODED_LEN(AEAD_NONCE, B64)];
	fs_buf text = FS_BUF_INIT, ad = FS_BUF_INIT;
	size_t plen, cap;
	char *ct64 = NULL;
	cJSON *o = NULL;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(plain))
		return fs_error_set(FS_EINVALID, "/protected: expected an object of the fields to "
				    "protect (\"name\", \"phone\", ...)");
	/* room enough up front: a growing buffer would leave copies of the plaintext behind */
	if ((rc = fs_buf_grow(&text, FS_PROTECT_MAX_BYTES + 1)) < 0 ||
	    (rc = fs_json_compact(&text, plain)) < 0)
		goto done;
	if (text.size > FS_PROTECT_MAX_BYTES) {
		rc = fs_error_set(FS_ETOOBIG, "/protected: %zu bytes, over the limit of %d bytes",
				  text.size, FS_PROTECT_MAX_BYTES);
		goto done;
	}
	if ((rc = fs_keystore_person_key(ks, person, 1, kid, key)) < 0 ||
	    (rc = make_ad(&ad, city, id, person, kid)) < 0)
		goto done;
	cap = text.size + FS_PROTECT_PAD;
	if (!(padded = sodium_malloc(cap)) || !(ct = fs_malloc(cap + AEAD_TAG))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(padded, text.ptr, text.size);
	if (sodium_pad(&plen, padded, text.size, FS_PROTECT_PAD, cap) != 0) {
		rc = fs_error_set(FS_ERROR, "cannot pad the protected part");
		goto done;
	}
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, padded, plen,
						   (const unsigned char *)ad.ptr, ad.size, NULL,
						   nonce, key);
	if (!(ct64 = fs_malloc(sodium_base64_ENCODED_LEN(plen + AEAD_TAG, B64)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	sodium_bin2base64(nonce64, sizeof(nonce64), nonce, sizeof(nonce), B64);
	sodium_bin2base64(ct64, sodium_base64_ENCODED_LEN(plen + AEAD_TAG, B64), ct,
			  plen + AEAD_TAG, B64);
	if (!(o = cJSON_CreateObject()) || !cJSON_AddNumberToObject(o, "v", 1) ||
	    !cJSON_AddStringToObject(o, "kid", kid) ||
	    !cJSON_AddStringToObject(o, "nonce", nonce64) ||
	    !cJSON_AddStringToObject(o, "ct", ct64)) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	*out = o;
	o = NULL;
done:
	cJSON_Delete(o);
	sodium_free(padded);
	fs_free(ct);
	fs_free(ct64);
	fs_buf_dispose_secure(&text);
	fs_buf_dispose(&ad);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int fs_protect_open(cJSON **out, fs_keystore *ks, const char *city, const char *id,
		    const char *person, const cJSON *sealed)
{
	const char *kid = fs_json_string(sealed, "kid"), *nonce64 = fs_json_string(sealed, "nonce"),
		   *ct64 = fs_json_string(sealed, "ct");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(sealed, "v");
	unsigned char key[FS_PERSON_KEY_BYTES], nonce[AEAD_NONCE], *ct = NULL, *plain = NULL;
	char have[FS_KID_HEX_BYTES];
	fs_buf ad = FS_BUF_INIT;
	size_t nlen, clen, plen = 0;
	unsigned long long mlen = 0;
	int rc;

	*out = NULL;
	if (!fs_protect_is_sealed(sealed) || !kid || !nonce64 || !ct64 || !cJSON_IsNumber(v) ||
	    v->valuedouble != 1)
		return fs_error_set(FS_EINVALID, "/protected: not in the sealed form of version 1");
	if ((rc = fs_keystore_person_key(ks, person, 0, have, key)) < 0)
		goto done;
	if (strcmp(have, kid) != 0) {
		rc = fs_error_set(FS_ENOTFOUND, "person '%s': key %s is not in this keystore (the "
				  "person's key now is %s)", person, kid, have);
		goto done;
	}
	clen = strlen(ct64);
	if (!(ct = fs_malloc(clen + 1)) || !(plain = sodium_malloc(clen + 1))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	if (sodium_base642bin(nonce, sizeof(nonce), nonce64, strlen(nonce64), NULL, &nlen, NULL,
			      B64) != 0 || nlen != sizeof(nonce) ||
	    sodium_base642bin(ct, clen, ct64, clen, NULL, &clen, NULL, B64) != 0 ||
	    clen < AEAD_TAG || (rc = make_ad(&ad, city, id, person, kid)) < 0 ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL, ct, clen,
						       (const unsigned char *)ad.ptr, ad.size,
						       nonce, key) != 0 ||
	    sodium_unpad(&plen, plain, (size_t)mlen, FS_PROTECT_PAD) != 0) {
		rc = rc < 0 ? rc : fs_error_set(FS_EVERIFY, "/protected: does not open with the "
						"person's key (altered, or not this record's)");
		goto done;
	}
	rc = fs_json_parse(out, (const char *)plain, plen, _("protected part"));
done:
	sodium_free(plain); /* wipes */
	fs_free(ct);
	fs_buf_dispose(&ad);
	sodium_memzero(key, sizeof(key));
	return rc;
}
