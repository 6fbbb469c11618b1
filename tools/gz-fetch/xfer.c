/*
 * xfer — one download with libcurl, for --source s3 (lib/s3 signs it) and
 * --source url: the options of a transfer, the header and body callbacks
 * that stream into the spool file, and the verdict on each attempt.
 *
 * Memory does not depend on the file: bodies go to disk as they arrive; only
 * the first 1 KB of an error answer is kept, to read S3's <Code>.
 */
#include "fetch.h"
#include "log.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- headers ---------------------------------------------------------------- */

static void
copy_trimmed(char *out, size_t size, const char *v, size_t len)
{
	while (len > 0 && isspace((unsigned char)*v)) {
		v++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	if (len >= size)
		len = 0;	/* too long to be what we look for: ignore */
	memcpy(out, v, len);
	out[len] = '\0';
}

/* "bytes 100-199/2000" (total may be "*"). */
static void
parse_content_range(struct job *j, const char *v)
{
	char *end;

	if (strncasecmp(v, "bytes ", 6) != 0)
		return;
	errno = 0;
	j->h_start = strtoll(v + 6, &end, 10);
	if (errno != 0 || *end != '-' || (end = strchr(end, '/')) == NULL) {
		j->h_start = -1;
		return;
	}
	j->h_total = end[1] == '*' ? -1 : strtoll(end + 1, NULL, 10);
}

static void
new_response(struct job *j, const char *line)
{
	const char *sp = strchr(line, ' ');

	j->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
	j->h_length = j->h_start = j->h_total = -1;
	j->h_ranges = false;
	j->h_etag[0] = '\0';
	j->h_region[0] = '\0';
}

/*
 * The headers of a 200 or 206 are in: decide where the body goes.  A 200 to
 * a Range request carries the whole file, so the file starts over; a 206
 * must continue exactly where the file ends.  False aborts the transfer.
 */
static bool
headers_done(struct job *j, uint64_t max_size)
{
	int64_t total;

	if (j->status == 200) {
		if (j->file.bytes > 0) {
			if (spool_file_restart(&j->file) != 0) {
				j->fail = XFER_WRITE;
				j->fail_errno = errno;
				return false;
			}
			md5_init(&j->md5);
		}
		total = j->h_length;
	} else if (j->status == 206) {
		if (j->h_start < 0 || (uint64_t)j->h_start != j->file.bytes) {
			j->fail = XFER_RANGE;
			return false;
		}
		total = j->h_total;
	} else
		return true;
	j->length = total;
	if (total >= 0 && (uint64_t)total > max_size) {
		j->fail = XFER_TOO_LARGE;
		return false;
	}
	/* Weak ETags (W/"...") never match If-Match: no resuming then. */
	if (j->h_ranges && j->h_etag[0] == '"')
		memcpy(j->if_match, j->h_etag, sizeof j->if_match);
	else
		j->if_match[0] = '\0';
	return true;
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct job *j = arg;
	size_t len = size * nitems;
	const char *colon;
	char v[200];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		copy_trimmed(v, sizeof v, data, len);
		new_response(j, v);
		return len;
	}
	if (len <= 2 && (data[0] == '\r' || data[0] == '\n'))
		return headers_done(j, j->max_size) ? len : 0;
	if ((colon = memchr(data, ':', len)) == NULL)
		return len;
	copy_trimmed(v, sizeof v, colon + 1, len - (size_t)(colon + 1 - data));
#define IS(name) ((size_t)(colon - data) == sizeof name - 1 && \
	strncasecmp(data, name, sizeof name - 1) == 0)
	if (IS("content-length"))
		j->h_length = v[0] != '\0' ? strtoll(v, NULL, 10) : -1;
	else if (IS("etag"))
		memcpy(j->h_etag, v, sizeof j->h_etag);
	else if (IS("accept-ranges"))
		j->h_ranges = strcasecmp(v, "bytes") == 0;
	else if (IS("content-range"))
		parse_content_range(j, v);
	else if (IS("x-amz-bucket-region"))
		snprintf(j->h_region, sizeof j->h_region, "%.63s", v);
#undef IS
	return len;
}

/* --- body ------------------------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t nitems, void *arg)
{
	struct job *j = arg;
	size_t len = size * nitems, room;

	if (j->status != 200 && j->status != 206) {
		room = sizeof j->body - 1 - j->body_len;
		if (len < room)
			room = len;
		memcpy(j->body + j->body_len, data, room);
		j->body_len += room;
		j->body[j->body_len] = '\0';
		return len;
	}
	if (j->file.bytes + len > j->max_size) {
		j->fail = XFER_TOO_LARGE;
		return 0;
	}
	if (spool_file_write(&j->file, data, len) != 0) {
		j->fail_errno = errno;
		j->fail = errno == ENOSPC || errno == EDQUOT ? XFER_DISK_FULL :
		    XFER_WRITE;
		return 0;
	}
	md5_update(&j->md5, data, len);
	gz_stats.bytes += len;
	return len;
}

/* --- setting up an attempt ------------------------------------------------- */

