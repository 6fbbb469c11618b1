/*
 * s3 — see s3.h, which gives every fact about libcurl 7.88's
 * CURLOPT_AWS_SIGV4 this file relies on.
 */
#include "s3.h"
#include "config.h"
#include "digest.h"
#include "retry.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* SHA-256 of the empty string: the payload hash of a GET or HEAD. */
static const char empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* --- configuration --------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* "host:9000/" → "https://host:9000"; malloc'd. */
static char *
normal_endpoint(const char *v)
{
	const char *scheme = strstr(v, "://") != NULL ? "" : "https://";
	size_t n = strlen(v);
	char *out;

	while (n > 0 && v[n - 1] == '/')
		n--;
	out = xmalloc(strlen(scheme) + n + 1);
	memcpy(out, scheme, strlen(scheme));
	memcpy(out + strlen(scheme), v, n);
	out[strlen(scheme) + n] = '\0';
	return out;
}

/* True for AWS's own endpoints, where virtual-hosted is the default. */
static bool
aws_endpoint(const char *endpoint)
{
	const char *host = strstr(endpoint, "://");
	const char *end;
	size_t n;

	host = host != NULL ? host + 3 : endpoint;
	end = host + strcspn(host, ":/");
	n = (size_t)(end - host);
	return n >= 14 && strncasecmp(end - 14, ".amazonaws.com", 14) == 0;
}

static bool
load_addressing(struct s3_config *c, char *why, size_t size)
{
	const char *v = config_pick(NULL, "STORAGE_ADDRESSING", NULL);

	if (v == NULL)
		c->path_style = !aws_endpoint(c->endpoint);
	else if (strcasecmp(v, "path") == 0)
		c->path_style = true;
	else if (strcasecmp(v, "virtual") == 0)
		c->path_style = false;
	else {
		snprintf(why, size, "STORAGE_ADDRESSING must be \"path\" or "
		    "\"virtual\", not \"%s\"", v);
		return false;
	}
	return true;
}

static bool
load_credentials(struct s3_config *c, char *why, size_t size)
{
	const char *ak = config_pick(NULL, "STORAGE_ACCESS_KEY", NULL);
	const char *sk = config_pick(NULL, "STORAGE_ACCESS_SECRET", NULL);

	if ((ak == NULL) != (sk == NULL)) {
		snprintf(why, size, "%s is set but %s is not",
		    ak != NULL ? "STORAGE_ACCESS_KEY" : "STORAGE_ACCESS_SECRET",
		    ak != NULL ? "STORAGE_ACCESS_SECRET" : "STORAGE_ACCESS_KEY");
		return false;
	}
	c->access_key = dup_or_null(ak);
	c->secret = dup_or_null(sk);
	c->session_token = dup_or_null(config_pick(NULL,
	    "STORAGE_SESSION_TOKEN", NULL));
	return true;
}

bool
s3_config_load(struct s3_config *c, char *why, size_t size)
{
	const char *bucket = config_pick(NULL, "STORAGE_BUCKET", NULL);
	const char *region = config_pick(NULL, "STORAGE_REGION", "us-east-1");
	const char *endpoint = config_pick(NULL, "STORAGE_ENDPOINT", NULL);
	char aws[300];

	memset(c, 0, sizeof *c);
	if (bucket == NULL) {
		snprintf(why, size, "STORAGE_BUCKET is not set");
		return false;
	}
	if (strchr(region, ':') != NULL || strchr(region, '/') != NULL) {
		snprintf(why, size, "STORAGE_REGION \"%s\" is malformed", region);
		return false;
	}
	/*
	 * A user:password@ would be signed as part of the host and printed in
	 * every message that names the endpoint: the keys have their own
	 * variables.
	 */
	if (endpoint != NULL &&
	    config_secret_spans(endpoint, NULL, 0) > 0) {
		snprintf(why, size, "STORAGE_ENDPOINT %s carries credentials; "
		    "give them in STORAGE_ACCESS_KEY and STORAGE_ACCESS_SECRET",
		    config_redact(endpoint, aws, sizeof aws));
		return false;
	}
	if (endpoint == NULL) {
		snprintf(aws, sizeof aws, "https://s3.%s.amazonaws.com", region);
		endpoint = aws;
	}
	c->bucket = xstrdup(bucket);
	c->region = xstrdup(region);
	c->endpoint = normal_endpoint(endpoint);
	if (!load_addressing(c, why, size) || !load_credentials(c, why, size)) {
		s3_config_free(c);
		return false;
	}
	return true;
}

