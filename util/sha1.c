#include "util/sha1.h"

#include <string.h>

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* The message schedule kept in 16 words, rounds unrolled by phase: about
 * three times the speed of the textbook loop, which matters when small packs
 * are rolled up (every byte of a node is hashed a few times over its life). */
#define W(i) (w[(i) & 15] = ROL(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define R(a, b, c, d, e, f, k, x)                                                       \
	do {                                                                            \
		e += ROL(a, 5) + (f) + (k) + (x);                                       \
		b = ROL(b, 30);                                                         \
	} while (0)
#define F1(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define F2(b, c, d) ((b) ^ (c) ^ (d))
#define F3(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))

static void block(fs_sha1 *ctx, const unsigned char *p)
{
	uint32_t w[16], a = ctx->h[0], b = ctx->h[1], c = ctx->h[2], d = ctx->h[3], e = ctx->h[4];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 0; i < 15; i += 5) {
		R(a, b, c, d, e, F1(b, c, d), 0x5A827999, w[i]);
		R(e, a, b, c, d, F1(a, b, c), 0x5A827999, w[i + 1]);
		R(d, e, a, b, c, F1(e, a, b), 0x5A827999, w[i + 2]);
		R(c, d, e, a, b, F1(d, e, a), 0x5A827999, w[i + 3]);
		R(b, c, d, e, a, F1(c, d, e), 0x5A827999, w[i + 4]);
	}
	R(a, b, c, d, e, F1(b, c, d), 0x5A827999, w[15]);
	R(e, a, b, c, d, F1(a, b, c), 0x5A827999, W(16));
	R(d, e, a, b, c, F1(e, a, b), 0x5A827999, W(17));
	R(c, d, e, a, b, F1(d, e, a), 0x5A827999, W(18));
	R(b, c, d, e, a, F1(c, d, e), 0x5A827999, W(19));
	for (i = 20; i < 40; i += 5) {
		R(a, b, c, d, e, F2(b, c, d), 0x6ED9EBA1, W(i));
		R(e, a, b, c, d, F2(a, b, c), 0x6ED9EBA1, W(i + 1));
		R(d, e, a, b, c, F2(e, a, b), 0x6ED9EBA1, W(i + 2));
		R(c, d, e, a, b, F2(d, e, a), 0x6ED9EBA1, W(i + 3));
		R(b, c, d, e, a, F2(c, d, e), 0x6ED9EBA1, W(i + 4));
	}
	for (i = 40; i < 60; i += 5) {
		R(a, b, c, d, e, F3(b, c, d), 0x8F1BBCDC, W(i));
		R(e, a, b, c, d, F3(a, b, c), 0x8F1BBCDC, W(i + 1));
		R(d, e, a, b, c, F3(e, a, b), 0x8F1BBCDC, W(i + 2));
		R(c, d, e, a, b, F3(d, e, a), 0x8F1BBCDC, W(i + 3));
		R(b, c, d, e, a, F3(c, d, e), 0x8F1BBCDC, W(i + 4));
	}
	for (i = 60; i < 80; i += 5) {
		R(a, b, c, d, e, F2(b, c, d), 0xCA62C1D6, W(i));
		R(e, a, b, c, d, F2(a, b, c), 0xCA62C1D6, W(i + 1));
		R(d, e, a, b, c, F2(e, a, b), 0xCA62C1D6, W(i + 2));
		R(c, d, e, a, b, F2(d, e, a), 0xCA62C1D6, W(i + 3));
		R(b, c, d, e, a, F2(c, d, e), 0xCA62C1D6, W(i + 4));
	}
	ctx->h[0] += a;
	ctx->h[1] += b;
	ctx->h[2] += c;
	ctx->h[3] += d;
	ctx->h[4] += e;
}

void fs_sha1_init(fs_sha1 *c)
{
	static const uint32_t h0[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };

	memcpy(c->h, h0, sizeof(h0));
	c->len = 0;
	c->used = 0;
}

void fs_sha1_update(fs_sha1 *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->len += len;
	if (c->used) {
		size_t take = 64 - c->used < len ? 64 - c->used : len;
		memcpy(c->buf + c->used, p, take);
		c->used += take;
		p += take;
		len -= take;
		if (c->used < 64)
			return;
		block(c, c->buf);
		c->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		block(c, p);
	memcpy(c->buf, p, len);
	c->used = len;
}

void fs_sha1_final(fs_sha1 *c, unsigned char out[FS_SHA1_BYTES])
{
	uint64_t bits = c->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t n = c->used < 56 ? 56 - c->used : 120 - c->used;

	for (int i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	fs_sha1_update(c, pad, n + 8);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}
