/*
 * session — one PostgreSQL connection that survives restarts: statements
 * are rerun after a reconnect when the connection is what failed, with the
 * shared backoff; anything else is reported once and is final.
 */
#ifndef GZ_LIST_SESSION_H
#define GZ_LIST_SESSION_H

#include "db.h"
#include "retry.h"

struct session {
	const struct db_target *target;
	const struct retry_policy *retry;
	PGconn *conn;
	int attempt;		/* failures in a row, for the backoff */
	char error[512];
};

/*
 * Runs one statement, reconnecting and rerunning it while the connection
 * is what failed.  Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK), or NULL with *status set to an EXIT_* code.
 */
PGresult *session_query(struct session *s, const char *sql, int nparams,
    const char *const *values, int *status);
void session_close(struct session *s);

#endif
