/*
 * sha1.h - SHA-1 (FIPS 180-4), for git's pack and index checksums
 *
 * Only for the checksums git's formats require; nothing here relies on
 * SHA-1 for security (records are signed with Ed25519 over SHA-512).
 */
#ifndef FS_SHA1_H
#define FS_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define FS_SHA1_BYTES 20

typedef struct {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t used;
} fs_sha1;

void fs_sha1_init(fs_sha1 *c);
void fs_sha1_update(fs_sha1 *c, const void *data, size_t len);
void fs_sha1_final(fs_sha1 *c, unsigned char out[FS_SHA1_BYTES]);

#endif
