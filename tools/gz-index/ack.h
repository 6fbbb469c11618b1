/*
 * ack — acknowledged documents on their way to the ledger and the marks.
 *
 * The contract (gz(7), "A ledger line for every mark"): a gazette's mark
 * commits only once its ledger line has wholly left the process, so a kill
 * at any moment never leaves a gazette marked without its line.  And the
 * event loop never waits for the ledger's reader to get there: a stalled
 * reader must not hold up the bulk requests in flight, whose answers would
 * otherwise come to look like transport failures.
 *
 * So a batch goes through three states:
 *   waiting — acknowledged, not yet marked; its lines are not written;
 *   open    — its marking statement ran in a transaction left open (one
 *             batch at a time, on the marking connection), and its lines,
 *             which say marked or not, are queued on the ledger's writer;
 *   done    — the writer's ticket for its last line is done (or stdout
 *             failed: there is no ledger left to keep), and the
 *             transaction committed.
 * Batches become open in the order they were acknowledged.  At most
 * ACK_WAITING_MAX batches waiting is the bound the loop keeps by reading no
 * more input (ack_full): back-pressure, never a failure.  The answers of the
 * bulks already in flight may still join, so the true bound is that plus
 * --concurrency.
 *
 * Without marking (--no-mark), lines are written at once: there is nothing
 * to hold back.
 */
#ifndef GZ_INDEX_ACK_H
#define GZ_INDEX_ACK_H

#include <stdbool.h>
#include <stddef.h>

#define ACK_WAITING_MAX 8

struct doc;
struct ack;
struct fate;
struct mark;
struct pgsink;

/*
 * mark is NULL with --no-mark; failures and ledger lines go back to the
 * loop through fate (both stay the caller's).  The ack owns the marking
 * from then on: whether the database broke, the claims' releases.
 */
struct ack *ack_new(struct mark *mark, const struct fate *fate);
/*
 * The documents go to PostgreSQL on the marking's connection (shared): a
 * batch that cannot be marked is rolled back with them.
 */
void ack_set_pgsink(struct ack *a, struct pgsink *pg, bool shared);
/* Frees what is left (call ack_finish first to have it marked). */
void ack_free(struct ack *a);
/* Takes the n documents (docs itself stays the caller's). */
void ack_add(struct ack *a, struct doc **docs, size_t n);
/*
 * Commits the open batch once its lines are out and opens the next: each
 * turn of the loop, after the ledger was flushed.  Never blocks on stdout.
 */
void ack_progress(struct ack *a);
/* Enough batches wait: take no new input. */
bool ack_full(const struct ack *a);
/* Nothing open or waiting. */
bool ack_idle(const struct ack *a);
/* At the end, nothing else to do: waits for the reader to take every line
 * and commits every batch. */
void ack_finish(struct ack *a);
/* A claimed gazette failed: expire its claim (mark_release), unless there
 * is no marking or the database broke. */
void ack_release(struct ack *a, long long gid);
/* Sends the pending releases when due, or at once with now (mark_settle). */
void ack_settle(struct ack *a, bool now);

#endif
