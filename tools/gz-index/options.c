/*
 * options — gz-index's command line and environment (gz(7)
 * "Configuration"): flags win over variables.
 */
#include "options.h"
#include "cli.h"
#include "config.h"

#include <stdio.h>
#include <string.h>

enum {
	OPT_URL = CLI_OPT_TOOL_BASE, OPT_INDEX, OPT_CACERT, OPT_INSECURE,
	OPT_OUTPUT, OPT_BATCH_DOCS, OPT_BATCH_BYTES, OPT_FLUSH_MS,
	OPT_CONCURRENCY, OPT_GZIP, OPT_NO_MARK, OPT_CREATE_INDEX,
	OPT_STORE_TEXT, OPT_DB, OPT_RETRIES
};

static const struct option long_options[] = {
	{ "url", required_argument, NULL, OPT_URL },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "batch-docs", required_argument, NULL, OPT_BATCH_DOCS },
	{ "batch-bytes", required_argument, NULL, OPT_BATCH_BYTES },
	{ "flush-ms", required_argument, NULL, OPT_FLUSH_MS },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "gzip", no_argument, NULL, OPT_GZIP },
	{ "no-mark", no_argument, NULL, OPT_NO_MARK },
	{ "create-index", no_argument, NULL, OPT_CREATE_INDEX },
	{ "store-text", no_argument, NULL, OPT_STORE_TEXT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	CLI_COMMON_OPTIONS,
	CLI_INPUT_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf(
"Usage: gz-index [OPTION]...\n"
"Read records on stdin, index them into OpenSearch with the _bulk API,\n"
"mark their gazettes processed in PostgreSQL once acknowledged, and write\n"
"the ledger (each record without source_text, plus gz.index or gz.error).\n"
"\n"
"OpenSearch:\n"
"      --url=URL          OpenSearch cluster address (default\n"
"                         $OPENSEARCH_HOST; user and password from\n"
"                         $OPENSEARCH_USER/PASSWORD), or postgresql://...\n"
"                         for a table in that database, or postgresql: for\n"
"                         a table in the gazettes' own (the default when\n"
"                         $OPENSEARCH_HOST is unset)\n"
"      --index=NAME       index (default $OPENSEARCH_INDEX or querido-diario);\n"
"                         in PostgreSQL the table NAME, - read as _\n"
"      --create-index     create the index with the gazettes mapping first\n"
"                         (in PostgreSQL: the table, its full-text search\n"
"                         configuration and indexes)\n"
"      --cacert=FILE      CA certificates to verify the server with\n"
"      --insecure         do not verify the server's certificate (unsafe)\n"
"      --output=FILE      dry run: write the _bulk body to FILE instead of\n"
"                         sending it; nothing is stored or marked\n"
"\n"
"Batching:\n"
"      --batch-docs=N     documents per request (100)\n"
"      --batch-bytes=SIZE bytes per request (10M); a bigger document goes\n"
"                         alone (texts over 1 MiB wait on disk, $TMPDIR)\n"
"      --flush-ms=MS      send a batch MS after its first document (2000)\n"
"      --concurrency=N    requests in flight (2)\n"
"      --gzip             compress request bodies\n"
"      --retries=N        attempts per request and per item (5)\n"
"\n"
"Text and database:\n"
"      --store-text       upload source_text as a .txt next to the file\n"
"                         (STORAGE_*) and set url and file_raw_txt\n"
"      --db=CONNINFO      database to mark in (default $DATABASE_URL, then\n"
"                         $POSTGRES_*, then libpq's PG* variables)\n"
"      --no-mark          do not mark gazettes processed\n"
"\n");
	fputs(cli_common_help, stdout);
	fputs(cli_input_help, stdout);
	printf(
"\n"
"Exit status: 0 all indexed, 1 some records failed (gz.error), 2 usage or\n"
"configuration error (database unreachable at start, credentials refused),\n"
"3 OpenSearch or the database unavailable past the retries.\n"
"See gz-index(1).\n");
}

/* "host:9200" → "http://host:9200" (as opensearch-py reads it); no final /. */
static const char *
base_url(const char *url)
{
	static char buf[2048];
	size_t len;

	snprintf(buf, sizeof buf, "%s%s", strstr(url, "://") ? "" : "http://",
	    url);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '/')
		buf[--len] = '\0';
	if (strncmp(buf, "http://", 7) != 0 && strncmp(buf, "https://", 8))
		cli_usage_error("--url: '%s' is neither http nor https",
		    config_redact(url, buf, sizeof buf));
	return buf;
}

/* Index names are lowercase and shell- and URL-safe (OpenSearch's index API). */
static void
check_index(const char *name)
{
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.+-") !=
	    strlen(name) || *name == '\0' || strchr("_.+-", *name) != NULL)
		cli_usage_error("--index: '%s' is not a valid index name", name);
}

static bool
is_postgresql(const char *url)
{
	return strncmp(url, "postgresql:", 11) == 0 ||
	    strncmp(url, "postgres:", 9) == 0;
}

