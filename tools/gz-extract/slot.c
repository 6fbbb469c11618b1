/*
 * slot — one of the --jobs converter slots, and the document in it on its
 * way through a converter: detect its type,
 * start the converter, collect its text through the sanitiser (never more
 * than --max-text-bytes of it), keep the end of its stderr, enforce the
 * deadline, and turn what happened into the record's gz fields or gz.error.
 *
 * Owns the record, the text buffer and the child while the document runs,
 * and the slot's PDF worker (worker.c) from one document to the next: a worker
 * that crashes, overruns --timeout or runs out of memory is killed and
 * fails that document alone; the next PDF of the slot starts a new one,
 * as does the one after --pdf-recycle documents.
 *
 * OCR (--ocr) is a second step in the same worker: once a PDF's text layer
 * is read, the pages with next to none are recognised by tesseract and
 * take their places (ocrpages.c); an image file has only that step.  At
 * most --ocr-jobs documents are being recognised at once; one that needs
 * OCR waits in its slot for a place.  Each page recognised gets --timeout
 * of its own, so a long scan is bounded per page, not cut at its 100th.
 */
#include "cli.h"
#include "extract.h"
#include "log.h"
#include "ndjson.h"
#include "poppler_text.h"
#include "rec.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (64u << 10)
#define ERR_KEEP 4096		/* the end of a converter's stderr kept */
#define ERR_LINE 240		/* bytes of it quoted in gz.error.message */
/*
 * Seconds a killed converter's pipes may stay open: past that, a process
 * that left the group (setsid) still holds them, and we stop waiting.
 */
#define KILL_GRACE 2.0
/* How often a document waiting for an --ocr-jobs place looks again. */
#define OCR_WAIT_POLL 0.05
#define KEEP_BUFFER (1u << 20)	/* text buffers up to this are reused */

/*
 * SLOT_OUT: the record is queued in the writer; the slot stays taken (no
 * new converter starts in it) until the line is wholly written, which is
 * what bounds the memory of a slow reader to --jobs lines.
 */
enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_DONE, SLOT_OUT };

struct slot {
	const struct extract_options *o;
	enum slot_state state;
	jv rec;
	char *file;		/* absolute path of gz.file */
	struct spoolref sref;	/* where it lies: may we delete it? */
	char who[160];		/* "id 4512", for messages */
	bool owns_file;		/* a regular file we may delete */
	enum doc_type type;
	char mime[128];
	struct converter *conv;
	int attempt;		/* index into the type's converters */
	struct spawn_child child;	/* a converter's process */
	struct spawn_child worker;	/* the slot's PDF worker, or none */
	unsigned worker_docs;		/* documents it has done */
	bool on_worker;		/* the document is the worker's */
	/* Reading the worker's frames: the header so far, then the payload
	 * bytes left; the payload of W_DONE (its status) or W_PAGE. */
	unsigned char frame_hdr[8];
	size_t frame_have;
	uint32_t frame_type, frame_left;
	unsigned char small[8];
	size_t small_have;
	bool done_seen;
	/* OCR: the document's pages, and its place among the --ocr-jobs */
	struct ocr_pages ocr;
	struct converter *text_conv;	/* what read the text layer */
	size_t page_nonspace;	/* nonspace where the last page ended */
	bool ocr_waiting;	/* needs OCR; waits for an --ocr-jobs place */
	bool ocr_phase;		/* its worker is recognising pages */
	bool ocr_ran;		/* pages were recognised */
	double ocr_started;
	struct textclean text;
	char err[ERR_KEEP];	/* the end of the converter's stderr */
	size_t err_len;
	double started, deadline;
	double killed_at;	/* when we sent SIGKILL, or 0 */
	bool timed_out;		/* we killed it at the deadline */
	bool cut;		/* we stopped it: the text was full */
	bool abandoned;		/* we stopped it: a signal */
	bool passthrough;	/* failed upstream: written untouched */
	bool ocr_needed;	/* the PDF has next to no text layer */
	unsigned long formfeeds;	/* \f bytes in all of its output */
	size_t nonspace, counted;	/* non-space characters in text */
	const char *code;	/* gz.error code when it failed */
	char message[512];
	bool retryable;
	uint64_t ticket;	/* SLOT_OUT: the writer's ticket of its line */
	bool ran;		/* SLOT_OUT: extracted (not failed, not passed) */
	size_t text_len;	/* SLOT_OUT: text bytes in the line */
};

struct extract_totals extract_totals;
/* Documents whose pages are being recognised, of --ocr-jobs. */
static int ocr_running;

/* The process the running document is in. */
static struct spawn_child *
proc(struct slot *j)
{
	return j->on_worker ? &j->worker : &j->child;
}

