/*
 * gz-extract — turn the spool files named by gz.file into source_text:
 * pdftotext for PDF, antiword/catdoc for DOC, built-in readers for DOCX,
 * ODT and TXT, each in a child with resource limits and a deadline.
 *
 * main() follows every gz tool's steps: prologue, flags, open and check
 * what the work needs (libmagic, the converters) before the first record,
 * signals, run, check stdout, summary.
 */
#include "cli.h"
#include "extract.h"
#include "log.h"
#include "sig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_JOBS = CLI_OPT_TOOL_BASE, OPT_TIMEOUT, OPT_CHILD_MEMORY,
	OPT_MAX_TEXT_BYTES, OPT_KEEP, OPT_KEEP_FAILED, OPT_SPOOL,
	OPT_PDF_ENGINE, OPT_PDF_RECYCLE
};

static const struct option long_options[] = {
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "child-memory", required_argument, NULL, OPT_CHILD_MEMORY },
	{ "max-text-bytes", required_argument, NULL, OPT_MAX_TEXT_BYTES },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "keep-failed", no_argument, NULL, OPT_KEEP_FAILED },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "pdf-engine", required_argument, NULL, OPT_PDF_ENGINE },
	{ "pdf-recycle", required_argument, NULL, OPT_PDF_RECYCLE },
	CLI_INPUT_OPTIONS,
	CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf(
"Usage: gz-extract [OPTION]...\n"
"  or:  gz-extract [OPTION]... FILE...\n"
"Read records carrying gz.file, write them with source_text: the text of\n"
"the file, valid UTF-8, page breaks kept as \\f.  The type comes from the\n"
"content (libmagic): PDF (poppler, or pdftotext), DOC (antiword, then\n"
"catdoc), DOCX, ODT and TXT (built in).  Records leave as their documents finish.\n"
"With FILE operands, print a record for each FILE instead of reading\n"
"stdin (and never delete them).\n"
"\n"
"Work:\n"
"      --jobs=N           documents converted at once (default: the\n"
"                         number of CPUs)\n"
"      --timeout=DURATION wall time allowed per document; then the\n"
"                         converter's process group is killed (300s)\n"
"      --child-memory=SIZE  address space limit of a converter (1G)\n"
"      --max-text-bytes=SIZE  longest source_text; longer text is cut\n"
"                         at a character boundary and gets\n"
"                         gz.truncated (32M)\n"
"      --pdf-engine=ENGINE  poppler: long-lived workers with libpoppler\n"
"                         (default, or $GZ_PDF_ENGINE); pdftotext: a\n"
"                         pdftotext process per document (same text)\n"
"      --pdf-recycle=N    documents a PDF worker does before it is\n"
"                         replaced (200)\n"
"\n"
"Spool files:\n"
"      --spool=DIR        gz-fetch's spool: the only folder files are ever\n"
"                         deleted from (default $GZ_SPOOL, else\n"
"                         $TMPDIR/gz-spool-UID); a file named elsewhere\n"
"                         is read and kept\n"
"      --keep             keep a file once its text is written (default:\n"
"                         delete it)\n"
"      --keep-failed      keep the files of records that failed here\n"
"\n"
"Input:\n");
	fputs(cli_input_help, stdout);
	printf("\n");
	fputs(cli_common_help, stdout);
	printf(
"\n"
"Exit status: 0 every document extracted, 1 some records failed here\n"
"(they carry gz.error), 2 usage or configuration error (the libmagic\n"
"database missing, or pdftotext when it is the PDF engine), 3 fatal (stdin or stdout failed).\n"
"See gz-extract(1).\n");
}

static enum pdf_engine
pdf_engine(const char *what, const char *name)
{
	if (strcmp(name, "poppler") == 0)
		return PDF_POPPLER;
	if (strcmp(name, "pdftotext") == 0)
		return PDF_PDFTOTEXT;
	cli_usage_error("%s: poppler or pdftotext, not '%s'", what, name);
	return PDF_POPPLER;
}

