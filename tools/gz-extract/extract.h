/*
 * gz-extract — the declarations its modules share.
 *
 *   main.c     start-up checks, the run, summary
 *   options.c  the command line
 *   run.c      the event loop: records in, slots, poll, records out
 *   slot.c     a converter slot and its document: detect, start its
 *              converter, collect, record
 *   detect.c   the type by content (libmagic)
 *   convert.c  which converter for which type, and how it is started
 *   worker.c   the PDF engine's long-lived workers (poppler_text.cc),
 *              which also recognise scanned pages and images (ocr.c)
 *   ocrpages.c which pages of a document to recognise, and its text once
 *              they are
 *   builtin.c  TXT (charset to UTF-8) and the forked built-in converters
 *   xmltext.c  DOCX and ODT text through libzip and libxml2
 *   output.c   queueing a record whose source_text is streamed from a buffer
 *   intake.c   what a record asks of gz-extract: its gz member checked
 *   spoolref.c which files gz-extract may delete: those in the spool
 */
#ifndef GZ_EXTRACT_H
#define GZ_EXTRACT_H

#include "ndjson.h"
#include "spawn.h"
#include "textclean.h"

#include <jv.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --pdf-engine */
enum pdf_engine { PDF_POPPLER, PDF_PDFTOTEXT };

enum doc_type { DOC_NONE, DOC_PDF, DOC_DOC, DOC_DOCX, DOC_ODT, DOC_TXT,
	DOC_IMAGE, DOC_NTYPES };

/* --ocr: which pages tesseract reads */
enum ocr_mode { OCR_AUTO, OCR_NEVER, OCR_ALWAYS };
#define OCR_LANGUAGE "por"	/* tesseract's model: Portuguese */
/* Resolution pages are rendered at: what tesseract's models were trained
 * on, and small print in two-column gazettes needs. */
#define OCR_DPI 300
#define OCR_MAX_PAGES_LIMIT 10000	/* highest --ocr-max-pages */
/*
 * A page with fewer non-space characters than this has no real text
 * layer: a scan, or a header stamped on one.  A typed gazette page holds
 * thousands.
 */
#define OCR_MIN_CHARS_PER_PAGE 16

struct extract_options {
	int jobs;			/* children at once */
	double timeout;			/* wall seconds per document */
	unsigned long long child_memory;	/* RLIMIT_AS of a converter */
	size_t max_text_bytes;		/* source_text cap */
	enum pdf_engine pdf_engine;
	unsigned pdf_recycle;		/* documents per PDF worker */
	enum ocr_mode ocr;
	unsigned ocr_max_pages;		/* pages recognised per document */
	int ocr_jobs;			/* documents in OCR at once */
	bool keep;			/* keep files once extracted */
	bool keep_failed;		/* ... and of failed ones */
	const char *spool;		/* --spool, or NULL: $GZ_SPOOL... */
	char **files;			/* FILE... operands, or NULL: stdin */
	int nfiles;
};

/* Run totals for the summary (per type, indexed by enum doc_type). */
struct extract_totals {
	unsigned long extracted[DOC_NTYPES];
	unsigned long unsupported;
	unsigned long ocr_needed;
	/* OCR's pages and seconds: gz_stats, for the metrics too */
	unsigned long long pages;
	unsigned long long text_bytes;
};
extern struct extract_totals extract_totals;

/* options.c: fills o from the command line (and GZ_PDF_ENGINE, GZ_OCR); exits 2
 * on a bad or conflicting option, 0 after --help or --version. */
void extract_options_parse(int argc, char **argv, struct extract_options *o);

/* detect.c */
struct detect_result {
	enum doc_type type;	/* DOC_NONE: unsupported (see mime) */
	char mime[128];		/* libmagic's MIME type */
	off_t size;
	int error;		/* errno when the file could not be opened */
	bool not_regular;	/* a directory, FIFO, device... */
};
bool detect_init(void);
void detect_free(void);
/* nofollow: a spool file, which must not be a symbolic link. */
void detect_file(const char *path, bool nofollow, struct detect_result *d);
const char *detect_type_name(enum doc_type type);