static bool
worker_alive(const struct slot *j)
{
	return j->worker.pid > 0 && !j->worker.reaped && j->worker.in >= 0;
}

/* Ends the slot's worker: idle or not, SIGKILL is what it gets (an
 * idle worker has nothing to lose, and a busy one is being failed). */
static void
worker_retire(struct slot *j)
{
	if (j->worker.pid > 0) {
		spawn_kill(&j->worker);
		spawn_reap(&j->worker, true);
	}
	spawn_close(&j->worker);
	j->worker = (struct spawn_child)SPAWN_CHILD_INIT;
	j->worker_docs = 0;
}

/* The document leaves the OCR step (done, failed or dropped). */
static void
ocr_end(struct slot *j)
{
	if (!j->ocr_phase)
		return;
	j->ocr_phase = false;
	ocr_running--;
	j->ocr.seconds = clock_monotonic() - j->ocr_started;
	gz_stats.ocr_seconds += j->ocr.seconds;
}

struct slot *
slot_new(const struct extract_options *o)
{
	struct slot *j = calloc(1, sizeof *j);

	if (j == NULL)
		return NULL;
	j->o = o;
	j->child = (struct spawn_child)SPAWN_CHILD_INIT;
	j->worker = (struct spawn_child)SPAWN_CHILD_INIT;
	j->sref.dirfd = -1;
	textclean_init(&j->text, o->max_text_bytes);
	ocrp_init(&j->ocr, o->max_text_bytes);
	return j;
}

void
slot_free(struct slot *j)
{
	if (j == NULL)
		return;
	if (j->state == SLOT_RUNNING || j->state == SLOT_DONE)
		jv_free(j->rec);
	if (j->state == SLOT_RUNNING && !j->ocr_waiting) {
		spawn_kill(proc(j));
		spawn_reap(proc(j), true);
	}
	ocr_end(j);
	spawn_close(&j->child);
	worker_retire(j);
	spoolref_release(&j->sref);
	textclean_free(&j->text);
	ocrp_free(&j->ocr);
	free(j->file);
	free(j);
}

bool
slot_is_free(const struct slot *j)
{
	return j->state == SLOT_FREE;
}

bool
slot_running(const struct slot *j)
{
	return j->state == SLOT_RUNNING;
}

bool
slot_recognising(const struct slot *j)
{
	return j->state == SLOT_RUNNING && j->ocr_phase;
}

char *
extract_absolute(const char *path)
{
	char cwd[PATH_MAX];
	size_t size;
	char *abs;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return NULL;
	size = strlen(cwd) + strlen(path) + 2;
	if ((abs = malloc(size)) != NULL)
		snprintf(abs, size, "%s/%s", cwd, path);
	return abs;
}

