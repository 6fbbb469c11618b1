/*
 * digest — MD5 (RFC 1321) and SHA-256 (FIPS 180-4), streaming.
 *
 * gz needs MD5 to check a download against file_checksum while it streams
 * (gz-fetch) and SHA-256 for the x-amz-content-sha256 of S3 uploads
 * (lib/s3).  Both are small enough to carry here rather than link
 * libcrypto into every tool.  Neither is used for anything secret.
 */
#ifndef GZ_DIGEST_H
#define GZ_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct md5_ctx {
	uint32_t h[4];
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];
};

struct sha256_ctx {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
};

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
void md5_final(struct md5_ctx *c, unsigned char out[16]);

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, unsigned char out[32]);

/* Lowercase hex of len bytes into out (2 * len + 1 bytes). Returns out. */
char *digest_hex(const unsigned char *bytes, size_t len, char *out);
/* SHA-256 of data as 64 lowercase hex digits into out[65]. Returns out. */
char *sha256_hex(const void *data, size_t len, char out[65]);

#endif
