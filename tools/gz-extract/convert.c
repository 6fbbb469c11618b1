/*
 * convert — which converter handles which type, found where, started how.
 *
 * The choices come from trying each candidate on real files (see
 * tests/fixtures/gazettes/EXPECTED.md): the command lines below are the
 * ones that give exact, unwrapped UTF-8 whatever the locale.
 *   PDF   pdftotext -enc UTF-8 FILE -   (not -layout: it glues columns;
 *         every page ends in \f, which keeps page numbers recoverable)
 *   DOC   antiword -w 0 -m UTF-8.txt FILE, then catdoc -w -d utf-8 FILE
 *         when antiword fails (catdoc exits 0 on garbage, so it comes
 *         second and only ever sees what libmagic called Word)
 *   DOCX, ODT   built in: the document XML read with libzip and libxml2
 *         (docx2txt turns quotes and dashes into ASCII; odt2txt underlines
 *         headings and doubles blank lines)
 *   TXT   built in: UTF-8 as it is, else Windows-1252 (or UTF-16 by BOM)
 *
 * With --pdf-engine poppler (the default), PDFs go to the long-lived
 * workers of worker.c instead: the same text as pdftotext's, without a
 * process started per document.
 *
 *   IMAGE (JPEG, PNG, TIFF) and the pages of a PDF that have no text layer
 *         are recognised by tesseract (--ocr), in the same workers: the
 *         converter "tesseract" below.
 *
 * Programs are resolved to absolute paths once, at start-up.  pdftotext
 * is required when it is the PDF engine (gz-extract exits 2 without it); a
 * missing antiword or catdoc only fails the records that need it, with
 * extractor_missing.
 */
#include "extract.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CONV_POPPLER, CONV_PDFTOTEXT, CONV_ANTIWORD, CONV_CATDOC, CONV_DOCX, CONV_ODT,
	CONV_TXT, CONV_TESSERACT, CONV_COUNT };

static struct converter converters[CONV_COUNT] = {
	[CONV_POPPLER] = { "poppler", NULL, NULL, "", true, true },
	[CONV_PDFTOTEXT] = { "pdftotext", "pdftotext", NULL, "", false },
	[CONV_ANTIWORD] = { "antiword", "antiword", NULL, "", false },
	[CONV_CATDOC] = { "catdoc", "catdoc", NULL, "", false },
	[CONV_DOCX] = { "builtin:docx", NULL, builtin_docx, "", true },
	[CONV_ODT] = { "builtin:odt", NULL, builtin_odt, "", true },
	[CONV_TXT] = { "builtin:txt", NULL, builtin_txt, "", true },
	[CONV_TESSERACT] = { "tesseract", NULL, NULL, "", false, true, true },
};

/* Per type, the converters in the order they are tried (-1 ends). */
static int chain[DOC_NTYPES][3] = {
	[DOC_NONE] = { -1 },
	[DOC_PDF] = { CONV_PDFTOTEXT, -1 },
	[DOC_DOC] = { CONV_ANTIWORD, CONV_CATDOC, -1 },
	[DOC_DOCX] = { CONV_DOCX, -1 },
	[DOC_ODT] = { CONV_ODT, -1 },
	[DOC_TXT] = { CONV_TXT, -1 },
	[DOC_IMAGE] = { CONV_TESSERACT, -1 },
};

/* Where libtesseract looks for its models when TESSDATA_PREFIX is unset
 * (Debian's tesseract-ocr-por installs there). */
#define TESSDATA_DEFAULT "/usr/share/tesseract-ocr/5/tessdata"
static enum ocr_mode ocr_mode;

/*
 * No variable of ours reaches a converter (gz's style: no secrets in a
 * child's environment).  HOME is set because antiword complains without
 * one; it then falls back to its system-wide mapping files.
 */
static char *const child_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"HOME=/nonexistent",
	"LC_ALL=C.UTF-8",
	NULL
};

/* The first dir/name on $PATH that is an executable regular file. */
static bool
find_program(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *end;
	char cwd[PATH_MAX];
	struct stat st;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		size_t dirlen;
		int n;

		end = strchr(p, ':');
		dirlen = end ? (size_t)(end - p) : strlen(p);
		if (dirlen == 0)
			n = snprintf(out, size, "%s/%s",
			    getcwd(cwd, sizeof cwd) ? cwd : ".", name);
		else if (*p != '/')
			n = snprintf(out, size, "%s/%.*s/%s",
			    getcwd(cwd, sizeof cwd) ? cwd : ".", (int)dirlen,
			    p, name);
		else
			n = snprintf(out, size, "%.*s/%s", (int)dirlen, p,
			    name);
		if (n > 0 && (size_t)n < size && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return true;
		if (end == NULL)
			return false;
	}
}

