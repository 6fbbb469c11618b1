/*
 * list — the gz-list query and its keyset paging loop.
 */
#ifndef GZ_LIST_LIST_H
#define GZ_LIST_LIST_H

#include "db.h"
#include "retry.h"

#include <jv.h>
#include <stdbool.h>

#define LIST_MAX_FILTER_VALUES 1024

struct list_options {
	const char *mode;		/* "DAILY", "ALL" or "UNPROCESSED" */
	const char *mode_name;		/* the same as users write it: "daily" */
	const char *since, *until;	/* YYYY-MM-DD or NULL */
	const char *territories[LIST_MAX_FILTER_VALUES];
	int n_territories;
	const char *state;
	long long ids[LIST_MAX_FILTER_VALUES];
	int n_ids;
	long long limit;		/* 0 = no limit */
	int page_size;
	int shard_index, shard_count;	/* --shard K/N; count 0 = off */
	bool claim;			/* --claim */
	const char *worker;		/* --worker */
	double lease;			/* --lease, seconds */
	struct retry_policy retry;
};

/*
 * The query pieces, shared with claim.c.  Parameters $1-$8 are the filters
 * (mode, since, until, territories, state, ids, shard count and index),
 * $9 and $10 the keyset bound and page size, $11 and $12 the claiming
 * worker and its lease, $13 when this run began (epoch seconds, the
 * database's clock), so a name reused by a later run is a new worker.
 */
#define N_FILTER_PARAMS 8
#define N_PAGE_PARAMS 10
#define N_CLAIM_PARAMS 13

extern const char select_list[];
extern const char from_where[];

struct params {
	const char *values[N_CLAIM_PARAMS];
	char *territories;	/* array literals, built once */
	char *ids;
	char shard_count[16], shard_index[16];
	char last[32], limit[32], lease[48], run_start[48];
};

bool params_init(struct params *p, const struct list_options *o);
void params_free(struct params *p);
/* head + from_where + tail, malloc'd. */
char *build_sql(const char *head, const char *tail);
/* Row r of res as a record. */
jv row_to_record(PGresult *res, int r);
/*
 * Writes the rows of res; *last_id ends as the last id written.  With a
 * claim_worker each record gets gz.claim.worker, which gz-index uses to
 * settle the claim.  When given, wait_writable(arg) runs before each record
 * (claim.c renews leases there while the reader is slow).  Returns 0, or -1
 * when stdout failed (errno set; EPIPE means the reader went away).
 */
int write_page(PGresult *res, long long *last_id, const char *claim_worker,
    void (*wait_writable)(void *), void *arg);

/* Streams the listing to stdout.  Returns an EXIT_* status. */
int list_run(const struct db_target *target, const struct list_options *o);
/* Prints how many rows the listing would produce.  Returns an EXIT_* status. */
int list_count(const struct db_target *target, const struct list_options *o);

#endif
