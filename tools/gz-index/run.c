/*
 * run — gz-index's event loop: read records, fill batches, keep
 * --concurrency bulk requests in flight, read every item of every answer,
 * retry what is worth retrying without blocking the rest, mark what was
 * acknowledged and write the ledger.
 *
 * Nothing is marked processed unless OpenSearch acknowledged its item: a
 * stop, an outage or a crash at any point leaves the rest unprocessed for
 * the next run.  --output is a dry run and marks nothing.
 */
#include "run.h"
#include "batch.h"
#include "bulk.h"
#include "mark.h"
#include "spill.h"
#include "ack.h"
#include "answer.h"
#include "fate.h"
#include "store.h"
#include "segment.h"
#include "cli.h"
#include "config.h"
#include "ledger.h"
#include "log.h"
#include "ndjson.h"
#include "pgsink.h"
#include "rec.h"
#include "sig.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run {
	const struct index_options *o;
	struct bulk *bulk;		/* sends nothing with --output */
	struct store *store;		/* NULL without --store-text */
	struct pgsink *pg;		/* the PostgreSQL destination, or NULL */
	bool pg_shared;			/* ... on the marking's connection */
	struct ndjson_reader *in;
	struct ack *ack;		/* acknowledged, being marked (ack.h) */
	struct fate fate;		/* how ack and answer call back */
	struct answer answer;		/* what answer.c is lent */
	struct batch *filling;		/* taking documents */
	struct batch *queue;		/* full, or waiting for a retry */
	size_t queued;
	struct batch *flying;		/* in flight (linked by next) */
	struct doc *retry;		/* items waiting for their backoff */
	bool eof, stopping;
	double stop_deadline;
	int fatal;			/* exit status of a fatal condition */
	const char *drop_code;		/* gz.error.code of dropped documents */
	char drop_why[400];
	char target[512];		/* the URL, fit to print */
};

static void stop(struct run *r);

/* --- the ledger side ---------------------------------------------------- */

/* stdout failed: EPIPE stops quietly, anything else is fatal. */
static void
ledger_failed(struct run *r)
{
	if (ledger_errno() == EPIPE) {
		/* The reader went away: stop quietly, keeping the status. */
		if (!r->stopping) {
			r->drop_code = "interrupted";
			snprintf(r->drop_why, sizeof r->drop_why,
			    "the ledger's reader went away");
			stop(r);
		}
	} else if (r->fatal == 0) {
		r->fatal = EXIT_FATAL;
		r->drop_code = "interrupted";
		snprintf(r->drop_why, sizeof r->drop_why, "stdout failed");
		stop(r);
	}
}

static void
put_line(struct run *r, jv rec)
{
	if (ledger_put(rec) != 0)
		ledger_failed(r);
}

/*
 * The document leaves with gz.error, and counts as failed here (lib/rec):
 * also when the run, not the document, was at fault.  Once stdout is gone
 * there is nobody to tell: it is dropped, not counted.
 */
static void
end_doc(struct run *r, struct doc *d, const char *code, const char *why,
    int attempts, bool retryable)
{
	char who[64];

	log_debug("%s: %s: %s", rec_describe(d->ledger, who, sizeof who),
	    code, why);
	gz_stats.inflight--;
	segment_failed(d);	/* gz-split: its gazette stays unmarked */
	if (d->claimed)
		ack_release(r->ack, d->gid);
	if (ledger_errno() == 0)
		put_line(r, rec_set_error(jv_copy(d->ledger), code, why,
		    attempts, retryable));
	doc_free(d);
}

/*
 * Dropped by what stopped the run (an outage, refused credentials, a
 * signal): the ledger says so and the record counts as failed, so an
 * outage shows in the summary and in gz_records_failed_total.  The exit
 * status is the stop's own (3, 2, or death by the signal).
 */
static void
drop_doc(struct run *r, struct doc *d, int attempts)
{
	end_doc(r, d, r->drop_code, r->drop_why, attempts, true);
}

static void
drop_batch(struct run *r, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		drop_doc(r, b->docs[i], b->attempt);
	batch_free(b);
}

