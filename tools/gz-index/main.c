/*
 * gz-index — bulk-index records into OpenSearch, store their text, mark
 * the gazettes processed once that is acknowledged, and write the ledger.
 *
 * main() follows every gz tool's steps: prologue, environment then flags,
 * open what is needed before the first record (database, output file,
 * index), signals, run, check stdout.
 */
#include "bulk.h"
#include "mapping.h"
#include "mark.h"
#include "options.h"
#include "spill.h"
#include "cli.h"
#include "ledger.h"
#include "log.h"
#include "ndjson.h"
#include "pgsink.h"
#include "run.h"
#include "store.h"
#include "sig.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --output: never the ledger's own stdout, which it would truncate. */
static int
open_output(const char *path)
{
	struct stat st, out;
	int fd;

	if (strcmp(path, "-") == 0 || (stat(path, &st) == 0 &&
	    fstat(STDOUT_FILENO, &out) == 0 && st.st_dev == out.st_dev &&
	    st.st_ino == out.st_ino && S_ISREG(st.st_mode)))
		cli_usage_error("--output: stdout is the ledger; give a file");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		log_error("--output: cannot create %s: %m", path);
		exit(EXIT_USAGE);
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct index_options o = { .batch_docs = 100, .batch_bytes = 10 << 20,
	    .flush_secs = 2, .concurrency = 2, .mark = true,
	    .retry = RETRY_POLICY_DEFAULT, .stop_grace = 5 };
	struct ndjson_reader *in = NULL;
	struct mark *mark = NULL;
	struct bulk *bulk = NULL;
	struct store *store = NULL;
	struct pgsink *pg = NULL;
	struct run *r = NULL;
	int status = 0, out_fd = -1;
	bool shared = false;
	char summary[1024];

	sig_prologue();
	log_init(argv[0]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	options_parse(argc, argv, &o);
	if (o.insecure)
		log_warn("--insecure: the server's TLS certificate is NOT "
		    "verified; anyone on the path can read the credentials "
		    "and the documents");
	if (o.mark && (mark = mark_open(o.db, &o.retry, &status)) == NULL)
		goto out;
	if (o.pg_url != NULL && (pg = pgsink_open(&o, &status)) == NULL)
		goto out;
	/* One database: one connection, documents and marks one commit. */
	if (pg != NULL && mark != NULL && pgsink_same_database(&o)) {
		mark_share(mark, pgsink_share(pg));
		shared = true;
	}
	if (o.output != NULL)
		out_fd = open_output(o.output);
	in = ndjson_reader_new(STDIN_FILENO, cli_max_record_bytes);
	if (in == NULL || !ledger_open()) {
		log_error("out of memory");
		status = EXIT_FATAL;
		goto out;
	}
	ndjson_reader_set_nonblocking(in, true);
	/* Long records wait on disk, their text never in memory. */
	ndjson_reader_set_spill(in, o.batch_bytes < SPILL_BYTES ?
	    o.batch_bytes : SPILL_BYTES, o.spill_dir);
	bulk = bulk_new(&o);
	r = run_new(&o, bulk, mark, in, out_fd);
	if (o.output != NULL)
		log_info("dry run: the bulk bodies go to %s; nothing is sent "
		    "to OpenSearch, stored or marked", o.output);
	else if (o.store_text &&
	    (store = store_new(&o, bulk, &status)) == NULL)
		goto out;
	run_set_store(r, store);
	if (pg != NULL)
		run_set_pgsink(r, pg, shared);
	sig_install();
	/* A dry run (--output) sends nothing, so it needs no index. */
	if (pg != NULL)
		status = pgsink_prepare(pg, o.create_index);
	else if (o.create_index)
		status = mapping_create(&o);
	else if (o.output == NULL)
		status = mapping_check(&o);
	if (status != 0)
		goto out;
	status = run_loop(r);
	if (out_fd >= 0 && close(out_fd) != 0 && status != EXIT_FATAL) {
		log_error("--output: closing %s: %m", o.output);
		status = EXIT_FATAL;
	}
	out_fd = -1;
	progress_summary(ledger_summary(o.mark, summary, sizeof summary));
out:
	if (out_fd >= 0)
		close(out_fd);
	store_free(store);
	pgsink_close(pg);
	run_free(r);
	bulk_free(bulk);
	mark_close(mark);
	ndjson_reader_free(in);
	ledger_close();
	curl_global_cleanup();
	sig_reraise();
	return status;
}
