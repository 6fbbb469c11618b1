/*
 * options — gz-search's command line and environment (gz-search(1)).
 */
#include "search.h"
#include "cli.h"
#include "config.h"
#include "pgdocs.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_URL = CLI_OPT_TOOL_BASE, OPT_DB, OPT_INDEX, OPT_TERRITORY,
	OPT_STATE, OPT_SINCE, OPT_UNTIL, OPT_LIMIT, OPT_FORMAT
};

/* A search prints no metrics and reads no records: the log options only. */
static const struct option long_options[] = {
	{ "url", required_argument, NULL, OPT_URL },
	{ "db", required_argument, NULL, OPT_DB },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "territory", required_argument, NULL, OPT_TERRITORY },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "quiet", no_argument, NULL, CLI_OPT_QUIET },
	{ "verbose", no_argument, NULL, CLI_OPT_VERBOSE },
	{ "log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, CLI_OPT_HELP },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf(
"Usage: gz-search [OPTION]... QUERY...\n"
"Search the gazettes gz-index wrote into PostgreSQL and print the best\n"
"matches first: as NDJSON, or as a readable list on a terminal.\n"
"\n"
"Query (the words are joined by spaces):\n"
"  merenda escolar        both words, in any form: accents are ignored and\n"
"                         words compared by their Portuguese stem, singular\n"
"                         and plural alike (licitacoes finds licitação)\n"
"  \"merenda escolar\"      these words together, in this order\n"
"  -obra                  without this word (or -\"quoted words\")\n"
"  pregão or leilão       either side of the or\n"
"\n"
"Filters:\n"
"      --territory=ID|NAME  only this IBGE territory id, or municipality\n"
"                         name, accents and case aside (repeatable)\n"
"      --state=UF         only this state code, e.g. AL\n"
"      --since=DATE       only gazettes dated DATE (YYYY-MM-DD) or later\n"
"      --until=DATE       only gazettes dated DATE or earlier\n"
"      --limit=N          at most N hits (default 20, at most 10000)\n"
"\n"
"Where:\n"
"      --url=URL          postgresql://... (any libpq URI), or postgresql:\n"
"                         for the gazettes' own database (default)\n"
"      --db=CONNINFO      that database, with postgresql: (default\n"
"                         $DATABASE_URL, then $POSTGRES_HOST/PORT/DB/USER/\n"
"                         PASSWORD, then libpq's PG* variables)\n"
"      --index=NAME       the index gz-index wrote (default $OPENSEARCH_INDEX\n"
"                         or querido-diario): table NAME with - read as _\n"
"\n"
"Output:\n"
"      --format=FMT       json (one hit per line) or text; default text on\n"
"                         a terminal, json otherwise\n"
"  -q, --quiet              errors only\n"
"  -v, --verbose            also print the statement's plan and timing\n"
"      --log-format=FMT     text (default) or json, one object per line\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print versions and exit\n"
"\n"
"Exit status: 0 hits found, 1 no hit, 2 usage or configuration error\n"
"(no index table too), 3 database unreachable or failing.\n"
"See gz-search(1).\n");
}

/* Adds a --territory value to the newline-separated list. */
static void
territory_arg(struct search_options *o, const char *arg)
{
	size_t had = o->territories ? strlen(o->territories) : 0;
	char *list;

	if (*arg == '\0' || strchr(arg, '\n') != NULL)
		cli_usage_error("--territory: '%s' is not an id or a name",
		    arg);
	list = xrealloc(o->territories, had + strlen(arg) + 2);
	if (had > 0)
		list[had++] = '\n';
	memcpy(list + had, arg, strlen(arg) + 1);
	o->territories = list;
}

static const char *
state_arg(const char *arg)
{
	static char uf[3];

	if (strlen(arg) != 2 || !isalpha((unsigned char)arg[0]) ||
	    !isalpha((unsigned char)arg[1]))
		cli_usage_error("--state: '%s' is not a state code like AL",
		    arg);
	uf[0] = (char)toupper((unsigned char)arg[0]);
	uf[1] = (char)toupper((unsigned char)arg[1]);
	return uf;
}

