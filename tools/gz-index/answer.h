/*
 * answer — what becomes of a batch once its destination answered: every
 * item of OpenSearch's answer read, acknowledged items handed to the ack
 * (ack.h), the rest retried, split or failed; or, with --output and
 * --url postgresql:..., the batch written to the file or the table first.
 *
 * It owns no state of the loop: what it needs is lent in struct answer,
 * and documents and batches go back to the loop through its fate table.
 */
#ifndef GZ_INDEX_ANSWER_H
#define GZ_INDEX_ANSWER_H

#include "bulk.h"

#include <stdbool.h>

struct batch;
struct doc;
struct index_options;

struct ack;
struct fate;
struct pgsink;

struct answer {
	const struct index_options *o;
	const struct fate *fate;	/* back to the loop (fate.h) */
	struct ack *ack;		/* where acknowledged documents go */
	struct pgsink *pg;		/* the PostgreSQL destination, or NULL */
	bool pg_shared;			/* ... on the marking's connection */
	int out_fd;			/* --output, or -1 */
	const char *target;		/* the destination, fit to print */
};

/* A bulk transfer finished with out (taken off the loop's flying list). */
void answer_bulk(const struct answer *a, struct batch *b,
    const struct bulk_outcome *out);
/* --output: writes b; its documents are done (and not marked). */
void answer_written(const struct answer *a, struct batch *b);
/* --url postgresql:...: b's documents into the table, then acknowledged. */
void answer_stored(const struct answer *a, struct batch *b);
/* gz-split's parent gazette, never indexed (segment.h): acknowledged. */
void answer_parent(const struct answer *a, struct doc *d);

#endif
