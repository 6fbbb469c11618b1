/*
 * list — the gz-list query and its keyset paging loop.
 */
#ifndef GZ_LIST_LIST_H
#define GZ_LIST_LIST_H

#include "db.h"
#include "retry.h"

#include <stdbool.h>

#define LIST_MAX_FILTER_VALUES 1024

struct list_options {
	const char *mode;		/* "DAILY", "ALL" or "UNPROCESSED" */
	const char *since, *until;	/* YYYY-MM-DD or NULL */
	const char *territories[LIST_MAX_FILTER_VALUES];
	int n_territories;
	const char *state;
	long long ids[LIST_MAX_FILTER_VALUES];
	int n_ids;
	long long limit;		/* 0 = no limit */
	int page_size;
	struct retry_policy retry;
};

/* Streams the listing to stdout.  Returns an EXIT_* status. */
int list_run(const struct db_target *target, const struct list_options *o);
/* Prints how many rows the listing would produce.  Returns an EXIT_* status. */
int list_count(const struct db_target *target, const struct list_options *o);

#endif