static void
add_header(struct curl_slist **list, const char *fmt, const char *value)
{
	char line[256];
	struct curl_slist *l;

	snprintf(line, sizeof line, fmt, value);
	if ((l = curl_slist_append(*list, line)) == NULL)
		xalloc_die(sizeof line);
	*list = l;
}

/*
 * Resuming: ask for the rest of the file, and only if it is still the file
 * whose start we hold (If-Match with its ETag; 412 otherwise).
 */
static void
resume_headers(struct job *j)
{
	char from[32];

	if (j->file.bytes == 0 || j->if_match[0] == '\0')
		return;
	snprintf(from, sizeof from, "%" PRIu64, j->file.bytes);
	add_header(&j->headers, "Range: bytes=%s-", from);
	add_header(&j->headers, "If-Match: %s", j->if_match);
}

static void
common_options(const struct fetch_options *o, struct job *j)
{
	const struct http_limits limits = { o->connect_timeout_ms,
	    o->min_speed, o->stall_seconds };
	CURL *e = j->easy;

	http_defaults(e, "gz-fetch", &limits);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->curl_error);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	/* HTTP/2 where TLS offers it, sharing connections with other
	 * transfers rather than opening new ones. */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 64L * 1024);
}

bool
xfer_setup(const struct fetch_options *o, struct job *j, char *why,
    size_t size)
{
	j->status = 0;
	j->length = -1;
	j->fail = XFER_OK;
	j->body_len = 0;
	j->body[0] = j->curl_error[0] = '\0';
	j->max_size = o->max_size;
	new_response(j, "");
	common_options(o, j);
	resume_headers(j);
	if (o->source == SOURCE_S3)
		return s3_setup(j->easy, &o->s3, S3_GET, j->target, NULL, NULL,
		    &j->headers, why, size);
	curl_easy_setopt(j->easy, CURLOPT_URL, j->target);
	curl_easy_setopt(j->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(j->easy, CURLOPT_MAXREDIRS, o->max_redirs);
	if (j->headers != NULL)
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
	return true;
}

/* --- judging an attempt ----------------------------------------------------- */

/* A transport failure: what to call it and whether trying again may help. */
static void
transport_error(struct job *j, CURLcode rc, struct xfer_result *r)
{
	const char *what = j->curl_error[0] != '\0' ? j->curl_error :
	    curl_easy_strerror(rc);

	r->retryable = retry_curl_code(rc);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(r->code, sizeof r->code, "connection_failed");
		r->transport = true;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(r->code, sizeof r->code, "timeout");
		r->transport = true;
		break;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		snprintf(r->code, sizeof r->code, "transfer_failed");
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(r->code, sizeof r->code, "too_many_redirects");
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		snprintf(r->code, sizeof r->code, "bad_url");
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(r->code, sizeof r->code, "tls_error");
		break;
	default:
		snprintf(r->code, sizeof r->code, "curl_%d", (int)rc);
	}
	snprintf(r->message, sizeof r->message, "%s (curl %d)", what, (int)rc);
}

/*
 * An answer that is not the file: S3's <Code>, else http_NNN; or
 * storage_misconfigured when it shows STORAGE_* cannot work (retryable: the
 * gazette is fine, the next run with the setting fixed gets it).
 */
static void
status_error(const struct fetch_options *o, struct job *j,
    struct s3_health *health, struct xfer_result *r)
{
	char code[64] = "", message[300] = "", why[400];

	if (o->source == SOURCE_S3 && s3_parse_error(j->body, j->body_len,
	    code, sizeof code, message, sizeof message))
		snprintf(r->code, sizeof r->code, "%s", code);
	else
		snprintf(r->code, sizeof r->code, "http_%ld", j->status);
	if (o->source == SOURCE_S3 && s3_health_judge(health, &o->s3,
	    j->status, code, j->body, j->body_len, j->h_region, why,
	    sizeof why)) {
		r->misconfigured = r->retryable = r->quiet = true;
		snprintf(r->message, sizeof r->message, "%s (HTTP %ld): %s",
		    code[0] != '\0' ? code : "refused", j->status, why);
		snprintf(r->code, sizeof r->code, "storage_misconfigured");
		return;
	}
	r->retryable = o->source == SOURCE_S3 ? s3_retryable(code, j->status) :
	    retry_http_status(j->status);
	if (message[0] != '\0')
		snprintf(r->message, sizeof r->message, "HTTP %ld: %s",
		    j->status, message);
	else
		snprintf(r->message, sizeof r->message, "HTTP %ld", j->status);
}

