/*
 * store — --store-text: each document's source_text uploaded to the
 * storage key of its file, .txt for its suffix, before it is indexed.
 * The uploads run on the bulk requests' multi handle (bulk.h), a few at a
 * time, each retried with the shared backoff.  The store owns a document
 * from store_add until it reports its end through the done callback, as
 * bulk_perform reports a bulk request's.
 */
#ifndef GZ_INDEX_STORE_H
#define GZ_INDEX_STORE_H

#include <stdbool.h>

struct bulk;
struct doc;
struct index_options;

struct store;

struct store_outcome {
	enum { STORE_STORED, STORE_FAILED, STORE_DROPPED } result;
	/* STORE_FAILED: the document's gz.error. */
	const char *code;
	const char *why;
	int attempts;		/* also for STORE_DROPPED */
	bool retryable;
	/* Nonzero: the run must stop with this exit status, for stop_why. */
	int stop;
	const char *stop_why;
};
/* d is the callee's from now on. */
typedef void store_done_fn(void *arg, struct doc *d,
    const struct store_outcome *out);

/* NULL with *status = EXIT_USAGE when STORAGE_* is unusable. */
struct store *store_new(const struct index_options *o, struct bulk *bulk,
    int *status);
/* Where each document goes once its upload ended (before any store_add). */
void store_on_done(struct store *s, store_done_fn *done, void *arg);
void store_free(struct store *s);
/* Uploads d's text; then reports d through the done callback. */
void store_add(struct store *s, struct doc *d);
/* Starts the uploads that are due, as many as allowed. */
void store_perform(struct store *s);
/* As many uploads as allowed are under way: read no more. */
bool store_busy(const struct store *s);
/* No upload under way or waiting. */
bool store_idle(const struct store *s);
/* When the next upload waiting for its backoff is due (monotonic), or 0. */
double store_next_due(const struct store *s);
/* Drops every upload not finished (each reported STORE_DROPPED). */
void store_drop(struct store *s);

#endif