/* --- stopping ----------------------------------------------------------- */

static void
fatal(struct run *r, int status, const char *code, const char *why)
{
	if (r->fatal != 0)
		return;
	snprintf(r->drop_why, sizeof r->drop_why, "%s", why);
	log_error("%s", r->drop_why);
	r->fatal = status;
	r->drop_code = code;
	stop(r);
}

/*
 * Stop reading and drop everything not yet sent; what is in flight gets
 * until stop_deadline to be answered.
 */
static void
stop(struct run *r)
{
	struct batch *b;
	struct doc *d;

	if (r->stopping)
		return;
	r->stopping = true;
	r->stop_deadline = clock_monotonic() + r->o->stop_grace;
	if (r->drop_code == NULL) {
		r->drop_code = "interrupted";
		snprintf(r->drop_why, sizeof r->drop_why, "stopped by signal "
		    "%d before OpenSearch acknowledged it", sig_caught());
	}
	if ((b = r->filling) != NULL) {
		r->filling = NULL;
		drop_batch(r, b);
	}
	while ((b = r->queue) != NULL) {
		r->queue = b->next;
		r->queued--;
		drop_batch(r, b);
	}
	while ((d = r->retry) != NULL) {
		r->retry = d->next;
		drop_doc(r, d, d->attempts);
	}
	if (r->store != NULL)
		store_drop(r->store);
}

/* --- batches ------------------------------------------------------------ */

static void
enqueue(struct run *r, struct batch *b, bool front)
{
	struct batch **p = &r->queue;

	if (!front)
		while (*p != NULL)
			p = &(*p)->next;
	b->next = *p;
	*p = b;
	r->queued++;
}

static void
flush(struct run *r)
{
	if (r->filling != NULL && r->filling->n > 0)
		enqueue(r, r->filling, false);
	else
		batch_free(r->filling);
	r->filling = NULL;
}

static void
add_doc(struct run *r, struct doc *d)
{
	struct batch *b = r->filling;

	if (r->stopping) {
		drop_doc(r, d, d->attempts);
		return;
	}
	if (segment_is_parent(d)) {	/* gz-split: stored, not indexed */
		answer_parent(&r->answer, d);
		return;
	}
	if (b != NULL && b->n > 0 && (b->n >= r->o->batch_docs ||
	    batch_size(b) + doc_size(d) > r->o->batch_bytes))
		flush(r);
	if (r->filling == NULL) {
		r->filling = batch_new();
		r->filling->first_at = clock_monotonic();
	}
	b = r->filling;
	batch_add(b, d);
	if (b->n >= r->o->batch_docs || batch_size(b) >= r->o->batch_bytes)
		flush(r);
}

/*
 * A free slot: a request may be sent.  With the documents in the marking's
 * database, one batch at a time holds the connection's transaction until
 * its marks commit (ack.c).
 */
static bool
can_send(const struct run *r)
{
	if (r->pg_shared && !ack_idle(r->ack))
		return false;
	return bulk_inflight(r->bulk) < r->o->concurrency;
}

/* Sends every queued batch that is due, while there is a free slot. */
static void
send_ready(struct run *r)
{
	double now = clock_monotonic();
	struct batch **p = &r->queue, *b;

	while ((b = *p) != NULL && !r->stopping) {
		if (!can_send(r))
			break;
		if (b->not_before > now) {
			p = &b->next;
			continue;
		}
		*p = b->next;
		r->queued--;
		/* batch_write compresses --output itself, as it goes. */
		if (r->o->gzip && r->o->output == NULL && b->gz == NULL &&
		    !batch_gzip(b, r->o->spill_dir)) {
			fatal(r, EXIT_FATAL, "gzip_failed", "zlib could not "
			    "compress a bulk body");
			drop_batch(r, b);
			return;
		}
		if (r->o->output != NULL || r->pg != NULL) {
			if (r->pg != NULL)
				answer_stored(&r->answer, b);
			else
				answer_written(&r->answer, b);
			p = &r->queue;	/* a stop may have emptied it */
			continue;
		}
		b->next = r->flying;
		r->flying = b;
		bulk_send(r->bulk, b);
	}
}

