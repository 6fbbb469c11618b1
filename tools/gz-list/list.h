/*
 * list — the gz-list query and its keyset paging loop.
 */
#ifndef GZ_LIST_LIST_H
#define GZ_LIST_LIST_H

#include "db.h"
#include "jsonesc.h"
#include "ndjson.h"
#include "retry.h"

#include <stdbool.h>

#define LIST_MAX_FILTER_VALUES 1024
/* What a missing table or column means (lib/dbsession's message). */
#define LIST_SCHEMA "the gazettes/territories schema gz-list reads"

/* What a run does: list (the default) or one of the other verbs. */
enum list_verb { LIST_LIST, LIST_COUNT, LIST_INIT, LIST_CLAIMS };

struct list_options {
	enum list_verb verb;
	const char *db;			/* --db, or NULL: the environment */
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

/* options.c: the command line into o (zeroed), or exit 2 with a message. */
void list_options_parse(int argc, char **argv, struct list_options *o);

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

extern const char list_select_list[];
extern const char list_from_where[];

struct list_params {
	const char *values[N_CLAIM_PARAMS];
	char *territories;	/* array literals, built once */
	char *ids;
	char shard_count[16], shard_index[16];
	char last[32], limit[32], lease[48], run_start[48];
};

void list_params_init(struct list_params *p, const struct list_options *o);
void list_params_free(struct list_params *p);
/* head + list_from_where + tail, malloc'd. */
char *list_build_sql(const char *head, const char *tail);
/*
 * Appends row r of res to b as one NDJSON line, straight from the result's
 * text (ints and booleans as JSON's, NULL as null, text escaped by
 * lib/jsonesc).  With a claim_worker the record gets gz.claim.worker, which
 * gz-index uses to settle the claim.
 */
void list_format_record(struct jsonbuf *b, PGresult *res, int r,
    const char *claim_worker);

/*
 * Where records go: whole lines gather in buf and pass to lib's writer on
 * stdout once flush_at bytes are pending, and at the end of every page, so
 * a listing makes one write(2) per 64 KiB instead of one per record, and a
 * reader gets each page as soon as it is read.  Before more lines gather,
 * the writer is waited for, event-driven (list_out_wait): memory stays at
 * a page, and a slow reader holds back the listing, not the leases.
 */
#define LIST_FLUSH_BYTES (64u << 10)
struct list_out {
	struct jsonbuf buf;
	size_t flush_at;
	struct ndjson_writer *w;	/* stdout */
	/*
	 * When set, runs while lines wait for the reader (claim.c renews
	 * leases there); returns the seconds until it wants to run again.
	 */
	double (*tick)(void *arg);
	void *arg;
};

/* stdout on a new writer. */
struct ndjson_writer *list_writer(void);
/*
 * Waits, polling stdout and the signal pipe and running tick, until every
 * line handed to the writer is written.  0, or -1 with errno set when
 * stdout failed (EPIPE: the reader went away; the writer logged any other
 * error).
 */
int list_out_wait(struct list_out *out);
/* Hands what buf holds to the writer and waits for it (list_out_wait).
 * Returns 0, or -1 with errno set. */
int list_out_flush(struct list_out *out);
/*
 * Writes the rows of res; *last_id ends as the last id written.  Returns 0,
 * or -1 when stdout failed (errno set; EPIPE means the reader went away).
 */
int write_page(struct list_out *out, PGresult *res, long long *last_id,
    const char *claim_worker);

/* Streams the listing to stdout.  Returns an EXIT_* status. */
int list_run(const struct db_target *target, const struct list_options *o);
/* Prints how many rows the listing would produce.  Returns an EXIT_* status. */
int list_count(const struct db_target *target, const struct list_options *o);

#endif
