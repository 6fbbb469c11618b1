/*
 * claim — many workers share one backlog through PostgreSQL leases.
 *
 * Instead of reading pages, a worker claims them: one statement selects the
 * next page of matching gazettes that nobody holds, skipping rows another
 * worker is claiming at this very moment (FOR UPDATE SKIP LOCKED), records
 * the claim with a lease, and returns the rows.  A claim whose lease ran
 * out (its worker died) can be taken by anyone; the INSERT ... ON CONFLICT
 * guard re-checks that against the latest committed claim, so two workers
 * never hold one gazette.  Only unprocessed gazettes are handed out,
 * whatever the mode, or a gazette indexed by one worker would be claimed
 * again by the next.  gz-index deletes a claim when it marks the
 * gazette processed and releases (expires) the claims of records that
 * failed for good.  A worker never claims again, in one run, a gazette it
 * already held: a failure it released is left to other workers or the
 * next run instead of looping.
 *
 * While it is alive the worker renews the leases of everything it still
 * holds, including after it has listed its last page, until gz-index has
 * settled them all; so --lease need not exceed the longest run.
 */
#include "claim.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "session.h"
#include "sig.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char claims_ddl[] =
	"SELECT pg_advisory_xact_lock(7020112);"	/* concurrent first runs */
	"CREATE TABLE IF NOT EXISTS gz_claims ("
	" gazette_id integer PRIMARY KEY,"
	" worker text NOT NULL,"
	" claimed_at timestamptz NOT NULL,"
	" lease_until timestamptz NOT NULL,"
	" released_at timestamptz);"
	"CREATE INDEX IF NOT EXISTS gz_claims_worker ON gz_claims (worker);"
	"CREATE TABLE IF NOT EXISTS gz_claim_history ("
	" gazette_id integer NOT NULL,"
	" worker text NOT NULL,"
	" claimed_at timestamptz NOT NULL DEFAULT now());";

/* $9 is unused in claim mode: the keyset bound stays at its maximum. */
static const char claim_head[] =
	"WITH candidates AS (SELECT g.id";
/* What a worker may claim: unprocessed, unheld, not released by itself. */
#define CLAIMABLE \
	" AND g.id < $9::bigint AND g.processed IS NOT TRUE" \
	" AND NOT EXISTS (SELECT 1 FROM gz_claims c WHERE c.gazette_id = g.id" \
	"  AND (c.lease_until > now() OR (c.worker = $11::text" \
	"  AND c.claimed_at >= to_timestamp($13::float8))))"

static const char claim_tail[] =
	CLAIMABLE
	" ORDER BY g.id DESC LIMIT $10::int FOR UPDATE OF g SKIP LOCKED),"
	" claimed AS (INSERT INTO gz_claims AS c"
	"  (gazette_id, worker, claimed_at, lease_until)"
	"  SELECT id, $11::text, now(), now() + $12::interval FROM candidates"
	"  ON CONFLICT (gazette_id) DO UPDATE SET worker = EXCLUDED.worker,"
	"  claimed_at = EXCLUDED.claimed_at, lease_until = EXCLUDED.lease_until,"
	"  released_at = NULL"
	"  WHERE c.lease_until <= now() AND (c.worker <> EXCLUDED.worker"
	"  OR c.claimed_at < to_timestamp($13::float8))"
	"  RETURNING gazette_id),"
	" logged AS (INSERT INTO gz_claim_history (gazette_id, worker)"
	"  SELECT gazette_id, $11::text FROM claimed)";

static const char claim_select_tail[] =
	" FROM gazettes g JOIN territories t ON t.id = g.territory_id"
	" WHERE g.id IN (SELECT gazette_id FROM claimed) ORDER BY g.id DESC";

/*
 * After an empty claim: is anything left to claim, locked or not?  Every
 * parameter must appear, typed, for PQexecParams to accept the same vector.
 */
static const char probe_head[] =
	"SELECT EXISTS (SELECT 1";
static const char probe_tail[] =
	CLAIMABLE " AND $10::int > 0 AND $12::interval IS NOT NULL)";

