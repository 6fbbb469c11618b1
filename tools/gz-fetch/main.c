/*
 * gz-fetch — download the file of each gazette record into a spool folder
 * (from S3-compatible storage, its file_url, or a local mirror) and pass the
 * record on with gz.file, gz.bytes and gz.fetch.
 *
 * main() follows every gz tool's steps: prologue, environment then flags,
 * storage and spool checked before the first record, signals, run, summary.
 */
#include "cli.h"
#include "config.h"
#include "fetch.h"
#include "log.h"
#include "sig.h"
#include "spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * The first line of the log says where files come from, so a run that
 * fetched from the wrong place shows it at a glance (no credential is
 * printed: lib/s3 masks the endpoint's userinfo).
 */
static void
announce(const struct fetch_options *o, char *buf, size_t size)
{
	if (o->source == SOURCE_S3)
		log_info("source: s3, %s", s3_config_describe(&o->s3, buf,
		    size));
	else if (o->source == SOURCE_DIR)
		log_info("source: dir, file_path under %s", o->dir);
	else
		log_info("source: url, each record's file_url (%s)",
		    o->source_given ? "--source url" :
		    "no STORAGE_* variable is set");
}

int
main(int argc, char **argv)
{
	struct fetch_options o = {
		.jobs = 4, .connect_timeout_ms = 10000, .stall_seconds = 30,
		.min_speed = 1024, .max_redirs = 5,
		.retry = RETRY_POLICY_DEFAULT,
	};
	const char *limit = NULL;
	char why[600], spool_default[PATH_MAX], where[600];
	struct spool *spool;
	int status;

	sig_prologue();
	log_init(argv[0]);
	fetch_options_parse(argc, argv, &o, &limit);
	o.spool_dir = spool_base_path(o.spool_dir, spool_default,
	    sizeof spool_default);
	if (o.source == SOURCE_S3 && !s3_config_load(&o.s3, why, sizeof why)) {
		log_error("--source s3: %s", why);
		status = EXIT_USAGE;
		goto out;
	}
	announce(&o, where, sizeof where);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed");
		status = EXIT_FATAL;
		goto out;
	}
	if ((spool = spool_open(o.spool_dir, fetch_spool_limit(limit), why,
	    sizeof why)) == NULL) {
		/* A full or failing disk is a runtime failure; anything else
		 * (a path that is not a folder, no permission, a spool that
		 * fails the ownership rule) is config. */
		status = errno == ENOSPC || errno == EDQUOT || errno == EIO ?
		    EXIT_FATAL : EXIT_USAGE;
		log_error("%s", why);
		curl_global_cleanup();
		goto out;
	}
	sig_install();
	status = fetch_run(&o, spool);
	spool_close(spool);
	curl_global_cleanup();
out:
	s3_config_free(&o.s3);
	free(o.dir);
	sig_reraise();
	return status;
}
