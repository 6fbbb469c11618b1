/*
 * bulk — the shared multi handle: _bulk requests, --concurrency of them in
 * flight, and other transfers (store.h's uploads) alongside.  It owns the
 * transfers while they run and reports each end through a callback.
 */
#ifndef GZ_INDEX_BULK_H
#define GZ_INDEX_BULK_H

#include <stdbool.h>
#include <stddef.h>

struct batch;
struct index_options;

/*
 * The start of an answer, kept for error messages: CURLOPT_WRITEFUNCTION
 * bulk_reply_keep with CURLOPT_WRITEDATA a struct reply (zeroed to start).
 * The rest of a long answer is read and dropped.
 */
struct reply {
	char body[4096];	/* NUL-terminated */
	size_t len;
};

size_t bulk_reply_keep(char *data, size_t size, size_t nmemb, void *arg);

/*
 * What CURLOPT_PRIVATE points at, first member of every transfer on the
 * shared multi handle: bulk requests, and .txt uploads (--store-text).
 */
struct xfer {
	/* NULL for a bulk request; else called when the transfer ended. */
	void (*done)(struct xfer *x, int curl_code, long status,
	    double retry_after);
};

struct bulk;
struct bulk_outcome {
	int curl_code;		/* CURLcode of the transfer */
	long status;		/* HTTP status, 0 when none arrived */
	double retry_after;	/* seconds, 0 when absent */
};
typedef void bulk_done_fn(void *arg, struct batch *b,
    const struct bulk_outcome *out);
struct bulk *bulk_new(const struct index_options *o);
void bulk_free(struct bulk *k);
/* Starts sending b (its gzip when --gzip). */
void bulk_send(struct bulk *k, struct batch *b);
/* Moves transfers on; calls done for each one that finished. */
void bulk_perform(struct bulk *k, bulk_done_fn *done, void *arg);
/* Waits for network activity, input on an extra fd, out_fd taking data
 * (-1: none) or timeout_ms. */
void bulk_wait(struct bulk *k, int *fds, unsigned nfds, int out_fd,
    int timeout_ms);
/* Drops b's transfer, answered or not. */
void bulk_abandon(struct bulk *k, struct batch *b);
int bulk_inflight(const struct bulk *k);
/* Runs another transfer (easy, whose CURLOPT_PRIVATE is x) alongside. */
void bulk_add_other(struct bulk *k, void *easy);
/* Takes it off, finished or not. */
void bulk_remove_other(struct bulk *k, void *easy);
/* What every request to OpenSearch shares: auth, TLS, timeouts. */
void bulk_setup(void *easy, const struct index_options *o);

#endif
