/*
 * run — gz-index's event loop (see run.c), and what store.c calls back.
 */
#ifndef GZ_INDEX_RUN_H
#define GZ_INDEX_RUN_H

#include "index.h"
#include "ndjson.h"

struct store;
struct pgsink;
struct ack;

/* The loop's state, shared by run.c (input, batches) and answer.c. */
struct run {
	const struct index_options *o;
	struct bulk *bulk;		/* sends nothing with --output */
	struct mark *mark;		/* NULL with --no-mark */
	struct store *store;		/* NULL without --store-text */
	struct pgsink *pg;		/* the PostgreSQL destination, or NULL */
	bool pg_shared;			/* ... on the marking's connection */
	struct ndjson_reader *in;
	struct ack *ack;		/* acknowledged, being marked (ack.h) */
	int out_fd;			/* --output, or -1 */
	struct batch *filling;		/* taking documents */
	struct batch *queue;		/* full, or waiting for a retry */
	size_t queued;
	struct batch *flying;		/* in flight (linked by next) */
	struct doc *retry;		/* items waiting for their backoff */
	bool eof, stopping;
	double stop_deadline;
	int fatal;			/* exit status of a fatal condition */
	bool mark_broken;		/* the database failed past retries */
	const char *drop_code;		/* gz.error.code of dropped documents */
	char drop_why[400];
	char target[512];		/* the URL, fit to print */
};

/* out_fd is the --output file or -1; mark is NULL with --no-mark. */
struct run *run_new(const struct index_options *o, struct bulk *bulk,
    struct mark *mark, struct ndjson_reader *in, int out_fd);
void run_set_store(struct run *r, struct store *s);
/*
 * The documents go to PostgreSQL rather than OpenSearch; shared, on the
 * marking's connection, in the batch's marking transaction.
 */
void run_set_pgsink(struct run *r, struct pgsink *pg, bool shared);
void run_free(struct run *r);
/* Runs to the end of input or a stop; returns the exit status. */
int run_loop(struct run *r);
/* The OpenSearch URL without secrets. */
const char *run_target(const struct run *r);

/* A document ready for indexing (its text stored, when asked). */
void run_add_doc(struct run *r, struct doc *d);
/* A document that failed here: ledger line with gz.error, counted. */
void run_fail_doc(struct run *r, struct doc *d, const char *code,
    const char *why, int attempts, bool retryable);
/* A document dropped by a stop: ledger line with the stop's gz.error. */
void run_drop_doc(struct run *r, struct doc *d, int attempts);
/* Writes a ledger line (rec consumed); a failed stdout stops the run. */
void run_put_line(struct run *r, jv rec);
/* --url postgresql:...: b's documents into the table, then acknowledged. */
void run_stored(struct run *r, struct batch *b);
/* Queues b to be sent, at the front or the back. */
void run_enqueue(struct run *r, struct batch *b, bool front);
/* Drops every document of b (run_drop_doc) and frees it. */
void run_drop_batch(struct run *r, struct batch *b);
/* answer.c: gz-split's parent gazette, never indexed (segment.h). */
void run_acknowledge_parent(struct run *r, struct doc *d);
/* answer.c: a bulk transfer finished (a bulk_done_fn). */
void run_answered(void *arg, struct batch *b, const struct bulk_outcome *out);
/* answer.c: --output wrote b; its documents are done (and not marked). */
void run_written(struct run *r, struct batch *b);
/* Stop reading and drop what is not yet sent. */
void run_stop(struct run *r);
/* A condition that ends the run: logs, sets the status, stops. */
void run_fatal(struct run *r, int status, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* store.c: --store-text, the .txt upload before indexing. */
struct store *store_new(const struct index_options *o, struct run *r,
    struct bulk *bulk, int *status);
void store_free(struct store *s);
/* Uploads d's text; then hands d to run_add_doc or run_fail_doc. */
void store_add(struct store *s, struct doc *d);
void store_perform(struct store *s);
/* As many uploads as allowed are under way: read no more. */
bool store_busy(const struct store *s);
/* No upload under way or waiting. */
bool store_idle(const struct store *s);
/* When the next upload waiting for its backoff is due (monotonic), or 0. */
double store_next_due(const struct store *s);
/* Drops every upload not finished (run_drop_doc). */
void store_drop(struct store *s);

#endif