/* --- input -------------------------------------------------------------- */

/*
 * Room for one more batch: those in flight and those waiting stay within
 * --concurrency + 1, which is what bounds memory.
 */
static bool
can_read(const struct run *r)
{
	size_t busy = r->queued + (size_t)bulk_inflight(r->bulk);

	if (r->stopping || r->eof || busy > (size_t)r->o->concurrency ||
	    ndjson_writer_full(ledger_writer()) || ack_full(r->ack))
		return false;
	return r->store == NULL || !store_busy(r->store);
}

/* A claimed record that failed: its claim can go to another worker. */
static void
release_claim(struct run *r, jv rec)
{
	jv claim = rec_gz_get(rec, "claim");

	if (jv_get_kind(claim) != JV_KIND_NULL)
		ack_release(r->ack, rec_id(rec));
	jv_free(claim);
}

/* spill: where source_text waits when the line was spilled, or NULL. */
static void
take_record(struct run *r, jv rec, const struct spill_text *spill)
{
	jv error = jv_invalid();
	struct doc *d;
	char why[200], who[160];

	gz_stats.records_in++;
	if (!rec_check(&rec, why, sizeof why)) {
		if (spill != NULL)
			close(spill->fd);
		log_warn("%s: bad_record: %s", rec_describe(rec, who,
		    sizeof who), why);
		release_claim(r, rec);
		put_line(r, rec_set_error(jv_object_delete(rec,
		    jv_string("source_text")), "bad_record", why, 0, false));
		return;
	}
	/* Failed upstream: the ledger shows it; it is never sent or marked. */
	if (rec_has_error(rec)) {
		if (spill != NULL)
			close(spill->fd);
		release_claim(r, rec);
		put_line(r, jv_object_delete(rec, jv_string("source_text")));
		return;
	}
	if ((d = doc_new(rec, spill, r->o, &error)) == NULL) {
		release_claim(r, error);
		put_line(r, error);
		return;
	}
	d->read_at = clock_monotonic();
	gz_stats.inflight++;
	if (r->store != NULL)
		store_add(r->store, d);
	else
		add_doc(r, d);
}

static void
take_bad_line(struct run *r, const char *why)
{
	gz_stats.records_in++;
	log_warn("%s", why);
	put_line(r, rec_bad_line(ndjson_line(r->in), why));
}

/* A line longer than SPILL_BYTES, left in its file by the reader. */
static void
take_spilled(struct run *r)
{
	struct spill_text text;
	size_t len;
	int fd = ndjson_spill_take(r->in, &len);
	char why[256], msg[300];
	jv rec = spill_scan(fd, len, r->o->batch_bytes, &text, why,
	    sizeof why);

	if (!jv_is_valid(rec)) {
		close(fd);
		snprintf(msg, sizeof msg, "line %lu: %s", ndjson_line(r->in),
		    why);
		take_bad_line(r, msg);
	} else if (text.len == 0) {
		close(fd);
		take_record(r, rec, NULL);
	} else {
		take_record(r, rec, &text);
	}
}

static void
input_failed(struct run *r)
{
	char why[300];

	snprintf(why, sizeof why, "reading records: %s", strerror(errno));
	fatal(r, EXIT_FATAL, "interrupted", why);
}

static void
read_input(struct run *r)
{
	while (can_read(r)) {
		jv rec;

		switch (ndjson_read(r->in, &rec)) {
		case NDJSON_RECORD:
			take_record(r, rec, NULL);
			break;
		case NDJSON_SPILLED:
			take_spilled(r);
			break;
		case NDJSON_BAD:
			take_bad_line(r, ndjson_error(r->in));
			break;
		case NDJSON_AGAIN:
			return;
		case NDJSON_EOF:
			r->eof = true;
			return;
		case NDJSON_IOERR:
			r->eof = true;
			input_failed(r);
			return;
		}
	}
}