/* convert.c */
#define CONVERT_FILE_SIZE (16ULL << 20)	/* RLIMIT_FSIZE of a converter */
struct converter {
	const char *name;		/* gz.extractor */
	const char *program;		/* external program, or NULL */
	int (*builtin)(void *);		/* forked built-in, or NULL */
	char path[4096];		/* the program's absolute path */
	bool available;
	bool worker;			/* a PDF worker's (worker.c) */
	bool ocr;			/* tesseract, in a PDF worker */
};
/* Finds the programs on $PATH and tesseract's model; false when the PDF
 * engine is pdftotext and pdftotext is missing, or --ocr=always and the
 * model is missing. */
bool convert_init(enum pdf_engine engine, enum ocr_mode ocr);
/* tesseract's Portuguese model was found at start-up (and --ocr allows). */
bool convert_ocr_on(void);
/* The converter that recognises pages (tesseract). */
struct converter *convert_ocr(void);
/* The converter to try for type, attempt 0 first; NULL when none left. */
struct converter *convert_pick(enum doc_type type, int attempt);
/* Starts conv on file (absolute).  0, or -1 with errno set. */
int convert_start(struct converter *conv, enum doc_type type,
    const char *file, const struct extract_options *o,
    struct spawn_child *child);
/* A line for each optional converter that is missing (for the log). */
void convert_report(void);

/* worker.c: frame types of the protocol described there. */
enum { W_REQ_TEXT = 1, W_TEXT, W_NOTE, W_DONE, W_REQ_OCR, W_PAGE };
enum { OCR_PDF, OCR_IMAGE };	/* what W_REQ_OCR recognises */
/* The worker's side: serves requests on stdin until EOF; exit status. */
int worker_main(void);
/* Starts a worker under the converters' limits.  0, or -1 with errno. */
int worker_start(struct spawn_child *c, const struct extract_options *o);
/* Asks the worker c for file's text.  0, or -1 with errno (EPIPE: gone). */
int worker_request(struct spawn_child *c, const char *file,
    const struct extract_options *o);
/* Asks the worker c to recognise pages of file (a PDF's pages listed, or an
 * image file's first npages).  0, or -1 with errno (EPIPE: gone). */
int worker_ocr_request(struct spawn_child *c, const char *file, bool image,
    const uint32_t *pages, uint32_t npages, const struct extract_options *o);

/* ocr.c, in a worker: libtesseract with OCR_LANGUAGE, loaded on first use.
 * Texts are malloc'd UTF-8; NULL when the image could not be read. */
bool ocr_ready(void);
char *ocr_gray(const unsigned char *pixels, int width, int height,
    int stride, int dpi);
/* Pages in an image file: a TIFF's count, 1 for others; 0 unreadable. */
unsigned ocr_image_pages(const char *path);
char *ocr_image_page(const char *path, unsigned page);

/* ocrpages.c: a document's pages for OCR (see there). */
struct ocr_pages {
	struct ocr_page_text {		/* a page of the converter's text */
		size_t end;		/* just past its \f */
		size_t nonspace;	/* its non-space characters */
	} *page;
	size_t npages, alloc;
	uint32_t *wanted;		/* pages to recognise, ascending */
	unsigned nwanted, skipped;	/* skipped: over --ocr-max-pages */
	struct ocr_done {		/* a page recognised */
		uint32_t page;
		size_t start, end;	/* its text in .text */
	} *done;
	size_t ndone, done_alloc;
	uint32_t current;		/* the page being recognised */
	uint32_t file_pages;		/* an image file's page count */
	double seconds;			/* spent recognising */
	struct textclean text;		/* the recognised pages' text */
};
void ocrp_init(struct ocr_pages *p, size_t max_text_bytes);
void ocrp_reset(struct ocr_pages *p);
void ocrp_free(struct ocr_pages *p);
/* The converter's text has a page ending at end, with nonspace
 * characters that are not white space. */
void ocrp_page_end(struct ocr_pages *p, size_t end, size_t nonspace);
/* Picks the pages to recognise (at most most); how many. */
unsigned ocrp_choose(struct ocr_pages *p, enum ocr_mode mode, unsigned most);
/* W_PAGE: page's recognised text comes next. */
void ocrp_begin_page(struct ocr_pages *p, uint32_t page, uint32_t file_pages);
/* W_TEXT of the page begun last. */
void ocrp_take(struct ocr_pages *p, const char *buf, size_t len);
/* Replaces text by itself with each recognised page in its page's place;
 * false when memory ran out (text unchanged). */