/*
 * Only this run's claims: those of an earlier run of the name are dead.
 * A claim whose gazette is processed (or gone) is settled whoever marked it:
 * gz-index deletes the claims of what it marks, but a shard worker, the old
 * system or an operator's UPDATE marks gazettes without touching gz_claims,
 * and waiting for those claims would hold the listing open for a lease.
 * So renewing and counting first delete such claims; both statements see
 * one snapshot, so the rest of each leaves the deleted rows out itself.
 */
#define SETTLE_DONE(run_start) \
	"WITH done AS (DELETE FROM gz_claims c WHERE c.worker = $1" \
	" AND c.released_at IS NULL" \
	" AND c.claimed_at >= to_timestamp(" run_start "::float8)" \
	" AND NOT EXISTS (SELECT 1 FROM gazettes g WHERE g.id = c.gazette_id" \
	"  AND g.processed IS NOT TRUE))"
#define STILL_OPEN \
	" AND EXISTS (SELECT 1 FROM gazettes g WHERE g.id = gazette_id" \
	"  AND g.processed IS NOT TRUE)"

static const char renew_sql[] =
	SETTLE_DONE("$3")
	" UPDATE gz_claims SET lease_until = now() + $2::interval"
	" WHERE worker = $1 AND released_at IS NULL"
	" AND claimed_at >= to_timestamp($3::float8)" STILL_OPEN;

static const char held_sql[] =
	SETTLE_DONE("$2")
	" SELECT count(*) FROM gz_claims WHERE worker = $1"
	" AND released_at IS NULL"
	" AND claimed_at >= to_timestamp($2::float8)" STILL_OPEN;

/*
 * How often, after the last page, to look whether gz-index has settled our
 * claims: the pipeline ends about this long after its last gazette.
 */
#define SETTLE_POLL_SECS 0.5

/*
 * An empty claim does not mean the backlog is empty: rows that another
 * worker was claiming (locked, so skipped) or had claimed after our
 * statement's snapshot (refused by the ON CONFLICT guard) hide the rows
 * behind them.  So an empty claim is followed by a probe with a fresh
 * snapshot; while it still sees claimable rows, claim again after a pause.
 * Rows that stay locked for longer (someone's open transaction) are left
 * after PROBES_BEFORE_GIVING_UP pauses, with a warning.
 */
#define PROBE_PAUSE_MS 100
#define PROBES_BEFORE_GIVING_UP 100

struct claimer {
	struct session s;
	const struct list_options *o;
	struct params p;
	char *probe_sql;
	double renewed;		/* monotonic time of the last renewal */
	long long held;		/* claims still ours at the last renewal */
	int status;
};

static int
run_ddl(struct session *s)
{
	int status = EXIT_OK;
	PGresult *res = session_query(s, claims_ddl, 0, NULL, &status);

	PQclear(res);
	return res == NULL ? status : EXIT_OK;
}

/*
 * Whether both claims tables exist: 1, 0, or -1 (*status set).  Checked
 * first so that workers whose role may not CREATE can claim once an
 * administrator ran --init.
 */
static int
tables_exist(struct session *s, int *status)
{
	PGresult *res = session_query(s, "SELECT to_regclass('gz_claims') "
	    "IS NOT NULL AND to_regclass('gz_claim_history') IS NOT NULL", 0,
	    NULL, status);
	int exist;

	if (res == NULL)
		return -1;
	exist = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return exist;
}

static int
ensure_tables(struct session *s)
{
	int status = EXIT_OK, exist = tables_exist(s, &status);

	return exist < 0 ? status : exist ? EXIT_OK : run_ddl(s);
}

/* The database's clock at the start of the run, into p->run_start. */
static int
note_run_start(struct session *s, struct params *p)
{
	int status = EXIT_OK;
	PGresult *res = session_query(s, "SELECT extract(epoch FROM now())",
	    0, NULL, &status);

	if (res == NULL)
		return status;
	snprintf(p->run_start, sizeof p->run_start, "%s",
	    PQgetvalue(res, 0, 0));
	PQclear(res);
	return EXIT_OK;
}

/* Renews our leases; returns how many claims we still hold, or -1. */
static long long
renew(struct claimer *c)
{
	const char *values[3] = { c->o->worker, c->p.lease, c->p.run_start };
	PGresult *res = session_query(&c->s, renew_sql, 3, values, &c->status);
	long long held;

	if (res == NULL)
		return -1;
	held = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	c->renewed = clock_monotonic();
	log_debug("renewed the lease of %lld claims", held);
	return held;
}

