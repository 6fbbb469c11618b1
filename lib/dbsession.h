/*
 * dbsession — one PostgreSQL connection that survives restarts: statements
 * are rerun after a reconnect when the connection is what failed, with
 * lib/retry's backoff; anything else is reported once and is final.
 *
 * Messages name the database by db_describe (never a password) and carry
 * libpq's text through db_error_line, as lib/db does.
 */
#ifndef GZ_DBSESSION_H
#define GZ_DBSESSION_H

#include "db.h"
#include "retry.h"

struct db_session {
	const struct db_target *target;
	const struct retry_policy *retry;
	/* What a missing table or column means, for the message: "the
	 * gazettes/territories schema gz-list reads"; NULL: none. */
	const char *schema;
	PGconn *conn;
	int attempt;		/* failures in a row, for the backoff */
	char error[512];
	/*
	 * Run on each new connection before it is used (a temporary table,
	 * say); false, with why in err, counts as a lost connection: it is
	 * closed and retried with the backoff.  NULL: nothing to run.
	 */
	bool (*prepare)(PGconn *conn, void *arg, char *err, size_t size);
	void *prepare_arg;
};

#define DB_SESSION_INIT(target, retry, schema) \
	{ (target), (retry), (schema), NULL, 0, "", NULL, NULL }

/*
 * Connects, or checks the connection is still there and reconnects with
 * the backoff (then runs prepare, if any).  Returns 0, or an EXIT_* status when it is hopeless (bad
 * credentials: 2; retries exhausted or a stop requested: 3), logged.
 */
int db_session_connect(struct db_session *s);
/*
 * Runs one statement, reconnecting and rerunning it while the connection
 * is what failed.  Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK), or NULL with *status set to an EXIT_* code.  Without
 * parameters (nparams 0) sql may hold several statements, run as one
 * transaction: only constant SQL may go that way.
 */
PGresult *db_session_query(struct db_session *s, const char *sql,
    int nparams, const char *const *values, int *status);
void db_session_close(struct db_session *s);

#endif
