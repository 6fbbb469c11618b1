/*
 * pgdocs — see pgdocs.h.
 */
#include "pgdocs.h"
#include "db.h"

#include <stdio.h>
#include <string.h>

/* PostgreSQL's identifier limit (NAMEDATALEN - 1). */
#define TABLE_NAME_MAX 63

bool
pgdocs_table_name(const char *index, char *buf, size_t size)
{
	size_t i, n = strlen(index);

	if (n == 0 || n > TABLE_NAME_MAX || n >= size ||
	    !((index[0] >= 'a' && index[0] <= 'z') || index[0] == '_'))
		return false;
	for (i = 0; i < n; i++) {
		char c = index[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return false;
		buf[i] = c == '-' ? '_' : c;
	}
	buf[n] = '\0';
	return true;
}

/*
 * The configuration: accents off, then the Portuguese Snowball stemmer, for
 * the word token types (numbers, e-mails and the like stay as they are).
 * CREATE TEXT SEARCH CONFIGURATION has no IF NOT EXISTS, hence the block.
 */
static const char config_sql[] =
"CREATE EXTENSION IF NOT EXISTS unaccent;\n"
"DO $$ BEGIN\n"
"  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '"
    PGDOCS_CONFIG "' AND cfgnamespace = current_schema()::regnamespace)\n"
"  THEN\n"
"    CREATE TEXT SEARCH CONFIGURATION " PGDOCS_CONFIG " (COPY = portuguese);\n"
"    ALTER TEXT SEARCH CONFIGURATION " PGDOCS_CONFIG "\n"
"      ALTER MAPPING FOR hword, hword_part, word WITH unaccent,\n"
"      portuguese_stem;\n"
"  END IF;\n"
"END $$;\n"
/*
 * A tsvector holds at most 1 MB: a text with more distinct words than
 * that (a few MB of names and numbers) would fail its whole row, so the
 * vector is built from as much of the text as fits, halving until it does.
 * Positions past 16,383 are folded into the last one anyway (phrases are
 * found in about the first 16,000 words of a text; words anywhere).
 * search_path is pinned so the configuration resolves in any session.
 */
"CREATE OR REPLACE FUNCTION gz_search_vector(t text) RETURNS tsvector\n"
"LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT\n"
"AS $$\n"
"DECLARE n integer := length(t);\n"
"BEGIN\n"
"  LOOP\n"
"    BEGIN\n"
"      RETURN to_tsvector('" PGDOCS_CONFIG "', left(t, n));\n"
"    EXCEPTION WHEN program_limit_exceeded THEN\n"
"      n := n / 2;\n"
"    END;\n"
"  END LOOP;\n"
"END $$;\n";

/* %1$s is the quoted table name, %2$s the bare one (for index names). */
static const char table_sql[] =
"CREATE TABLE IF NOT EXISTS %1$s (\n"
"  doc_id text PRIMARY KEY,\n"
"  id text,\n"
"  territory_id text,\n"
"  territory_name text,\n"
"  state_code text,\n"
"  date date,\n"
"  edition_number text,\n"
"  is_extra_edition boolean,\n"
"  power text,\n"
"  file_checksum text,\n"
"  file_path text,\n"
"  file_url text,\n"
"  url text,\n"
"  scraped_at timestamptz,\n"
"  created_at timestamptz,\n"
"  processed boolean,\n"
"  source_text text,\n"
"  search tsvector GENERATED ALWAYS AS\n"
"    (gz_search_vector(coalesce(source_text, ''))) STORED,\n"
"  indexed_at timestamptz NOT NULL DEFAULT now());\n"
"CREATE INDEX IF NOT EXISTS %2$s_search ON %1$s USING gin (search);\n"
"CREATE INDEX IF NOT EXISTS %2$s_territory_date ON %1$s\n"
"  (territory_id, date DESC);\n";

static int
run(PGconn *conn, const char *sql, char *why, size_t size)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		db_error_line(PQresultErrorMessage(res), why, size);
	PQclear(res);
	return ok ? 0 : -1;
}

int
pgdocs_create(PGconn *conn, const char *table, char *why, size_t size)
{
	char *quoted = PQescapeIdentifier(conn, table, strlen(table));
	char sql[sizeof table_sql + 4 * (TABLE_NAME_MAX + 3)];
	int rc;

	if (quoted == NULL) {
		db_error_line(PQerrorMessage(conn), why, size);
		return -1;
	}
	snprintf(sql, sizeof sql, table_sql, quoted, table);
	PQfreemem(quoted);
	/* One transaction: a second gz-index creating it at the same moment
	 * waits, then finds everything there. */
	rc = run(conn, "BEGIN", why, size);
	if (rc == 0)
		rc = run(conn, "SELECT pg_advisory_xact_lock("
		    "hashtext('gz pgdocs create'))", why, size);
	if (rc == 0)
		rc = run(conn, config_sql, why, size);
	if (rc == 0)
		rc = run(conn, sql, why, size);
	if (rc == 0)
		rc = run(conn, "COMMIT", why, size);
	if (rc != 0) {
		PGresult *res = PQexec(conn, "ROLLBACK");

		PQclear(res);
	}
	return rc;
}

int
pgdocs_exists(PGconn *conn, const char *table, char *why, size_t size)
{
	const char *params[1] = { table };
	PGresult *res = PQexecParams(conn,
	    "SELECT 1 FROM pg_attribute "
	    "WHERE attrelid = to_regclass(quote_ident($1)) "
	    "AND attname = 'search' AND NOT attisdropped",
	    1, NULL, params, NULL, NULL, 0);
	int rc;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_error_line(PQresultErrorMessage(res), why, size);
		rc = -1;
	} else {
		rc = PQntuples(res) == 1 ? 0 : 1;
	}
	PQclear(res);
	return rc;
}