static void
parse_options(int argc, char **argv, struct extract_options *o)
{
	const char *env = getenv("GZ_PDF_ENGINE");
	bool engine_set = false;

	int opt;

	while ((opt = getopt_long(argc, argv, "qvhV", long_options,
	    NULL)) != -1) {
		switch (opt) {
		case OPT_JOBS:
			o->jobs = (int)cli_number("jobs", optarg, 1, 1024);
			break;
		case OPT_TIMEOUT:
			o->timeout = cli_duration("timeout", optarg);
			if (o->timeout < 0.001 || o->timeout > 86400)
				cli_usage_error("--timeout: from 1ms to 24h");
			break;
		case OPT_CHILD_MEMORY:
			o->child_memory = cli_size("child-memory", optarg);
			if (o->child_memory < (1u << 20))
				cli_usage_error("--child-memory: at least 1M");
			break;
		case OPT_MAX_TEXT_BYTES:
			o->max_text_bytes = cli_size("max-text-bytes", optarg);
			if (o->max_text_bytes < 4 ||
			    o->max_text_bytes > (1u << 30))
				cli_usage_error("--max-text-bytes: from 4 "
				    "bytes to 1G");
			break;
		case OPT_KEEP: o->keep = true; break;
		case OPT_KEEP_FAILED: o->keep_failed = true; break;
		case OPT_SPOOL: o->spool = optarg; break;
		case OPT_PDF_ENGINE:
			o->pdf_engine = pdf_engine("--pdf-engine", optarg);
			engine_set = true;
			break;
		case OPT_PDF_RECYCLE:
			o->pdf_recycle = (unsigned)cli_number("pdf-recycle",
			    optarg, 1, 1000000);
			break;
		default:
			cli_common_option(opt, optarg, help);
		}
	}
	/* The variable only when the option did not say. */
	if (!engine_set && env != NULL && *env != '\0')
		o->pdf_engine = pdf_engine("GZ_PDF_ENGINE", env);
	if (optind < argc) {
		o->files = argv + optind;
		o->nfiles = argc - optind;
		/* Files named for debugging are the user's, not spool. */
		o->keep = o->keep_failed = true;
	}
}

static void
summary(void)
{
	const struct extract_totals *t = &extract_totals;
	char extra[384], text[32];
	size_t n = 0;
	int i;

	for (i = DOC_PDF; i < DOC_NTYPES; i++)
		if (t->extracted[i] > 0)
			n += (size_t)snprintf(extra + n, sizeof extra - n,
			    "%s %lu, ", detect_type_name(i), t->extracted[i]);
	snprintf(extra + n, sizeof extra - n, "unsupported %lu; %llu pages, "
	    "%lu ocr_needed, %s of text", t->unsupported, t->pages,
	    t->ocr_needed,
	    format_bytes((double)t->text_bytes, text, sizeof text));
	progress_summary(extra);
}

int
main(int argc, char **argv)
{
	struct extract_options o = {
		.timeout = 300,
		.child_memory = 1ULL << 30,
		.max_text_bytes = 32u << 20,
		.pdf_engine = PDF_POPPLER,
		.pdf_recycle = 200,
	};
	char why[600];
	int status;

	/* A PDF worker (worker.c): gz-extract run again by itself. */
	if (argc == 2 && strcmp(argv[1], "--pdf-worker") == 0)
		return worker_main();
	sig_prologue();
	log_init(argv[0]);
	parse_options(argc, argv, &o);
	if (o.jobs == 0)
		o.jobs = spawn_cpu_count();
	/* Checked before the first record, like gz-fetch does: a spool
	 * someone else could write to is refused (not needed with FILE
	 * operands, which are never deleted). */
	if (o.files == NULL && spoolref_init(o.spool, why, sizeof why) != 0) {
		log_error("%s", why);
		return errno == ENOSPC || errno == EDQUOT || errno == EIO ?
		    EXIT_FATAL : EXIT_USAGE;
	}
	if (!detect_init())
		return EXIT_USAGE;
	if (!convert_init(o.pdf_engine)) {
		detect_free();
		return EXIT_USAGE;
	}
	convert_report();
	sig_install();
	log_debug("%d jobs, timeout %g s, child memory %llu MiB, text cap "
	    "%zu bytes", o.jobs, o.timeout, o.child_memory >> 20,
	    o.max_text_bytes);
	status = extract_run(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("writing records: stdout failed");
		status = EXIT_FATAL;
	}
	summary();
	spoolref_end(o.keep || o.keep_failed);
	detect_free();
	sig_reraise();
	return status;
}
