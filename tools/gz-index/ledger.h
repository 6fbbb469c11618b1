/*
 * ledger — gz-index's stdout and its closing tally (see ledger.c).
 */
#ifndef GZ_INDEX_LEDGER_H
#define GZ_INDEX_LEDGER_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ledger's writer on stdout; false when out of memory. */
bool ledger_open(void);
void ledger_close(void);
/* For the loop to poll: POLLOUT while lines wait for the reader. */
struct ndjson_writer *ledger_writer(void);
/*
 * Queues rec (consumed) as one ledger line and counts its gz.error, if any.
 * Returns 0, or -1 once stdout failed (ledger_errno() says how; EPIPE
 * means the reader went away).  Later lines are then only counted.
 */
int ledger_put(jv rec);
/* Writes what stdout takes now; with wait, everything (see
 * ndjson_writer_drain).  0, or -1 as ledger_put. */
int ledger_flush(bool wait);
int ledger_errno(void);
/* The ticket of the last line queued (0: it was not). */
uint64_t ledger_ticket(void);
/* Whether that line, and every one before it, has left the process. */
bool ledger_out(uint64_t ticket);
/* Counts one acknowledged document. */
void ledger_indexed(bool marked);
/* "indexed 95 (marked 95), failed: gz-index/too_large 1, retries 2, ..." */
const char *ledger_summary(bool marking, char *buf, size_t size);

#endif