static void
fail(struct slot *j, const char *code, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail(struct slot *j, const char *code, bool retryable, const char *fmt, ...)
{
	va_list ap;

	j->code = code;
	j->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(j->message, sizeof j->message, fmt, ap);
	va_end(ap);
	j->state = SLOT_DONE;
}

/* The request for the worker: the text layer, or the pages to OCR. */
static int
request(struct slot *j)
{
	bool image = j->type == DOC_IMAGE;

	if (!j->ocr_phase)
		return worker_request(&j->worker, j->file, j->o);
	return worker_ocr_request(&j->worker, j->file, image, j->ocr.wanted,
	    image ? j->o->ocr_max_pages : j->ocr.nwanted, j->o);
}

/*
 * Hands the file to the slot's worker, started first if there is none; a
 * worker that went away while idle (EPIPE) is replaced once.
 */
static int
start_on_worker(struct slot *j)
{
	int tries;

	j->frame_have = j->small_have = 0;
	j->frame_left = 0;
	j->done_seen = false;
	for (tries = 0; tries < 2; tries++) {
		if (!worker_alive(j)) {
			worker_retire(j);
			if (worker_start(&j->worker, j->o) != 0)
				return -1;
			log_debug("PDF worker %d started", (int)j->worker.pid);
		}
		if (request(j) == 0)
			return 0;
		if (errno != EPIPE)
			return -1;
		worker_retire(j);
	}
	return -1;
}

/* An --ocr-jobs place is free: the document's pages go to its worker. */
static void
try_ocr(struct slot *j)
{
	if (ocr_running >= j->o->ocr_jobs)
		return;
	j->ocr_waiting = false;
	j->ocr_phase = true;
	ocr_running++;
	j->ocr_started = clock_monotonic();
	j->timed_out = j->cut = false;
	j->killed_at = 0;
	j->on_worker = true;
	if (start_on_worker(j) != 0) {
		ocr_end(j);
		fail(j, "extractor_failed", true, "cannot start %s: %s",
		    j->conv->name, strerror(errno));
		return;
	}
	j->deadline = clock_monotonic() + j->o->timeout;
	gz_stats.inflight++;
}

/* The document needs OCR: it starts once an --ocr-jobs place is free. */
static void
queue_ocr(struct slot *j)
{
	j->text_conv = j->conv->ocr ? NULL : j->conv;
	j->conv = convert_ocr();
	j->state = SLOT_RUNNING;
	j->ocr_waiting = true;
	try_ocr(j);
}

/* A PDF's text layer is read: are there pages to recognise? */
static void
after_text(struct slot *j)
{
	if (j->type != DOC_PDF || !convert_ocr_on() || j->cut ||
	    j->text.truncated || j->text.nomem)
		return;
	if (ocrp_choose(&j->ocr, j->o->ocr, j->o->ocr_max_pages) > 0)
		queue_ocr(j);
}

/* Starts the converter j->conv; false when the document is done. */
static bool
start_converter(struct slot *j)
{
	int rc;

	j->err_len = 0;
	j->formfeeds = 0;
	j->nonspace = j->counted = 0;
	j->page_nonspace = 0;
	ocrp_reset(&j->ocr);
	j->timed_out = j->cut = false;
	j->killed_at = 0;
	textclean_reset(&j->text);
	if (j->conv->ocr) {
		queue_ocr(j);	/* an image: OCR is all there is */
		return j->state == SLOT_RUNNING;
	}
	j->on_worker = j->conv->worker;
	if (j->on_worker)
		rc = start_on_worker(j);
	else
		rc = convert_start(j->conv, j->type, j->file, j->o, &j->child);
	if (rc != 0) {
		fail(j, "extractor_failed", true, "cannot start %s: %s",
		    j->conv->name, strerror(errno));
		return false;
	}
	j->deadline = clock_monotonic() + j->o->timeout;
	j->state = SLOT_RUNNING;
	gz_stats.inflight++;
	return true;
}

/* The checks before any converter runs; false when the record is done. */
static bool
admit(struct slot *j)
{
	struct detect_result d;

	if (j->sref.error == ELOOP) {
		fail(j, "file_unreadable", false, "%s: a symbolic link in the "
		    "spool, not followed (kept)", j->file);
		return false;
	}
	if (j->sref.error != 0)
		d = (struct detect_result){ .error = j->sref.error };
	else
		detect_file(j->file, j->sref.inside, &d);
	if (d.error == ELOOP && j->sref.inside) {
		fail(j, "file_unreadable", false, "%s: a symbolic link in the "
		    "spool, not followed (kept)", j->file);
		return false;
	}
	if (d.error == ENOENT || d.error == ENOTDIR) {
		fail(j, "file_missing", true, "%s: no such file", j->file);
		return false;
	}
	if (d.not_regular || d.error != 0) {
		fail(j, "file_unreadable", false, "%s: %s", j->file,
		    d.not_regular ? "not a regular file" : strerror(d.error));
		return false;
	}
	j->owns_file = true;
	j->type = d.type;
	snprintf(j->mime, sizeof j->mime, "%s", d.mime);
	if (d.size == 0) {
		fail(j, "empty_file", false, "the file is empty");
		return false;
	}
	if (d.type == DOC_NONE || (d.type == DOC_IMAGE && !convert_ocr_on())) {
		extract_totals.unsupported++;
		fail(j, "unsupported_type", false, "unsupported type %s",
		    d.mime);
		return false;
	}
	if ((j->conv = convert_pick(d.type, 0)) == NULL) {
		fail(j, "extractor_missing", true, "no converter for %s: "
		    "antiword and catdoc were not on PATH at start-up",
		    detect_type_name(d.type));
		return false;
	}
	return true;
}

bool
slot_start(struct slot *j, jv rec)
{
	const char *file = NULL, *code = NULL;
	char why[200];

	j->rec = rec;
	j->state = SLOT_DONE;
	j->code = NULL;
	j->owns_file = false;
	j->conv = NULL;
	j->attempt = 0;
	j->abandoned = j->passthrough = false;
	j->text_conv = NULL;
	j->ocr_waiting = j->ocr_phase = j->ocr_ran = false;
	j->mime[0] = '\0';
	j->started = clock_monotonic();
	spoolref_release(&j->sref);
	free(j->file);
	j->file = NULL;
	rec_describe(j->rec, j->who, sizeof j->who);
	switch (intake_record(&j->rec, &file, &code, why, sizeof why)) {
	case INTAKE_PASS:
		j->passthrough = true;	/* an earlier stage failed it */
		return false;
	case INTAKE_FAIL:
		fail(j, code, false, "%s", why);
		return false;
	case INTAKE_FILE:
		break;
	}
	j->file = extract_absolute(file);
	if (j->file == NULL) {
		fail(j, "file_unreadable", true, "gz.file: %s",
		    strerror(errno));
		return false;
	}
	spoolref_find(j->file, &j->sref);
	return admit(j) && start_converter(j);
}

int
slot_pollfds(const struct slot *j, struct pollfd *fds)
{
	const struct spawn_child *c = j->on_worker ? &j->worker : &j->child;
	int n = 0;

	if (j->state != SLOT_RUNNING || j->ocr_waiting)
		return 0;
	if (c->out >= 0)
		fds[n++] = (struct pollfd){ c->out, POLLIN, 0 };
	if (c->err >= 0)
		fds[n++] = (struct pollfd){ c->err, POLLIN, 0 };
	if (n == 0 && c->pidfd >= 0)
		fds[n++] = (struct pollfd){ c->pidfd, POLLIN, 0 };
	return n;
}

/* Counts the characters that are not white space among new text. */
static void
count_text(struct slot *j)
{
	const unsigned char *p = (const unsigned char *)j->text.buf;
	size_t i;

	for (i = j->counted; i < j->text.len; i++)
		if (p[i] > ' ' && (p[i] < 0x80 || p[i] >= 0xC0))
			j->nonspace++;
	j->counted = j->text.len;
}

/* A piece of converter output that holds at most one \f, at its end. */
static void
take_piece(struct slot *j, const char *buf, size_t n, bool ends_page)
{
	if (ends_page)
		j->formfeeds++;
	if (j->cut || j->text.truncated || j->text.nomem)
		return;
	if (!textclean_feed(&j->text, buf, n) && (j->type != DOC_PDF ||
	    j->text.nomem)) {
		/* Only the PDF page count needs the rest; stop the others. */
		spawn_kill(proc(j));
		j->cut = true;
		j->killed_at = clock_monotonic();
	}
	count_text(j);
	/* Where each page ends, and how much text it has: what OCR needs. */
	if (ends_page && j->type == DOC_PDF && !j->text.truncated) {
		ocrp_page_end(&j->ocr, j->text.len,
		    j->nonspace - j->page_nonspace);
		j->page_nonspace = j->nonspace;
	}
}

static void
take_output(struct slot *j, const char *buf, size_t n)
{
	const char *end = buf + n;

	/* Every page of pdftotext ends in \f, and 0x0C is never part of a
	 * multi-byte sequence: counting bytes counts pages, even past the
	 * cap. */
	while (buf < end) {
		const char *ff = memchr(buf, '\f', (size_t)(end - buf));
		size_t len = ff != NULL ? (size_t)(ff - buf) + 1 :
		    (size_t)(end - buf);

		take_piece(j, buf, len, ff != NULL);
		buf += len;
	}
}

static void
take_stderr(struct slot *j, const char *buf, size_t n)
{
	if (n >= ERR_KEEP) {
		memcpy(j->err, buf + n - ERR_KEEP, ERR_KEEP);
		j->err_len = ERR_KEEP;
		return;
	}
	if (j->err_len + n > ERR_KEEP) {
		size_t drop = j->err_len + n - ERR_KEEP;

		memmove(j->err, j->err + drop, j->err_len - drop);
		j->err_len -= drop;
	}
	memcpy(j->err + j->err_len, buf, n);
	j->err_len += n;
}

/* Payload bytes of W_DONE or W_PAGE (the first 8 are all they have). */
static void
take_small(struct slot *j, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && j->small_have < sizeof j->small; i++)
		j->small[j->small_have++] = (unsigned char)buf[i];
}

