/*
 * options — gz-fetch's command line: the option table, --help, and the
 * checks on each value (main.c's steps 2 and 3 start here).
 */
#include "cli.h"
#include "config.h"
#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_SOURCE = CLI_OPT_TOOL_BASE, OPT_SPOOL, OPT_JOBS, OPT_MAX_SIZE,
	OPT_SPOOL_LIMIT, OPT_CONNECT_TIMEOUT, OPT_STALL_TIMEOUT, OPT_MIN_SPEED,
	OPT_MAX_REDIRS, OPT_RETRIES
};

static const struct option long_options[] = {
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "spool-limit", required_argument, NULL, OPT_SPOOL_LIMIT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
	{ "min-speed", required_argument, NULL, OPT_MIN_SPEED },
	{ "max-redirs", required_argument, NULL, OPT_MAX_REDIRS },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	CLI_INPUT_OPTIONS,
	CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf(
"Usage: gz-fetch [OPTION]...\n"
"Read gazette records, download each one's file into the spool folder and\n"
"write the record with gz.file (its absolute path), gz.bytes and gz.fetch.\n"
"Records leave as their downloads finish; failed ones carry gz.error.\n"
"\n"
"Source:\n"
"      --source=SOURCE    s3 (file_path in $STORAGE_BUCKET), url (file_url),\n"
"                         or dir:PATH (file_path under a local mirror);\n"
"                         default s3 when $STORAGE_BUCKET is set, url\n"
"                         when no STORAGE_* variable is (other STORAGE_*\n"
"                         settings without a bucket are an error)\n"
"      --jobs=N           downloads in flight at once (4)\n"
"      --retries=N        attempts per file, the first included (5)\n"
"      --connect-timeout=DURATION  give up connecting after this (10s)\n"
"      --stall-timeout=DURATION    abort a transfer slower than\n"
"                         --min-speed for this long (30s)\n"
"      --min-speed=SIZE   bytes per second (1K)\n"
"      --max-redirs=N     redirects followed for file_url (5)\n"
"\n"
"Files:\n"
"      --spool=DIR        the spool: each run writes into a folder of its\n"
"                         own there (default $GZ_SPOOL, else\n"
"                         $TMPDIR/gz-spool-UID; it must be yours and\n"
"                         writable by you only)\n"
"      --max-size=SIZE    largest file, in MB or with a unit (K, M, G);\n"
"                         default $MAX_GAZETTE_FILE_SIZE_MB or 500\n"
"      --spool-limit=SIZE admit no new download while the finished files\n"
"                         not yet deleted downstream add up to SIZE; 0\n"
"                         turns it off (default 1G when stdout is a pipe,\n"
"                         else 0)\n"
"\n"
"Input:\n");
	fputs(cli_input_help, stdout);
	printf("\n");
	fputs(cli_common_help, stdout);
	printf(
"\n"
"Exit status: 0 every file fetched, 1 some records failed here (they\n"
"carry gz.error), 2 usage or configuration error, 3 fatal (disk full,\n"
"storage unreachable, stdout failed).\n"
"See gz-fetch(1).\n");
}

/* "500" is megabytes (MAX_GAZETTE_FILE_SIZE_MB's unit); "64K" has its own. */
static uint64_t
size_mb(const char *what, const char *arg)
{
	unsigned long long v;
	char *end;
	double mb;

	if (arg[strspn(arg, "0123456789.")] != '\0')
		v = cli_size(what, arg);
	else {
		mb = strtod(arg, &end);
		if (*end != '\0' || end == arg || mb > 1e9)
			cli_usage_error("%s: '%s' is not a size", what, arg);
		v = (unsigned long long)(mb * 1048576.0);
	}
	if (v == 0)
		cli_usage_error("%s: must be more than 0", what);
	return v;
}

