/*
 * pgdocs — the gazettes' documents in PostgreSQL: the table gz-index
 * writes when its --url is postgresql:, and gz-search reads.
 *
 * The table has the fields of the OpenSearch mapping (gz(7) "Index"), keyed
 * by the same _id (doc_id, the file checksum), and a stored tsvector over
 * source_text under the text-search configuration gz_portuguese: words
 * without their accents, then Portuguese stems, so "municipio" finds
 * "município".  A GIN index serves the searches.  Every object lives in the
 * connection's current schema.
 */
#ifndef GZ_PGDOCS_H
#define GZ_PGDOCS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* The text-search configuration: for queries, snippets and the column. */
#define PGDOCS_CONFIG "gz_portuguese"

/*
 * The table for an index name: the name with '-' read as '_', so the
 * default index querido-diario is the table querido_diario.  Writes it to
 * buf (NUL-terminated); false when it does not fit.
 */
bool pgdocs_table_name(const char *index, char *buf, size_t size);

/*
 * Creates what is missing: the unaccent extension, the configuration, the
 * table and its indexes.  Idempotent.  0, or -1 with why.
 */
int pgdocs_create(PGconn *conn, const char *table, char *why, size_t size);

/*
 * 0 when the table exists and has its search column; 1 when it does not
 * exist; -1 with why when the database failed.
 */
int pgdocs_exists(PGconn *conn, const char *table, char *why, size_t size);

#endif
