/*
 * db — connecting to PostgreSQL the way the existing deployment does:
 * --db CONNINFO (key=value or a postgresql:// URI), else DATABASE_URL,
 * else POSTGRES_HOST/PORT/DB/USER/PASSWORD, else libpq's own PG* variables.
 *
 * Messages never contain a password, whatever form brought it (user:pw@ or
 * ?password= in a URI, percent-encoded or not, password='...' in a
 * key=value string, POSTGRES_PASSWORD, PGPASSWORD): the target is described
 * by db_describe(), built from what PQconninfoParse() finds, never from the
 * string itself; a string libpq cannot parse is reported with its quoted
 * parts masked (its parse errors quote the piece they stumbled on); and
 * every libpq message goes through db_scrub().
 */
#ifndef GZ_DB_H
#define GZ_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct db_target;

/* conninfo is the --db value or NULL.  Never NULL (lib/xalloc). */
struct db_target *db_target_new(const char *conninfo);
void db_target_free(struct db_target *t);
/* "host=... port=... dbname=... user=..." without any password. */
const char *db_describe(const struct db_target *t);
/*
 * buf with every password this target knows of (decoded, as written, from
 * the environment) replaced by "***".  Returns buf.
 */
const char *db_scrub(const struct db_target *t, char *buf, size_t size);

/*
 * One connection attempt.  Returns the connection, or NULL with *fatal set
 * to true when retrying cannot help (bad password, unknown role or database)
 * and errbuf holding libpq's message, trimmed to one line.
 */
PGconn *db_connect(const struct db_target *t, bool *fatal, char *errbuf,
    size_t size);

/* The error text of res or conn as one line (newlines folded).  Returns buf. */
const char *db_error_line(const char *message, char *buf, size_t size);
/* True when the connection itself failed (as opposed to the statement). */
bool db_connection_lost(PGconn *conn);

#endif