/* Items whose backoff is over join the filling batch. */
static void
promote_retries(struct run *r)
{
	double now = clock_monotonic();
	struct doc **p = &r->retry, *d;

	while ((d = *p) != NULL) {
		if (d->not_before > now) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		d->next = NULL;
		add_doc(r, d);
	}
}

/*
 * Whether a document may still join the filling batch: from the input,
 * from the retries waiting out their backoff, from the answers still to
 * come (their rejected items), or from the .txt uploads.
 */
static bool
may_grow(const struct run *r)
{
	return !r->eof || r->retry != NULL || r->flying != NULL ||
	    (r->store != NULL && !store_idle(r->store));
}

/*
 * --flush-ms after its first document, or once nothing more can join it.
 * After the input ended, a batch still waits (up to --flush-ms) for the
 * rejected items of the answers in flight and for the retries in their
 * backoff: sent each on its own as it came due, they would cost one
 * request per document just when the cluster is shedding load.
 */
static void
flush_due(struct run *r)
{
	struct batch *b = r->filling;

	if (b == NULL || b->n == 0)
		return;
	if (!may_grow(r) ||
	    clock_monotonic() - b->first_at >= r->o->flush_secs)
		flush(r);
}

/* --- what the modules call back ------------------------------------------ */

static void
unlink_flying(struct run *r, struct batch *b)
{
	struct batch **p;

	for (p = &r->flying; *p != NULL; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
	b->next = NULL;
}

/* A bulk transfer finished (a bulk_done_fn): answer.c reads the answer. */
static void
answered(void *arg, struct batch *b, const struct bulk_outcome *out)
{
	struct run *r = arg;

	unlink_flying(r, b);
	answer_bulk(&r->answer, b, out);
}

/* An upload ended (a store_done_fn). */
static void
stored(void *arg, struct doc *d, const struct store_outcome *out)
{
	struct run *r = arg;

	switch (out->result) {
	case STORE_STORED:
		add_doc(r, d);
		break;
	case STORE_FAILED:
		end_doc(r, d, out->code, out->why, out->attempts,
		    out->retryable);
		break;
	case STORE_DROPPED:
		drop_doc(r, d, out->attempts);
		break;
	}
	if (out->stop != 0)
		fatal(r, out->stop, out->code, out->stop_why);
}

/* The fate table (fate.h) that ack.c and answer.c call back through. */

static void
loop_fail(void *arg, struct doc *d, const char *code, const char *why,
    int attempts, bool retryable)
{
	end_doc(arg, d, code, why, attempts, retryable);
}

static void
loop_drop(void *arg, struct doc *d, int attempts)
{
	drop_doc(arg, d, attempts);
}

static void
loop_fatal(void *arg, int status, const char *code, const char *why)
{
	fatal(arg, status, code, why);
}

static void
loop_put_line(void *arg, jv rec)
{
	put_line(arg, rec);
}

static void
loop_enqueue(void *arg, struct batch *b, bool front)
{
	enqueue(arg, b, front);
}

/* Waits in the retry list for its backoff (promote_retries). */
static void
loop_retry_later(void *arg, struct doc *d)
{
	struct run *r = arg;

	d->next = r->retry;
	r->retry = d;
}

static bool
loop_stopping(void *arg)
{
	return ((const struct run *)arg)->stopping;
}

/* --- the loop ----------------------------------------------------------- */

static double
earliest(double a, double b)
{
	return a < b ? a : b;
}

/* Until the next deadline: a flush, a retry, the end of a stop. */
static int
timeout_ms(const struct run *r)
{
	double now = clock_monotonic(), next = now + 1.0;
	const struct batch *b;
	const struct doc *d;

	if (r->filling != NULL && r->filling->n > 0)
		next = earliest(next, r->filling->first_at + r->o->flush_secs);
	if (can_send(r))
		for (b = r->queue; b != NULL; b = b->next)
			next = earliest(next, b->not_before);
	for (d = r->retry; d != NULL; d = d->next)
		next = earliest(next, d->not_before);
	if (r->store != NULL && store_next_due(r->store) > 0)
		next = earliest(next, store_next_due(r->store));
	if (r->stopping)
		next = earliest(next, r->stop_deadline);
	if (next <= now)
		return 0;
	return (int)((next - now) * 1000) + 1;
}

static void
wait_for_work(struct run *r)
{
	int fds[2];
	unsigned n = 0;

	if (can_read(r))
		fds[n++] = ndjson_fd(r->in);
	if (!r->stopping && sig_wakeup_fd() >= 0)
		fds[n++] = sig_wakeup_fd();
	bulk_wait(r->bulk, fds, n, ndjson_writer_events(ledger_writer()) ?
	    ndjson_writer_fd(ledger_writer()) : -1, timeout_ms(r));
}

/* The stop's grace is over: what is still in flight is dropped. */
static void
abandon_flying(struct run *r)
{
	struct batch *b;

	while ((b = r->flying) != NULL) {
		r->flying = b->next;
		log_warn("abandoning a bulk of %zu documents still in flight",
		    b->n);
		bulk_abandon(r->bulk, b);
		drop_batch(r, b);
	}
}

static bool
finished(const struct run *r)
{
	return (r->eof || r->stopping) && r->filling == NULL &&
	    r->queue == NULL && r->retry == NULL && r->flying == NULL &&
	    (r->store == NULL || store_idle(r->store));
}

int
run_loop(struct run *r)
{
	for (;;) {
		progress_tick();
		if (sig_stop_requested() && !r->stopping)
			stop(r);
		read_input(r);
		promote_retries(r);
		flush_due(r);
		send_ready(r);
		bulk_perform(r->bulk, answered, r);
		if (r->store != NULL)
			store_perform(r->store);
		if (r->stopping && r->flying != NULL &&
		    clock_monotonic() >= r->stop_deadline)
			abandon_flying(r);
		ack_settle(r->ack, finished(r));
		if (ledger_flush(false) != 0)
			ledger_failed(r);
		ack_progress(r->ack);
		if (finished(r))
			break;
		wait_for_work(r);
	}
	/*
	 * Nothing else runs now: wait for the reader to take the rest, and
	 * commit the marks of the lines it took.
	 */
	ack_finish(r->ack);
	ack_settle(r->ack, true);
	if (ledger_flush(true) != 0)
		ledger_failed(r);
	if (r->fatal != 0)
		return r->fatal;
	return gz_stats.records_failed > 0 ? EXIT_RECORDS : EXIT_OK;
}

struct run *
run_new(const struct index_options *o, struct bulk *bulk, struct mark *mark,
    struct ndjson_reader *in, int out_fd)
{
	struct run *r = xcalloc(1, sizeof *r);

	r->o = o;
	r->bulk = bulk;
	r->in = in;
	r->fate = (struct fate){ .arg = r, .fail = loop_fail,
	    .drop = loop_drop, .fatal = loop_fatal,
	    .put_line = loop_put_line, .enqueue = loop_enqueue,
	    .retry_later = loop_retry_later, .stopping = loop_stopping };
	r->ack = ack_new(mark, &r->fate);
	r->answer = (struct answer){ .o = o, .fate = &r->fate, .ack = r->ack,
	    .out_fd = out_fd, .target = r->target };
	config_redact(o->url ? o->url : "-", r->target, sizeof r->target);
	return r;
}

void
run_set_store(struct run *r, struct store *s)
{
	r->store = s;
	if (s != NULL)
		store_on_done(s, stored, r);
}

void
run_set_pgsink(struct run *r, struct pgsink *pg, bool shared)
{
	r->pg = pg;
	r->pg_shared = shared;
	r->answer.pg = pg;
	r->answer.pg_shared = shared;
	ack_set_pgsink(r->ack, pg, shared);
	snprintf(r->target, sizeof r->target, "%s", pgsink_describe(pg));
}

void
run_free(struct run *r)
{
	if (r == NULL)
		return;
	ack_free(r->ack);
	segment_free_all();
	free(r);
}
