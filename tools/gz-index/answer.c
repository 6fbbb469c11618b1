/*
 * answer — what to do with OpenSearch's answer to a bulk request: every
 * item read; 2xx acknowledged (ack.c: marked, committed once their ledger
 * lines are out); 429 and 5xx items sent again inside later batches; other
 * items failed with OpenSearch's error type and reason; whole-request
 * 429/502/503/504 and transport errors retried with the batch whole; 413
 * split in halves.
 */
#include "answer.h"
#include "batch.h"
#include "response.h"
#include "ack.h"
#include "fate.h"
#include "segment.h"
#include "cli.h"
#include "pgsink.h"
#include "log.h"
#include "rec.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A batch OpenSearch did not take as a whole: again later, or give up. */
static void
retry_batch(const struct answer *a, struct batch *b, const char *why,
    double retry_after)
{
	double delay;

	b->attempt++;
	if (fate_stopping(a->fate)) {
		fate_drop_batch(a->fate, b);
		return;
	}
	if (!retry_allowed(&a->o->retry, b->attempt)) {
		fate_fatal(a->fate, EXIT_FATAL, "opensearch_unavailable",
		    "OpenSearch at %s failed %d times in a row: %s", a->target,
		    b->attempt, why);
		fate_drop_batch(a->fate, b);
		return;
	}
	delay = retry_delay(&a->o->retry, b->attempt, retry_after);
	log_info("bulk of %zu documents: %s; retrying in %.1f s, %d left",
	    b->n, why, delay, a->o->retry.max_attempts - b->attempt);
	gz_stats.retries++;
	b->not_before = clock_monotonic() + delay;
	fate_enqueue(a->fate, b, false);
}

/*
 * An item answered 429 or 5xx: false when it has had its attempts (it
 * fails) or the run is stopping (it is dropped); else it leaves the batch
 * to be sent again.
 */
static bool
retry_item(const struct answer *a, struct batch *b, size_t i,
    const struct item_result *it)
{
	struct doc *d = b->docs[i];
	char why[600];

	d->attempts++;
	snprintf(why, sizeof why, "%s: %s", it->type, it->reason);
	if (fate_stopping(a->fate) ||
	    !retry_allowed(&a->o->retry, d->attempts)) {
		if (fate_stopping(a->fate))
			fate_drop(a->fate, d, d->attempts);
		else
			fate_fail(a->fate, d, it->type, why, d->attempts,
			    true);
		return false;
	}
	batch_detach(b, i);
	gz_stats.retries++;
	log_debug("%s: item %d %s; retrying", d->id, it->status, it->type);
	return true;
}

/*
 * The items one answer rejected wait out one backoff together, drawn for
 * the most-tried of them, and then rejoin the batches being filled
 * (run.c): a cluster shedding load gets them back inside full batches,
 * not one request per document.  Each keeps its own attempt count.
 */
static void
retry_items(const struct answer *a, const struct batch *b, struct doc **docs,
    size_t n, const char *type)
{
	double delay, due;
	int most = 0;
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		if (docs[i]->attempts > most)
			most = docs[i]->attempts;
	delay = retry_delay(&a->o->retry, most, 0);
	due = clock_monotonic() + delay;
	for (i = 0; i < n; i++) {
		docs[i]->not_before = due;
		fate_retry_later(a->fate, docs[i]);
	}
	log_info("bulk of %zu documents: %zu items rejected (%s); retrying "
	    "them with the next batches in %.1f s, %d left", b->n, n, type,
	    delay, a->o->retry.max_attempts - most);
}

/*
 * Items are in request order; an _id out of place means the answer is not
 * for this body (or was filtered), and positions cannot be trusted.
 */
static bool
items_match(const struct batch *b, const struct item_result *items,
    char *why, size_t size)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (items[i].id[0] != '\0' && strncmp(items[i].id,
		    b->docs[i]->id, sizeof items[i].id - 1) != 0) {
			snprintf(why, size, "item %zu is for _id %.40s, not "
			    "%.40s", i + 1, items[i].id, b->docs[i]->id);
			return false;
		}
	return true;
}

static void
read_items(const struct answer *a, struct batch *b)
{
	struct item_result *items = xmalloc(b->n * sizeof *items);
	struct doc **acked = xmalloc(b->n * sizeof *acked);
	struct doc **again = xmalloc(b->n * sizeof *again);
	size_t i, n = 0, nagain = 0;
	char why[200], type[96] = "";

	if (!response_items(b->resp, b->resp_len, items, b->n, why,
	    sizeof why) || !items_match(b, items, why, sizeof why)) {
		retry_batch(a, b, why, 0);
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		struct doc *d = b->docs[i];
		const struct item_result *it = &items[i];

		if (it->status >= 200 && it->status <= 299) {
			d->status = it->status;
			snprintf(d->result, sizeof d->result, "%s",
			    it->result[0] ? it->result : "ok");
			acked[n++] = d;
		} else if (it->status == 429 || it->status >= 500) {
			if (type[0] == '\0')
				snprintf(type, sizeof type, "%d %s",
				    it->status, it->type);
			if (retry_item(a, b, i, it))
				again[nagain++] = d;
		} else {
			fate_fail(a->fate, d, it->type, it->reason,
			    d->attempts + 1, false);
		}
	}
	retry_items(a, b, again, nagain, type);
	batch_free(b);
	ack_add(a->ack, acked, n);
out:
	free(items);
	free(acked);
	free(again);
}

