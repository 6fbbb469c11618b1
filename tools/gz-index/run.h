/*
 * run — gz-index's event loop (see run.c).  It owns its state: the batches
 * filling, queued, in flight and retried, and whether the run is stopping.
 * The modules it drives (ack.h, answer.h, store.h) hand documents back
 * through the tables and callbacks it gives them, never by name.
 */
#ifndef GZ_INDEX_RUN_H
#define GZ_INDEX_RUN_H

#include <stdbool.h>

struct run;
struct index_options;
struct bulk;
struct mark;
struct ndjson_reader;
struct store;
struct pgsink;

/* out_fd is the --output file or -1; mark is NULL with --no-mark. */
struct run *run_new(const struct index_options *o, struct bulk *bulk,
    struct mark *mark, struct ndjson_reader *in, int out_fd);
/* --store-text: the texts go to s before their documents are indexed. */
void run_set_store(struct run *r, struct store *s);
/*
 * The documents go to PostgreSQL rather than OpenSearch; shared, on the
 * marking's connection, in the batch's marking transaction.
 */
void run_set_pgsink(struct run *r, struct pgsink *pg, bool shared);
void run_free(struct run *r);
/* Runs to the end of input or a stop; returns the exit status. */
int run_loop(struct run *r);

#endif
