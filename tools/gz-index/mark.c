/*
 * mark — setting gazettes.processed once their documents are acknowledged.
 *
 * One parameterised statement per batch: the ids and checksums travel as
 * two arrays, so a batch of 1000 costs one round trip, and a row whose
 * file_checksum changed since it was listed (a new file, not yet indexed)
 * matches nothing and stays unprocessed (gz(7) "Database tables").
 * RETURNING says which rows matched, so the ledger can tell.
 *
 * The statement runs in a transaction that stays open while the batch's
 * ledger lines are written (mark_begin, then mark_commit): a kill -9 at any
 * moment then never leaves a gazette marked without its ledger line.  The
 * lines of a batch whose COMMIT never landed say marked for rows that are
 * not: only the last batch of a run that died, and the database, which a
 * rerun reads, is right.
 *
 * Claims (gz-list --claim, gz-list(1) CLAIMS): when the gz_claims table
 * exists and records carry gz.claim, the same statement deletes the claims
 * of the gazettes it marked and expires those of the ones it could not, and
 * the claims of records that failed are expired in batches, so the
 * claiming gz-list sees every claim settled and other workers may retry.
 */
#include "mark.h"
#include "doc.h"
#include "segment.h"
#include "cli.h"
#include "db.h"
#include "dbarray.h"
#include "log.h"
#include "xalloc.h"

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
	/*
	 * mark_share: the documents' connection (pgsink), whose transaction
	 * holds the batch's documents; never reconnected from here.
	 */
	PGconn *const *shared;
	const struct retry_policy *retry;
	bool claims;		/* gz_claims exists */
	long long *release;	/* gazettes whose claims to expire */
	size_t nrelease, release_cap;
	double release_since;
	/* The batch whose marks are in an open transaction (mark_begin). */
	struct doc **docs;
	size_t ndocs;
	char *ids, *sums, *released;
	const char *values[3];
	bool claims_now;	/* this batch settles claims too */
	bool open;		/* BEGIN and UPDATE done, COMMIT not yet */
	char error[400];
};

static void forget_batch(struct mark *);

struct mark *
mark_open(const char *db, const struct retry_policy *retry, int *status)
{
	struct mark *m = xcalloc(1, sizeof *m);
	PGresult *res;
	bool fatal;

	m->retry = retry;
	m->target = db_target_new(db);
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
	if (m->shared == NULL)
		PQfinish(m->conn);
	db_target_free(m->target);
	forget_batch(m);
	free(m->release);
	free(m);
}

static bool
markable(const struct doc *d)
{
	/* a segment marks its gazette only when it completes the set */
	return d->gid >= 0 && d->gid <= INT_MAX && segment_markable(d);
}

/* {1,2,3} and {"a","b",NULL}; returns how many documents take part. */
static size_t
build_arrays(struct doc **docs, size_t n, char **ids, char **sums)
{
	struct db_array ia = DB_ARRAY_INIT, sa = DB_ARRAY_INIT;
	size_t i, used;

	for (i = 0; i < n; i++) {
		if (!markable(docs[i]))
			continue;
		db_array_add_int(&ia, docs[i]->gid);
		db_array_add_text(&sa, docs[i]->sum);
	}
	used = ia.n;
	*ids = db_array_take(&ia);
	*sums = db_array_take(&sa);
	return used;
}