/* tesseract's model for OCR_LANGUAGE is a readable file. */
static bool
find_ocr_model(void)
{
	const char *dir = getenv("TESSDATA_PREFIX");
	char path[PATH_MAX];

	if (dir == NULL || *dir == '\0')
		dir = TESSDATA_DEFAULT;
	snprintf(path, sizeof path, "%s/%s.traineddata", dir, OCR_LANGUAGE);
	if (access(path, R_OK) != 0)
		return false;
	log_debug("tesseract: %s", path);
	return true;
}

bool
convert_init(enum pdf_engine engine, enum ocr_mode ocr)
{
	int i;

	/* pdftotext second: for the PDFs poppler-cpp can't read the same way
	 * (see PTEXT_CROPPED), when it is there. */
	if (engine == PDF_POPPLER) {
		chain[DOC_PDF][0] = CONV_POPPLER;
		chain[DOC_PDF][1] = CONV_PDFTOTEXT;
		chain[DOC_PDF][2] = -1;
	}

	for (i = 0; i < CONV_COUNT; i++) {
		struct converter *c = &converters[i];

		if (c->program == NULL)
			continue;
		c->available = find_program(c->program, c->path,
		    sizeof c->path);
		if (c->available)
			log_debug("%s: %s", c->name, c->path);
	}
	if (engine == PDF_PDFTOTEXT && !converters[CONV_PDFTOTEXT].available) {
		log_error("pdftotext not found on PATH (Debian: apt-get "
		    "install poppler-utils)");
		return false;
	}
	ocr_mode = ocr;
	converters[CONV_TESSERACT].available = ocr != OCR_NEVER &&
	    find_ocr_model();
	if (ocr == OCR_ALWAYS && !converters[CONV_TESSERACT].available) {
		log_error("--ocr=always: tesseract's %s model is not in %s "
		    "(Debian: apt-get install tesseract-ocr-%s)", OCR_LANGUAGE,
		    getenv("TESSDATA_PREFIX") ? "$TESSDATA_PREFIX" :
		    TESSDATA_DEFAULT, OCR_LANGUAGE);
		return false;
	}
	return true;
}

bool
convert_ocr_on(void)
{
	return converters[CONV_TESSERACT].available;
}

struct converter *
convert_ocr(void)
{
	return &converters[CONV_TESSERACT];
}

void
convert_report(void)
{
	if (!converters[CONV_ANTIWORD].available &&
	    !converters[CONV_CATDOC].available)
		log_warn("neither antiword nor catdoc is on PATH: .doc files "
		    "will fail with extractor_missing");
	else if (!converters[CONV_ANTIWORD].available)
		log_warn("antiword is not on PATH: .doc files go to catdoc");
	if (ocr_mode == OCR_AUTO && !converters[CONV_TESSERACT].available)
		log_warn("tesseract's %s model is not installed (Debian: "
		    "tesseract-ocr-%s): scanned pages keep their empty text "
		    "and gz.ocr_needed, images fail with unsupported_type",
		    OCR_LANGUAGE, OCR_LANGUAGE);
}

struct converter *
convert_pick(enum doc_type type, int attempt)
{
	int i, seen = 0;

	if (type >= DOC_NTYPES)
		return NULL;
	for (i = 0; i < 3 && chain[type][i] >= 0; i++) {
		struct converter *c = &converters[chain[type][i]];

		if (c->available && seen++ == attempt)
			return c;
	}
	return NULL;
}

int
convert_start(struct converter *conv, enum doc_type type, const char *file,
    const struct extract_options *o, struct spawn_child *child)
{
	struct spawn_limits limits = {
		.memory = o->child_memory,
		.cpu_seconds = (unsigned long)ceil(o->timeout),
		/* Converters write to the pipe, not to files: a little room
		 * for a temporary file, none for filling the disk. */
		.file_size = CONVERT_FILE_SIZE,
		.open_files = 64,
	};
	struct builtin_job job = { type, file, o->max_text_bytes };
	char *argv[8];
	int i = 0;

	if (conv->builtin != NULL)
		return spawn_fork(child, conv->builtin, &job, &limits);
	argv[i++] = (char *)conv->program;
	if (type == DOC_PDF) {
		argv[i++] = "-enc";
		argv[i++] = "UTF-8";
	} else if (strcmp(conv->program, "antiword") == 0) {
		argv[i++] = "-w";
		argv[i++] = "0";
		argv[i++] = "-m";
		argv[i++] = "UTF-8.txt";
	} else {
		argv[i++] = "-w";
		argv[i++] = "-d";
		argv[i++] = "utf-8";
	}
	argv[i++] = (char *)file;
	if (type == DOC_PDF)
		argv[i++] = "-";
	argv[i] = NULL;
	return spawn_exec(child, conv->path, argv, child_env, &limits);
}
