/*
 * gz-list — stream the gazettes to process from PostgreSQL as NDJSON.
 *
 * main() follows every gz tool's steps: prologue, environment then flags,
 * validate and connect before the first record, signals, run, check stdout.
 */
#include "claim.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "list.h"
#include "log.h"
#include "sig.h"
#include "xalloc.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum {
	OPT_DB = CLI_OPT_TOOL_BASE, OPT_MODE, OPT_SINCE, OPT_UNTIL,
	OPT_TERRITORY, OPT_STATE, OPT_ID, OPT_LIMIT, OPT_PAGE_SIZE, OPT_COUNT,
	OPT_RETRIES, OPT_SHARD, OPT_CLAIM, OPT_WORKER, OPT_LEASE, OPT_INIT,
	OPT_CLAIMS
};

static const struct option long_options[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "territory", required_argument, NULL, OPT_TERRITORY },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "id", required_argument, NULL, OPT_ID },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "count", no_argument, NULL, OPT_COUNT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "claim", no_argument, NULL, OPT_CLAIM },
	{ "worker", required_argument, NULL, OPT_WORKER },
	{ "lease", required_argument, NULL, OPT_LEASE },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "claims", no_argument, NULL, OPT_CLAIMS },
	CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf(
"Usage: gz-list [OPTION]...\n"
"Write one NDJSON record per gazette to process, newest first, read from\n"
"PostgreSQL in keyset pages (never OFFSET, so rows marked processed during\n"
"the run cannot make it skip any).\n"
"\n"
"Selection:\n"
"      --mode=MODE        daily (scraped in the last day), all, or\n"
"                         unprocessed; default $EXECUTION_MODE or daily\n"
"      --since=DATE       only gazettes dated DATE (YYYY-MM-DD) or later\n"
"      --until=DATE       only gazettes dated DATE or earlier\n"
"      --territory=ID     only this IBGE territory id (repeatable)\n"
"      --state=UF         only this state code, e.g. SP\n"
"      --id=N             only this gazette id (repeatable)\n"
"      --limit=N          stop after N records\n"
"      --count            print how many records the listing would give\n"
"      --shard=K/N        only ids with id %% N = K (static fan-out, e.g.\n"
"                         K = $JOB_COMPLETION_INDEX of a Kubernetes Job)\n"
"\n"
"Sharing one backlog between workers (see gz-list(1), CLAIMS):\n"
"      --claim            claim pages with leases instead of reading them;\n"
"                         only unprocessed gazettes are handed out\n"
"      --worker=NAME      this worker's name in the claims (default host:pid)\n"
"      --lease=DURATION   how long a claim lasts unless renewed (30m)\n"
"      --init             create the claims tables and exit\n"
"      --claims           print who holds what, how old, what expired\n"
"\n"
"Database:\n"
"      --db=CONNINFO      key=value string or postgresql:// URI; default\n"
"                         $DATABASE_URL, then $POSTGRES_HOST/PORT/DB/USER/\n"
"                         PASSWORD, then libpq's PG* variables\n"
"      --page-size=N      rows per query (default $GAZETTE_QUERY_PAGE_SIZE\n"
"                         or 1000)\n"
"      --retries=N        attempts for a lost connection (default 5)\n"
"\n");
	fputs(cli_common_help, stdout);
	printf(
"\n"
"Exit status: 0 listed, 2 usage or configuration error (bad password too),\n"
"3 database unreachable after retries or schema missing.\n"
"See gz-list(1).\n");
}

/*
 * Sets o->mode (the query's spelling) and o->mode_name (the users').
 * source names where arg came from, for the message.
 */
static void
mode_arg(const char *source, const char *arg, struct list_options *o)
{
	static const char *modes[][2] = { { "DAILY", "daily" },
	    { "ALL", "all" }, { "UNPROCESSED", "unprocessed" } };
	size_t i;

	for (i = 0; i < 3; i++)
		if (strcasecmp(arg, modes[i][0]) == 0) {
			o->mode = modes[i][0];
			o->mode_name = modes[i][1];
			return;
		}
	cli_usage_error("%s: mode '%s' is not daily, all or unprocessed",
	    source, arg);
}