/* A frame has wholly arrived. */
static void
frame_end(struct slot *j)
{
	uint32_t head[2];

	if (j->frame_type == W_NOTE)
		take_stderr(j, "\n", 1);
	if (j->frame_type == W_TEXT && j->ocr_phase)
		gz_stats.ocr_pages++;	/* counted as they come: progress */
	if (j->frame_type == W_PAGE && j->small_have == sizeof head) {
		memcpy(head, j->small, sizeof head);
		ocrp_begin_page(&j->ocr, head[0], head[1]);
		/* --timeout is per page recognised. */
		j->deadline = clock_monotonic() + j->o->timeout;
	}
	j->done_seen = j->frame_type == W_DONE;
	j->frame_have = j->small_have = 0;
}

/*
 * The worker's frames (worker.c), in whatever pieces the pipe gives them:
 * W_TEXT goes where a converter's stdout goes (a recognised page's, to
 * ocrpages.c), W_NOTE where its stderr goes (a line each), W_DONE's status
 * and W_PAGE's numbers are kept.
 */
static void
take_frames(struct slot *j, const char *buf, size_t n)
{
	while (n > 0 && !j->done_seen) {
		size_t take;

		if (j->frame_have < sizeof j->frame_hdr) {
			take = sizeof j->frame_hdr - j->frame_have;
			take = take < n ? take : n;
			memcpy(j->frame_hdr + j->frame_have, buf, take);
			j->frame_have += take;
			buf += take;
			n -= take;
			if (j->frame_have < sizeof j->frame_hdr)
				return;
			memcpy(&j->frame_type, j->frame_hdr, 4);
			memcpy(&j->frame_left, j->frame_hdr + 4, 4);
		}
		take = j->frame_left < n ? j->frame_left : n;
		if (j->frame_type == W_TEXT && j->ocr_phase)
			ocrp_take(&j->ocr, buf, take);
		else if (j->frame_type == W_TEXT)
			take_output(j, buf, take);
		else if (j->frame_type == W_NOTE)
			take_stderr(j, buf, take);
		else
			take_small(j, buf, take);
		buf += take;
		n -= take;
		j->frame_left -= (uint32_t)take;
		if (j->frame_left > 0)
			return;
		frame_end(j);
	}
}

