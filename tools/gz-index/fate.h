/*
 * fate — how the modules that decide a document's course (ack.c, answer.c)
 * hand it back to the event loop (run.c) without knowing the loop: a table
 * of calls the loop fills in.  Through these pointers the loop depends on
 * those modules, never the other way round.
 */
#ifndef GZ_INDEX_FATE_H
#define GZ_INDEX_FATE_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

struct doc;
struct batch;

struct fate {
	void *arg;		/* the loop's state, passed to each call */
	/* A document that failed here: ledger line with gz.error, counted. */
	void (*fail)(void *arg, struct doc *d, const char *code,
	    const char *why, int attempts, bool retryable);
	/* A document dropped by a stop: ledger line with the stop's error. */
	void (*drop)(void *arg, struct doc *d, int attempts);
	/* A condition that ends the run: logs why, sets the status, stops. */
	void (*fatal)(void *arg, int status, const char *code,
	    const char *why);
	/* Writes a ledger line (rec consumed); a failed stdout stops it. */
	void (*put_line)(void *arg, jv rec);
	/* Queues a batch to be sent, at the front or the back. */
	void (*enqueue)(void *arg, struct batch *b, bool front);
	/* A document to send again inside a later batch, after d->not_before. */
	void (*retry_later)(void *arg, struct doc *d);
	/* Whether the run is stopping (nothing new is sent). */
	bool (*stopping)(void *arg);
};

/* The same calls, spelled shorter. */
void fate_fail(const struct fate *f, struct doc *d, const char *code,
    const char *why, int attempts, bool retryable);
void fate_drop(const struct fate *f, struct doc *d, int attempts);
/* Drops every document of b (fate_drop) and frees it. */
void fate_drop_batch(const struct fate *f, struct batch *b);
void fate_fatal(const struct fate *f, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fate_put_line(const struct fate *f, jv rec);
void fate_enqueue(const struct fate *f, struct batch *b, bool front);
void fate_retry_later(const struct fate *f, struct doc *d);
bool fate_stopping(const struct fate *f);

#endif
