/*
 * options — gz-index's settings: the flags, then the environment (gz(7)
 * "Configuration"), parsed once by options.c and read-only afterwards.
 */
#ifndef GZ_INDEX_OPTIONS_H
#define GZ_INDEX_OPTIONS_H

#include "retry.h"

#include <stdbool.h>
#include <stddef.h>

struct index_options {
	const char *url;	/* OpenSearch base URL, no trailing slash */
	const char *pg_url;	/* or PostgreSQL: a URI, or "postgresql:" for
				   the gazettes' database (--db) */
	const char *index;
	const char *user;	/* basic auth, or NULL */
	const char *password;
	const char *cacert;
	bool insecure;
	const char *output;	/* --output FILE: a dry run, nothing sent,
				   stored or marked */
	size_t batch_docs;
	size_t batch_bytes;
	double flush_secs;
	int concurrency;
	bool gzip;
	bool mark;
	bool create_index;
	bool store_text;	/* links; and uploads, unless --output */
	const char *db;		/* --db, or NULL */
	const char *files_endpoint;	/* QUERIDO_DIARIO_FILES_ENDPOINT */
	bool relative_paths;	/* USE_RELATIVE_FILE_PATHS */
	struct retry_policy retry;
	double stop_grace;	/* seconds to finish in-flight work on a stop */
	const char *spill_dir;	/* $TMPDIR: long records and their gzip */
};

/* Flags, then the environment; exits 2 on a usage error. */
void options_parse(int argc, char **argv, struct index_options *o);

#endif
