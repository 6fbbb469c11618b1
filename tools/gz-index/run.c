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
#include "ack.h"
#include "segment.h"
#include "cli.h"
#include "config.h"
#include "ledger.h"
#include "log.h"
#include "ndjson.h"
#include "pgsink.h"
#include "rec.h"
#include "sig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
			run_stop(r);
		}
	} else if (r->fatal == 0) {
		r->fatal = EXIT_FATAL;
		r->drop_code = "interrupted";
		snprintf(r->drop_why, sizeof r->drop_why, "stdout failed");
		run_stop(r);
	}
}

void
run_put_line(struct run *r, jv rec)
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
	if (d->claimed && r->mark != NULL && !r->mark_broken)
		mark_release(r->mark, d->gid);
	if (ledger_errno() == 0)
		run_put_line(r, rec_set_error(jv_copy(d->ledger), code, why,
		    attempts, retryable));
	doc_free(d);
}

void
run_fail_doc(struct run *r, struct doc *d, const char *code,
    const char *why, int attempts, bool retryable)
{
	end_doc(r, d, code, why, attempts, retryable);
}

/*
 * Dropped by what stopped the run (an outage, refused credentials, a
 * signal): the ledger says so and the record counts as failed, so an
 * outage shows in the summary and in gz_records_failed_total.  The exit
 * status is the stop's own (3, 2, or death by the signal).
 */
void
run_drop_doc(struct run *r, struct doc *d, int attempts)
{
	end_doc(r, d, r->drop_code, r->drop_why, attempts, true);
}

void
run_drop_batch(struct run *r, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		run_drop_doc(r, b->docs[i], b->attempt);
	batch_free(b);
}

/* --- stopping ----------------------------------------------------------- */

void
run_fatal(struct run *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (r->fatal != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(r->drop_why, sizeof r->drop_why, fmt, ap);
	va_end(ap);
	log_error("%s", r->drop_why);
	r->fatal = status;
	r->drop_code = code;
	run_stop(r);
}

/*
 * Stop reading and drop everything not yet sent; what is in flight gets
 * until stop_deadline to be answered.
 */
void
run_stop(struct run *r)
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
		run_drop_batch(r, b);
	}
	while ((b = r->queue) != NULL) {
		r->queue = b->next;
		r->queued--;
		run_drop_batch(r, b);
	}
	while ((d = r->retry) != NULL) {
		r->retry = d->next;
		run_drop_doc(r, d, d->attempts);
	}
	if (r->store != NULL)
		store_drop(r->store);
}

/* --- batches ------------------------------------------------------------ */

void
run_enqueue(struct run *r, struct batch *b, bool front)
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
		run_enqueue(r, r->filling, false);
	else
		batch_free(r->filling);
	r->filling = NULL;
}

void
run_add_doc(struct run *r, struct doc *d)
{
	struct batch *b = r->filling;

	if (r->stopping) {
		run_drop_doc(r, d, d->attempts);
		return;
	}
	if (segment_is_parent(d)) {	/* gz-split: stored, not indexed */
		run_acknowledge_parent(r, d);
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
			run_fatal(r, EXIT_FATAL, "gzip_failed", "zlib could "
			    "not compress a bulk body");
			run_drop_batch(r, b);
			return;
		}
		if (r->o->output != NULL || r->pg != NULL) {
			if (r->pg != NULL)
				run_stored(r, b);
			else
				run_written(r, b);
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

	if (jv_get_kind(claim) != JV_KIND_NULL && r->mark != NULL &&
	    !r->mark_broken)
		mark_release(r->mark, rec_id(rec));
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
		run_put_line(r, rec_set_error(jv_object_delete(rec,
		    jv_string("source_text")), "bad_record", why, 0, false));
		return;
	}
	/* Failed upstream: the ledger shows it; it is never sent or marked. */
	if (rec_has_error(rec)) {
		if (spill != NULL)
			close(spill->fd);
		release_claim(r, rec);
		run_put_line(r, jv_object_delete(rec, jv_string("source_text")));
		return;
	}
	if ((d = doc_new(rec, spill, r->o, &error)) == NULL) {
		release_claim(r, error);
		run_put_line(r, error);
		return;
	}
	d->read_at = clock_monotonic();
	gz_stats.inflight++;
	if (r->store != NULL)
		store_add(r->store, d);
	else
		run_add_doc(r, d);
}

static void
take_bad_line(struct run *r, const char *why)
{
	gz_stats.records_in++;
	log_warn("%s", why);
	run_put_line(r, rec_bad_line(ndjson_line(r->in), why));
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
			run_fatal(r, EXIT_FATAL, "interrupted", "reading "
			    "records: %s", strerror(errno));
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
		run_add_doc(r, d);
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
		run_drop_batch(r, b);
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
			run_stop(r);
		read_input(r);
		promote_retries(r);
		flush_due(r);
		send_ready(r);
		bulk_perform(r->bulk, run_answered, r);
		if (r->store != NULL)
			store_perform(r->store);
		if (r->stopping && r->flying != NULL &&
		    clock_monotonic() >= r->stop_deadline)
			abandon_flying(r);
		if (r->mark != NULL && !r->mark_broken)
			mark_settle(r->mark, finished(r));
		if (ledger_flush(false) != 0)
			ledger_failed(r);
		ack_progress(r);
		if (finished(r))
			break;
		wait_for_work(r);
	}
	/*
	 * Nothing else runs now: wait for the reader to take the rest, and
	 * commit the marks of the lines it took.
	 */
	ack_finish(r);
	if (r->mark != NULL && !r->mark_broken)
		mark_settle(r->mark, true);
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
	r->mark = mark;
	r->in = in;
	r->out_fd = out_fd;
	r->ack = ack_new();
	config_redact(o->url ? o->url : "-", r->target, sizeof r->target);
	return r;
}

void
run_set_store(struct run *r, struct store *s)
{
	r->store = s;
}

void
run_set_pgsink(struct run *r, struct pgsink *pg, bool shared)
{
	r->pg = pg;
	r->pg_shared = shared;
	snprintf(r->target, sizeof r->target, "%s", pgsink_describe(pg));
}

const char *
run_target(const struct run *r)
{
	return r->target;
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