/* --url postgresql://... or postgresql: (the gazettes' database). */
static void
pg_url_arg(const char *url, struct index_options *o)
{
	if (strchr(url, '/') == NULL && strcmp(url, "postgresql:") != 0 &&
	    strcmp(url, "postgres:") != 0)
		cli_usage_error("--url: a PostgreSQL destination is "
		    "postgresql://... (a libpq URI) or postgresql: alone");
	if (strchr(url, '/') != NULL && o->db != NULL)
		cli_usage_error("--db is for --url postgresql:, not with a "
		    "database in --url");
	if (o->gzip)
		cli_usage_error("--gzip compresses requests to OpenSearch; "
		    "PostgreSQL takes none");
	o->pg_url = url;
}

/*
 * Flags that cannot both mean something: a usage error naming both, rather
 * than one of them silently ignored.  --db names the database to mark in
 * (and, with --url postgresql:, the documents' too).
 */
static void
check_conflicts(const struct index_options *o)
{
	if (o->db != NULL && o->output != NULL)
		cli_usage_error("--db with --output: a dry run marks nothing "
		    "and stores nothing in a database");
	if (o->db != NULL && !o->mark && o->pg_url == NULL)
		cli_usage_error("--db with --no-mark: --db names the database "
		    "to mark in, and --no-mark marks nothing");
}

void
options_parse(int argc, char **argv, struct index_options *o)
{
	const char *url = NULL, *index = NULL, *rel;
	int opt;

	while ((opt = getopt_long(argc, argv, "qvhV", long_options,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_URL: url = config_secret_arg(optarg); break;
		case OPT_INDEX: index = optarg; break;
		case OPT_CACERT: o->cacert = optarg; break;
		case OPT_INSECURE: o->insecure = true; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_GZIP: o->gzip = true; break;
		case OPT_NO_MARK: o->mark = false; break;
		case OPT_CREATE_INDEX: o->create_index = true; break;
		case OPT_STORE_TEXT: o->store_text = true; break;
		case OPT_DB: o->db = config_secret_arg(optarg); break;
		case OPT_BATCH_DOCS:
			o->batch_docs = (size_t)cli_number("batch-docs",
			    optarg, 1, 1000000);
			break;
		case OPT_BATCH_BYTES:
			o->batch_bytes = cli_size("batch-bytes", optarg);
			if (o->batch_bytes < 1024)
				cli_usage_error("--batch-bytes: at least 1K");
			break;
		case OPT_FLUSH_MS:
			o->flush_secs = cli_number("flush-ms", optarg, 0,
			    3600000) / 1000.0;
			break;
		case OPT_CONCURRENCY:
			o->concurrency = (int)cli_number("concurrency", optarg,
			    1, 64);
			break;
		case OPT_RETRIES:
			o->retry.max_attempts = (int)cli_number("retries",
			    optarg, 1, 100);
			break;
		default:
			cli_common_option(opt, optarg, help);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	o->index = config_pick(index, "OPENSEARCH_INDEX", "querido-diario");
	check_index(o->index);
	/* With neither, the gazettes' own database holds the documents. */
	url = config_pick(url, "OPENSEARCH_HOST", "postgresql:");
	if (!is_postgresql(url))
		o->url = base_url(url);
	else if (o->output == NULL)	/* a dry run writes nowhere else */
		pg_url_arg(url, o);
	if (o->output != NULL && o->create_index)
		cli_usage_error("--create-index needs a cluster, not --output");
	check_conflicts(o);
	/* A dry run changes nothing: no database, no .txt uploads. */
	if (o->output != NULL)
		o->mark = false;
	o->user = config_pick(NULL, "OPENSEARCH_USER", NULL);
	o->password = config_pick(NULL, "OPENSEARCH_PASSWORD", NULL);
	o->files_endpoint = config_pick(NULL, "QUERIDO_DIARIO_FILES_ENDPOINT",
	    NULL);
	/* Its links go into every document and the ledger: public text. */
	if (o->files_endpoint != NULL &&
	    config_secret_spans(o->files_endpoint, NULL, 0) > 0) {
		char shown[512];

		cli_usage_error("QUERIDO_DIARIO_FILES_ENDPOINT %s carries "
		    "credentials, which every document would publish",
		    config_redact(o->files_endpoint, shown, sizeof shown));
	}
	o->spill_dir = config_pick(NULL, "TMPDIR", "/tmp");
	rel = config_pick(NULL, "USE_RELATIVE_FILE_PATHS", "false");
	if (!config_parse_bool(rel, &o->relative_paths))
		cli_usage_error("USE_RELATIVE_FILE_PATHS: '%s' is not a "
		    "boolean", rel);
	/* The system gz replaces fails here rather than index documents
	 * whose links are bare keys nobody asked for. */
	if (o->store_text && !o->relative_paths && o->files_endpoint == NULL)
		cli_usage_error("--store-text links each document to its files: "
		    "set QUERIDO_DIARIO_FILES_ENDPOINT to their public URL, or "
		    "USE_RELATIVE_FILE_PATHS=true for bare keys");
}