/* The words after the options, joined by single spaces. */
static const char *
join_query(int argc, char **argv, int first)
{
	size_t len = 0, at = 0;
	char *q;
	int i;

	for (i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	q = xmalloc(len + 1);
	for (i = first; i < argc; i++)
		at += (size_t)snprintf(q + at, len + 1 - at, "%s%s",
		    i > first ? " " : "", argv[i]);
	return q;
}

/*
 * -word excludes a word, but getopt would take it for options: a word
 * after a single dash that is not made of gz-search's own letters gets a
 * leading space, which makes it an operand to getopt (that keeps operands
 * in their order) and nothing to the query's reader.
 */
static void
protect_exclusions(int argc, char **argv)
{
	char *spaced;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return;
		if (argv[i][0] != '-' || argv[i][1] == '-' ||
		    argv[i][1] == '\0' ||
		    strspn(argv[i] + 1, "qvhV") == strlen(argv[i] + 1))
			continue;
		spaced = xmalloc(strlen(argv[i]) + 2);
		snprintf(spaced, strlen(argv[i]) + 2, " %s", argv[i]);
		argv[i] = spaced;
	}
}

void
search_parse_options(int argc, char **argv, struct search_options *o)
{
	const char *index = NULL, *format = NULL;
	int opt;

	o->limit = 20;
	protect_exclusions(argc, argv);
	while ((opt = getopt_long(argc, argv, "qvhV", long_options,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_URL: o->url = config_secret_arg(optarg); break;
		case OPT_DB: o->db = config_secret_arg(optarg); break;
		case OPT_INDEX: index = optarg; break;
		case OPT_TERRITORY: territory_arg(o, optarg); break;
		case OPT_STATE: o->state = state_arg(optarg); break;
		case OPT_SINCE: o->since = cli_date("since", optarg); break;
		case OPT_UNTIL: o->until = cli_date("until", optarg); break;
		case OPT_LIMIT:
			o->limit = (long)cli_number("limit", optarg, 1, 10000);
			break;
		case OPT_FORMAT: format = optarg; break;
		default:
			cli_common_option(opt, optarg, help);
		}
	}
	if (optind == argc)
		cli_usage_error("no query: give the words to search for");
	o->query = join_query(argc, argv, optind);
	if (o->since != NULL && o->until != NULL &&
	    strcmp(o->since, o->until) > 0)
		cli_usage_error("--since %s is after --until %s", o->since,
		    o->until);
	if (format == NULL)
		o->format = FORMAT_AUTO;
	else if (strcmp(format, "json") == 0)
		o->format = FORMAT_JSON;
	else if (strcmp(format, "text") == 0)
		o->format = FORMAT_TEXT;
	else
		cli_usage_error("--format: '%s' is neither json nor text",
		    format);
	if (o->url == NULL)
		o->url = "postgresql:";
	if (strncmp(o->url, "http://", 7) == 0 ||
	    strncmp(o->url, "https://", 8) == 0)
		cli_usage_error("--url: gz-search reads the PostgreSQL index "
		    "(postgresql://... or postgresql:); an OpenSearch cluster "
		    "has its own search API");
	if (strcmp(o->url, "postgresql:") != 0 &&
	    strcmp(o->url, "postgres:") != 0 &&
	    strncmp(o->url, "postgresql://", 13) != 0 &&
	    strncmp(o->url, "postgres://", 11) != 0)
		cli_usage_error("--url: not a postgresql:// URI or postgresql:");
	if (o->db != NULL && strncmp(o->url, "postgres", 8) == 0 &&
	    strchr(o->url, '/') != NULL)
		cli_usage_error("--db is for --url postgresql:, not with a "
		    "database in --url");
	o->index = config_pick(index, "OPENSEARCH_INDEX", "querido-diario");
	if (!pgdocs_table_name(o->index, o->table, sizeof o->table))
		cli_usage_error("--index: '%s' cannot name a table (lower-case "
		    "letters, digits, - and _, at most 63)", o->index);
}
