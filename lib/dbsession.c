/*
 * dbsession — see dbsession.h.
 */
#include "dbsession.h"
#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* Explains a failed statement in one line and says whether to retry. */
static int
classify_failure(struct db_session *s, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;
	char line[400];

	db_error_line(res ? PQresultErrorMessage(res) :
	    PQerrorMessage(s->conn), line, sizeof line);
	if (!db_connection_lost(s->conn) && state != NULL) {
		if (s->schema != NULL && (strcmp(state, "42P01") == 0 ||
		    strcmp(state, "42703") == 0))
			log_error("the database %s lacks %s: %s",
			    db_describe(s->target), s->schema, line);
		else
			log_error("query failed: %s", line);
		return EXIT_FATAL;
	}
	snprintf(s->error, sizeof s->error, "%s", line);
	return -1;	/* connection lost: retry */
}

int
db_session_connect(struct db_session *s)
{
	bool fatal;

	while (s->conn == NULL || db_connection_lost(s->conn)) {
		PQfinish(s->conn);
		s->conn = db_connect(s->target, &fatal, s->error,
		    sizeof s->error);
		if (s->conn != NULL && (s->prepare == NULL ||
		    s->prepare(s->conn, s->prepare_arg, s->error,
		    sizeof s->error)))
			break;
		if (s->conn != NULL) {	/* connected, not prepared: again */
			PQfinish(s->conn);
			s->conn = NULL;
			fatal = false;
		}
		if (fatal) {
			log_error("cannot connect to %s: %s",
			    db_describe(s->target), s->error);
			return EXIT_USAGE;
		}
		if (!retry_allowed(s->retry, ++s->attempt)) {
			log_error("cannot connect to %s after %d attempts: %s",
			    db_describe(s->target), s->attempt, s->error);
			return EXIT_FATAL;
		}
		if (!retry_sleep(s->retry, s->attempt,
		    retry_delay(s->retry, s->attempt, 0), s->error))
			return EXIT_FATAL;
	}
	return 0;
}

PGresult *
db_session_query(struct db_session *s, const char *sql, int nparams,
    const char *const *values, int *status)
{
	for (;;) {
		PGresult *res;
		int rc;

		if ((rc = db_session_connect(s)) != 0) {
			*status = rc;
			return NULL;
		}
		/* PQexec: several statements in one transaction. */
		res = nparams == 0 ? PQexec(s->conn, sql) :
		    PQexecParams(s->conn, sql, nparams, NULL, values, NULL,
		    NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK ||
		    PQresultStatus(res) == PGRES_COMMAND_OK) {
			s->attempt = 0;
			return res;
		}
		rc = classify_failure(s, res);
		PQclear(res);
		if (rc >= 0) {
			*status = rc;
			return NULL;
		}
		if (!retry_allowed(s->retry, ++s->attempt)) {
			log_error("connection to %s lost %d times; giving up: "
			    "%s", db_describe(s->target), s->attempt,
			    s->error);
			*status = EXIT_FATAL;
			return NULL;
		}
		if (!retry_sleep(s->retry, s->attempt,
		    retry_delay(s->retry, s->attempt, 0), s->error)) {
			*status = EXIT_FATAL;
			return NULL;
		}
	}
}

void
db_session_close(struct db_session *s)
{
	PQfinish(s->conn);
	s->conn = NULL;
}
