/*
 * gz-search — full-text search over the documents gz-index wrote into
 * PostgreSQL (lib/pgdocs), without OpenSearch.
 *
 * One statement: the filters and the text query pick the matching rows
 * through the GIN index, the best --limit of them by ts_rank_cd (which
 * rewards words found close together), and only those few get a snippet,
 * the costly part, since ts_headline reads the whole text again.
 */
#include "search.h"
#include "cli.h"
#include "db.h"
#include "log.h"
#include "pgdocs.h"
#include "sig.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parameters before the query's own: see search_sql. */
#define FIXED_PARAMS 6

/*
 * ts_headline's options: two fragments of 15 to 35 words around the
 * matches, marked with \x02 and \x03 (output.c).
 */
static const char headline_options[] =
    "StartSel=\x02, StopSel=\x03, MaxWords=35, MinWords=15, "
    "MaxFragments=2, FragmentDelimiter=\" … \"";

/* $1 territories (one per line), $2 state, $3 since, $4 until, $5 limit,
 * $6 headline options, then the query's (expr). */
static char *
search_sql(const char *table, const char *expr)
{
	static const char fmt[] =
"SELECT doc_id, id, territory_id, territory_name, state_code, date::text,\n"
"  file_url, rank, ts_headline('" PGDOCS_CONFIG "', source_text, query, $6)\n"
"FROM (SELECT d.doc_id, d.id, d.territory_id, d.territory_name,\n"
"    d.state_code, d.date, d.file_url, d.source_text, q.query,\n"
"    ts_rank_cd(d.search, q.query) AS rank\n"
"  FROM %s d, (SELECT %s AS query) q\n"
"  WHERE d.search @@ q.query\n"
"  AND ($1::text IS NULL\n"
"    OR d.territory_id = ANY (string_to_array($1, E'\\n'))\n"
"    OR lower(unaccent(d.territory_name)) = ANY (SELECT lower(unaccent(t))\n"
"      FROM unnest(string_to_array($1, E'\\n')) t))\n"
"  AND ($2::text IS NULL OR d.state_code = $2)\n"
"  AND ($3::date IS NULL OR d.date >= $3::date)\n"
"  AND ($4::date IS NULL OR d.date <= $4::date)\n"
"  ORDER BY rank DESC, d.date DESC, d.doc_id\n"
"  LIMIT $5::integer) hits\n"
"ORDER BY rank DESC, date DESC, doc_id";
	size_t size = sizeof fmt + strlen(table) + strlen(expr);
	char *sql = xmalloc(size);

	snprintf(sql, size, fmt, table, expr);
	return sql;
}

/* Connects to what --url names; exits as gz-search(1) says on failure. */
static PGconn *
connect_index(const struct search_options *o, struct db_target **target)
{
	bool own = strchr(o->url, '/') != NULL, fatal;
	char error[512];
	PGconn *conn;

	*target = db_target_new(own ? o->url : o->db);
	conn = db_connect(*target, &fatal, error, sizeof error);
	if (conn == NULL) {
		log_error("cannot connect to %s: %s", db_describe(*target),
		    error);
		exit(fatal ? EXIT_USAGE : EXIT_FATAL);
	}
	return conn;
}

/* 0 when the query has words to look for; else a usage error. */
static int
check_query(PGconn *conn, const struct search_query *q)
{
	size_t size = strlen(q->sql) + 32;
	char *sql = xmalloc(size), line[512];
	PGresult *res;
	int status = 0;

	snprintf(sql, size, "SELECT numnode(%s)", q->sql);
	res = PQexecParams(conn, sql, q->nparams, NULL,
	    (const char *const *)q->params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("the query failed: %s", db_error_line(
		    PQresultErrorMessage(res), line, sizeof line));
		status = EXIT_FATAL;
	} else if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
		log_error("the query has only words too common to search for "
		    "(stop words such as de, a, o, que)");
		status = EXIT_USAGE;
	}
	PQclear(res);
	free(sql);
	return status;
}

static const char *
value(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Runs the search and prints its hits; returns the exit status. */
static int
search(PGconn *conn, const struct search_options *o,
    const struct search_query *q)
{
	const char **params = xcalloc((size_t)(FIXED_PARAMS + q->nparams),
	    sizeof *params);
	bool text = o->format == FORMAT_TEXT ||
	    (o->format == FORMAT_AUTO && isatty(STDOUT_FILENO));
	bool color = text && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL;
	char limit[24], line[512], *sql = search_sql(o->table, q->sql);
	PGresult *res;
	int i, rows, status;

	snprintf(limit, sizeof limit, "%ld", o->limit);
	params[0] = o->territories;
	params[1] = o->state;
	params[2] = o->since;
	params[3] = o->until;
	params[4] = limit;
	params[5] = headline_options;
	for (i = 0; i < q->nparams; i++)
		params[FIXED_PARAMS + i] = q->params[i];
	res = PQexecParams(conn, sql, FIXED_PARAMS + q->nparams, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("searching %s failed: %s", o->table, db_error_line(
		    PQresultErrorMessage(res), line, sizeof line));
		status = EXIT_FATAL;
	} else {
		rows = PQntuples(res);
		for (i = 0; i < rows; i++) {
			struct search_hit h = {
				.doc_id = value(res, i, 0),
				.id = value(res, i, 1),
				.territory_id = value(res, i, 2),
				.territory_name = value(res, i, 3),
				.state_code = value(res, i, 4),
				.date = value(res, i, 5),
				.file_url = value(res, i, 6),
				.rank = strtod(PQgetvalue(res, i, 7), NULL),
				.snippet = PQgetvalue(res, i, 8),
			};

			search_print_hit(&h, (size_t)i + 1, text, color);
		}
		search_print_end((size_t)rows, o->limit, text);
		status = rows > 0 ? EXIT_OK : EXIT_RECORDS;
	}
	PQclear(res);
	free(params);
	free(sql);
	return status;
}

int
main(int argc, char **argv)
{
	struct search_options o = { 0 };
	struct search_query q;
	struct db_target *target;
	char why[256];
	PGconn *conn;
	int status;

	sig_prologue();
	log_init(argv[0]);
	search_parse_options(argc, argv, &o);
	if (search_query_build(o.query, FIXED_PARAMS + 1, &q, why,
	    sizeof why) != 0)
		cli_usage_error("%s", why);
	conn = connect_index(&o, &target);
	status = pgdocs_exists(conn, o.table, why, sizeof why);
	if (status != 0) {
		if (status > 0)
			log_error("%s has no index table %s: gz-index --url "
			    "postgresql: --create-index makes it",
			    db_describe(target), o.table);
		else
			log_error("reading %s failed: %s", db_describe(target),
			    why);
		status = status > 0 ? EXIT_USAGE : EXIT_FATAL;
	} else {
		/* The check's own parameters start at $1. */
		struct search_query check;

		if (search_query_build(o.query, 1, &check, why,
		    sizeof why) != 0)
			cli_usage_error("%s", why);
		status = check_query(conn, &check);
		search_query_free(&check);
		if (status == 0)
			status = search(conn, &o, &q);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("writing the hits: stdout failed");
		status = EXIT_FATAL;
	}
	search_query_free(&q);
	PQfinish(conn);
	db_target_free(target);
	free(o.territories);
	free((char *)o.query);
	return status;
}
