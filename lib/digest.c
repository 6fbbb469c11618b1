/*
 * digest — MD5 and SHA-256 (see digest.h) through OpenSSL's EVP API.
 */
#include "digest.h"
#include "cli.h"
#include "xalloc.h"

#include <openssl/evp.h>
#include <stdlib.h>

/* The digests cannot fail but for want of memory, which ends the run as
 * any failed allocation does (lib/xalloc). */
static void
digest_failed(void)
{
	xalloc_die(0);
}

void
md5_init(struct md5_ctx *c)
{
	if (c->evp == NULL && (c->evp = EVP_MD_CTX_new()) == NULL)
		digest_failed();
	if (EVP_DigestInit_ex(c->evp, EVP_md5(), NULL) != 1)
		digest_failed();
}

void
md5_update(struct md5_ctx *c, const void *data, size_t len)
{
	if (EVP_DigestUpdate(c->evp, data, len) != 1)
		digest_failed();
}

void
md5_final(struct md5_ctx *c, unsigned char out[16])
{
	if (EVP_DigestFinal_ex(c->evp, out, NULL) != 1)
		digest_failed();
}

void
md5_free(struct md5_ctx *c)
{
	EVP_MD_CTX_free(c->evp);
	c->evp = NULL;
}

char *
digest_hex(const unsigned char *bytes, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

char *
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, d, &n, EVP_sha256(), NULL) != 1)
		digest_failed();
	return digest_hex(d, n, out);
}
