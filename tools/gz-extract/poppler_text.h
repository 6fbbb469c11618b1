/*
 * poppler_text — a PDF's text through poppler's C++ API, page by page, in
 * the layout pdftotext uses by default (so the text is pdftotext's, form
 * feeds aside, which the caller adds).  The only C++ in gz: this interface
 * is plain C, and no exception crosses it.
 */
#ifndef GZ_POPPLER_TEXT_H
#define GZ_POPPLER_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ptext_status {
	PTEXT_OK,
	PTEXT_FAILED,		/* poppler could not open it */
	PTEXT_PASSWORD,		/* it needs a user password */
	PTEXT_MEMORY,		/* std::bad_alloc: out of memory */
	PTEXT_STOPPED,		/* page_fn asked to stop */
	PTEXT_CROPPED,		/* a page's CropBox is smaller than its
				 * MediaBox: pdftotext's text, read from the
				 * MediaBox, is not poppler-cpp's */
	PTEXT_NO_OCR		/* (worker.c) tesseract's model would not
				 * load */
};

/* Each page's text (UTF-8, no trailing \f); nonzero stops the document. */
typedef int (*ptext_page_fn)(void *ctx, const char *text, size_t len);
/* Each complaint poppler makes, as one line without a newline. */
typedef void (*ptext_note_fn)(void *ctx, const char *line, size_t len);

/*
 * Once per process: routes poppler's complaints to note_fn and opens a
 * one-page document kept open for the life of the process (poppler rebuilds
 * its global settings whenever its last document closes).  0, or -1.
 */
int ptext_init(ptext_note_fn note_fn, void *ctx);
/* The text of the PDF in data (len bytes, kept alive by the caller). */
enum ptext_status ptext_extract(const char *data, size_t len,
    ptext_page_fn page_fn, void *ctx);

/*
 * A page rendered in 8-bit grey, for OCR: width x height pixels in rows of
 * stride bytes, at dpi (lower than asked for a page so large its image
 * would pass PTEXT_MAX_PIXELS).  pixels is NULL when the page could not be
 * rendered.  page counts from 1.  Nonzero stops the document.
 */
#define PTEXT_MAX_PIXELS (120u << 20)
typedef int (*ptext_image_fn)(void *ctx, unsigned page,
    const unsigned char *pixels, int width, int height, int stride, int dpi);
/* Renders the pages listed (from 1; one past the last page renders
 * nothing but still gets its call) of the PDF in data, in that order. */
enum ptext_status ptext_render(const char *data, size_t len,
    const unsigned *pages, size_t npages, int dpi, ptext_image_fn image_fn,
    void *ctx);

#ifdef __cplusplus
}
#endif

#endif