void
s3_config_free(struct s3_config *c)
{
	free(c->endpoint);
	free(c->region);
	free(c->bucket);
	free(c->access_key);
	if (c->secret != NULL) {
		memset(c->secret, 0, strlen(c->secret));
		free(c->secret);
	}
	if (c->session_token != NULL) {
		memset(c->session_token, 0, strlen(c->session_token));
		free(c->session_token);
	}
	memset(c, 0, sizeof *c);
}

const char *
s3_config_describe(const struct s3_config *c, char *buf, size_t size)
{
	char ep[512];

	snprintf(buf, size, "bucket %s at %s (region %s, %s%s)", c->bucket,
	    config_redact(c->endpoint, ep, sizeof ep), c->region,
	    c->path_style ? "path-style" : "virtual-hosted",
	    c->access_key != NULL ? "" : ", unsigned");
	return buf;
}

/* --- keys and URLs ---------------------------------------------------------- */

static bool
unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
	    ch == '~' || ch == '/';
}

char *
s3_encode_key(const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t n = 1;
	char *out, *o;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		n += unreserved(*p) ? 1 : 3;
	out = xmalloc(n);
	for (o = out, p = (const unsigned char *)key; *p != '\0'; p++) {
		if (unreserved(*p))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

bool
s3_key_addressable(const char *key)
{
	const char *seg = key, *end;
	size_t n;

	if (key == NULL || *key == '\0')
		return false;
	for (;;) {
		end = strchr(seg, '/');
		n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (end == NULL)
			return true;
		seg = end + 1;
	}
}

char *
s3_object_url(const struct s3_config *c, const char *key)
{
	const char *host = strstr(c->endpoint, "://");
	char *enc, *url;
	size_t n;

	enc = s3_encode_key(key);
	host = host != NULL ? host + 3 : c->endpoint;
	n = strlen(c->endpoint) + strlen(c->bucket) + strlen(enc) + 4;
	url = xmalloc(n);
	if (c->path_style)
		snprintf(url, n, "%s/%s/%s", c->endpoint, c->bucket, enc);
	else
		snprintf(url, n, "%.*s%s.%s/%s",
		    (int)(host - c->endpoint), c->endpoint, c->bucket, host,
		    enc);
	free(enc);
	return url;
}

/* --- signed requests -------------------------------------------------------- */

static size_t
body_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct s3_body *b = arg;
	size_t n = size * nitems, left = b->len - b->off;

	if (n > left)
		n = left;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return n;
}

/* curl rewinds the body to resend it (a redirect, a reused connection that
 * turned out dead). */
static int
body_seek(void *arg, curl_off_t offset, int origin)
{
	struct s3_body *b = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > b->len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static void
add_header(struct curl_slist **headers, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	struct curl_slist *l;
	char *line;

	line = xmalloc(n);
	snprintf(line, n, "%s: %s", name, value);
	l = curl_slist_append(*headers, line);
	memset(line, 0, n);	/* it may hold the session token */
	free(line);
	if (l == NULL)
		xalloc_die(n);
	*headers = l;
}

static void
set_method(CURL *easy, enum s3_method method, struct s3_body *body)
{
	if (method == S3_PUT) {
		body->off = 0;
		curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)body->len);
		curl_easy_setopt(easy, CURLOPT_READFUNCTION, body_read);
		curl_easy_setopt(easy, CURLOPT_READDATA, body);
		curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, body_seek);
		curl_easy_setopt(easy, CURLOPT_SEEKDATA, body);
	} else if (method == S3_HEAD)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
}

