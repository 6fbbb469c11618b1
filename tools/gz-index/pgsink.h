/*
 * pgsink — gz-index's PostgreSQL destination (--url postgresql:...): the
 * table lib/pgdocs describes, upserted a batch at a time.
 */
#ifndef GZ_INDEX_PGSINK_H
#define GZ_INDEX_PGSINK_H

#include <stdbool.h>
#include <stddef.h>

struct index_options;
struct batch;
struct pgsink;

/* Connects (with the retry policy); NULL with *status when it cannot. */
struct pgsink *pgsink_open(const struct index_options *o, int *status);
void pgsink_close(struct pgsink *s);
/* The database, fit to print (no password). */
const char *pgsink_describe(const struct pgsink *s);
/* Creates the table (create) or checks it is there; the exit status. */
int pgsink_prepare(struct pgsink *s, bool create);
/*
 * Upserts b's documents; each d->status and d->result say created or
 * updated.  Returns 0 (why[i], allocated, set for each document the table
 * refused), -1 when the batch as a whole could not be read (error says
 * why; one bad document among several: split and try again), or the exit
 * status when the database stayed unreachable past the retries.
 */
int pgsink_write(struct pgsink *s, struct batch *b, char **why, char *error,
    size_t size);

#endif
