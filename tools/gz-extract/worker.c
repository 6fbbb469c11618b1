/*
 * worker — the PDF engine's long-lived workers: gz-extract run again as
 * `gz-extract --pdf-worker` (a hidden mode), libpoppler loaded once, one
 * document at a time on request.  Starting pdftotext costs more than most
 * gazettes' text: exec, page faults and the relocation of libpoppler's C++
 * symbols.  A worker pays that once per --pdf-recycle documents.
 *
 * Protocol, on the worker's stdin and stdout: frames of an 8-byte header
 * (type, payload length; host order, both ends are this binary) and a
 * payload.
 *   requests W_REQ_TEXT: u64 max_text_bytes, u64 cpu_seconds, the path
 *            W_REQ_OCR: u64 cpu_seconds, u32 kind (OCR_PDF: the pages
 *            listed; OCR_IMAGE: an image file's first npages pages),
 *            u32 npages, u32 page numbers (from 1; OCR_PDF only), the path
 *   replies  W_TEXT: text, streamed a page at a time, each page ending in
 *            \f as pdftotext's do; once max_text_bytes are sent, only the
 *            \f of each further page (the page count needs them)
 *            W_PAGE: u32 page, u32 pages in the file (0: not known): the
 *            W_TEXT that follows is that page's recognised text
 *            W_NOTE: one line poppler complained with
 *            W_DONE: u32 status (enum ptext_status); the last frame
 * A worker holds one page's text at a time, never the document's.  Its
 * CPU limit is set again for every document (for OCR, every page) from
 * what it has used so far;
 * the rest of its isolation (memory, file size, the kill at --timeout) is
 * the supervisor's, in slot.c.
 */
#include "extract.h"
#include "poppler_text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define PATH_MAX_BYTES 4096
#define REQUEST_MAX (PATH_MAX_BYTES + 16 + 4 * OCR_MAX_PAGES_LIMIT)

struct worker_doc {
	uint64_t max_text_bytes;
	uint64_t sent;
	uint64_t cpu_seconds;	/* OCR: per page */
	uint32_t pages;		/* OCR: pages in the file, or 0 */
};

static bool
writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return true;
}

/* One frame of a + b on stdout.  A parent gone kills us (SIGPIPE). */
static void
send_frame(uint32_t type, const void *a, size_t alen, const void *b,
    size_t blen)
{
	uint32_t hdr[2] = { type, (uint32_t)(alen + blen) };
	struct iovec iov[3] = {
		{ hdr, sizeof hdr }, { (void *)a, alen }, { (void *)b, blen }
	};

	if (!writev_all(STDOUT_FILENO, iov, 3))
		_exit(1);
}

static void
on_note(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	send_frame(W_NOTE, line, len, NULL, 0);
}

static int
on_page(void *ctx, const char *text, size_t len)
{
	struct worker_doc *doc = ctx;

	bool ends_page = len > 0 && text[len - 1] == '\f';

	/* poppler ends each page in \f already, as pdftotext does; should a
	 * page come without one, it gets one (the page count needs it). */
	if (doc->sent >= doc->max_text_bytes)
		len = 0, ends_page = false;
	doc->sent += len;
	send_frame(W_TEXT, text, len, "\f", ends_page ? 0 : 1);
	return 0;
}

static bool
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* The whole file in memory: poppler reads a path 256 bytes at a time. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (buf = malloc((size_t)st.st_size)) != NULL &&
	    !read_all(fd, buf, (size_t)st.st_size)) {
		free(buf);
		buf = NULL;
	}
	*len = buf != NULL ? (size_t)st.st_size : 0;
	close(fd);
	return buf;
}

/*
 * cpu_seconds more than used so far.  Only the soft limit: a hard limit,
 * once lowered, could not be raised for the next document.  Past it the
 * kernel sends SIGXCPU, whose default kills us.
 */
static void
reset_cpu_limit(uint64_t cpu_seconds)
{
	struct rusage ru;
	struct rlimit rl;

	if (cpu_seconds == 0 || getrusage(RUSAGE_SELF, &ru) != 0 ||
	    getrlimit(RLIMIT_CPU, &rl) != 0)
		return;
	rl.rlim_cur = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1 +
	    (time_t)cpu_seconds);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_CPU, &rl);
}