/* 413: too big for http.max_content_length; halves until each fits. */
static void
split_batch(const struct answer *a, struct batch *b)
{
	if (b->n == 1) {
		char why[160];

		snprintf(why, sizeof why, "OpenSearch refused a %zu-byte "
		    "request with this document alone (413)", batch_size(b));
		fate_fail(a->fate, b->docs[0], "too_large", why,
		    b->attempt + 1, false);
		batch_free(b);
		return;
	}
	log_info("bulk of %zu documents, %zu bytes, is too large (413); "
	    "splitting it", b->n, batch_size(b));
	fate_enqueue(a->fate, batch_split(b), true);
	fate_enqueue(a->fate, b, true);
}

static void
refuse_batch(const struct answer *a, struct batch *b, long status)
{
	char type[96], reason[400];
	size_t i;

	response_error(b->resp, b->resp_len, status, type, sizeof type,
	    reason, sizeof reason);
	if (status == 401 || status == 403) {
		fate_fatal(a->fate, EXIT_USAGE, status == 401 ?
		    "unauthorized" : "forbidden", "OpenSearch at %s refused "
		    "the credentials"
		    "%s%s (%ld %s: %s)", a->target, a->o->user ? " of " :
		    "", a->o->user ? a->o->user : "", status, type, reason);
		fate_drop_batch(a->fate, b);
		return;
	}
	log_error("OpenSearch refused a bulk of %zu documents: HTTP %ld %s: "
	    "%s", b->n, status, type, reason);
	for (i = 0; i < b->n; i++)
		fate_fail(a->fate, b->docs[i], type, reason, b->attempt + 1,
		    false);
	batch_free(b);
}

void
answer_bulk(const struct answer *a, struct batch *b,
    const struct bulk_outcome *out)
{
	char why[400];

	if (out->curl_code != 0) {
		snprintf(why, sizeof why, "%s (curl %d)", b->error,
		    out->curl_code);
		if (retry_curl_code(out->curl_code))
			retry_batch(a, b, why, 0);
		else {
			fate_fatal(a->fate, out->curl_code == 60 ||
			    out->curl_code == 77 || out->curl_code == 58 ?
			    EXIT_USAGE : EXIT_FATAL, "opensearch_unavailable",
			    "OpenSearch at %s: %s", a->target, why);
			fate_drop_batch(a->fate, b);
		}
	} else if (out->status == 200) {
		read_items(a, b);
	} else if (out->status == 413) {
		split_batch(a, b);
	} else if (retry_http_status(out->status)) {
		char type[96], reason[200];

		response_error(b->resp, b->resp_len, out->status, type,
		    sizeof type, reason, sizeof reason);
		snprintf(why, sizeof why, "HTTP %ld %s: %s", out->status,
		    type, reason);
		retry_batch(a, b, why, out->retry_after);
	} else {
		refuse_batch(a, b, out->status);
	}
}

/*
 * --output, a dry run: the body goes to the file and, once on disk, its
 * documents are done.  Nothing is marked (there is no database): only an
 * acknowledgement from OpenSearch may mark a gazette processed.
 */
void
answer_written(const struct answer *a, struct batch *b)
{
	size_t i;

	/* EINVAL: a pipe or /dev/null, which have nothing to sync. */
	if (batch_write(b, a->out_fd, a->o->gzip) != 0 ||
	    (fsync(a->out_fd) != 0 && errno != EINVAL)) {
		fate_fatal(a->fate, EXIT_FATAL, "output_failed",
		    "writing %s: %s", a->o->output, strerror(errno));
		fate_drop_batch(a->fate, b);
		return;
	}
	gz_stats.bytes += batch_size(b);
	for (i = 0; i < b->n; i++)
		snprintf(b->docs[i]->result, sizeof b->docs[i]->result,
		    "written");
	ack_add(a->ack, b->docs, b->n);
	batch_free(b);
}

/*
 * --url postgresql:...: the documents go into the table at once, then are
 * acknowledged as OpenSearch's answer would have them.  A document the
 * table refuses fails alone, with PostgreSQL's reason; a body the database
 * cannot read at all (text that is not UTF-8, say) is halved until the
 * document at fault is alone.
 */
void
answer_stored(const struct answer *a, struct batch *b)
{
	char **why = xcalloc(b->n, sizeof *why), error[512];
	struct doc **acked = xmalloc(b->n * sizeof *acked);
	size_t i, n = 0, count = b->n;
	int rc = pgsink_write(a->pg, b, why, error, sizeof error);

	if (rc == -1 && b->n > 1) {
		log_info("PostgreSQL could not read a batch of %zu documents "
		    "(%s); splitting it", b->n, error);
		fate_enqueue(a->fate, batch_split(b), true);
		fate_enqueue(a->fate, b, true);
	} else if (rc == -1) {
		fate_fail(a->fate, b->docs[0], "invalid_document", error, 1,
		    false);
		batch_free(b);
	} else if (rc != 0) {
		fate_fatal(a->fate, rc, "index_unavailable",
		    "PostgreSQL at %s: %s", a->target, error);
		fate_drop_batch(a->fate, b);
	} else {
		gz_stats.bytes += batch_size(b);
		for (i = 0; i < b->n; i++) {
			if (why[i] != NULL)
				fate_fail(a->fate, b->docs[i],
				    "invalid_document", why[i], 1, false);
			else
				acked[n++] = b->docs[i];
		}
		batch_free(b);
		if (n == 0 && a->pg_shared)	/* no marks to commit with */
			pgsink_rollback(a->pg);
		ack_add(a->ack, acked, n);
	}
	for (i = 0; i < count; i++)
		free(why[i]);
	free(why);
	free(acked);
}

/*
 * gz-split's parent of a split gazette: its .txt stored (with
 * --store-text), nothing to index; acknowledged alone, as one member of
 * its set (segment.h).
 */
void
answer_parent(const struct answer *a, struct doc *d)
{
	snprintf(d->result, sizeof d->result, "split");
	ack_add(a->ack, &d, 1);
}
