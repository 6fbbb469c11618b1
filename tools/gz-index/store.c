/*
 * store — --store-text: each source_text is uploaded to the storage key of
 * its file with the suffix replaced by .txt (gz(7) "Index") before its
 * document is indexed, so a document never links to a text that is not
 * there, and a failed upload leaves the gazette unindexed and unmarked.
 *
 * Uploads run on the bulk requests' multi handle, a few at a time; a
 * transient failure (5xx, 408, 429, a transport error) is retried with the
 * shared backoff while the rest go on.  The S3 request itself (URL, key
 * encoding, SigV4) is lib/s3's.
 */
#include "store.h"
#include "batch.h"
#include "bulk.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "s3.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct upload {
	struct xfer x;		/* first: what CURLOPT_PRIVATE points at */
	struct upload *next;
	struct store *store;
	struct doc *doc;
	CURL *easy;
	struct curl_slist *headers;
	struct s3_body body;	/* the text, read by curl from doc->text */
	int attempts;
	double not_before;
	char error[CURL_ERROR_SIZE];
	struct reply reply;	/* the start of an error answer */
};

struct store {
	const struct index_options *o;
	struct s3_config cfg;
	store_done_fn *done;	/* where each document goes at the end */
	void *done_arg;
	struct bulk *bulk;
	struct upload *waiting;	/* not started, or waiting for a retry */
	struct upload *active;	/* in flight */
	size_t nwaiting, nactive, max_active;
	struct s3_health health; /* what the storage's answers show */
};

/* --- the S3 request (lib/s3) ---------------------------------------------- */

/* Reads STORAGE_* as gz-fetch does; false with why when it is unusable. */
static bool
s3_configure(struct store *s, char *why, size_t size)
{
	char where[300], link[300];

	if (!s3_config_load(&s->cfg, why, size))
		return false;
	if (s->o->relative_paths)
		log_info("--store-text: texts to %s; url and file_raw_txt are "
		    "bare keys (USE_RELATIVE_FILE_PATHS=true)",
		    s3_config_describe(&s->cfg, where, sizeof where));
	else
		log_info("--store-text: texts to %s; url and file_raw_txt under "
		    "%s (QUERIDO_DIARIO_FILES_ENDPOINT)",
		    s3_config_describe(&s->cfg, where, sizeof where),
		    config_redact(s->o->files_endpoint, link, sizeof link));
	return true;
}

/* Sets u->easy up to PUT the text at u->doc->key; false with why if not. */
static bool
s3_prepare(struct store *s, struct upload *u, char *why, size_t size)
{
	struct doc *d = u->doc;

	u->body.data = jv_string_value(d->text);
	u->body.len = (size_t)jv_string_length_bytes(jv_copy(d->text));
	u->body.off = 0;
	if (!s3_key_addressable(d->key)) {
		snprintf(why, size, "storage key \"%s\" cannot be addressed "
		    "(empty, or a . or .. segment)", d->key);
		return false;
	}
	return s3_setup(u->easy, &s->cfg, S3_PUT, d->key, &u->body,
	    "text/plain; charset=utf-8", &u->headers, why, size);
}

/* --- the queue -------------------------------------------------------------- */

struct store *
store_new(const struct index_options *o, struct bulk *bulk, int *status)
{
	struct store *s = xcalloc(1, sizeof *s);
	char why[300];

	s->o = o;
	s->bulk = bulk;
	s->max_active = (size_t)o->concurrency * 2;
	if (!s3_configure(s, why, sizeof why)) {
		log_error("--store-text: %s", why);
		*status = EXIT_USAGE;
		free(s);
		return NULL;
	}
	return s;
}

void
store_on_done(struct store *s, store_done_fn *done, void *arg)
{
	s->done = done;
	s->done_arg = arg;
}

/* d failed with code and why. */
static void
report_failed(struct store *s, struct doc *d, const char *code,
    const char *why, int attempts, bool retryable)
{
	struct store_outcome out = { .result = STORE_FAILED, .code = code,
	    .why = why, .attempts = attempts, .retryable = retryable };

	s->done(s->done_arg, d, &out);
}

static void
upload_free(struct upload *u)
{
	if (u->easy != NULL)
		curl_easy_cleanup(u->easy);
	curl_slist_free_all(u->headers);
	free(u);
}

static void
unlink_upload(struct upload **list, struct upload *u)
{
	for (; *list != NULL; list = &(*list)->next)
		if (*list == u) {
			*list = u->next;
			break;
		}
	u->next = NULL;
}

/*
 * "HTTP 503 SlowDown: Please reduce your request rate" from S3's XML
 * answer, or the curl error; returns whether it is worth another try.
 */
static bool
describe(const struct upload *u, int curl_code, long status, char *why,
    size_t size)
{
	char code[64], message[200];

	if (curl_code != CURLE_OK) {
		snprintf(why, size, "%s (curl %d)", u->error[0] ? u->error :
		    curl_easy_strerror((CURLcode)curl_code), curl_code);
		return retry_curl_code(curl_code);
	}
	if (s3_parse_error(u->reply.body, u->reply.len, code, sizeof code,
	    message, sizeof message))
		snprintf(why, size, "HTTP %ld %s%s%s", status, code,
		    message[0] ? ": " : "", message);
	else
		snprintf(why, size, "HTTP %ld", status);
	return s3_retryable(code, status);
}

/*
 * An answer only a wrong STORAGE_* explains (lib/s3's s3_health_judge, the
 * rule gz-fetch applies): the run stops as on OpenSearch's 401, with this
 * document and every one not yet indexed in the ledger as a retryable
 * storage_misconfigured, and exit 2.
 */
