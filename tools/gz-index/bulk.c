/*
 * bulk — _bulk requests over libcurl's multi interface: --concurrency
 * requests in flight on keep-alive connections that later requests reuse.
 *
 * Facts from OpenSearch's _bulk API this file relies on:
 * - the body goes with CURLOPT_POSTFIELDS and an explicit Content-Type,
 *   since libcurl's default (form-urlencoded) gets a 406;
 * - curl's Expect: 100-continue stays, so a 413 arrives before a large body
 *   is sent and the connection survives;
 * - no CURLOPT_FAILONERROR: error bodies carry the error type.
 */
#include "bulk.h"
#include "batch.h"
#include "cli.h"
#include "log.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bulk response is ~300 bytes an item; anything this big is not one. */
#define RESPONSE_MAX (64u << 20)

size_t
bulk_reply_keep(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb, room = sizeof r->body - 1 - r->len;

	memcpy(r->body + r->len, data, n < room ? n : room);
	r->len += n < room ? n : room;
	r->body[r->len] = '\0';
	return n;
}

/*
 * Keep items whole but drop _shards, _seq_no and the like: about half the
 * response.  Every item keeps its status, so none is pruned and positions
 * still match the request (OpenSearch's filter_path).
 */
#define BULK_PATH "/_bulk?filter_path=took,errors,items.*._id," \
	"items.*.status,items.*.result,items.*.error"

struct bulk {
	CURLM *multi;
	const struct index_options *o;
	char *url;
	struct curl_slist *headers;
	struct curl_slist *plain_headers;	/* without Content-Encoding */
	CURL **pool;		/* idle handles, reused */
	size_t npool;
	int inflight;
};

struct bulk *
bulk_new(const struct index_options *o)
{
	struct bulk *k = xcalloc(1, sizeof *k);
	size_t len = (o->url ? strlen(o->url) : 0) + sizeof BULK_PATH;

	k->o = o;
	k->multi = curl_multi_init();
	if (k->multi == NULL)
		xalloc_die(sizeof k->multi);
	if (o->url != NULL) {
		k->url = xmalloc(len);
		snprintf(k->url, len, "%s%s", o->url, BULK_PATH);
	}
	k->headers = curl_slist_append(NULL,
	    "Content-Type: application/x-ndjson");
	k->plain_headers = curl_slist_append(NULL,
	    "Content-Type: application/x-ndjson");
	if (o->gzip)
		k->headers = curl_slist_append(k->headers,
		    "Content-Encoding: gzip");
	k->pool = xcalloc((size_t)o->concurrency, sizeof *k->pool);
	curl_multi_setopt(k->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)o->concurrency);
	curl_multi_setopt(k->multi, CURLMOPT_MAXCONNECTS,
	    (long)o->concurrency + 1);
	return k;
}

void
bulk_free(struct bulk *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->npool; i++)
		curl_easy_cleanup(k->pool[i]);
	curl_multi_cleanup(k->multi);
	curl_slist_free_all(k->headers);
	curl_slist_free_all(k->plain_headers);
	free(k->pool);
	free(k->url);
	free(k);
}

void
bulk_setup(void *easy, const struct index_options *o)
{
	/*
	 * No overall timeout: a 20 MB document may take long to send.  A
	 * connection that moves nothing for two minutes is dead, though.
	 */
	static const struct http_limits limits = { 10000, 1, 120 };
	CURL *e = easy;

	http_defaults(e, "gz-index/0.1", &limits);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (o->user != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
		    o->password ? o->password : "");
	}
	if (o->cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
}

/* Keeps the response, up to RESPONSE_MAX (past it the transfer fails). */
static size_t
on_response(char *data, size_t size, size_t nmemb, void *arg)
{
	struct batch *b = arg;
	size_t n = size * nmemb;

	if (b->resp_len + n > RESPONSE_MAX)
		return 0;
	if (b->resp_len + n + 1 > b->resp_cap) {
		b->resp_cap = (b->resp_len + n + 1) * 2;
		b->resp = xrealloc(b->resp, b->resp_cap);
	}
	memcpy(b->resp + b->resp_len, data, n);
	b->resp_len += n;
	b->resp[b->resp_len] = '\0';
	return n;
}

static CURL *
take_handle(struct bulk *k)
{
	CURL *e;

	if (k->npool > 0)
		return k->pool[--k->npool];
	if ((e = curl_easy_init()) == NULL)
		xalloc_die(sizeof e);
	bulk_setup(e, k->o);
	return e;
}

