/*
 * db — see db.h.
 */
#include "db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MAX_PARAMS 12

struct db_target {
	const char *keys[DB_MAX_PARAMS + 1];
	const char *values[DB_MAX_PARAMS + 1];
	int n;
	char description[512];
};

static void
add(struct db_target *t, const char *key, const char *value)
{
	if (value == NULL || *value == '\0' || t->n >= DB_MAX_PARAMS)
		return;
	t->keys[t->n] = key;
	t->values[t->n] = value;
	t->n++;
}

/* Describes what libpq will actually use, minus the password. */
static void
describe(struct db_target *t)
{
	PQconninfoOption *opts, *o;
	size_t len = 0;

	t->description[0] = '\0';
	opts = PQconninfoParse(t->n > 0 && strcmp(t->keys[t->n - 1],
	    "dbname") == 0 ? t->values[t->n - 1] : "", NULL);
	if (opts == NULL)
		return;
	for (o = opts; o->keyword; o++) {
		const char *v = o->val;
		int i;

		if (strcmp(o->keyword, "host") && strcmp(o->keyword, "port") &&
		    strcmp(o->keyword, "dbname") && strcmp(o->keyword, "user"))
			continue;
		for (i = 0; i < t->n; i++)
			if (strcmp(t->keys[i], o->keyword) == 0 &&
			    !strchr(t->values[i], '='))
				v = t->values[i];
		if (v == NULL)
			v = getenv(strcmp(o->keyword, "host") == 0 ? "PGHOST" :
			    strcmp(o->keyword, "port") == 0 ? "PGPORT" :
			    strcmp(o->keyword, "dbname") == 0 ? "PGDATABASE" :
			    "PGUSER");
		if (v == NULL || len >= sizeof t->description)
			continue;
		len += (size_t)snprintf(t->description + len,
		    sizeof t->description - len, "%s%s=%s", len ? " " : "",
		    o->keyword, v);
	}
	PQconninfoFree(opts);
	if (t->description[0] == '\0')
		snprintf(t->description, sizeof t->description,
		    "libpq defaults");
}

struct db_target *
db_target_new(const char *conninfo)
{
	struct db_target *t = calloc(1, sizeof *t);
	const char *url = getenv("DATABASE_URL");

	if (t == NULL)
		return NULL;
	/* Defaults first: a later keyword, or the conninfo, overrides them. */
	add(t, "application_name", log_progname());
	add(t, "connect_timeout", "10");
	if (conninfo == NULL && url != NULL && *url != '\0')
		conninfo = url;
	if (conninfo == NULL && getenv("POSTGRES_HOST") != NULL) {
		add(t, "host", getenv("POSTGRES_HOST"));
		add(t, "port", getenv("POSTGRES_PORT"));
		add(t, "dbname", getenv("POSTGRES_DB"));
		add(t, "user", getenv("POSTGRES_USER"));
		add(t, "password", getenv("POSTGRES_PASSWORD"));
	} else if (conninfo != NULL) {
		/* expand_dbname: a URI or key=value string in "dbname" */
		add(t, "dbname", conninfo);
	}
	describe(t);
	return t;
}

void
db_target_free(struct db_target *t)
{
	free(t);
}

const char *
db_describe(const struct db_target *t)
{
	return t->description;
}

const char *
db_error_line(const char *message, char *buf, size_t size)
{
	size_t i, j = 0;

	for (i = 0; message && message[i] && j + 1 < size; i++) {
		char c = message[i] == '\n' || message[i] == '\t' ? ' ' :
		    message[i];

		if (c == ' ' && (j == 0 || buf[j - 1] == ' '))
			continue;
		buf[j++] = c;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
	return buf;
}

/* Failures no retry will mend: the server answered and said no. */
static bool
is_permanent(const char *msg)
{
	static const char *needles[] = {
		"password authentication failed",
		"no password supplied",
		"authentication failed",
		"does not exist",	/* role or database */
		"invalid connection option",
		"invalid URI",
		"missing \"=\"",
		"pg_hba.conf",
	};
	size_t i;

	for (i = 0; i < sizeof needles / sizeof needles[0]; i++)
		if (strstr(msg, needles[i]) != NULL)
			return true;
	return false;
}

/* Server notices ("relation already exists, skipping") are details. */
static void
notice_to_log(void *arg, const char *message)
{
	char line[512];

	(void)arg;
	log_debug("server: %s", db_error_line(message, line, sizeof line));
}

PGconn *
db_connect(const struct db_target *t, bool *fatal, char *errbuf, size_t size)
{
	const char *keys[DB_MAX_PARAMS + 1], *values[DB_MAX_PARAMS + 1];
	PGconn *conn;
	int i;

	for (i = 0; i < t->n; i++) {
		keys[i] = t->keys[i];
		values[i] = t->values[i];
	}
	keys[i] = values[i] = NULL;
	*fatal = false;
	conn = PQconnectdbParams(keys, values, 1);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
		const char *enc = PQparameterStatus(conn, "server_encoding");

		/*
		 * JSON wants UTF-8.  A SQL_ASCII database holds raw bytes the
		 * server refuses to convert, so take them as they are; jv
		 * replaces what is not UTF-8 with U+FFFD.
		 */
		if (enc == NULL || strcmp(enc, "SQL_ASCII") != 0)
			PQsetClientEncoding(conn, "UTF8");
		PQsetNoticeProcessor(conn, notice_to_log, NULL);
		return conn;
	}
	db_error_line(conn ? PQerrorMessage(conn) : "out of memory", errbuf,
	    size);
	*fatal = is_permanent(errbuf);
	PQfinish(conn);
	return NULL;
}

bool
db_connection_lost(PGconn *conn)
{
	return PQstatus(conn) != CONNECTION_OK;
}
