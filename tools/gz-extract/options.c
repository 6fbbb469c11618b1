/*
 * options — gz-extract's command line: the option table, --help, and the
 * checks on each value and between values (main.c's step 2 starts here).
 */
#include "cli.h"
#include "extract.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_JOBS = CLI_OPT_TOOL_BASE, OPT_TIMEOUT, OPT_CHILD_MEMORY,
	OPT_MAX_TEXT_BYTES, OPT_KEEP, OPT_KEEP_FAILED, OPT_SPOOL,
	OPT_PDF_ENGINE, OPT_PDF_RECYCLE, OPT_OCR, OPT_OCR_MAX_PAGES,
	OPT_OCR_JOBS
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
	{ "ocr", required_argument, NULL, OPT_OCR },
	{ "ocr-max-pages", required_argument, NULL, OPT_OCR_MAX_PAGES },
	{ "ocr-jobs", required_argument, NULL, OPT_OCR_JOBS },
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
"catdoc), DOCX, ODT and TXT (built in); scanned pages and images (JPEG,\n"
"PNG, TIFF) through tesseract OCR, in Portuguese.  Records leave as their\n"
"documents finish.\n"
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
"OCR:\n"
"      --ocr=WHEN         auto: recognise the PDF pages with next to no\n"
"                         text layer, and images (default, or $GZ_OCR);\n"
"                         always: every page; never: no OCR\n"
"      --ocr-max-pages=N  pages recognised per document; past them the\n"
"                         record gets gz.ocr_warning (500)\n"
"      --ocr-jobs=N       documents in OCR at once, besides --jobs (half\n"
"                         of --jobs, at least 1); --timeout applies to\n"
"                         each page recognised\n"
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

static enum ocr_mode
ocr_mode(const char *what, const char *name)
{
	if (strcmp(name, "auto") == 0)
		return OCR_AUTO;
	if (strcmp(name, "never") == 0)
		return OCR_NEVER;
	if (strcmp(name, "always") == 0)
		return OCR_ALWAYS;
	cli_usage_error("%s: auto, never or always, not '%s'", what, name);
	return OCR_AUTO;
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

void
extract_options_parse(int argc, char **argv, struct extract_options *o)
{
	const char *env = getenv("GZ_PDF_ENGINE"), *ocr_env = getenv("GZ_OCR");
	bool engine_set = false, recycle_set = false, ocr_set = false;

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
			recycle_set = true;
			break;
		case OPT_OCR:
			o->ocr = ocr_mode("--ocr", optarg);
			ocr_set = true;
			break;
		case OPT_OCR_MAX_PAGES:
			o->ocr_max_pages = (unsigned)cli_number("ocr-max-pages",
			    optarg, 1, OCR_MAX_PAGES_LIMIT);
			break;
		case OPT_OCR_JOBS:
			o->ocr_jobs = (int)cli_number("ocr-jobs", optarg, 1,
			    1024);
			break;
		default:
			cli_common_option(opt, optarg, help);
		}
	}
	/* pdftotext has no workers to recycle: asking for both is a mistake
	 * better said than ignored. */
	if (engine_set && recycle_set && o->pdf_engine == PDF_PDFTOTEXT)
		cli_usage_error("--pdf-recycle: the pdftotext engine has no "
		    "workers (it is for --pdf-engine=poppler)");
	/* The variable only when the option did not say. */
	if (!engine_set && env != NULL && *env != '\0')
		o->pdf_engine = pdf_engine("GZ_PDF_ENGINE", env);
	if (!ocr_set && ocr_env != NULL && *ocr_env != '\0')
		o->ocr = ocr_mode("GZ_OCR", ocr_env);
	if (optind < argc) {
		o->files = argv + optind;
		o->nfiles = argc - optind;
		/* Files named for debugging are the user's, not spool. */
		o->keep = o->keep_failed = true;
	}
}

