/*
 * gz-split — association gazettes (territory_id ending in 00000) split
 * into one record per municipality, exactly as the system gz replaces
 * splits them; every other record passes through byte for byte.
 *
 * main() follows every gz tool's steps: prologue, flags, what the work
 * needs (the territories) before the first record, signals, run, summary.
 */
#include "split.h"
#include "cli.h"
#include "log.h"
#include "sig.h"

#include <stdio.h>
#include <stdlib.h>

enum { OPT_DB = CLI_OPT_TOOL_BASE };

static const struct option long_options[] = {
	{ "db", required_argument, NULL, OPT_DB },
	CLI_INPUT_OPTIONS,
	CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf(
"Usage: gz-split [OPTION]...\n"
"Read records carrying source_text; write every record whose territory_id\n"
"does not end in 00000 unchanged.  An association gazette (2700000, the\n"
"municipalities of Alagoas) goes out as itself with gz.segment index 0\n"
"(gz-index publishes its .txt and indexes nothing of it), then as one\n"
"record per municipality: its territory, its acts joined under the page\n"
"header, file_checksum the MD5 of that text.  A name that matches no\n"
"territory fails the whole gazette (unknown_territory).\n"
"\n"
"Database (the territories table, read once):\n"
"      --db=CONNINFO      PostgreSQL (default DATABASE_URL, else\n"
"                         POSTGRES_HOST/PORT/DB/USER/PASSWORD, else PG*)\n"
"\n"
"Input:\n");
	fputs(cli_input_help, stdout);
	printf("\n");
	fputs(cli_common_help, stdout);
	printf(
"\n"
"Exit status: 0 every record passed or split, 1 some records failed here\n"
"(they carry gz.error), 2 usage or configuration error, 3 fatal (the\n"
"database unreachable, stdin or stdout failed).\n"
"See gz-split(1).\n");
}

int
main(int argc, char **argv)
{
	struct split_options o = { 0 };
	char extra[128];
	int opt, status;

	sig_prologue();
	log_init(argv[0]);
	while ((opt = getopt_long(argc, argv, "qvhV", long_options,
	    NULL)) != -1) {
		if (opt == OPT_DB)
			o.db = optarg;
		else
			cli_common_option(opt, optarg, help);
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	o.max_record_bytes = cli_max_record_bytes;
	if ((status = territories_load(o.db)) != 0)
		return status;
	sig_install();
	status = split_run(&o);
	snprintf(extra, sizeof extra, "%zu territories", territories_count());
	progress_summary(extra);
	territories_free();
	sig_reraise();
	return status;
}