static bool
misconfigured(struct store *s, struct upload *u, long status)
{
	char code[64], message[200], why[400], msg[600], stop[420];
	struct doc *d = u->doc;
	int attempts = u->attempts + 1;

	s3_parse_error(u->reply.body, u->reply.len, code, sizeof code,
	    message, sizeof message);
	if (!s3_health_judge(&s->health, &s->cfg, status, code,
	    u->reply.body, u->reply.len, NULL, why, sizeof why))
		return false;
	snprintf(msg, sizeof msg, "storing %s: %s (HTTP %ld): %s", d->key,
	    code[0] != '\0' ? code : "refused", status, why);
	upload_free(u);
	snprintf(stop, sizeof stop, "--store-text: %s", why);
	s->done(s->done_arg, d, &(struct store_outcome){ .result =
	    STORE_FAILED, .code = "storage_misconfigured", .why = msg,
	    .attempts = attempts, .retryable = true, .stop = EXIT_USAGE,
	    .stop_why = stop });
	return true;
}

static void
on_done(struct xfer *x, int curl_code, long status, double retry_after)
{
	struct upload *u = (struct upload *)x;
	struct store *s = u->store;
	struct doc *d = u->doc;
	bool retryable;
	char why[400];

	unlink_upload(&s->active, u);
	s->nactive--;
	bulk_remove_other(s->bulk, u->easy);
	if (curl_code == CURLE_OK && misconfigured(s, u, status))
		return;
	if (curl_code == CURLE_OK && status >= 200 && status <= 299) {
		log_debug("%s: stored %s", d->id, d->key);
		jv_free(d->text);
		d->text = jv_invalid();
		upload_free(u);
		s->done(s->done_arg, d, &(struct store_outcome){ .result =
		    STORE_STORED });
		return;
	}
	u->attempts++;
	retryable = describe(u, curl_code, status, why, sizeof why);
	if (!retryable || !retry_allowed(&s->o->retry, u->attempts)) {
		int attempts = u->attempts;
		char msg[600];

		snprintf(msg, sizeof msg, "storing %s: %s", d->key, why);
		upload_free(u);
		report_failed(s, d, "store_failed", msg, attempts, retryable);
		return;
	}
	u->not_before = clock_monotonic() + retry_delay(&s->o->retry,
	    u->attempts, retry_after);
	log_info("storing %s: %s; retrying", d->key, why);
	gz_stats.retries++;
	curl_easy_cleanup(u->easy);
	curl_slist_free_all(u->headers);
	u->easy = NULL;
	u->headers = NULL;
	u->next = s->waiting;
	s->waiting = u;
	s->nwaiting++;
}

void
store_add(struct store *s, struct doc *d)
{
	struct upload *u = xcalloc(1, sizeof *u), **p = &s->waiting;

	u->x.done = on_done;
	u->store = s;
	u->doc = d;
	while (*p != NULL)
		p = &(*p)->next;
	*p = u;
	s->nwaiting++;
}

static const struct http_limits store_limits = { 10000, 1024, 60 };

/* Starts u, or fails its document when it cannot even be set up. */
static void
start(struct store *s, struct upload *u)
{
	char why[300];

	u->reply.len = 0;
	u->reply.body[0] = u->error[0] = '\0';
	if ((u->easy = curl_easy_init()) == NULL)
		xalloc_die(sizeof u->easy);
	/* A stalled storage server must not hold the run: same limits as
	 * gz-fetch's (connect timeout, and a floor on the upload speed). */
	http_defaults(u->easy, "gz-index/0.1", &store_limits);
	curl_easy_setopt(u->easy, CURLOPT_PRIVATE, &u->x);
	curl_easy_setopt(u->easy, CURLOPT_ERRORBUFFER, u->error);
	curl_easy_setopt(u->easy, CURLOPT_WRITEFUNCTION, bulk_reply_keep);
	curl_easy_setopt(u->easy, CURLOPT_WRITEDATA, &u->reply);
	if (!s3_prepare(s, u, why, sizeof why)) {
		struct doc *d = u->doc;

		upload_free(u);
		report_failed(s, d, "store_failed", why, 0, false);
		return;
	}
	u->next = s->active;
	s->active = u;
	s->nactive++;
	bulk_add_other(s->bulk, u->easy);
}

void
store_perform(struct store *s)
{
	double now = clock_monotonic();
	struct upload **p = &s->waiting, *u;

	while ((u = *p) != NULL && s->nactive < s->max_active) {
		if (u->not_before > now) {
			p = &u->next;
			continue;
		}
		*p = u->next;
		s->nwaiting--;
		start(s, u);
	}
}

bool
store_busy(const struct store *s)
{
	return s->nwaiting >= s->max_active;
}

bool
store_idle(const struct store *s)
{
	return s->nwaiting == 0 && s->nactive == 0;
}

double
store_next_due(const struct store *s)
{
	const struct upload *u;
	double next = 0;

	if (s->nactive >= s->max_active)
		return 0;
	for (u = s->waiting; u != NULL; u = u->next)
		if (next == 0 || u->not_before < next)
			next = u->not_before;
	return next;
}

static void
drop(struct store *s, struct upload *u)
{
	struct doc *d = u->doc;
	int attempts = u->attempts;

	upload_free(u);
	s->done(s->done_arg, d, &(struct store_outcome){ .result =
	    STORE_DROPPED, .attempts = attempts });
}

void
store_drop(struct store *s)
{
	struct upload *u;

	while ((u = s->active) != NULL) {
		s->active = u->next;
		s->nactive--;
		bulk_remove_other(s->bulk, u->easy);
		drop(s, u);
	}
	while ((u = s->waiting) != NULL) {
		s->waiting = u->next;
		s->nwaiting--;
		drop(s, u);
	}
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	store_drop(s);
	s3_config_free(&s->cfg);
	free(s);
}