/* How many claims we still hold, without renewing them; or -1. */
static long long
count_held(struct claimer *c)
{
	const char *values[2] = { c->o->worker, c->p.run_start };
	PGresult *res = session_query(&c->s, held_sql, 2, values, &c->status);
	long long held;

	if (res == NULL)
		return -1;
	held = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return held;
}

static double
renew_interval(const struct claimer *c)
{
	return c->o->lease / 3;
}

/*
 * While the reader is too slow to take a record: renew the leases when
 * due.  Returns the seconds until the next renewal.
 */
static double
renew_when_due(void *arg)
{
	struct claimer *c = arg;
	double due = c->renewed + renew_interval(c) - clock_monotonic();

	if (due > 0)
		return due;
	renew(c);
	return renew_interval(c);
}

/*
 * After the last page: keep the leases alive until gz-index has settled
 * every claim, or until nothing was settled for a whole lease (the rest of
 * the pipeline is gone; the leases then lapse for others to take).
 */
static void
hold_until_settled(struct claimer *c)
{
	long long last = renew(c);
	double progress = clock_monotonic();

	close(STDOUT_FILENO);	/* downstream sees the end of the listing */
	while (last > 0 && !sig_stop_requested()) {
		struct pollfd pfd = { .fd = sig_wakeup_fd(), .events = POLLIN };
		long long held;

		poll(&pfd, 1, (int)(SETTLE_POLL_SECS * 1000));
		held = clock_monotonic() - c->renewed >= renew_interval(c) ?
		    renew(c) : count_held(c);
		if (held < 0)
			return;
		if (held < last)
			progress = clock_monotonic();
		else if (clock_monotonic() - progress > c->o->lease) {
			log_warn("%lld claims not settled for %.0f s; leaving "
			    "them to expire", held, c->o->lease);
			return;
		}
		last = held;
	}
}

/* After an empty claim: true to claim again, false to end the listing. */
static bool
more_to_claim(struct claimer *c, int *probes)
{
	struct pollfd pfd = { .fd = sig_wakeup_fd(), .events = POLLIN };
	PGresult *res = session_query(&c->s, c->probe_sql, N_CLAIM_PARAMS,
	    c->p.values, &c->status);
	bool more;

	if (res == NULL)
		return false;
	more = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!more)
		return false;
	if (++*probes > PROBES_BEFORE_GIVING_UP) {
		log_warn("unprocessed gazettes stay locked by another "
		    "transaction; leaving them to the next run");
		return false;
	}
	log_debug("claim came back empty with rows still claimable; again");
	poll(&pfd, 1, PROBE_PAUSE_MS);
	return true;
}

int
claim_init(const struct db_target *target, const struct list_options *o)
{
	struct session s = { .target = target, .retry = &o->retry };
	int status = run_ddl(&s);

	if (status == EXIT_OK)
		log_info("claims tables gz_claims and gz_claim_history ready");
	session_close(&s);
	return status;
}

static char *
claim_sql(void)
{
	size_t size = strlen(claim_tail) + strlen(select_list) +
	    strlen(claim_select_tail) + 1;
	char *tail = xmalloc(size), *sql;

	snprintf(tail, size, "%s%s%s", claim_tail, select_list,
	    claim_select_tail);
	sql = build_sql(claim_head, tail);
	free(tail);
	return sql;
}