static void
give_handle(struct bulk *k, CURL *e)
{
	if (k->npool < (size_t)k->o->concurrency)
		k->pool[k->npool++] = e;
	else
		curl_easy_cleanup(e);
}

/*
 * A body in memory goes as POSTFIELDS; one with spilled texts is read by
 * batch_read, piece by piece, from their files (or from its gzip's file).
 */
void
bulk_send(struct bulk *k, struct batch *b)
{
	CURL *e = take_handle(k);
	bool spilled = b->nspans > 0, gzip = b->gz != NULL ||
	    b->gz_file.len > 0;
	size_t len = b->gz != NULL ? b->gz_len : b->gz_file.len > 0 ?
	    b->gz_file.len : batch_size(b);

	b->resp_len = 0;
	b->error[0] = '\0';
	b->read_pos = 0;
	curl_easy_setopt(e, CURLOPT_URL, k->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, gzip ? k->headers :
	    k->plain_headers);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, spilled ? NULL :
	    b->gz != NULL ? (const void *)b->gz : b->body);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, spilled ? batch_read : NULL);
	curl_easy_setopt(e, CURLOPT_READDATA, spilled ? (void *)b : NULL);
	curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, spilled ? batch_seek : NULL);
	curl_easy_setopt(e, CURLOPT_SEEKDATA, spilled ? (void *)b : NULL);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, b->error);
	curl_easy_setopt(e, CURLOPT_PRIVATE, b);
	b->easy = e;
	b->sent_at = clock_monotonic();
	if (curl_multi_add_handle(k->multi, e) != CURLM_OK) {
		log_error("libcurl refused a transfer");
		exit(EXIT_FATAL);
	}
	k->inflight++;
	gz_stats.bytes += len;
	log_debug("sending %zu documents, %zu bytes%s%s (attempt %d)", b->n,
	    len, gzip ? " gzipped" : "",
	    spilled ? ", texts read from their spill files" : "",
	    b->attempt + 1);
}

static void
finish(struct bulk *k, struct batch *b)
{
	curl_multi_remove_handle(k->multi, b->easy);
	give_handle(k, b->easy);
	b->easy = NULL;
	k->inflight--;
}

void
bulk_abandon(struct bulk *k, struct batch *b)
{
	if (b->easy != NULL)
		finish(k, b);
}

void
bulk_perform(struct bulk *k, bulk_done_fn *done, void *arg)
{
	CURLMsg *msg;
	int running, left;

	curl_multi_perform(k->multi, &running);
	while ((msg = curl_multi_info_read(k->multi, &left)) != NULL) {
		struct bulk_outcome out = { 0, 0, 0 };
		struct batch *b = NULL;
		curl_off_t after = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &b);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &out.status);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RETRY_AFTER,
		    &after);
		out.curl_code = msg->data.result;
		out.retry_after = (double)after;
		if (b->x.done != NULL) {
			/* Not a bulk: the owner takes the handle off. */
			b->x.done(&b->x, out.curl_code, out.status,
			    out.retry_after);
			continue;
		}
		if (out.curl_code != CURLE_OK && b->error[0] == '\0')
			snprintf(b->error, sizeof b->error, "%s",
			    curl_easy_strerror(msg->data.result));
		finish(k, b);
		stats_observe_duration(clock_monotonic() - b->sent_at);
		done(arg, b, &out);
	}
}

void
bulk_add_other(struct bulk *k, void *easy)
{
	if (curl_multi_add_handle(k->multi, easy) != CURLM_OK) {
		log_error("libcurl refused a transfer");
		exit(EXIT_FATAL);
	}
}

void
bulk_remove_other(struct bulk *k, void *easy)
{
	curl_multi_remove_handle(k->multi, easy);
}

void
bulk_wait(struct bulk *k, int *fds, unsigned nfds, int out_fd,
    int timeout_ms)
{
	struct curl_waitfd extra[5];
	unsigned i;

	for (i = 0; i < nfds && i < 4; i++) {
		extra[i].fd = fds[i];
		extra[i].events = CURL_WAIT_POLLIN;
		extra[i].revents = 0;
	}
	if (out_fd >= 0)
		extra[i++] = (struct curl_waitfd){ out_fd, CURL_WAIT_POLLOUT,
		    0 };
	curl_multi_poll(k->multi, extra, i, timeout_ms, NULL);
}

int
bulk_inflight(const struct bulk *k)
{
	return k->inflight;
}
