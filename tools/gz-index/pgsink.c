/*
 * pgsink — the documents into PostgreSQL instead of OpenSearch (--url
 * postgresql:...): the table of lib/pgdocs, upserted a batch at a time.
 *
 * A batch's body is the same _bulk body OpenSearch would get (an action
 * line with the _id, then the document), streamed with COPY into a
 * temporary table, spilled texts read from their files as it goes, so
 * memory stays what the batch holds.  One INSERT ... ON CONFLICT then
 * turns the pairs of lines into rows: jsonb_populate_record maps the
 * document's fields to the columns by name, as the mapping does.  A
 * document the statement cannot take (a date that is not one, say) fails
 * the statement; the batch is then taken one document at a time under
 * savepoints, so that document alone fails, as an item of a _bulk would.
 */
#include "batch.h"
#include "options.h"
#include "pgsink.h"
#include "cli.h"
#include "db.h"
#include "dbsession.h"
#include "log.h"
#include "pgdocs.h"
#include "retry.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgsink {
	struct db_target *target;
	const struct retry_policy *retry;
	struct db_session db;	/* reconnects with the backoff */
	char table[64];
	char *insert;		/* the upsert, all pairs or pair $1 */
	bool shared;		/* leave each batch's transaction open */
	char error[512];
};

/*
 * The body's lines, numbered in order.  CSV with a quote and a delimiter
 * that valid JSON never carries raw (\x01, \x02): each line is one field,
 * taken as it is, backslashes and all.
 */
