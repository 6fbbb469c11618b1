/*
 * mark — setting gazettes.processed once their documents are acknowledged.
 *
 * One parameterised statement per batch: the ids and checksums travel as
 * two arrays, so a batch of 1000 costs one round trip, and a row whose
 * file_checksum changed since it was listed (a new file, not yet indexed)
 * matches nothing and stays unprocessed (DESIGN.md "Database tables").
 * RETURNING says which rows matched, so the ledger can tell.
 *
 * Claims (gz-list --claim, gz-list(1) CLAIMS): when the gz_claims table
 * exists and records carry gz.claim, the same statement deletes the claims
 * of the gazettes it marked and expires those of the ones it could not, and
 * the claims of records that failed are expired in batches, so the
 * claiming gz-list sees every claim settled and other workers may retry.
 */
#include "index.h"
#include "cli.h"
#include "db.h"
#include "log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char mark_sql[] =
    "UPDATE gazettes SET processed = true "
    "FROM unnest($1::int[], $2::text[]) AS t(id, sum) "
    "WHERE gazettes.id = t.id "
    "AND gazettes.file_checksum IS NOT DISTINCT FROM t.sum "
    "RETURNING gazettes.id";

static const char mark_claims_sql[] =
    "WITH t AS (SELECT * FROM unnest($1::int[], $2::text[]) AS t(id, sum)),"
    " marked AS (UPDATE gazettes SET processed = true FROM t"
    "  WHERE gazettes.id = t.id"
    "  AND gazettes.file_checksum IS NOT DISTINCT FROM t.sum"
    "  RETURNING gazettes.id),"
    " settled AS (DELETE FROM gz_claims"
    "  WHERE gazette_id IN (SELECT id FROM marked)),"
    " released AS (UPDATE gz_claims SET released_at = now(),"
    "  lease_until = now() WHERE released_at IS NULL"
    "  AND (gazette_id = ANY($3::int[])"
    "  OR gazette_id IN (SELECT id FROM t EXCEPT SELECT id FROM marked)))"
    " SELECT id FROM marked";

static const char release_sql[] =
    "UPDATE gz_claims SET released_at = now(), lease_until = now()"
    " WHERE released_at IS NULL AND gazette_id = ANY($1::int[])";

/* Expired claims wait at most this long, or this many, to go in one go. */
#define RELEASE_SECS 1.0
#define RELEASE_MAX 1000

struct mark {
	struct db_target *target;
	PGconn *conn;
	const struct retry_policy *retry;
	bool claims;		/* gz_claims exists */
	long long *release;	/* gazettes whose claims to expire */
	size_t nrelease, release_cap;
	double release_since;
	char error[400];
};

struct mark *
mark_open(const char *db, const struct retry_policy *retry, int *status)
{
	struct mark *m = xcalloc(sizeof *m);
	PGresult *res;
	bool fatal;

	m->retry = retry;
	m->target = db_target_new(db);
	if (m->target == NULL)
		xoom(sizeof(struct db_target *));
	m->conn = db_connect(m->target, &fatal, m->error, sizeof m->error);
	if (m->conn == NULL) {
		log_error("cannot connect to %s to mark gazettes processed: %s "
		    "(--no-mark indexes without marking)",
		    db_describe(m->target), m->error);
		*status = EXIT_USAGE;
		mark_close(m);
		return NULL;
	}
	/* A missing table should stop us now, not after indexing. */
	res = PQexec(m->conn, "SELECT id, file_checksum, processed "
	    "FROM gazettes LIMIT 0");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("%s cannot be marked: %s", db_describe(m->target),
		    db_error_line(PQresultErrorMessage(res), m->error,
		    sizeof m->error));
		PQclear(res);
		*status = EXIT_USAGE;
		mark_close(m);
		return NULL;
	}
	PQclear(res);
	res = PQexec(m->conn, "SELECT to_regclass('gz_claims') IS NOT NULL");
	m->claims = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return m;
}

void
mark_close(struct mark *m)
{
	if (m == NULL)
		return;
	PQfinish(m->conn);
	db_target_free(m->target);
	free(m->release);
	free(m);
}

/* Appends s to the growing buffer *buf. */
static void
put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* A PostgreSQL array literal element: "..." with \ and " escaped. */
static void
put_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
	put(buf, len, cap, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put(buf, len, cap, "\\", 1);
		put(buf, len, cap, s, 1);
	}
	put(buf, len, cap, "\"", 1);
}

static bool
markable(const struct doc *d)
{
	return d->gid >= 0 && d->gid <= INT_MAX;
}

/* {1,2,3} and {"a","b",NULL}; returns how many documents take part. */
static size_t
build_arrays(struct doc **docs, size_t n, char **ids, char **sums)
{
	size_t ilen = 0, icap = 0, slen = 0, scap = 0, i, used = 0;
	char num[32];

	put(ids, &ilen, &icap, "{", 1);
	put(sums, &slen, &scap, "{", 1);
	for (i = 0; i < n; i++) {
		if (!markable(docs[i]))
			continue;
		if (used++ > 0) {
			put(ids, &ilen, &icap, ",", 1);
			put(sums, &slen, &scap, ",", 1);
		}
		snprintf(num, sizeof num, "%lld", docs[i]->gid);
		put(ids, &ilen, &icap, num, strlen(num));
		if (docs[i]->sum != NULL)
			put_quoted(sums, &slen, &scap, docs[i]->sum);
		else
			put(sums, &slen, &scap, "NULL", 4);
	}
	put(ids, &ilen, &icap, "}", 1);
	put(sums, &slen, &scap, "}", 1);
	return used;
}

