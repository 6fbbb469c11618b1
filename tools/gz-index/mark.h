/*
 * mark — setting gazettes.processed once their documents are acknowledged,
 * and expiring the claims of those that failed.  It owns its connection
 * (or borrows pgsink's, mark_share).
 */
#ifndef GZ_INDEX_MARK_H
#define GZ_INDEX_MARK_H

#include "retry.h"

#include <stdbool.h>
#include <stddef.h>

struct doc;
struct mark;
/* Connects and checks the table; NULL with *status = EXIT_USAGE if not. */
struct mark *mark_open(const char *db, const struct retry_policy *retry,
    int *status);
void mark_close(struct mark *m);
/*
 * Marks the documents' gazettes processed with one statement, in two steps
 * so that their ledger lines can be written in between, before anything is
 * committed: mark_begin runs the statement in a transaction it leaves open
 * and sets d->marked for the rows that matched; mark_commit commits it
 * (docs must live until then).  Each returns 0, or EXIT_FATAL when the
 * database failed past the retries (then nothing is left open).
 */
int mark_begin(struct mark *m, struct doc **docs, size_t n);
int mark_commit(struct mark *m);
/*
 * From now on, marks on *conn, the connection on which pgsink left a batch's
 * documents in an open transaction: mark_begin's statement joins it, and
 * mark_commit commits documents and marks together.  A lost connection is
 * then not retried here (the documents went with it): EXIT_FATAL.
 */
struct pg_conn;
void mark_share(struct mark *m, struct pg_conn *const *conn);
/* A claimed gazette failed here or upstream: expire its claim (batched). */
void mark_release(struct mark *m, long long gid);
/* Sends the pending releases when due, or at once with now. */
void mark_settle(struct mark *m, bool now);

#endif