/* Reads one pipe until it would block (at most a few chunks). */
static void
drain(struct slot *j, int *fd, bool is_out)
{
	static char buf[READ_CHUNK];
	int rounds;

	for (rounds = 0; *fd >= 0 && rounds < 4; rounds++) {
		ssize_t n = read(*fd, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		if (is_out && j->on_worker)
			take_frames(j, buf, (size_t)n);
		else if (is_out)
			take_output(j, buf, (size_t)n);
		else
			take_stderr(j, buf, (size_t)n);
	}
}

double
slot_wait(const struct slot *j, double now)
{
	const struct spawn_child *c = j->on_worker ? &j->worker : &j->child;
	double wait = -1, until;

	if (j->state != SLOT_RUNNING)
		return -1;
	if (j->ocr_waiting)
		return OCR_WAIT_POLL;
	/* Pipes closed, the child about to exit: its pidfd says when;
	 * without one, look again soon. */
	if (c->out < 0 && c->err < 0 && c->pidfd < 0)
		wait = 0.002;
	until = j->killed_at > 0 ? j->killed_at + KILL_GRACE : j->deadline;
	if (wait < 0 || until - now < wait)
		wait = until > now ? until - now : 0;
	return wait;
}

/* The last non-empty line of the converter's stderr, cleaned for JSON. */
static const char *
err_line(struct slot *j, char *out, size_t size)
{
	struct textclean tc;
	size_t end = j->err_len, start;

	while (end > 0 && (unsigned char)j->err[end - 1] <= ' ')
		end--;
	start = end;
	while (start > 0 && j->err[start - 1] != '\n')
		start--;
	textclean_init(&tc, size - 1);
	textclean_feed(&tc, j->err + start, end - start);
	textclean_finish(&tc);
	memcpy(out, tc.buf ? tc.buf : "", tc.len);
	out[tc.len] = '\0';
	textclean_free(&tc);
	if (out[0] == '\0')
		snprintf(out, size, "nothing on stderr");
	return out;
}

/* NUL-terminated copy of what stderr said, for spawn_outcome(). */
static const char *
err_text(struct slot *j)
{
	static char text[ERR_KEEP + 1];

	memcpy(text, j->err, j->err_len);
	text[j->err_len] = '\0';
	return text;
}

/* A DOC converter that failed or crashed gets its fallback. */
static bool
retry_with_next(struct slot *j, enum spawn_outcome outcome)
{
	struct converter *next;

	/* Not after a PDF worker's crash: that document fails alone. */
	if ((outcome != SPAWN_FAILED && outcome != SPAWN_CRASHED) ||
	    j->on_worker)
		return false;
	if ((next = convert_pick(j->type, j->attempt + 1)) == NULL)
		return false;
	log_debug("%s: %s failed, trying %s", j->file, j->conv->name,
	    next->name);
	j->attempt++;
	j->conv = next;
	return start_converter(j);
}

/* The converter has been reaped: success, a fallback, or an error. */
static void
settle(struct slot *j)
{
	char line[ERR_LINE + 1], how[64];
	enum spawn_outcome outcome;
	const char *name = j->conv->name;
	char mem[32], page[32] = "";
	bool ocr = j->ocr_phase;

	textclean_finish(&j->text);
	count_text(j);
	spawn_close(proc(j));
	gz_stats.inflight--;
	j->state = SLOT_DONE;
	ocr_end(j);
	if (ocr && j->ocr.ndone > 0)
		snprintf(page, sizeof page, " on page %u",
		    (unsigned)j->ocr.current);
	outcome = j->cut ? SPAWN_OK : spawn_outcome(proc(j)->status,
	    err_text(j));
	spawn_status_string(proc(j)->status, how, sizeof how);
	if (j->on_worker)	/* it is gone: the next PDF starts another */
		worker_retire(j);
	snprintf(mem, sizeof mem, "%lluM", j->o->child_memory >> 20);
	if (j->abandoned)
		fail(j, "interrupted", true, "stopped by a signal");
	else if (j->text.nomem)
		fail(j, "extractor_failed", true, "out of memory holding "
		    "the text");
	else if (j->timed_out)
		fail(j, "timeout", false, "%s gave no result in %g s%s and "
		    "was killed", name, j->o->timeout, page);
	else if (outcome == SPAWN_OK && !ocr)
		after_text(j);
	else if (outcome == SPAWN_OK)
		fail(j, "extractor_crashed", false, "%s ended before it was "
		    "done", name);
	else if (retry_with_next(j, outcome))
		return;
	else if (outcome == SPAWN_MEMORY)
		fail(j, "memory_limit", false, "%s ran out of memory under "
		    "--child-memory=%s (%s): %s", name, mem, how,
		    err_line(j, line, sizeof line));
	else if (outcome == SPAWN_CPU_LIMIT)
		fail(j, "timeout", false, "%s used up its %g s of CPU time%s",
		    name, ceil(j->o->timeout), page);
	else if (outcome == SPAWN_CRASHED || outcome == SPAWN_FILE_LIMIT)
		fail(j, "extractor_crashed", false, "%s %s: %s", name, how,
		    err_line(j, line, sizeof line));
	else if (outcome == SPAWN_NOT_FOUND)
		fail(j, "extractor_missing", true, "%s: %s", name,
		    err_line(j, line, sizeof line));
	else if (j->type == DOC_PDF && strstr(err_text(j),
	    "Incorrect password") != NULL)
		fail(j, "password_required", false, "the PDF needs a user "
		    "password to open");
	else
		fail(j, "extractor_failed", false, "%s %s: %s", name, how,
		    err_line(j, line, sizeof line));
}

/* The worker said W_DONE to an OCR request. */
static void
settle_ocr(struct slot *j, uint32_t status, const char *mem)
{
	char line[ERR_LINE + 1];

	if (status == PTEXT_OK && ocrp_splice(&j->ocr, &j->text))
		j->ocr_ran = true;
	else if (status == PTEXT_OK)
		fail(j, "extractor_failed", true, "out of memory holding "
		    "the text");
	else if (status == PTEXT_NO_OCR)
		fail(j, "extractor_missing", true, "tesseract's %s model "
		    "would not load", OCR_LANGUAGE);
	else if (status == PTEXT_MEMORY)
		fail(j, "memory_limit", false, "%s ran out of memory under "
		    "--child-memory=%s", j->conv->name, mem);
	else
		fail(j, "extractor_failed", false, "%s cannot read the %s: %s",
		    j->conv->name, j->type == DOC_IMAGE ? "image" : "PDF",
		    err_line(j, line, sizeof line));
}

/*
 * The worker said W_DONE: the document's outcome, the worker alive.  It
 * goes after --pdf-recycle documents, or once it ran out of memory.
 */
static void
settle_done(struct slot *j)
{
	char line[ERR_LINE + 1], mem[32];
	struct converter *next;
	uint32_t status;
	bool ocr = j->ocr_phase;

	memcpy(&status, j->small, sizeof status);
	textclean_finish(&j->text);
	count_text(j);
	gz_stats.inflight--;
	j->state = SLOT_DONE;
	ocr_end(j);
	snprintf(mem, sizeof mem, "%lluM", j->o->child_memory >> 20);
	if (++j->worker_docs >= j->o->pdf_recycle || status == PTEXT_MEMORY)
		worker_retire(j);
	if (ocr)
		settle_ocr(j, status, mem);
	else if (status == PTEXT_CROPPED && (next = convert_pick(j->type,
	    j->attempt + 1)) != NULL) {
		log_debug("%s: a CropBox smaller than the page: %s reads it",
		    j->file, next->name);
		j->attempt++;
		j->conv = next;
		start_converter(j);
	} else if (status == PTEXT_CROPPED)
		fail(j, "extractor_missing", true, "a page's CropBox is "
		    "smaller than the page: it needs pdftotext, which was not "
		    "on PATH at start-up");
	else if (j->text.nomem)
		fail(j, "extractor_failed", true, "out of memory holding "
		    "the text");
	else if (status == PTEXT_PASSWORD)
		fail(j, "password_required", false, "the PDF needs a user "
		    "password to open");
	else if (status == PTEXT_MEMORY)
		fail(j, "memory_limit", false, "%s ran out of memory under "
		    "--child-memory=%s", j->conv->name, mem);
	else if (status != PTEXT_OK)
		fail(j, "extractor_failed", false, "%s cannot read the PDF: %s",
		    j->conv->name, err_line(j, line, sizeof line));
	else
		after_text(j);
}

bool
slot_step(struct slot *j, double now)
{
	struct spawn_child *c = proc(j);

	if (j->state != SLOT_RUNNING)
		return j->state == SLOT_DONE;
	if (j->ocr_waiting) {
		try_ocr(j);
		return j->state == SLOT_DONE;
	}
	drain(j, &c->out, true);
	drain(j, &c->err, false);
	if (j->on_worker && j->done_seen) {
		settle_done(j);		/* or pdftotext starts: not done */
		return j->state == SLOT_DONE;
	}
	if (!j->timed_out && !j->cut && now >= j->deadline) {
		spawn_kill(c);
		j->timed_out = true;
		j->killed_at = now;
	}
	if (j->killed_at > 0 && now >= j->killed_at + KILL_GRACE)
		spawn_close(c);
	/* Both pipes at EOF before W_DONE: a worker died (or was killed)
	 * mid-document, as a converter would. */
	if (c->out < 0 && c->err < 0 && spawn_reap(c, false))
		settle(j);
	return j->state == SLOT_DONE;
}

void
slot_abandon(struct slot *j)
{
	if (j->state != SLOT_RUNNING)
		return;
	j->abandoned = true;
	if (j->ocr_waiting) {
		j->ocr_waiting = false;
		fail(j, "interrupted", true, "stopped by a signal");
		return;
	}
	spawn_kill(proc(j));
	spawn_reap(proc(j), true);
	settle(j);
}

/*
 * gz.ocr: the pages recognised and the seconds it took, the pages left
 * out (over --ocr-max-pages), and gz.ocr_warning saying so.  Consumes rec.
 */
static jv
ocr_fields(struct slot *j, jv rec)
{
	struct ocr_pages *p = &j->ocr;
	jv pages = jv_array(), ocr = jv_object();
	char warning[200];
	size_t i;

	if (j->type == DOC_IMAGE && p->file_pages > p->ndone)
		p->skipped = p->file_pages - (unsigned)p->ndone;
	for (i = 0; i < p->ndone; i++)
		pages = jv_array_append(pages, jv_number(p->done[i].page));
	ocr = jv_object_set(ocr, jv_string("pages"), pages);
	ocr = jv_object_set(ocr, jv_string("seconds"),
	    jv_number(round(p->seconds * 1000) / 1000));
	if (p->skipped > 0) {
		ocr = jv_object_set(ocr, jv_string("skipped"),
		    jv_number(p->skipped));
		snprintf(warning, sizeof warning, "%u more pages without a "
		    "text layer were not recognised: over --ocr-max-pages=%u",
		    p->skipped, j->o->ocr_max_pages);
		rec = rec_gz_set(rec, "ocr_warning", jv_string(warning));
	}
	return rec_gz_set(rec, "ocr", ocr);
}

/* The gz fields of an extracted record.  Consumes rec. */
static jv
success_fields(struct slot *j, jv rec, double seconds)
{
	double pages = j->formfeeds > 0 ? (double)j->formfeeds : 1;

	char line[ERR_LINE + 1];

	rec = rec_gz_delete(rec, "truncated");
	rec = rec_gz_delete(rec, "ocr_needed");
	rec = rec_gz_delete(rec, "pages");
	rec = rec_gz_delete(rec, "extract_warning");
	rec = rec_gz_delete(rec, "ocr");
	rec = rec_gz_delete(rec, "ocr_warning");
	rec = rec_gz_set(rec, "mime", jv_string(j->mime));
	rec = rec_gz_set(rec, "extractor", jv_string(j->text_conv != NULL ?
	    j->text_conv->name : j->conv->name));
	if (j->type == DOC_PDF)
		rec = rec_gz_set(rec, "pages", jv_number(j->formfeeds));
	else if (j->type == DOC_IMAGE)
		rec = rec_gz_set(rec, "pages", jv_number(j->ocr.file_pages));
	rec = rec_gz_set(rec, "text_bytes", jv_number((double)j->text.len));
	if (j->text.truncated)
		rec = rec_gz_set(rec, "truncated", jv_true());
	if (j->ocr_ran)
		rec = ocr_fields(j, rec);
	if (j->ocr_ran)
		j->ocr_needed = j->ocr.skipped > 0;
	else
		j->ocr_needed = j->type == DOC_PDF && !j->text.truncated &&
		    (double)j->nonspace < OCR_MIN_CHARS_PER_PAGE * pages;
	if (j->ocr_needed)
		rec = rec_gz_set(rec, "ocr_needed", jv_true());
	/* A damaged PDF often reads fine after "Syntax Error" lines: keep
	 * the text, and the converter's last words for the ledger. */
	if (j->err_len > 0 && !j->cut) {
		err_line(j, line, sizeof line);
		log_debug("%s: %s said: %s", j->file, j->conv->name, line);
		rec = rec_gz_set(rec, "extract_warning", jv_string(line));
	}
	return rec_gz_set(rec, "extract_seconds",
	    jv_number(round(seconds * 1000) / 1000));
}

/* The record of a document that failed here.  Consumes rec. */
static jv
error_fields(struct slot *j, jv rec, double seconds)
{
	char who[160];

	rec_describe(rec, who, sizeof who);
	log_warn("%s: %s: %s", strcmp(who, "record") == 0 && j->file ?
	    j->file : who, j->code, j->message);
	if (j->mime[0] != '\0')
		rec = rec_gz_set(rec, "mime", jv_string(j->mime));
	if (j->conv != NULL) {
		rec = rec_gz_set(rec, "extractor", jv_string(j->conv->name));
		rec = rec_gz_set(rec, "extract_seconds",
		    jv_number(round(seconds * 1000) / 1000));
	}
	return rec_set_error(rec, j->code, j->message,
	    j->conv != NULL ? j->attempt + 1 : 0, j->retryable);
}

/* Totals for the summary, once the record is out. */
static void
count_extracted(const struct slot *j)
{
	extract_totals.extracted[j->type]++;
	extract_totals.text_bytes += j->text_len;
	gz_stats.bytes += j->text_len;
	if (j->type == DOC_PDF)
		extract_totals.pages += j->formfeeds;
	if (j->ocr_needed)
		extract_totals.ocr_needed++;
}

/* Only a file of ours in the spool goes (spoolref.c); any other is kept,
 * with a warning naming the record. */
static void
remove_file(struct slot *j)
{
	spoolref_remove(&j->sref, strcmp(j->who, "record") == 0 ? j->file :
	    j->who, j->file);
}

void
slot_finish(struct slot *j, struct ndjson_writer *w, bool *failed)
{
	double seconds = clock_monotonic() - j->started;

	*failed = j->code != NULL;
	j->ran = j->conv != NULL && j->code == NULL;
	j->text_len = j->text.len;
	if (j->passthrough)
		j->ticket = ndjson_writer_put_jv(w, j->rec);
	else if (*failed)
		j->ticket = ndjson_writer_put_jv(w, error_fields(j, j->rec,
		    seconds));
	else
		j->ticket = output_record(w, success_fields(j, j->rec,
		    seconds), j->text.buf ? j->text.buf : "", j->text.len);
	j->rec = jv_invalid();
	if (j->ticket == 0 && ndjson_writer_error(w) == 0) {
		/* Dropping a record silently would lose a gazette. */
		log_error("out of memory for a record line of %zu text bytes",
		    j->text_len);
		exit(EXIT_FATAL);
	}
	if (j->conv != NULL)
		stats_observe_duration(seconds);
	/* The line holds the text now.  Reuse a small buffer (its pages are
	 * already mapped); give a big one back, so a slot waiting on a slow
	 * reader, or idle, holds no second copy of 32 MB. */
	if (j->text.alloc > KEEP_BUFFER)
		textclean_free(&j->text);
	j->state = SLOT_OUT;
}

bool
slot_out(struct slot *j, const struct ndjson_writer *w)
{
	if (j->state != SLOT_OUT)
		return false;
	if (ndjson_writer_done(w, j->ticket)) {
		if (j->ran)
			count_extracted(j);
		if (j->ran ? !j->o->keep : j->owns_file && !j->o->keep_failed)
			remove_file(j);
	} else if (ndjson_writer_error(w) == 0 && j->ticket != 0) {
		return false;
	}
	/* Not written (the writer failed): the file stays for a rerun. */
	spoolref_release(&j->sref);
	free(j->file);
	j->file = NULL;
	j->state = SLOT_FREE;
	return true;
}
