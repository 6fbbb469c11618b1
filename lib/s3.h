/*
 * s3 — requests to S3-compatible storage (AWS S3, DigitalOcean Spaces,
 * MinIO, s3rver) with libcurl 7.88's CURLOPT_AWS_SIGV4 (the S3 SigV4 rules).
 *
 * Owns: the storage configuration (STORAGE_* variables), the object key →
 * URL encoding SigV4 needs, setting up a signed GET/HEAD/PUT on a curl easy
 * handle, and reading S3's XML error answers.  It owns no handle, no
 * transfer and no retry loop: gz-fetch and gz-index drive their own multi
 * handles; s3_retryable() applies lib/retry's policy to S3's error codes.
 *
 * Hashes: SHA-256 of PUT bodies comes from lib/digest (no libcrypto needed).
 */
#ifndef GZ_S3_H
#define GZ_S3_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Where the objects are.  Strings are owned by the struct (s3_config_free).
 * A tool may replace a field after s3_config_load (free the old value and
 * strdup the new one).
 */
struct s3_config {
	char *endpoint;		/* "https://host[:port]", no trailing slash */
	char *region;		/* "us-east-1", "nyc3": the SigV4 scope */
	char *bucket;
	char *access_key;	/* NULL with secret NULL: unsigned requests */
	char *secret;
	char *session_token;	/* NULL unless temporary credentials */
	bool path_style;	/* endpoint/bucket/key, else bucket.host/key */
};

/*
 * Fills c from the environment:
 *   STORAGE_BUCKET          required
 *   STORAGE_REGION          default "us-east-1"
 *   STORAGE_ENDPOINT        default https://s3.REGION.amazonaws.com; a value
 *                           without a scheme gets "https://"
 *   STORAGE_ACCESS_KEY, STORAGE_ACCESS_SECRET
 *                           both or neither (neither: requests go unsigned,
 *                           for public buckets)
 *   STORAGE_SESSION_TOKEN   optional; sent as x-amz-security-token
 *   STORAGE_ADDRESSING      "path" or "virtual"; default path-style for a
 *                           custom endpoint, virtual-hosted for AWS's own
 *                           (the S3 SigV4 rules "URLs")
 * Returns false with a reason in why (never a secret) when the
 * configuration is missing or malformed; c is then left empty.
 */
bool s3_config_load(struct s3_config *c, char *why, size_t size);
void s3_config_free(struct s3_config *c);
/* "bucket gz at http://127.0.0.1:9000 (region us-east-1, path-style)",
 * for messages: no credentials, userinfo in the endpoint masked. */
const char *s3_config_describe(const struct s3_config *c, char *buf,
    size_t size);

/*
 * key with every byte except A-Z a-z 0-9 - _ . ~ and / as %XX, uppercase
 * (the S3 SigV4 rules "Encoding object keys": curl 7.88 signs the path as
 * given, so it must already be in S3's canonical form).  Returns a malloc'd
 * string the caller frees.
 */
char *s3_encode_key(const char *key);
/*
 * False for keys a URL cannot carry faithfully: empty, or with a "." or
 * ".." segment (curl removes them before sending and signing).
 */
bool s3_key_addressable(const char *key);
/* The object's URL (path-style or virtual-hosted); malloc'd. */
char *s3_object_url(const struct s3_config *c, const char *key);

enum s3_method { S3_GET, S3_HEAD, S3_PUT };

/*
 * A PUT body held in memory.  The caller keeps data alive and this struct
 * at a fixed address until the transfer ends: curl's read and seek
 * callbacks (set by s3_setup) read from it, and may rewind it.
 */
struct s3_body {
	const char *data;
	size_t len;
	size_t off;		/* where curl reads next; s3_setup resets it */
};

/*
 * Sets easy up for one signed request on key: CURLOPT_URL, the method
 * (HTTPGET, NOBODY for HEAD, UPLOAD + INFILESIZE_LARGE + read/seek
 * callbacks on body for PUT), CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3",
 * USERNAME/PASSWORD, and CURLOPT_HTTPHEADER = *headers after appending
 * x-amz-content-sha256 (SHA-256 of "" for GET/HEAD, of body for PUT),
 * x-amz-security-token when configured, and "Content-Type: content_type"
 * for a PUT when content_type is not NULL.
 *
 * *headers may already hold headers of the caller's (Range, If-Match...):
 * curl 7.88 signs every CURLOPT_HTTPHEADER header, which is fine for those;
 * never add "Expect:" (signed but not sent: SignatureDoesNotMatch).  The
 * caller frees *headers with curl_slist_free_all once the transfer is over
 * (and before setting up a retry on a fresh list).  Sets nothing else:
 * write callbacks, timeouts and CURLOPT_PRIVATE are the caller's.
 * Returns false with why when body is NULL for a PUT.
 */
bool s3_setup(CURL *easy, const struct s3_config *c, enum s3_method method,
    const char *key, struct s3_body *body, const char *content_type,
    struct curl_slist **headers, char *why, size_t size);

/*
 * The <Code> and <Message> of an S3 XML error body (any prefix of it: a
 * truncated body still yields what it holds).  Each output is set to "" when
 * absent; both are cut to fit.  Returns true when a <Code> was found.
 */
bool s3_parse_error(const char *body, size_t len, char *code,
    size_t code_size, char *message, size_t message_size);

/*
 * Whether a failed S3 request is worth another try: code is the error's
 * <Code> ("" or NULL when none), status the HTTP status.  SlowDown,
 * ServiceUnavailable, InternalError, RequestTimeout and the statuses
 * retry_http_status() names are; NoSuchKey, AccessDenied, signature and
 * request errors are not, whatever their status (the S3 SigV4 rules
 * "Responses").
 */
bool s3_retryable(const char *code, long status);

/*
 * Telling a wrong configuration from a failure of one object.  Some answers
 * can only mean that STORAGE_* is wrong, whatever the key: an unknown access
 * key (InvalidAccessKeyId), a missing or malformed bucket (NoSuchBucket,
 * InvalidBucketName), a bucket in another region (PermanentRedirect or any
 * 301, AuthorizationHeaderMalformed), a clock off by more than 15 minutes
 * (RequestTimeTooSkewed).  A bad signature (SignatureDoesNotMatch) means a
 * wrong secret until a request has been accepted; after that, the secret is
 * right and the answer is about that one request.  A 403 AccessDenied (or a
 * 403 with no S3 code) may be one object's ACL: only S3_DENIED_LIMIT of them
 * with no request accepted before them count as a misconfiguration.
 * "Accepted" means a 2xx or a NoSuchKey (S3 answers AccessDenied instead
 * when the credentials may not list the bucket), so the configuration works.
 */
#define S3_DENIED_LIMIT 10

struct s3_health {
	bool accepted;		/* a request got through: the setup is right */
	int denied;		/* 403s before any request was accepted */
};

/*
 * Judges one finished request: status is its HTTP status, code its <Code>
 * ("" when none), body/len the start of the answer (for <Region> and
 * <Endpoint>), bucket_region its x-amz-bucket-region header ("" or NULL).
 * Returns true when the answer shows the configuration is wrong; why then
 * holds one line that names the variable to fix (never a secret).
 */
bool s3_health_judge(struct s3_health *h, const struct s3_config *c,
    long status, const char *code, const char *body, size_t len,
    const char *bucket_region, char *why, size_t size);

#endif
