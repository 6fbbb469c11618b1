/*
 * claim — many workers share one backlog through PostgreSQL leases.
 */
#ifndef GZ_LIST_CLAIM_H
#define GZ_LIST_CLAIM_H

#include "list.h"

/* --init: create the claims tables (idempotent).  Returns an EXIT_* code. */
int claim_init(const struct db_target *target, const struct list_options *o);
/* --claim: claim pages and stream them.  Returns an EXIT_* code. */
int claim_run(const struct db_target *target, const struct list_options *o);
/* --claims: who holds what, how old, what expired.  Returns an EXIT_* code. */
int claim_status(const struct db_target *target, const struct list_options *o);

#endif