/* Failures of our own making, found by the callbacks. */
static bool
callback_error(const struct fetch_options *o, struct job *j,
    struct xfer_result *r)
{
	switch (j->fail) {
	case XFER_OK:
		return false;
	case XFER_TOO_LARGE:
		snprintf(r->code, sizeof r->code, "too_large");
		if (j->length >= 0)
			snprintf(r->message, sizeof r->message, "%" PRId64
			    " bytes, more than --max-size (%" PRIu64 ")",
			    j->length, o->max_size);
		else
			snprintf(r->message, sizeof r->message, "more than "
			    "--max-size (%" PRIu64 " bytes) received",
			    o->max_size);
		break;
	case XFER_DISK_FULL:
		snprintf(r->code, sizeof r->code, "disk_full");
		snprintf(r->message, sizeof r->message, "writing the spool: %s",
		    strerror(j->fail_errno));
		r->retryable = r->fatal = true;
		break;
	case XFER_WRITE:
		snprintf(r->code, sizeof r->code, "spool_error");
		snprintf(r->message, sizeof r->message, "writing the spool: %s",
		    strerror(j->fail_errno));
		break;
	case XFER_RANGE:
		/* Start over without a range: another attempt. */
		snprintf(r->code, sizeof r->code, "transfer_failed");
		snprintf(r->message, sizeof r->message, "the server resumed "
		    "at the wrong offset");
		j->if_match[0] = '\0';
		r->retryable = true;
		break;
	}
	return true;
}

/* Keeps the bytes for a Range request when the server allows one. */
static int
rewind_file(struct job *j, bool resume)
{
	if (resume && j->file.bytes > 0 && j->if_match[0] != '\0')
		return 0;
	j->if_match[0] = '\0';
	md5_init(&j->md5);
	return j->file.bytes > 0 ? spool_file_restart(&j->file) : 0;
}

void
xfer_finish(const struct fetch_options *o, struct job *j, CURLcode rc,
    struct s3_health *health, struct xfer_result *r)
{
	curl_off_t retry_after = 0;
	bool resume = true;

	memset(r, 0, sizeof *r);
	if (callback_error(o, j, r))
		resume = j->fail != XFER_RANGE;
	else if (rc != CURLE_OK)
		transport_error(j, rc, r);
	else if (j->status == 200 || j->status == 206) {
		if (o->source == SOURCE_S3)
			s3_health_judge(health, &o->s3, j->status, "", NULL, 0,
			    NULL, r->message, sizeof r->message);
		if (j->length < 0 || j->file.bytes == (uint64_t)j->length) {
			r->ok = true;
			return;
		}
		snprintf(r->code, sizeof r->code, "transfer_failed");
		snprintf(r->message, sizeof r->message, "got %" PRIu64 " of %"
		    PRId64 " bytes", j->file.bytes, j->length);
		r->retryable = true;
	} else {
		status_error(o, j, health, r);
		if (r->misconfigured)
			return;
		/* The file changed (412) or the range no longer fits (416):
		 * start over. */
		if ((j->status == 412 || j->status == 416) &&
		    j->file.bytes > 0) {
			r->retryable = true;
			resume = false;
		}
	}
	if (!r->retryable || r->fatal || !retry_allowed(&o->retry, j->attempts))
		return;
	if (rewind_file(j, resume) != 0) {
		snprintf(r->code, sizeof r->code, "spool_error");
		snprintf(r->message, sizeof r->message, "rewinding the spool "
		    "file: %s", strerror(errno));
		r->retryable = false;
		return;
	}
	curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &retry_after);
	r->retry = true;
	r->delay = retry_delay(&o->retry, j->attempts, (double)retry_after);
}

void
xfer_complete(struct spool *s, struct job *j, struct xfer_result *r)
{
	unsigned char d[16];
	char got[33];

	if (j->want_md5[0] != '\0') {
		md5_final(&j->md5, d);
		digest_hex(d, sizeof d, got);
		if (strcmp(got, j->want_md5) != 0) {
			r->ok = false;
			snprintf(r->code, sizeof r->code, "checksum_mismatch");
			snprintf(r->message, sizeof r->message, "MD5 %s, "
			    "file_checksum %s", got, j->want_md5);
			return;
		}
	}
	if (spool_file_commit(s, &j->file) != 0) {
		r->ok = false;
		r->retryable = true;
		if (errno == ENOSPC || errno == EDQUOT) {
			r->fatal = true;
			snprintf(r->code, sizeof r->code, "disk_full");
		} else
			snprintf(r->code, sizeof r->code, "spool_error");
		snprintf(r->message, sizeof r->message, "saving the spool "
		    "file: %s", strerror(errno));
		return;
	}
	r->ok = true;
}
