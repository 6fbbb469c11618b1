/*
 * gz-list — stream the gazettes to process from PostgreSQL as NDJSON.
 *
 * main() follows every gz tool's steps: prologue, environment then flags,
 * validate and connect before the first record, signals, run, check stdout.
 */
#include "claim.h"
#include "cli.h"
#include "db.h"
#include "list.h"
#include "log.h"
#include "sig.h"
#include "xalloc.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct list_options *o = xcalloc(1, sizeof *o);
	struct db_target *target;
	static char worker[300];
	int status;

	sig_prologue();
	log_init(argv[0]);
	/*
	 * Every page's PGresult (some 400 KB at 1000 rows) is freed before
	 * the next arrives; glibc would hand that memory back to the kernel
	 * and ask for it again each time, and those brk(2) calls were half of
	 * gz-list's system time.  Keep up to 64 MiB of freed memory instead.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
	list_options_parse(argc, argv, o);
	if (o->worker == NULL) {
		char host[256];

		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		snprintf(worker, sizeof worker, "%s:%ld", host, (long)getpid());
		o->worker = worker;
	}
	target = db_target_new(o->db);
	sig_install();
	log_debug("listing %s gazettes from %s, pages of %d", o->mode,
	    db_describe(target), o->page_size);
	if (o->verb == LIST_COUNT)
		status = list_count(target, o);
	else if (o->verb == LIST_INIT)
		status = claim_init(target, o);
	else if (o->verb == LIST_CLAIMS)
		status = claim_status(target, o);
	else if (o->claim)
		status = claim_run(target, o);
	else
		status = list_run(target, o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("writing records: stdout failed");
		status = EXIT_FATAL;
	}
	db_target_free(target);
	free(o);
	sig_reraise();
	return status;
}
