/*
 * db — see db.h.
 */
#include "db.h"
#include "config.h"
#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MAX_PARAMS 12
#define DB_MAX_SECRETS 12

struct db_target {
	const char *keys[DB_MAX_PARAMS + 1];
	const char *values[DB_MAX_PARAMS + 1];
	int n;
	char description[512];
	/* Strings no message may show: the password as libpq reads it, as it
	 * was written (percent-encoded, quoted) and as the environment has it. */
	char *secrets[DB_MAX_SECRETS];
	int nsecrets;
	/* Why the conninfo does not parse (quoted parts masked), or "". */
	char invalid[256];
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

static void
add_secret(struct db_target *t, const char *s, size_t len)
{
	int i;

	if (s == NULL || len == 0 || t->nsecrets >= DB_MAX_SECRETS)
		return;
	for (i = 0; i < t->nsecrets; i++)
		if (strlen(t->secrets[i]) == len &&
		    memcmp(t->secrets[i], s, len) == 0)
			return;
	t->secrets[t->nsecrets++] = xstrndup(s, len);
}

static void
add_env_secret(struct db_target *t, const char *name)
{
	const char *v = getenv(name);

	if (v != NULL)
		add_secret(t, v, strlen(v));
}

/*
 * "host=... port=... dbname=... user=...": what libpq will use, each value
 * from the connection string or else from libpq's PG* variable, never a
 * password.
 */
static void
describe(struct db_target *t, const char *host, const char *port,
    const char *dbname, const char *user)
{
	static const char *names[] = { "host", "port", "dbname", "user" };
	static const char *envs[] = { "PGHOST", "PGPORT", "PGDATABASE",
	    "PGUSER" };
	const char *vals[4] = { host, port, dbname, user };
	size_t len = 0;
	int i;

	t->description[0] = '\0';
	for (i = 0; i < 4 && len < sizeof t->description; i++) {
		const char *v = vals[i] != NULL && *vals[i] != '\0' ?
		    vals[i] : getenv(envs[i]);

		if (v == NULL || *v == '\0')
			continue;
		len += (size_t)snprintf(t->description + len,
		    sizeof t->description - len, "%s%s=%s", len ? " " : "",
		    names[i], v);
	}
	if (t->description[0] == '\0')
		snprintf(t->description, sizeof t->description,
		    "libpq defaults");
}

/* libpq expands a URI or a key=value string; anything else is a dbname. */
static bool
expands(const char *conninfo)
{
	return strncmp(conninfo, "postgresql://", 13) == 0 ||
	    strncmp(conninfo, "postgres://", 11) == 0 ||
	    strchr(conninfo, '=') != NULL;
}

/*
 * libpq's parse errors quote the piece they stumbled on ("invalid
 * percent-encoded token: \"pa%zz\""), which may be the password: keep the
 * sentence, mask every quoted part.
 */
static void
mask_quoted(const char *msg, char *buf, size_t size)
{
	size_t j = 0;
	bool quoted = false;

	for (; *msg != '\0' && j + 4 < size; msg++) {
		if (*msg == '"') {
			if (!quoted) {
				memcpy(buf + j, "\"***", 4);
				j += 4;
			} else
				buf[j++] = '"';
			quoted = !quoted;
		} else if (!quoted)
			buf[j++] = *msg == '\n' ? ' ' : *msg;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
}

static const char *
option(PQconninfoOption *opts, const char *keyword)
{
	PQconninfoOption *o;

	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val;
	return NULL;
}

/* A --db or DATABASE_URL value: described, its secrets noted. */
static void
take_conninfo(struct db_target *t, const char *conninfo)
{
	struct config_span spans[CONFIG_MAX_SPANS];
	PQconninfoOption *opts;
	char *err = NULL;
	const char *host, *pw;
	size_t n, i;

	/* expand_dbname: a URI or key=value string in "dbname" */
	add(t, "dbname", conninfo);
	n = config_secret_spans(conninfo, spans, CONFIG_MAX_SPANS);
	for (i = 0; i < n; i++)
		add_secret(t, conninfo + spans[i].start,
		    spans[i].end - spans[i].start);
	if (!expands(conninfo)) {
		describe(t, NULL, NULL, conninfo, NULL);
		return;
	}
	/*
	 * libpq ends the userinfo at the first /, so a raw / in the password
	 * would split it into a host, a port and a database name that its
	 * messages print.
	 */
	for (i = 0; i < n; i++)
		if (memchr(conninfo + spans[i].start, '/',
		    spans[i].end - spans[i].start) != NULL &&
		    strncmp(conninfo, "postgres", 8) == 0) {
			snprintf(t->invalid, sizeof t->invalid, "the password "
			    "holds a raw '/' (write it as %%2F)");
			snprintf(t->description, sizeof t->description,
			    "the connection string given");
			return;
		}
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		mask_quoted(err != NULL ? err : "out of memory", t->invalid,
		    sizeof t->invalid);
		PQfreemem(err);
		snprintf(t->description, sizeof t->description,
		    "the connection string given");
		return;
	}
	if ((pw = option(opts, "password")) != NULL)
		add_secret(t, pw, strlen(pw));
	host = option(opts, "host");
	if (host == NULL || *host == '\0')
		host = option(opts, "hostaddr");
	describe(t, host, option(opts, "port"), option(opts, "dbname"),
	    option(opts, "user"));
	PQconninfoFree(opts);
}

struct db_target *
db_target_new(const char *conninfo)
{
	struct db_target *t = xcalloc(1, sizeof *t);
	const char *url = getenv("DATABASE_URL");

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
		describe(t, getenv("POSTGRES_HOST"), getenv("POSTGRES_PORT"),
		    getenv("POSTGRES_DB"), getenv("POSTGRES_USER"));
	} else if (conninfo != NULL && *conninfo != '\0') {
		take_conninfo(t, conninfo);
	} else {
		describe(t, NULL, NULL, NULL, NULL);
	}
	/* Whichever form is in use, these may reach libpq or its messages. */
	add_env_secret(t, "PGPASSWORD");
	add_env_secret(t, "POSTGRES_PASSWORD");
	return t;
}

void
db_target_free(struct db_target *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsecrets; i++)
		free(t->secrets[i]);
	free(t);
}

const char *
db_describe(const struct db_target *t)
{
	return t->description;
}

const char *
db_scrub(const struct db_target *t, char *buf, size_t size)
{
	char out[1024];
	size_t i, j = 0;
	int k;

	if (size == 0)
		return buf;
	for (i = 0; buf[i] != '\0' && j + 4 < sizeof out; ) {
		for (k = 0; k < t->nsecrets; k++) {
			size_t len = strlen(t->secrets[k]);

			if (strncmp(buf + i, t->secrets[k], len) == 0)
				break;
		}
		if (k < t->nsecrets) {
			memcpy(out + j, "***", 3);
			j += 3;
			i += strlen(t->secrets[k]);
		} else
			out[j++] = buf[i++];
	}
	out[j] = '\0';
	snprintf(buf, size, "%s", out);
	return buf;
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
	if (t->invalid[0] != '\0') {
		snprintf(errbuf, size, "libpq cannot parse it: %s",
		    t->invalid);
		*fatal = true;
		return NULL;
	}
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
	db_scrub(t, errbuf, size);
	*fatal = is_permanent(errbuf);
	PQfinish(conn);
	return NULL;
}

bool
db_connection_lost(PGconn *conn)
{
	return PQstatus(conn) != CONNECTION_OK;
}