static void
source_arg(struct fetch_options *o, const char *arg)
{
	if (strcmp(arg, "s3") == 0)
		o->source = SOURCE_S3;
	else if (strcmp(arg, "url") == 0)
		o->source = SOURCE_URL;
	else if (strncmp(arg, "dir:", 4) == 0) {
		o->source = SOURCE_DIR;
		free(o->dir);
		if ((o->dir = source_mirror(arg + 4)) == NULL)
			cli_usage_error("--source: %s is not a folder", arg + 4);
	} else
		cli_usage_error("--source: '%s' is not s3, url or dir:PATH", arg);
}

/*
 * Without --source: s3 when STORAGE_BUCKET is set, url when no STORAGE_*
 * variable is.  Storage settings without a bucket are ambiguous (a bucket
 * lost from a secret would turn the run into downloads from wherever each
 * file_url points, which the system gz replaces never did): exit 2.
 */
static const char *
default_source(void)
{
	static const char *const storage[] = {
		"STORAGE_ENDPOINT", "STORAGE_REGION", "STORAGE_ACCESS_KEY",
		"STORAGE_ACCESS_SECRET", "STORAGE_SESSION_TOKEN",
		"STORAGE_ADDRESSING"
	};
	size_t i;

	if (config_pick(NULL, "STORAGE_BUCKET", NULL) != NULL)
		return "s3";
	for (i = 0; i < sizeof storage / sizeof storage[0]; i++)
		if (config_pick(NULL, storage[i], NULL) != NULL) {
			cli_usage_error("%s is set but STORAGE_BUCKET is not: "
			    "set STORAGE_BUCKET to fetch from the storage, or "
			    "give --source url to download each record's "
			    "file_url", storage[i]);
		}
	return "url";
}

static long
seconds_arg(const char *what, const char *arg)
{
	double s = cli_duration(what, arg);

	if (s < 0.001 || s > 86400)
		cli_usage_error("--%s: from 1ms to 24h", what);
	return (long)(s * 1000);
}

void
fetch_options_parse(int argc, char **argv, struct fetch_options *o,
    const char **spool_limit)
{
	const char *source = NULL, *max_size = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "qvhV", long_options,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_SOURCE: source = optarg; break;
		case OPT_SPOOL: o->spool_dir = optarg; break;
		case OPT_MAX_SIZE: max_size = optarg; break;
		case OPT_SPOOL_LIMIT: *spool_limit = optarg; break;
		case OPT_JOBS:
			o->jobs = (int)cli_number("jobs", optarg, 1, 1024);
			break;
		case OPT_RETRIES:
			o->retry.max_attempts = (int)cli_number("retries",
			    optarg, 1, 100);
			break;
		case OPT_CONNECT_TIMEOUT:
			o->connect_timeout_ms = seconds_arg("connect-timeout",
			    optarg);
			break;
		case OPT_STALL_TIMEOUT:
			/* curl counts whole seconds. */
			o->stall_seconds = (seconds_arg("stall-timeout",
			    optarg) + 999) / 1000;
			break;
		case OPT_MIN_SPEED:
			o->min_speed = (long)cli_size("min-speed", optarg);
			if (o->min_speed < 1)
				cli_usage_error("--min-speed: at least 1");
			break;
		case OPT_MAX_REDIRS:
			o->max_redirs = (long)cli_number("max-redirs", optarg,
			    0, 50);
			break;
		default:
			cli_common_option(opt, optarg, help);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	o->max_size = size_mb(max_size != NULL ? "--max-size" :
	    "MAX_GAZETTE_FILE_SIZE_MB", config_pick(max_size,
	    "MAX_GAZETTE_FILE_SIZE_MB", "500"));
	if (source == NULL)
		source = default_source();
	else
		o->source_given = true;
	source_arg(o, source);
}

/* --spool-limit's default: a pipe has a reader that deletes files, a file
 * or a terminal does not (and waiting for it would never end). */
uint64_t
fetch_spool_limit(const char *arg)
{
	struct stat st;

	if (arg != NULL)
		return strcmp(arg, "0") == 0 ? 0 : cli_size("spool-limit", arg);
	if (fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode)))
		return 1ULL << 30;
	return 0;
}