bool ocrp_splice(struct ocr_pages *p, struct textclean *text);

/* builtin.c and xmltext.c: run in a forked child; stdout is the text. */
struct builtin_job {
	enum doc_type type;
	const char *file;
	size_t max_text_bytes;
};
int builtin_txt(void *job);
int builtin_docx(void *job);
int builtin_odt(void *job);
/* Writes len bytes to stdout; false when the reader went away. */
bool builtin_out(const void *buf, size_t len);

/* spoolref.c: where a record's file lies, for reading and deleting. */
struct spoolref {
	bool inside;		/* in the spool, as dirfd + name */
	bool temp;		/* dirfd is ours to close */
	int dirfd;		/* its folder, opened without following links */
	const char *name;	/* in the path given to spoolref_find */
	int error;		/* ELOOP: a link in the spool, not followed */
};
/* Opens and checks the spool (lib/spool.h); -1 with why, errno EPERM when
 * it fails the ownership rule. */
int spoolref_init(const char *arg, char *why, size_t size);
/* Where file (absolute; kept alive by the caller) lies. */
void spoolref_find(const char *file, struct spoolref *r);
void spoolref_release(struct spoolref *r);
/* Removes the file when the spool rule allows, else warns once, naming
 * the record (who) and the reason. */
void spoolref_remove(struct spoolref *r, const char *who, const char *file);
/* Lets go of the run folders read from: each goes when no stage holds it
 * (with its files unless keep_files), then closes the spool. */
void spoolref_end(bool keep_files);

/* slot.c: one slot of --jobs; free, running a converter, or done. */
struct slot;
struct slot *slot_new(const struct extract_options *o);
void slot_free(struct slot *j);
bool slot_is_free(const struct slot *j);
bool slot_running(const struct slot *j);
/* Its pages are being recognised: it holds an --ocr-jobs place, not one
 * of --jobs. */
bool slot_recognising(const struct slot *j);
/*
 * Takes rec (consumed) into a free slot.  True when a converter was
 * started; false when the record is already done (passed through or
 * failed at once): call slot_finish() right away.
 */
bool slot_start(struct slot *j, jv rec);
/* Adds the running job's open pipe ends to fds; returns how many. */
int slot_pollfds(const struct slot *j, struct pollfd *fds);
/* Reads what is ready and enforces the deadline.  True once done. */
bool slot_step(struct slot *j, double now);
/* Seconds until the job needs a look even without input, or -1. */
double slot_wait(const struct slot *j, double now);
/* A stop was requested: kill the converter, reap it, fail the record. */
void slot_abandon(struct slot *j);
/*
 * Queues the done job's record in w; *failed tells whether the record
 * failed here.  The slot stays taken until slot_out() sees the line out.
 */
void slot_finish(struct slot *j, struct ndjson_writer *w, bool *failed);
/*
 * Once the queued line is wholly written (or the writer failed): deletes or
 * keeps the job's file, counts it and frees the slot.  True when it did.
 */
bool slot_out(struct slot *j, const struct ndjson_writer *w);
/* path made absolute (malloc'd), so no file name can pass for an option. */
char *extract_absolute(const char *path);

/* intake.c */
/*
 * How gz-extract takes a record, the one place it reads the record's gz
 * member: INTAKE_PASS for a record an earlier stage failed (written on
 * untouched), INTAKE_FAIL with code and why for one that fails at once
 * (bad_record, *rec then without its malformed gz members; no_file),
 * INTAKE_FILE with *file, gz.file borrowed from *rec.  *rec stays the
 * caller's.
 */
enum intake { INTAKE_PASS, INTAKE_FAIL, INTAKE_FILE };
enum intake intake_record(jv *rec, const char **file, const char **code,
    char *why, size_t size);

/* output.c: queues rec (consumed) with source_text; the writer's ticket,
 * or 0 when nothing was queued. */
uint64_t output_record(struct ndjson_writer *w, jv rec, const char *text,
    size_t len);

/* run.c */
int extract_run(const struct extract_options *o);

#endif
