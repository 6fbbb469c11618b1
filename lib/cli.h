/*
 * cli — the options every gz tool shares, and the usage/version conventions
 * (gz's style "Options"): --help to stdout with exit 0, a usage error as one
 * line plus "Try 'gz-x --help'" on stderr with exit 2.
 *
 * Each tool appends CLI_COMMON_OPTIONS to its getopt_long table, passes
 * every option it does not know to cli_common_option(), and prints
 * cli_common_help after its own option list.
 */
#ifndef GZ_CLI_H
#define GZ_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of every tool (gz(7)). */
enum {
	EXIT_OK = 0,		/* every record this stage handled succeeded */
	EXIT_RECORDS = 1,	/* some records failed here (they carry gz.error) */
	EXIT_USAGE = 2,		/* usage or configuration error */
	EXIT_FATAL = 3		/* a required service unreachable, disk full... */
};

enum {
	CLI_OPT_QUIET = 'q',
	CLI_OPT_VERBOSE = 'v',
	CLI_OPT_HELP = 'h',
	CLI_OPT_VERSION = 'V',
	CLI_OPT_LOG_FORMAT = 1000,
	CLI_OPT_METRICS_FILE,
	CLI_OPT_METRICS_PUSH,
	CLI_OPT_PROGRESS,
	CLI_OPT_MAX_RECORD_BYTES,
	CLI_OPT_TOOL_BASE = 1100	/* tools number their own from here */
};

#define CLI_COMMON_OPTIONS \
	{ "quiet", no_argument, NULL, CLI_OPT_QUIET }, \
	{ "verbose", no_argument, NULL, CLI_OPT_VERBOSE }, \
	{ "log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT }, \
	{ "metrics-file", required_argument, NULL, CLI_OPT_METRICS_FILE }, \
	{ "metrics-push", required_argument, NULL, CLI_OPT_METRICS_PUSH }, \
	{ "progress", required_argument, NULL, CLI_OPT_PROGRESS }, \
	{ "help", no_argument, NULL, CLI_OPT_HELP }, \
	{ "version", no_argument, NULL, CLI_OPT_VERSION }

/* For tools that read records: add to the table next to the common ones. */
#define CLI_INPUT_OPTIONS \
	{ "max-record-bytes", required_argument, NULL, \
	    CLI_OPT_MAX_RECORD_BYTES }

extern const char cli_common_help[];
extern const char cli_input_help[];

/* Set by cli_common_option(); defaults as documented in cli_common_help. */
extern size_t cli_max_record_bytes;

/*
 * Handles a shared option.  Returns true when opt was one of them;
 * exits for --help (after calling help()), --version and bad values.
 */
bool cli_common_option(int opt, char *arg, void (*help)(void));
/* Prints "prog: message" and the --help hint to stderr, then exit(2). */
void cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void cli_version(void) __attribute__((noreturn));

/* Strict option value parsers that end in cli_usage_error on bad input. */
long long cli_number(const char *option, const char *arg, long long min,
    long long max);
/* A calendar date YYYY-MM-DD (returns arg), else a usage error. */
const char *cli_date(const char *option, const char *arg);
unsigned long long cli_size(const char *option, const char *arg);
double cli_duration(const char *option, const char *arg);
/* A duration from min to max seconds, both included. */
double cli_duration_between(const char *option, const char *arg, double min,
    double max);
/*
 * The number in the environment variable name (fallback when unset or
 * empty), from min to max; a bad value is a usage error naming name.
 */
long long cli_env_number(const char *name, const char *fallback,
    long long min, long long max);

#endif
