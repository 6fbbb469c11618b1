/*
 * territory — the territories table, read once before the first record,
 * with the database configuration every gz tool uses (lib/db), and each
 * territory's slug computed as the existing system computes it.
 */
#include "split.h"
#include "db.h"
#include "log.h"
#include "retry.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static struct territory *table;
static size_t count;

static char *
dup_value(PGresult *res, int row, int col)
{
	return strdup(PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}

static int
connect_with_retries(struct db_target *t, PGconn **conn)
{
	struct retry_policy retry = RETRY_POLICY_DEFAULT;
	char error[512];
	int attempt = 0;
	bool fatal;

	while ((*conn = db_connect(t, &fatal, error, sizeof error)) == NULL) {
		if (fatal) {
			log_error("cannot connect to %s: %s", db_describe(t),
			    error);
			return EXIT_USAGE;
		}
		if (!retry_allowed(&retry, ++attempt) ||
		    !retry_sleep(&retry, attempt,
		    retry_delay(&retry, attempt, 0), error)) {
			log_error("cannot connect to %s after %d attempts: %s",
			    db_describe(t), attempt, error);
			return EXIT_FATAL;
		}
	}
	return 0;
}

static int
read_rows(PGresult *res)
{
	int i, n = PQntuples(res);

	if ((table = calloc((size_t)n + 1, sizeof *table)) == NULL)
		return EXIT_FATAL;
	for (i = 0; i < n; i++) {
		struct territory *t = &table[count];

		t->id = dup_value(res, i, 0);
		t->name = dup_value(res, i, 1);
		t->state_code = dup_value(res, i, 2);
		if (t->id == NULL || t->name == NULL || t->state_code == NULL ||
		    (t->slug = slug_make(t->state_code, t->name)) == NULL)
			return EXIT_FATAL;
		count++;
	}
	return 0;
}

int
territories_load(const char *conninfo)
{
	struct db_target *t = db_target_new(conninfo);
	PGconn *conn = NULL;
	PGresult *res;
	char line[512];
	int status;

	if ((status = connect_with_retries(t, &conn)) != 0) {
		db_target_free(t);
		return status;
	}
	res = PQexec(conn, "SELECT id, name, state_code FROM territories "
	    "ORDER BY id");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("reading territories from %s: %s", db_describe(t),
		    db_error_line(PQresultErrorMessage(res), line,
		    sizeof line));
		status = EXIT_USAGE;
	} else if ((status = read_rows(res)) != 0)
		log_error("out of memory reading territories");
	PQclear(res);
	PQfinish(conn);
	db_target_free(t);
	log_debug("%zu territories", count);
	return status;
}

const struct territory *
territories_find(const char *slug)
{
	size_t i;

	for (i = count; i-- > 0;)
		if (strcmp(table[i].slug, slug) == 0)
			return &table[i];
	return NULL;
}

size_t
territories_count(void)
{
	return count;
}

void
territories_free(void)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(table[i].id);
		free(table[i].name);
		free(table[i].state_code);
		free(table[i].slug);
	}
	free(table);
	table = NULL;
	count = 0;
}