/* {7,9} from the pending releases, which it then forgets. */
static char *
take_releases(struct mark *m)
{
	struct db_array a = DB_ARRAY_INIT;
	size_t i;

	for (i = 0; i < m->nrelease; i++)
		db_array_add_int(&a, m->release[i]);
	m->nrelease = 0;
	return db_array_take(&a);
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sets marked on every document whose row the UPDATE returned; returns how
 * many documents changed their flag (0 the first time matters not).
 */
static size_t
read_marked(PGresult *res, struct doc **docs, size_t n)
{
	int rows = PQntuples(res), r;
	long long *got = xmalloc(((size_t)rows + 1) * sizeof *got);
	size_t i, changed = 0;
	bool was;

	for (r = 0; r < rows; r++)
		got[r] = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	qsort(got, (size_t)rows, sizeof *got, cmp_ll);
	for (i = 0; i < n; i++) {
		was = docs[i]->marked;
		docs[i]->marked = markable(docs[i]) &&
		    bsearch(&docs[i]->gid, got, (size_t)rows, sizeof *got,
		    cmp_ll) != NULL;
		changed += was != docs[i]->marked;
	}
	free(got);
	return changed;
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

enum outcome { DONE, LOST, FAILED };

/*
 * Runs sql once (with values, or as a plain command when n is 0): DONE with
 * *resp set (when resp is not NULL), LOST when the connection went, FAILED
 * when the database refused it.  m->error says why not.
 */
static enum outcome
once(struct mark *m, const char *sql, int n, const char *const *values,
    PGresult **resp)
{
	PGresult *res;

	if (m->shared != NULL) {
		m->conn = *m->shared;
		if (m->conn == NULL || db_connection_lost(m->conn)) {
			snprintf(m->error, sizeof m->error, "the connection "
			    "was lost with the documents' transaction");
			return LOST;
		}
	}
	if ((m->conn == NULL || db_connection_lost(m->conn)) && !reconnect(m))
		return LOST;
	res = n > 0 ? PQexecParams(m->conn, sql, n, NULL, values, NULL, NULL,
	    0) : PQexec(m->conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK) {
		if (resp != NULL)
			*resp = res;
		else
			PQclear(res);
		return DONE;
	}
	db_error_line(res != NULL ? PQresultErrorMessage(res) :
	    PQerrorMessage(m->conn), m->error, sizeof m->error);
	PQclear(res);
	return db_connection_lost(m->conn) ? LOST : FAILED;
}

/* After a lost connection: false once the retries are spent. */
static bool
again(struct mark *m, int *attempt)
{
	/* Shared: the documents went with the transaction; no retry here. */
	if (m->shared != NULL || !retry_allowed(m->retry, ++*attempt)) {
		log_error("cannot mark gazettes processed in %s after %d "
		    "attempts: %s", db_describe(m->target), *attempt, m->error);
		return false;
	}
	return retry_sleep(m->retry, *attempt, retry_delay(m->retry,
	    *attempt, 0), m->error);
}

/*
 * Runs sql until it succeeds, reconnecting after a lost connection with the
 * shared backoff.  Returns the result, or NULL after logging why not.
 */
static PGresult *
execute(struct mark *m, const char *sql, int n, const char *const *values)
{
	int attempt = 0;
	PGresult *res;

	for (;;) {
		switch (once(m, sql, n, values, &res)) {
		case DONE:
			return res;
		case FAILED:
			log_error("marking gazettes processed failed: %s",
			    m->error);
			return NULL;
		case LOST:
			if (!again(m, &attempt))
				return NULL;
		}
	}
}

/* mark_share: pgsink left a batch's documents in an open transaction. */
static bool
shared_open(const struct mark *m)
{
	return m->shared != NULL && *m->shared != NULL &&
	    PQtransactionStatus(*m->shared) == PQTRANS_INTRANS;
}

/*
 * BEGIN and the marking statement, leaving the transaction open: DONE with
 * the documents' marked flags set (*changed: how many flags moved), or
 * LOST / FAILED with nothing left open.
 */
static enum outcome
begin_update(struct mark *m, size_t *changed)
{
	enum outcome o;
	PGresult *res;

	/* Shared, the documents' transaction is open already, but for a
	 * batch with no documents stored (gz-split's parent). */
	if (!shared_open(m) && (o = once(m, "BEGIN", 0, NULL, NULL)) != DONE)
		return o;
	o = once(m, m->claims_now ? mark_claims_sql : mark_sql,
	    m->claims_now ? 3 : 2, m->values, &res);
	if (o != DONE) {
		if (o == FAILED)	/* an aborted transaction: end it */
			(void)once(m, "ROLLBACK", 0, NULL, NULL);
		return o;
	}
	*changed = read_marked(res, m->docs, m->ndocs);
	PQclear(res);
	return DONE;
}

static void
forget_batch(struct mark *m)
{
	free(m->ids);
	free(m->sums);
	free(m->released);
	m->ids = m->sums = m->released = NULL;
	m->docs = NULL;
	m->ndocs = 0;
	m->open = false;
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
mark_begin(struct mark *m, struct doc **docs, size_t n)
{
	size_t changed;
	int attempt = 0;

	m->claims_now = m->claims && (m->nrelease > 0 ||
	    any_claimed(docs, n));
	if (build_arrays(docs, n, &m->ids, &m->sums) == 0) {
		forget_batch(m);
		/* Shared, the documents' transaction still wants its COMMIT. */
		m->open = shared_open(m);
		return 0;
	}
	m->docs = docs;
	m->ndocs = n;
	m->values[0] = m->ids;
	m->values[1] = m->sums;
	if (m->claims_now)
		m->values[2] = m->released = take_releases(m);
	for (;;) {
		switch (begin_update(m, &changed)) {
		case DONE:
			m->open = true;
			return 0;
		case FAILED:
			log_error("marking gazettes processed failed: %s",
			    m->error);
			forget_batch(m);
			return EXIT_FATAL;
		case LOST:
			if (!again(m, &attempt)) {
				forget_batch(m);
				return EXIT_FATAL;
			}
		}
	}
}

int
mark_commit(struct mark *m)
{
	int attempt = 0, rc = 0;
	size_t changed;
	enum outcome o;

	if (!m->open)
		return 0;
	for (;;) {
		PGresult *res;

		if ((o = once(m, "COMMIT", 0, NULL, &res)) == DONE) {
			/* An aborted transaction "commits" as ROLLBACK. */
			if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
				snprintf(m->error, sizeof m->error, "the "
				    "transaction ended in %s", PQcmdStatus(res));
				o = FAILED;
			}
			PQclear(res);
		}
		if (o == DONE)
			break;
		if (o == FAILED) {
			log_error("committing the marks failed: %s", m->error);
			rc = EXIT_FATAL;
			break;
		}
		/*
		 * Lost with the COMMIT in flight: it may or may not have
		 * landed.  The statement is idempotent (a row marked already
		 * still matches), so the whole transaction runs again.
		 */
		do {
			if (!again(m, &attempt)) {
				rc = EXIT_FATAL;
				goto out;
			}
		} while ((o = begin_update(m, &changed)) == LOST);
		if (o == FAILED) {
			log_error("marking gazettes processed failed: %s",
			    m->error);
			rc = EXIT_FATAL;
			break;
		}
		if (changed > 0)
			log_warn("%zu gazettes changed while their marks were "
			    "retried: their ledger lines may say otherwise",
			    changed);
	}
out:
	forget_batch(m);
	return rc;
}

void
mark_share(struct mark *m, PGconn *const *conn)
{
	PQfinish(m->conn);
	m->conn = NULL;
	m->shared = conn;
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

	/* Not inside a batch's open transaction: they go with the next. */
	if (m->open || m->nrelease == 0 || (!now &&
	    m->nrelease < RELEASE_MAX &&
	    clock_monotonic() - m->release_since < RELEASE_SECS))
		return;
	values[0] = released = take_releases(m);
	/* A claim left unexpired only lapses later: not worth failing for. */
	if ((res = execute(m, release_sql, 1, values)) == NULL)
		log_warn("some claims stay held until their lease ends");
	PQclear(res);
	free(released);
}
