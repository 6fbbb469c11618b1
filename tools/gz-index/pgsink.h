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
/*
 * Whether the documents go to the database the gazettes are marked in:
 * --url postgresql: alone, or a URI that is, character for character, the
 * marking's connection string ($DATABASE_URL: --db goes with postgresql:
 * alone).  Two different
 * strings get two connections, even if they name one database: host
 * aliases, defaults from the environment and users (who may own the table
 * and the gazettes apart) are not for gz to second-guess.
 */
bool pgsink_same_database(const struct index_options *o);
/*
 * From now on each batch's transaction is left open after pgsink_write
 * succeeded, for mark_begin to join and mark_commit to commit (mark_share
 * with what this returns): documents and marks commit together.
 */
struct pg_conn;
struct pg_conn *const *pgsink_share(struct pgsink *s);
/* Shared: ends a batch's transaction that no mark will commit. */
void pgsink_rollback(struct pgsink *s);
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
 * Shared (pgsink_share), success leaves the transaction open.
 */
int pgsink_write(struct pgsink *s, struct batch *b, char **why, char *error,
    size_t size);

#endif
