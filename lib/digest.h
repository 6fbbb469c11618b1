/*
 * digest — streaming MD5 and one-shot SHA-256, on libcrypto's EVP
 * interface (OpenSSL: the library libcurl already loads for TLS).
 *
 * gz needs MD5 to check a download against file_checksum while it streams
 * (gz-fetch) and SHA-256 for the x-amz-content-sha256 of S3 uploads
 * (lib/s3).  Neither is used for anything secret.
 */
#ifndef GZ_DIGEST_H
#define GZ_DIGEST_H

#include <stddef.h>

struct md5_ctx {
	void *evp;		/* EVP_MD_CTX, made on first md5_init */
};

/*
 * (Re)starts c: also to throw away what it hashed so far, as a download
 * that restarts from byte 0 does.  A zeroed struct is a valid start;
 * md5_free releases it.  Out of memory ends the process (exit status 3).
 */
void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
void md5_final(struct md5_ctx *c, unsigned char out[16]);
void md5_free(struct md5_ctx *c);

/* Lowercase hex of len bytes into out (2 * len + 1 bytes). Returns out. */
char *digest_hex(const unsigned char *bytes, size_t len, char *out);
/* SHA-256 of data as 64 lowercase hex digits into out[65]. Returns out. */
char *sha256_hex(const void *data, size_t len, char out[65]);

#endif