static uint32_t
extract_one(const char *payload, size_t len)
{
	struct worker_doc doc = { 0, 0, 0, 0 };
	uint64_t cpu;
	char path[PATH_MAX_BYTES + 1], why[PATH_MAX_BYTES + 64];
	size_t size;
	char *data;
	uint32_t status;

	/* REQUEST_MAX leaves room for an OCR request's page list: a text
	 * request's path still has to fit. */
	if (len - 16 > PATH_MAX_BYTES)
		return PTEXT_FAILED;
	memcpy(&doc.max_text_bytes, payload, 8);
	memcpy(&cpu, payload + 8, 8);
	memcpy(path, payload + 16, len - 16);
	path[len - 16] = '\0';
	reset_cpu_limit(cpu);
	if ((data = slurp(path, &size)) == NULL) {
		snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
		send_frame(W_NOTE, why, strlen(why), NULL, 0);
		return PTEXT_FAILED;
	}
	status = (uint32_t)ptext_extract(data, size, on_page, &doc);
	free(data);
	return status;
}

/* W_PAGE before a page is recognised: the supervisor's --timeout for it
 * starts then. */
static void
begin_page(struct worker_doc *doc, unsigned page)
{
	uint32_t head[2] = { page, doc->pages };

	send_frame(W_PAGE, head, sizeof head, NULL, 0);
}

/* The page's recognised text and its \f, as W_TEXT. */
static void
end_page(struct worker_doc *doc, char *text)
{
	send_frame(W_TEXT, text != NULL ? text : "",
	    text != NULL ? strlen(text) : 0, "\f", 1);
	free(text);
	reset_cpu_limit(doc->cpu_seconds);	/* the next page's share */
}

static int
on_image(void *ctx, unsigned page, const unsigned char *pixels, int width,
    int height, int stride, int dpi)
{
	struct worker_doc *doc = ctx;

	begin_page(doc, page);
	end_page(doc, pixels != NULL ?
	    ocr_gray(pixels, width, height, stride, dpi) : NULL);
	return 0;
}

static uint32_t
ocr_pdf(const char *path, const uint32_t *pages, uint32_t npages,
    struct worker_doc *doc)
{
	char why[PATH_MAX_BYTES + 64];
	size_t size;
	char *data;
	uint32_t status;

	if ((data = slurp(path, &size)) == NULL) {
		snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
		send_frame(W_NOTE, why, strlen(why), NULL, 0);
		return PTEXT_FAILED;
	}
	status = (uint32_t)ptext_render(data, size, pages, npages, OCR_DPI,
	    on_image, doc);
	free(data);
	return status;
}

static uint32_t
ocr_image(const char *path, uint32_t most, struct worker_doc *doc)
{
	unsigned page;
	char *text;

	if ((doc->pages = ocr_image_pages(path)) == 0)
		return PTEXT_FAILED;
	for (page = 1; page <= doc->pages && page <= most; page++) {
		begin_page(doc, page);
		if ((text = ocr_image_page(path, page)) == NULL)
			return PTEXT_FAILED;
		end_page(doc, text);
	}
	return PTEXT_OK;
}

static uint32_t
ocr_one(const char *payload, size_t len)
{
	struct worker_doc doc = { 0, 0, 0, 0 };
	uint32_t kind, npages, pages[OCR_MAX_PAGES_LIMIT];
	char path[PATH_MAX_BYTES + 1];
	size_t list;

	memcpy(&doc.cpu_seconds, payload, 8);
	memcpy(&kind, payload + 8, 4);
	memcpy(&npages, payload + 12, 4);
	list = kind == OCR_PDF ? (size_t)npages * 4 : 0;
	if (npages > OCR_MAX_PAGES_LIMIT || 16 + list > len ||
	    len - 16 - list > PATH_MAX_BYTES)
		return PTEXT_FAILED;
	memcpy(pages, payload + 16, list);
	memcpy(path, payload + 16 + list, len - 16 - list);
	path[len - 16 - list] = '\0';
	reset_cpu_limit(doc.cpu_seconds);
	if (!ocr_ready())
		return PTEXT_NO_OCR;
	return kind == OCR_PDF ? ocr_pdf(path, pages, npages, &doc) :
	    ocr_image(path, npages, &doc);
}

