/*
 * cli — see cli.h.
 */
#include "cli.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "ndjson.h"
#include "version.h"

#include <ctype.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char cli_common_help[] =
"Common options:\n"
"  -q, --quiet              errors only: no warnings, progress or summary\n"
"  -v, --verbose            also print per-record details\n"
"      --log-format=FMT     text (default) or json, one object per line\n"
"      --progress=SECONDS   progress line interval; 0 turns it off (5)\n"
"      --metrics-file=PATH  write Prometheus metrics to PATH (atomically)\n"
"      --metrics-push=URL   push the same metrics to a Pushgateway\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print versions and exit\n";

const char cli_input_help[] =
"      --max-record-bytes=SIZE  longest input line accepted; longer ones\n"
"                           are skipped as errors (default 64M)\n";

size_t cli_max_record_bytes = NDJSON_DEFAULT_MAX_RECORD_BYTES;

void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", log_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n",
	    log_progname());
	exit(EXIT_USAGE);
}

void
cli_version(void)
{
	int pq = PQlibVersion();

	printf("%s %s\n", log_progname(), gz_version);
	printf("%s\n", curl_version());
	printf("libpq %d.%d\n", pq / 10000, pq % 10000);
	printf("jq %s\n", "1.6 (libjq jv)");
	exit(EXIT_OK);
}

long long
cli_number(const char *option, const char *arg, long long min, long long max)
{
	long long v;

	if (!config_parse_ll(arg, min, max, &v))
		cli_usage_error("--%s: '%s' is not a whole number from %lld "
		    "to %lld", option, arg, min, max);
	return v;
}

/*
 * A real calendar date, YYYY-MM-DD, year 1 or later: checked before
 * connecting, so that 2024-02-30 is a usage error (exit 2), not a failed
 * query (exit 3, "rerun later", which no rerun would fix).
 */
const char *
cli_date(const char *option, const char *arg)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int i, year, month, day, last;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? arg[i] != '-' :
		    !isdigit((unsigned char)arg[i]))
			cli_usage_error("--%s: '%s' is not a date (YYYY-MM-DD)",
			    option, arg);
	if (arg[10] != '\0')
		cli_usage_error("--%s: '%s' is not a date (YYYY-MM-DD)",
		    option, arg);
	year = (arg[0] - '0') * 1000 + (arg[1] - '0') * 100 +
	    (arg[2] - '0') * 10 + (arg[3] - '0');
	month = (arg[5] - '0') * 10 + (arg[6] - '0');
	day = (arg[8] - '0') * 10 + (arg[9] - '0');
	if (year < 1 || month < 1 || month > 12)
		cli_usage_error("--%s: '%s' is not a date on the calendar",
		    option, arg);
	last = days[month - 1] + (month == 2 && year % 4 == 0 &&
	    (year % 100 != 0 || year % 400 == 0));
	if (day < 1 || day > last)
		cli_usage_error("--%s: '%s' is not a date on the calendar",
		    option, arg);
	return arg;
}

unsigned long long
cli_size(const char *option, const char *arg)
{
	unsigned long long v;

	if (!config_parse_size(arg, &v))
		cli_usage_error("--%s: '%s' is not a size (e.g. 512K, 10M, 1G)",
		    option, arg);
	return v;
}

double
cli_duration(const char *option, const char *arg)
{
	double v;

	if (!config_parse_duration(arg, &v))
		cli_usage_error("--%s: '%s' is not a duration (e.g. 300, 2000ms, "
		    "30m)", option, arg);
	return v;
}

double
cli_duration_between(const char *option, const char *arg, double min,
    double max)
{
	double v = cli_duration(option, arg);

	if (v < min || v > max)
		cli_usage_error("--%s: '%s' is outside %g to %g seconds", option,
		    arg, min, max);
	return v;
}

long long
cli_env_number(const char *name, const char *fallback, long long min,
    long long max)
{
	const char *arg = config_pick(NULL, name, fallback);
	long long v;

	if (!config_parse_ll(arg, min, max, &v))
		cli_usage_error("%s: '%s' is not a whole number from %lld to "
		    "%lld", name, arg, min, max);
	return v;
}

bool
cli_common_option(int opt, char *arg, void (*help)(void))
{
	static const char *metrics_file, *metrics_push;

	switch (opt) {
	case CLI_OPT_QUIET:
		log_set_level(LOG_LEVEL_ERROR);
		return true;
	case CLI_OPT_VERBOSE:
		log_set_level(LOG_LEVEL_DEBUG);
		return true;
	case CLI_OPT_LOG_FORMAT:
		if (!log_set_format(arg))
			cli_usage_error("--log-format: '%s' is neither text "
			    "nor json", arg);
		return true;
	case CLI_OPT_METRICS_FILE:
		metrics_file = arg;
		metrics_configure(metrics_file, metrics_push);
		return true;
	case CLI_OPT_METRICS_PUSH:
		metrics_push = config_secret_arg(arg);
		metrics_configure(metrics_file, metrics_push);
		return true;
	case CLI_OPT_PROGRESS:
		progress_set_interval(cli_duration("progress", arg));
		return true;
	case CLI_OPT_MAX_RECORD_BYTES:
		cli_max_record_bytes = cli_size("max-record-bytes", arg);
		if (cli_max_record_bytes < 1024)
			cli_usage_error("--max-record-bytes: at least 1K");
		return true;
	case CLI_OPT_HELP:
		help();
		exit(EXIT_OK);
	case CLI_OPT_VERSION:
		cli_version();
	case '?':
		fprintf(stderr, "Try '%s --help' for more information.\n",
		    log_progname());
		exit(EXIT_USAGE);
	}
	return false;
}