/* --shard K/N: 0 <= K < N. */
static void
shard_arg(const char *arg, struct list_options *o)
{
	const char *slash = strchr(arg, '/');
	char k[32];

	if (slash == NULL || (size_t)(slash - arg) >= sizeof k)
		cli_usage_error("--shard: '%s' is not K/N", arg);
	memcpy(k, arg, (size_t)(slash - arg));
	k[slash - arg] = '\0';
	o->shard_count = (int)cli_number("shard (N)", slash + 1, 1, 1000000);
	o->shard_index = (int)cli_number("shard (K)", k, 0,
	    o->shard_count - 1);
}

static void
parse_options(int argc, char **argv, struct list_options *o,
    const char **db, int *action)
{
	const char *mode = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "qvhV", long_options,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_DB: *db = config_secret_arg(optarg); break;
		case OPT_MODE: mode = optarg; break;
		case OPT_SINCE: o->since = cli_date("since", optarg); break;
		case OPT_UNTIL: o->until = cli_date("until", optarg); break;
		case OPT_STATE: o->state = optarg; break;
		case OPT_COUNT: *action = OPT_COUNT; break;
		case OPT_INIT: *action = OPT_INIT; break;
		case OPT_CLAIMS: *action = OPT_CLAIMS; break;
		case OPT_CLAIM: o->claim = true; break;
		case OPT_WORKER:
			if (*optarg == '\0')
				cli_usage_error("--worker: empty name");
			o->worker = optarg;
			break;
		case OPT_SHARD: shard_arg(optarg, o); break;
		case OPT_LEASE:
			/* A week: poll(2) timeouts of a third of it fit an int. */
			o->lease = cli_duration_between("lease", optarg, 1,
			    7 * 86400);
			break;
		case OPT_LIMIT:
			o->limit = cli_number("limit", optarg, 1, 1LL << 62);
			break;
		case OPT_PAGE_SIZE:
			o->page_size = (int)cli_number("page-size", optarg, 1,
			    1000000);
			break;
		case OPT_RETRIES:
			o->retry.max_attempts = (int)cli_number("retries",
			    optarg, 1, 100);
			break;
		case OPT_TERRITORY:
			if (o->n_territories == LIST_MAX_FILTER_VALUES)
				cli_usage_error("too many --territory");
			o->territories[o->n_territories++] = optarg;
			break;
		case OPT_ID:
			if (o->n_ids == LIST_MAX_FILTER_VALUES)
				cli_usage_error("too many --id");
			o->ids[o->n_ids++] = cli_number("id", optarg, 0,
			    2147483647);
			break;
		default:
			cli_common_option(opt, optarg, help);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->since != NULL && o->until != NULL &&
	    strcmp(o->since, o->until) > 0)
		cli_usage_error("--since %s is after --until %s: nothing to list",
		    o->since, o->until);
	if (mode != NULL)
		mode_arg("--mode", mode, o);
	else
		mode_arg("EXECUTION_MODE", config_pick(NULL, "EXECUTION_MODE",
		    "DAILY"), o);
	if (o->page_size == 0)
		o->page_size = (int)cli_env_number("GAZETTE_QUERY_PAGE_SIZE",
		    "1000", 1, 1000000);
}

int
main(int argc, char **argv)
{
	struct list_options *o = xcalloc(1, sizeof *o);
	struct retry_policy retry = RETRY_POLICY_DEFAULT;
	struct db_target *target;
	const char *db = NULL;
	static char worker[300];
	int action = 0, status;

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
	o->retry = retry;
	o->lease = 30 * 60;
	parse_options(argc, argv, o, &db, &action);
	if (o->worker == NULL) {
		char host[256];

		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		snprintf(worker, sizeof worker, "%s:%ld", host, (long)getpid());
		o->worker = worker;
	}
	target = db_target_new(db);
	sig_install();
	log_debug("listing %s gazettes from %s, pages of %d", o->mode,
	    db_describe(target), o->page_size);
	if (action == OPT_COUNT)
		status = list_count(target, o);
	else if (action == OPT_INIT)
		status = claim_init(target, o);
	else if (action == OPT_CLAIMS)
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
