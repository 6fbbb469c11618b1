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
	    "%llu recognised in %.1f s, %lu ocr_needed, %s of text",
	    t->unsupported, t->pages, (unsigned long long)gz_stats.ocr_pages,
	    gz_stats.ocr_seconds,
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
		.ocr = OCR_AUTO,
		.ocr_max_pages = 500,
	};
	char why[600];
	int status;

	/* A PDF worker (worker.c): gz-extract run again by itself. */
	if (argc == 2 && strcmp(argv[1], "--pdf-worker") == 0)
		return worker_main();
	sig_prologue();
	log_init(argv[0]);
	extract_options_parse(argc, argv, &o);
	if (o.jobs == 0)
		o.jobs = spawn_cpu_count();
	if (o.ocr_jobs == 0)
		o.ocr_jobs = o.jobs / 2 > 1 ? o.jobs / 2 : 1;
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
	if (!convert_init(o.pdf_engine, o.ocr)) {
		detect_free();
		return EXIT_USAGE;
	}
	convert_report();
	if (!convert_ocr_on())
		o.ocr_jobs = 0;		/* no document will need a place */
	gz_stats.has_ocr = 1;
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