static const char lines_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS gz_bulk_lines (n bigint GENERATED "
    "ALWAYS AS IDENTITY, line text) ON COMMIT DELETE ROWS";
static const char copy_sql[] =
    "COPY gz_bulk_lines (line) FROM STDIN WITH (FORMAT csv, "
    "DELIMITER E'\\x02', QUOTE E'\\x01')";

#define FIELDS "id, territory_id, territory_name, state_code, date, " \
	"edition_number, is_extra_edition, power, file_checksum, file_path, " \
	"file_url, url, scraped_at, created_at, processed, source_text"

/*
 * %1$s the quoted table.  $1 picks one pair (its action line's number) or,
 * when NULL, all of them.  Two documents with one _id in a batch (the same
 * file under two gazettes) would make ON CONFLICT touch a row twice: the
 * later one wins, as the later of two index actions does in OpenSearch.
 */
static const char insert_fmt[] =
"WITH l AS (SELECT row_number() OVER (ORDER BY n) AS i, line\n"
"    FROM gz_bulk_lines),\n"
"  docs AS (SELECT DISTINCT ON (doc_id) a.i,\n"
"      a.line::jsonb #>> '{index,_id}' AS doc_id, s.line::jsonb AS src\n"
"    FROM l a JOIN l s ON s.i = a.i + 1\n"
"    WHERE a.i %% 2 = 1 AND ($1::bigint IS NULL OR a.i = $1::bigint)\n"
"    ORDER BY doc_id, a.i DESC)\n"
"INSERT INTO %1$s AS d (doc_id, " FIELDS ")\n"
"SELECT docs.doc_id, r.id, r.territory_id, r.territory_name, r.state_code,\n"
"  r.date, r.edition_number, r.is_extra_edition, r.power, r.file_checksum,\n"
"  r.file_path, r.file_url, r.url, r.scraped_at, r.created_at, r.processed,\n"
"  r.source_text\n"
"FROM docs, jsonb_populate_record(NULL::%1$s, docs.src) r\n"
"ON CONFLICT (doc_id) DO UPDATE SET (" FIELDS ", indexed_at) =\n"
"  (EXCLUDED.id, EXCLUDED.territory_id, EXCLUDED.territory_name,\n"
"  EXCLUDED.state_code, EXCLUDED.date, EXCLUDED.edition_number,\n"
"  EXCLUDED.is_extra_edition, EXCLUDED.power, EXCLUDED.file_checksum,\n"
"  EXCLUDED.file_path, EXCLUDED.file_url, EXCLUDED.url, EXCLUDED.scraped_at,\n"
"  EXCLUDED.created_at, EXCLUDED.processed, EXCLUDED.source_text, now())\n"
"RETURNING d.doc_id, (d.xmax = 0)";

/* One statement, its result checked; false with s->error. */
static bool
exec_ok(struct pgsink *s, const char *sql)
{
	PGresult *res = PQexec(s->db.conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		db_error_line(PQresultErrorMessage(res), s->error,
		    sizeof s->error);
	PQclear(res);
	return ok;
}

/* A new connection's temporary table (a db_session's prepare). */
static bool
prepare_connection(PGconn *conn, void *arg, char *err, size_t size)
{
	PGresult *res = PQexec(conn, lines_sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	(void)arg;
	if (!ok)
		db_error_line(PQresultErrorMessage(res), err, size);
	PQclear(res);
	return ok;
}

/*
 * (Re)connects with the shared backoff (lib/dbsession), each call with
 * all its attempts; 0, or the exit status (s->db.error says why).
 */
static int
ensure_connection(struct pgsink *s)
{
	s->db.attempt = 0;
	return db_session_connect(&s->db);
}

struct pgsink *
pgsink_open(const struct index_options *o, int *status)
{
	struct pgsink *s = xcalloc(1, sizeof *s);
	size_t size;
	char *quoted;

	s->retry = &o->retry;
	if (!pgdocs_table_name(o->index, s->table, sizeof s->table)) {
		log_error("--index: '%s' cannot name a table (lower-case "
		    "letters, digits, - and _, at most 63)", o->index);
		*status = EXIT_USAGE;
		goto fail;
	}
	/* postgresql: alone is the gazettes' own database (--db). */
	s->target = db_target_new(strchr(o->pg_url, '/') != NULL ?
	    o->pg_url : o->db);
	if (s->target == NULL) {
		*status = EXIT_FATAL;
		goto fail;
	}
	s->db = (struct db_session)DB_SESSION_INIT(s->target, s->retry, NULL);
	s->db.prepare = prepare_connection;
	if ((*status = ensure_connection(s)) != 0)
		goto fail;
	quoted = PQescapeIdentifier(s->db.conn, s->table, strlen(s->table));
	if (quoted == NULL)
		xalloc_die(strlen(s->table));
	size = sizeof insert_fmt + 4 * strlen(quoted);
	s->insert = xmalloc(size);
	snprintf(s->insert, size, insert_fmt, quoted);
	PQfreemem(quoted);
	return s;
fail:
	pgsink_close(s);
	return NULL;
}

void
pgsink_close(struct pgsink *s)
{
	if (s == NULL)
		return;
	db_session_close(&s->db);
	db_target_free(s->target);
	free(s->insert);
	free(s);
}

bool
pgsink_same_database(const struct index_options *o)
{
	const char *marking = o->db != NULL ? o->db : getenv("DATABASE_URL");

	return strchr(o->pg_url, '/') == NULL ||
	    (marking != NULL && strcmp(o->pg_url, marking) == 0);
}

PGconn *const *
pgsink_share(struct pgsink *s)
{
	s->shared = true;
	return &s->db.conn;
}

void
pgsink_rollback(struct pgsink *s)
{
	if (s->shared && PQtransactionStatus(s->db.conn) != PQTRANS_IDLE)
		(void)exec_ok(s, "ROLLBACK");
}

const char *
pgsink_describe(const struct pgsink *s)
{
	return db_describe(s->target);
}

int
pgsink_prepare(struct pgsink *s, bool create)
{
	int rc;

	if (create) {
		if (pgdocs_create(s->db.conn, s->table, s->error,
		    sizeof s->error) == 0)
			return 0;
		log_error("creating the table %s in %s: %s", s->table,
		    db_describe(s->target), s->error);
		return EXIT_FATAL;
	}
	rc = pgdocs_exists(s->db.conn, s->table, s->error, sizeof s->error);
	if (rc == 0)
		return 0;
	if (rc > 0)
		log_error("%s has no table %s for the documents: "
		    "--create-index makes it", db_describe(s->target),
		    s->table);
	else
		log_error("reading %s: %s", db_describe(s->target), s->error);
	return rc > 0 ? EXIT_USAGE : EXIT_FATAL;
}

/* The body into gz_bulk_lines; false with s->error. */
static bool
copy_body(struct pgsink *s, struct batch *b)
{
	char *buf = xmalloc(64 * 1024);
	PGresult *res;
	size_t n;
	bool ok;

	res = PQexec(s->db.conn, copy_sql);
	ok = PQresultStatus(res) == PGRES_COPY_IN;
	if (!ok)
		db_error_line(PQresultErrorMessage(res), s->error,
		    sizeof s->error);
	PQclear(res);
	b->read_pos = 0;
	while (ok && (n = batch_read(buf, 1, 64 * 1024, b)) > 0) {
		if (n > 64 * 1024) {	/* CURL_READFUNC_ABORT */
			snprintf(s->error, sizeof s->error, "reading a "
			    "spilled text failed");
			ok = false;
			PQputCopyEnd(s->db.conn, s->error);
			break;
		}
		ok = PQputCopyData(s->db.conn, buf, (int)n) == 1;
	}
	free(buf);
	if (ok && PQputCopyEnd(s->db.conn, NULL) != 1)
		ok = false;
	while ((res = PQgetResult(s->db.conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
			db_error_line(PQresultErrorMessage(res), s->error,
			    sizeof s->error);
			ok = false;
		}
		PQclear(res);
	}
	if (!ok && s->error[0] == '\0')
		db_error_line(PQerrorMessage(s->db.conn), s->error,
		    sizeof s->error);
	return ok;
}

/* Sets the result of every document with the returned _id. */
static void
take_results(struct batch *b, PGresult *res)
{
	int row, rows = PQntuples(res);
	size_t i;

	for (row = 0; row < rows; row++) {
		const char *id = PQgetvalue(res, row, 0);
		bool created = strcmp(PQgetvalue(res, row, 1), "t") == 0;

		for (i = 0; i < b->n; i++)
			if (strcmp(b->docs[i]->id, id) == 0) {
				b->docs[i]->status = created ? 201 : 200;
				snprintf(b->docs[i]->result,
				    sizeof b->docs[i]->result, "%s",
				    created ? "created" : "updated");
			}
	}
}

/* Runs the upsert for one pair (line, 1-based) or all (0). */
static PGresult *
upsert(struct pgsink *s, size_t line)
{
	char number[24];
	const char *params[1] = { NULL };

	if (line > 0) {
		snprintf(number, sizeof number, "%zu", line);
		params[0] = number;
	}
	return PQexecParams(s->db.conn, s->insert, 1, NULL, params, NULL, NULL,
	    0);
}

/*
 * The statement failed on the batch: each document under a savepoint;
 * those the table refuses get their reason in why[i].
 */
static bool
upsert_each(struct pgsink *s, struct batch *b, char **why)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		PGresult *res;

		if (!exec_ok(s, "SAVEPOINT gz_doc"))
			return false;
		res = upsert(s, 2 * i + 1);
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			take_results(b, res);
			PQclear(res);
			if (!exec_ok(s, "RELEASE SAVEPOINT gz_doc"))
				return false;
			continue;
		}
		why[i] = xmalloc(400);
		db_error_line(PQresultErrorMessage(res), why[i], 400);
		PQclear(res);
		if (db_connection_lost(s->db.conn) ||
		    !exec_ok(s, "ROLLBACK TO SAVEPOINT gz_doc"))
			return false;
	}
	return true;
}

/* One attempt at the whole batch: 0, 1 when worth another, -1 refused. */
static int
write_once(struct pgsink *s, struct batch *b, char **why)
{
	PGresult *res;
	bool ok;

	s->error[0] = '\0';
	if (!exec_ok(s, "BEGIN"))
		return 1;
	if (!copy_body(s, b)) {
		exec_ok(s, "ROLLBACK");
		return db_connection_lost(s->db.conn) ? 1 : -1;
	}
	ok = exec_ok(s, "SAVEPOINT gz_batch");
	res = ok ? upsert(s, 0) : NULL;
	if (ok && PQresultStatus(res) == PGRES_TUPLES_OK) {
		take_results(b, res);
	} else if (ok && !db_connection_lost(s->db.conn)) {
		db_error_line(PQresultErrorMessage(res), s->error,
		    sizeof s->error);
		log_debug("the batch of %zu documents failed as a whole (%s); "
		    "taking them one at a time", b->n, s->error);
		ok = exec_ok(s, "ROLLBACK TO SAVEPOINT gz_batch") &&
		    upsert_each(s, b, why);
	} else {
		ok = false;
	}
	PQclear(res);
	/* Shared, the marks join the transaction and commit it (mark.c). */
	if (ok && (s->shared || exec_ok(s, "COMMIT")))
		return 0;
	if (!db_connection_lost(s->db.conn))
		exec_ok(s, "ROLLBACK");
	return 1;
}

int
pgsink_write(struct pgsink *s, struct batch *b, char **why, char *error,
    size_t size)
{
	int attempt = 0, rc;
	size_t i;

	for (;;) {
		if ((rc = ensure_connection(s)) != 0) {
			snprintf(error, size, "%s", s->db.error);
			return rc;
		}
		rc = write_once(s, b, why);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			snprintf(error, size, "%s", s->error);
			return -1;
		}
		for (i = 0; i < b->n; i++) {
			free(why[i]);
			why[i] = NULL;
		}
		if (!retry_allowed(s->retry, ++attempt) ||
		    !retry_sleep(s->retry, attempt, retry_delay(s->retry,
		    attempt, 0), s->error)) {
			snprintf(error, size, "%s", s->error);
			return EXIT_FATAL;
		}
		gz_stats.retries++;
	}
}