int
claim_run(const struct db_target *target, const struct list_options *o)
{
	struct claimer c = { .s = { .target = target, .retry = &o->retry },
	    .o = o };
	/*
	 * One record per write: poll's POLLOUT promises room for one record
	 * (up to PIPE_BUF), not for a page, and a write that blocks would
	 * stop the renewals.
	 */
	struct list_out out = { .flush_at = 1, .tick = renew_when_due,
	    .arg = &c };
	long long last_id, left = o->limit;
	unsigned long pages = 0;
	int probes = 0;
	char *sql = claim_sql(), extra[96];

	c.probe_sql = build_sql(probe_head, probe_tail);
	if (sql == NULL || c.probe_sql == NULL || !params_init(&c.p, o) ||
	    (out.w = list_writer()) == NULL) {
		log_error("out of memory");
		free(sql);
		free(c.probe_sql);
		return EXIT_FATAL;
	}
	snprintf(c.p.last, sizeof c.p.last, "%lld", 9223372036854775807LL);
	if ((c.status = ensure_tables(&c.s)) != EXIT_OK ||
	    (c.status = note_run_start(&c.s, &c.p)) != EXIT_OK)
		goto out;
	c.renewed = clock_monotonic();
	while (!sig_stop_requested()) {
		int want = o->page_size;
		PGresult *res;

		if (o->limit > 0 && left < want)
			want = (int)left;
		if (want == 0)
			break;
		snprintf(c.p.limit, sizeof c.p.limit, "%d", want);
		if ((res = session_query(&c.s, sql, N_CLAIM_PARAMS, c.p.values,
		    &c.status)) == NULL)
			break;
		pages++;
		if (write_page(&out, res, &last_id, o->worker) != 0) {
			/* The writer logged why, unless EPIPE. */
			if (errno != EPIPE)
				c.status = EXIT_FATAL;
			PQclear(res);
			break;
		}
		left -= PQntuples(res);
		if (PQntuples(res) > 0)
			probes = 0;
		else if (!more_to_claim(&c, &probes)) {
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	/* Every line is out (write_page waits): stdout can close. */
	ndjson_writer_free(out.w);
	out.w = NULL;
	if (c.status == EXIT_OK && !sig_stop_requested())
		hold_until_settled(&c);
	if (sig_stop_requested() && c.status == EXIT_OK)
		c.status = EXIT_FATAL;
out:
	snprintf(extra, sizeof extra, "%lu claims of up to %d as %s", pages,
	    o->page_size, o->worker);
	progress_summary(extra);
	session_close(&c.s);
	params_free(&c.p);
	jsonbuf_free(&out.buf);
	ndjson_writer_free(out.w);
	free(sql);
	free(c.probe_sql);
	return c.status;
}

int
claim_status(const struct db_target *target, const struct list_options *o)
{
	static const char sql[] =
	    "SELECT worker, count(*) FILTER (WHERE released_at IS NULL"
	    "  AND lease_until > now()),"
	    " count(*) FILTER (WHERE released_at IS NULL"
	    "  AND lease_until <= now()),"
	    " count(*) FILTER (WHERE released_at IS NOT NULL),"
	    " coalesce(extract(epoch FROM now() - min(claimed_at)"
	    "  FILTER (WHERE released_at IS NULL))::bigint, 0),"
	    " coalesce(to_char(max(lease_until) FILTER (WHERE released_at"
	    "  IS NULL), 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), '-')"
	    " FROM gz_claims GROUP BY worker ORDER BY worker";
	struct session s = { .target = target, .retry = &o->retry };
	int status = EXIT_OK, exist = tables_exist(&s, &status), r;
	int width = 24;		/* host:pid fits */
	PGresult *res = NULL;

	if (exist < 0 || (exist &&
	    (res = session_query(&s, sql, 0, NULL, &status)) == NULL)) {
		session_close(&s);
		return status;
	}
	if (!exist)
		log_warn("no claims yet: gz_claims does not exist (gz-list "
		    "--init, or the first --claim run, creates it)");
	for (r = 0; res != NULL && r < PQntuples(res); r++)
		if ((int)strlen(PQgetvalue(res, r, 0)) > width)
			width = (int)strlen(PQgetvalue(res, r, 0));
	printf("%-*s %8s %8s %8s %10s  %s\n", width, "WORKER", "HELD",
	    "EXPIRED", "RELEASED", "OLDEST_S", "LEASE_UNTIL");
	for (r = 0; res != NULL && r < PQntuples(res); r++)
		printf("%-*s %8s %8s %8s %10s  %s\n", width,
		    PQgetvalue(res, r, 0),
		    PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
		    PQgetvalue(res, r, 3), PQgetvalue(res, r, 4),
		    PQgetvalue(res, r, 5));
	PQclear(res);
	session_close(&s);
	return EXIT_OK;
}