/* {7,9} from the pending releases, which it then forgets. */
static char *
take_releases(struct mark *m)
{
	size_t len = 0, cap = 0, i;
	char *buf = NULL, num[32];

	put(&buf, &len, &cap, "{", 1);
	for (i = 0; i < m->nrelease; i++) {
		snprintf(num, sizeof num, "%s%lld", i ? "," : "",
		    m->release[i]);
		put(&buf, &len, &cap, num, strlen(num));
	}
	put(&buf, &len, &cap, "}", 1);
	m->nrelease = 0;
	return buf;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sets marked on every document whose row the UPDATE returned. */
static void
read_marked(PGresult *res, struct doc **docs, size_t n)
{
	int rows = PQntuples(res), r;
	long long *got = xmalloc(((size_t)rows + 1) * sizeof *got);
	size_t i;

	for (r = 0; r < rows; r++)
		got[r] = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	qsort(got, (size_t)rows, sizeof *got, cmp_ll);
	for (i = 0; i < n; i++)
		docs[i]->marked = markable(docs[i]) &&
		    bsearch(&docs[i]->gid, got, (size_t)rows, sizeof *got,
		    cmp_ll) != NULL;
	free(got);
}

/* Reconnects after a lost connection; false when it failed this time. */
static bool
reconnect(struct mark *m)
{
	bool fatal;

	PQfinish(m->conn);
	m->conn = db_connect(m->target, &fatal, m->error, sizeof m->error);
	return m->conn != NULL;
}

/*
 * Runs sql until it succeeds, reconnecting after a lost connection with the
 * shared backoff.  Returns the result, or NULL after logging why not.
 */
static PGresult *
execute(struct mark *m, const char *sql, int n, const char *const *values)
{
	int attempt = 0;

	for (;;) {
		PGresult *res;

		if ((m->conn != NULL && !db_connection_lost(m->conn)) ||
		    reconnect(m)) {
			res = PQexecParams(m->conn, sql, n, NULL, values, NULL,
			    NULL, 0);
			if (PQresultStatus(res) == PGRES_TUPLES_OK ||
			    PQresultStatus(res) == PGRES_COMMAND_OK)
				return res;
			db_error_line(PQresultErrorMessage(res), m->error,
			    sizeof m->error);
			PQclear(res);
			if (!db_connection_lost(m->conn)) {
				log_error("marking gazettes processed failed: "
				    "%s", m->error);
				return NULL;
			}
		}
		if (!retry_allowed(m->retry, ++attempt)) {
			log_error("cannot mark gazettes processed in %s after "
			    "%d attempts: %s", db_describe(m->target), attempt,
			    m->error);
			return NULL;
		}
		if (!retry_sleep(m->retry, attempt, retry_delay(m->retry,
		    attempt, 0), m->error))
			return NULL;
	}
}

static bool
any_claimed(struct doc **docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (docs[i]->claimed)
			return true;
	return false;
}

int
mark_docs(struct mark *m, struct doc **docs, size_t n)
{
	char *ids = NULL, *sums = NULL, *released = NULL;
	const char *values[3];
	bool claims = m->claims && (m->nrelease > 0 || any_claimed(docs, n));
	PGresult *res;

	if (build_arrays(docs, n, &ids, &sums) == 0) {
		free(ids);
		free(sums);
		return 0;
	}
	values[0] = ids;
	values[1] = sums;
	if (claims)
		values[2] = released = take_releases(m);
	res = execute(m, claims ? mark_claims_sql : mark_sql, claims ? 3 : 2,
	    values);
	if (res != NULL)
		read_marked(res, docs, n);
	PQclear(res);
	free(ids);
	free(sums);
	free(released);
	return res != NULL ? 0 : EXIT_FATAL;
}

void
mark_release(struct mark *m, long long gid)
{
	if (!m->claims || gid < 0 || gid > INT_MAX)
		return;
	if (m->nrelease == m->release_cap) {
		m->release_cap = m->release_cap ? m->release_cap * 2 : 64;
		m->release = xrealloc(m->release,
		    m->release_cap * sizeof *m->release);
	}
	if (m->nrelease == 0)
		m->release_since = clock_monotonic();
	m->release[m->nrelease++] = gid;
}

void
mark_settle(struct mark *m, bool now)
{
	const char *values[1];
	char *released;
	PGresult *res;

	if (m->nrelease == 0 || (!now && m->nrelease < RELEASE_MAX &&
	    clock_monotonic() - m->release_since < RELEASE_SECS))
		return;
	values[0] = released = take_releases(m);
	/* A claim left unexpired only lapses later: not worth failing for. */
	if ((res = execute(m, release_sql, 1, values)) == NULL)
		log_warn("some claims stay held until their lease ends");
	PQclear(res);
	free(released);
}