bool
s3_setup(CURL *easy, const struct s3_config *c, enum s3_method method,
    const char *key, struct s3_body *body, const char *content_type,
    struct curl_slist **headers, char *why, size_t size)
{
	char hash[65], provider[128];
	char *url;

	if (method == S3_PUT && body == NULL) {
		snprintf(why, size, "PUT without a body");
		return false;
	}
	url = s3_object_url(c, key);
	if (method == S3_PUT)
		sha256_hex(body->data, body->len, hash);
	else
		memcpy(hash, empty_sha256, sizeof hash);
	/* curl 7.88 does not add this header itself; S3 requires it. */
	add_header(headers, "x-amz-content-sha256", hash);
	if (c->session_token != NULL)
		add_header(headers, "x-amz-security-token", c->session_token);
	if (method == S3_PUT && content_type != NULL)
		add_header(headers, "Content-Type", content_type);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	free(url);
	set_method(easy, method, body);
	if (c->access_key != NULL) {
		snprintf(provider, sizeof provider, "aws:amz:%s:s3", c->region);
		curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, provider);
		curl_easy_setopt(easy, CURLOPT_USERNAME, c->access_key);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, c->secret);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
	return true;
}

/* --- errors ---------------------------------------------------------------- */

/* The first occurrence of needle in body[0..len), or NULL. */
static const char *
find(const char *body, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(body + i, needle, n) == 0)
			return body + i;
	return NULL;
}

/* Copies the text of <tag>...</tag> (or up to the end of a cut body). */
static bool
element(const char *body, size_t len, const char *open, const char *close,
    char *out, size_t size)
{
	const char *start = find(body, len, open), *end;
	size_t n;

	if (size > 0)
		out[0] = '\0';
	if (start == NULL || size == 0)
		return false;
	start += strlen(open);
	end = find(start, len - (size_t)(start - body), close);
	n = end != NULL ? (size_t)(end - start) : len - (size_t)(start - body);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
	return true;
}

bool
s3_parse_error(const char *body, size_t len, char *code, size_t code_size,
    char *message, size_t message_size)
{
	element(body, len, "<Message>", "</Message>", message, message_size);
	return element(body, len, "<Code>", "</Code>", code, code_size) &&
	    code[0] != '\0';
}

bool
s3_retryable(const char *code, long status)
{
	static const char *const transient[] = {
		"SlowDown", "ServiceUnavailable", "InternalError",
		"RequestTimeout", "OperationAborted"
	};
	static const char *const permanent[] = {
		"NoSuchKey", "NoSuchBucket", "AccessDenied",
		"InvalidAccessKeyId", "SignatureDoesNotMatch",
		"RequestTimeTooSkewed", "InvalidRequest",
		"XAmzContentSHA256Mismatch", "BadDigest",
		"AuthorizationHeaderMalformed", "InvalidRange",
		"PreconditionFailed", "InvalidBucketName", "InvalidArgument",
		"MissingContentLength", "EntityTooLarge"
	};
	size_t i;

	if (code != NULL && *code != '\0') {
		for (i = 0; i < sizeof transient / sizeof transient[0]; i++)
			if (strcmp(code, transient[i]) == 0)
				return true;
		for (i = 0; i < sizeof permanent / sizeof permanent[0]; i++)
			if (strcmp(code, permanent[i]) == 0)
				return false;
	}
	return retry_http_status(status);
}

/* --- a configuration that cannot work --------------------------------------- */

/* The region S3 says the bucket is in: the header, else <Region>. */
static void
bucket_region_of(const char *body, size_t len, const char *header,
    char *out, size_t size)
{
	size_t i;

	if (header != NULL && *header != '\0')
		snprintf(out, size, "%s", header);
	else
		element(body, len, "<Region>", "</Region>", out, size);
	/* It goes into a message: keep it to what a region name holds. */
	for (i = 0; out[i] != '\0'; i++)
		if (!isalnum((unsigned char)out[i]) && out[i] != '-' &&
		    out[i] != '_')
			out[i] = '\0';
}