int
worker_main(void)
{
	char payload[REQUEST_MAX];
	uint32_t hdr[2], status;

	if (ptext_init(on_note, NULL) != 0) {
		fputs("gz-extract --pdf-worker: poppler failed to start\n",
		    stderr);
		return 1;
	}
	while (read_all(STDIN_FILENO, hdr, sizeof hdr)) {
		if ((hdr[0] != W_REQ_TEXT && hdr[0] != W_REQ_OCR) ||
		    hdr[1] < 16 || hdr[1] > REQUEST_MAX ||
		    !read_all(STDIN_FILENO, payload, hdr[1])) {
			fputs("gz-extract --pdf-worker: bad request\n", stderr);
			return 1;
		}
		status = hdr[0] == W_REQ_TEXT ? extract_one(payload, hdr[1]) :
		    ocr_one(payload, hdr[1]);
		send_frame(W_DONE, &status, sizeof status, NULL, 0);
		if (status == PTEXT_MEMORY)
			return 0;	/* a heap that failed once is not reused */
	}
	return 0;
}

/* gz-extract's own binary, whatever it is called and wherever it lies. */
static char *const worker_argv[] = { "gz-extract", "--pdf-worker", NULL };
/*
 * OMP_THREAD_LIMIT=1: libtesseract is built with OpenMP, and a worker is one
 * of --jobs (or --ocr-jobs) processes, each meant to use one core.  A
 * TESSDATA_PREFIX of gz-extract's own environment is passed on (see
 * worker_start).
 */
static char *worker_env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8",
	"OMP_THREAD_LIMIT=1", NULL, NULL, NULL };
static char tessdata_prefix[PATH_MAX_BYTES + 32];
/*
 * Under AddressSanitizer no address-space limit can apply (its shadow memory
 * reserves terabytes), so the sanitize build bounds a worker's resident
 * memory through ASan itself: past the limit allocations fail, and poppler's
 * bad_alloc ends the document with memory_limit, as RLIMIT_AS does in a
 * release build.
 */
static char asan_options[128];

int
worker_start(struct spawn_child *c, const struct extract_options *o)
{
	struct spawn_limits limits = {
		.memory = o->child_memory,
		.file_size = CONVERT_FILE_SIZE,
		.open_files = 64,
	};
	const char *tessdata = getenv("TESSDATA_PREFIX");
	int n = 3;

	if (tessdata != NULL && strlen(tessdata) < PATH_MAX_BYTES) {
		snprintf(tessdata_prefix, sizeof tessdata_prefix,
		    "TESSDATA_PREFIX=%s", tessdata);
		worker_env[n++] = tessdata_prefix;
	}
	if (spawn_sanitized() && o->child_memory > 0) {
		snprintf(asan_options, sizeof asan_options, "ASAN_OPTIONS="
		    "soft_rss_limit_mb=%llu:allocator_may_return_null=1",
		    o->child_memory >> 20);
		worker_env[n++] = asan_options;
	}
	return spawn_exec_fed(c, "/proc/self/exe", worker_argv, worker_env,
	    &limits);
}

int
worker_request(struct spawn_child *c, const char *file,
    const struct extract_options *o)
{
	uint64_t max = o->max_text_bytes;
	uint64_t cpu = (uint64_t)ceil(o->timeout);
	size_t len = strlen(file);
	uint32_t hdr[2] = { W_REQ_TEXT, (uint32_t)(16 + len) };
	struct iovec iov[4] = { { hdr, sizeof hdr }, { &max, 8 }, { &cpu, 8 },
		{ (void *)file, len } };

	if (len > PATH_MAX_BYTES) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return writev_all(c->in, iov, 4) ? 0 : -1;
}

int
worker_ocr_request(struct spawn_child *c, const char *file, bool image,
    const uint32_t *pages, uint32_t npages, const struct extract_options *o)
{
	uint64_t cpu = (uint64_t)ceil(o->timeout);
	uint32_t kind = image ? OCR_IMAGE : OCR_PDF;
	size_t len = strlen(file), list = image ? 0 : (size_t)npages * 4;
	uint32_t hdr[2] = { W_REQ_OCR, (uint32_t)(16 + list + len) };
	struct iovec iov[6] = { { hdr, sizeof hdr }, { &cpu, 8 },
		{ &kind, 4 }, { &npages, 4 }, { (void *)pages, list },
		{ (void *)file, len } };

	if (len > PATH_MAX_BYTES || npages > OCR_MAX_PAGES_LIMIT) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return writev_all(c->in, iov, 6) ? 0 : -1;
}
