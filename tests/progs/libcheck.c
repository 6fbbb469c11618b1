/*
 * libcheck — drives lib/ from the command line so tests/lib.bats can check
 * it through the same paths the tools use.
 *
 *   libcheck ndjson [--max-record-bytes=SIZE]   stdin → stdout, bad lines
 *                                               become bad_record records
 *   libcheck delays BASE CAP ATTEMPTS [RETRY_AFTER]   one delay per line
 *   libcheck redact STRING | hide STRING
 *   libcheck describe CONNINFO [MESSAGE]        db_describe(), and MESSAGE
 *                                               through db_scrub()
 *   libcheck size STRING | duration STRING
 *   libcheck metrics [--metrics-file=F] [--metrics-push=URL]
 *   libcheck error CODE MESSAGE                 stdin records get gz.error
 *   libcheck alloc BYTES | alloc N SIZE         xmalloc(BYTES) or
 *                                               xcalloc(N, SIZE), then free
 */
#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "ndjson.h"
#include "rec.h"
#include "retry.h"
#include "sig.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
help(void)
{
	puts("usage: libcheck ndjson|delays|redact|hide|describe|size|duration|"
	    "metrics|error|progress|alloc ...");
}

static int
cmd_ndjson(bool add_error, const char *code, const char *message)
{
	struct ndjson_reader *r = ndjson_reader_new(STDIN_FILENO,
	    cli_max_record_bytes);
	struct ndjson_writer *w = ndjson_writer_new(STDOUT_FILENO, 1,
	    "records");
	int status = EXIT_OK;
	jv rec;

	for (;;) {
		enum ndjson_status st = ndjson_read(r, &rec);

		if (st == NDJSON_EOF)
			break;
		if (st == NDJSON_IOERR) {
			log_error("reading records: %s", strerror(errno));
			status = EXIT_FATAL;
			break;
		}
		gz_stats.records_in++;
		if (st == NDJSON_BAD) {
			log_error("%s", ndjson_error(r));
			rec = rec_bad_line(ndjson_line(r), ndjson_error(r));
			status = EXIT_RECORDS;
		} else if (add_error && !rec_has_error(rec)) {
			rec = rec_set_error(rec, code, message, 1, false);
		}
		/* No event loop here: each line is drained at once. */
		ndjson_writer_put_jv(w, rec);
		if (ndjson_writer_drain(w) != 0) {
			if (errno != EPIPE)
				status = EXIT_FATAL;	/* logged */
			break;
		}
	}
	ndjson_reader_free(r);
	ndjson_writer_free(w);
	return status;
}

static int
cmd_delays(char **argv, int argc)
{
	struct retry_policy p = { 100, 0, 0 };
	double retry_after = argc > 4 ? strtod(argv[4], NULL) : 0;
	long long n, i;

	if (argc < 4)
		cli_usage_error("delays BASE CAP ATTEMPTS [RETRY_AFTER]");
	p.base = cli_duration("base", argv[1]);
	p.cap = cli_duration("cap", argv[2]);
	n = cli_number("attempts", argv[3], 1, 100);
	for (i = 1; i <= n; i++)
		printf("%d %.6f\n", (int)i, retry_delay(&p, (int)i, retry_after));
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS, CLI_INPUT_OPTIONS, { NULL, 0, NULL, 0 }
	};
	unsigned long long size;
	const char *cmd;
	char buf[8192];
	double secs;
	int opt, status = EXIT_OK;

	sig_prologue();
	log_init("libcheck");
	while ((opt = getopt_long(argc, argv, "qvhV", opts, NULL)) != -1)
		cli_common_option(opt, optarg, help);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		cli_usage_error("no command");
	cmd = argv[0];
	if (strcmp(cmd, "ndjson") == 0 || strcmp(cmd, "error") == 0) {
		if (cmd[0] == 'e' && argc != 3)
			cli_usage_error("error CODE MESSAGE");
		status = cmd_ndjson(cmd[0] == 'e', argv[1], argv[2]);
		progress_summary(NULL);
	} else if (strcmp(cmd, "delays") == 0)
		status = cmd_delays(argv, argc);
	else if (strcmp(cmd, "redact") == 0 && argc == 2)
		puts(config_redact(argv[1], buf, sizeof buf));
	else if (strcmp(cmd, "hide") == 0 && argc == 2) {
		config_hide_arg(argv[1]);
		puts(argv[1]);
	} else if (strcmp(cmd, "describe") == 0 && (argc == 2 || argc == 3)) {
		struct db_target *t = db_target_new(*argv[1] ? argv[1] : NULL);

		if (t == NULL)
			return EXIT_FATAL;
		puts(db_describe(t));
		if (argc == 3) {
			snprintf(buf, sizeof buf, "%s", argv[2]);
			puts(db_scrub(t, buf, sizeof buf));
		}
		db_target_free(t);
	} else if (strcmp(cmd, "alloc") == 0 && (argc == 2 || argc == 3)) {
		size_t n = strtoull(argv[1], NULL, 10);

		free(argc == 2 ? xmalloc(n) :
		    xcalloc(n, strtoull(argv[2], NULL, 10)));
		puts("allocated");
	} else if (strcmp(cmd, "size") == 0 && argc == 2) {
		if (!config_parse_size(argv[1], &size))
			cli_usage_error("bad size '%s'", argv[1]);
		printf("%llu\n", size);
	} else if (strcmp(cmd, "duration") == 0 && argc == 2) {
		if (!config_parse_duration(argv[1], &secs))
			cli_usage_error("bad duration '%s'", argv[1]);
		printf("%g\n", secs);
	} else if (strcmp(cmd, "progress") == 0) {
		/* Three progress beats, as a stage's loop would see them. */
		struct timespec pause = { 0, 0 };
		int i;

		pause.tv_nsec = 20 * 1000 * 1000;
		for (i = 0; i < 15; i++) {
			gz_stats.records_in = gz_stats.records_out =
			    (uint64_t)i + 1;
			nanosleep(&pause, NULL);
			progress_tick();
		}
	} else if (strcmp(cmd, "metrics") == 0) {
		gz_stats.records_in = 3;
		gz_stats.records_out = 2;
		gz_stats.records_failed = 1;
		stats_observe_duration(0.2);
		stats_observe_duration(7);
		metrics_render(buf, sizeof buf);
		fputs(buf, stdout);
	} else
		cli_usage_error("unknown command '%s'", cmd);
	return status;
}