bool
s3_health_judge(struct s3_health *h, const struct s3_config *c, long status,
    const char *code, const char *body, size_t len, const char *bucket_region,
    char *why, size_t size)
{
	char ep[512], region[64] = "";

	if (code == NULL)
		code = "";
	if ((status >= 200 && status <= 299) || strcmp(code, "NoSuchKey") == 0) {
		h->accepted = true;
		return false;
	}
	config_redact(c->endpoint, ep, sizeof ep);
	if (strcmp(code, "InvalidAccessKeyId") == 0) {
		snprintf(why, size, "the storage at %s does not know the access "
		    "key in STORAGE_ACCESS_KEY (InvalidAccessKeyId): fix "
		    "STORAGE_ACCESS_KEY", ep);
		return true;
	}
	if (strcmp(code, "SignatureDoesNotMatch") == 0 && !h->accepted) {
		snprintf(why, size, "the storage at %s refused the signature "
		    "(SignatureDoesNotMatch): STORAGE_ACCESS_SECRET is not the "
		    "secret of STORAGE_ACCESS_KEY; fix STORAGE_ACCESS_SECRET",
		    ep);
		return true;
	}
	if (strcmp(code, "NoSuchBucket") == 0 ||
	    strcmp(code, "InvalidBucketName") == 0) {
		snprintf(why, size, "there is no bucket \"%s\" at %s (%s): fix "
		    "STORAGE_BUCKET (or STORAGE_ENDPOINT)", c->bucket, ep, code);
		return true;
	}
	if (status == 301 || strcmp(code, "PermanentRedirect") == 0 ||
	    strcmp(code, "AuthorizationHeaderMalformed") == 0) {
		bucket_region_of(body, len, bucket_region, region,
		    sizeof region);
		if (region[0] != '\0' && strcmp(region, c->region) != 0)
			snprintf(why, size, "bucket \"%s\" is in region %s, not "
			    "%s (%s): set STORAGE_REGION=%s (and "
			    "STORAGE_ENDPOINT, when set, to that region's "
			    "endpoint)", c->bucket, region, c->region,
			    code[0] != '\0' ? code : "HTTP 301", region);
		else
			snprintf(why, size, "the storage at %s refused the "
			    "region %s in the signature (%s): check "
			    "STORAGE_REGION and STORAGE_ENDPOINT", ep, c->region,
			    code[0] != '\0' ? code : "HTTP 301");
		return true;
	}
	if (strcmp(code, "RequestTimeTooSkewed") == 0) {
		snprintf(why, size, "this machine's clock is more than 15 "
		    "minutes off the storage's (RequestTimeTooSkewed): fix the "
		    "clock (NTP); no STORAGE_* variable is wrong");
		return true;
	}
	if (status == 403 && (code[0] == '\0' ||
	    strcmp(code, "AccessDenied") == 0) && !h->accepted &&
	    ++h->denied >= S3_DENIED_LIMIT) {
		if (c->access_key == NULL)
			snprintf(why, size, "the first %d requests to bucket "
			    "\"%s\" at %s were all refused (403 AccessDenied) "
			    "and they are unsigned: set STORAGE_ACCESS_KEY and "
			    "STORAGE_ACCESS_SECRET", h->denied, c->bucket, ep);
		else
			snprintf(why, size, "the first %d requests to bucket "
			    "\"%s\" at %s were all refused (403 AccessDenied): "
			    "the key in STORAGE_ACCESS_KEY may not read it; fix "
			    "STORAGE_ACCESS_KEY or its permissions (or "
			    "STORAGE_BUCKET)", h->denied, c->bucket, ep);
		return true;
	}
	return false;
}
