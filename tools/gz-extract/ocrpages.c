/*
 * ocrpages — a document's pages as OCR sees them: where each page's text
 * ends in the text a converter wrote, how many non-space characters it
 * has, which pages to recognise, the text tesseract gave for them, and the
 * document's text once the recognised pages have taken their places.
 */
#include "extract.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void
ocrp_init(struct ocr_pages *p, size_t max_text_bytes)
{
	memset(p, 0, sizeof *p);
	textclean_init(&p->text, max_text_bytes);
}

void
ocrp_reset(struct ocr_pages *p)
{
	p->npages = 0;
	p->nwanted = p->skipped = 0;
	p->ndone = 0;
	p->current = 0;
	p->file_pages = 0;
	p->seconds = 0;
	textclean_reset(&p->text);
}

void
ocrp_free(struct ocr_pages *p)
{
	free(p->page);
	free(p->wanted);
	free(p->done);
	textclean_free(&p->text);
	memset(p, 0, sizeof *p);
}

void
ocrp_page_end(struct ocr_pages *p, size_t end, size_t nonspace)
{
	if (p->npages == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 64;
		p->page = xrealloc(p->page, p->alloc * sizeof *p->page);
	}
	p->page[p->npages].end = end;
	p->page[p->npages].nonspace = nonspace;
	p->npages++;
}

unsigned
ocrp_choose(struct ocr_pages *p, enum ocr_mode mode, unsigned most)
{
	size_t i;

	p->nwanted = p->skipped = 0;
	free(p->wanted);
	p->wanted = NULL;
	if (mode == OCR_NEVER || p->npages == 0)
		return 0;
	p->wanted = xcalloc(p->npages < most ? p->npages : most,
	    sizeof *p->wanted);
	for (i = 0; i < p->npages; i++) {
		if (mode == OCR_AUTO &&
		    p->page[i].nonspace >= OCR_MIN_CHARS_PER_PAGE)
			continue;
		if (p->nwanted < most)
			p->wanted[p->nwanted++] = (uint32_t)(i + 1);
		else
			p->skipped++;
	}
	return p->nwanted;
}

void
ocrp_begin_page(struct ocr_pages *p, uint32_t page, uint32_t file_pages)
{
	p->current = page;
	p->file_pages = file_pages;
	if (p->ndone == p->done_alloc) {
		p->done_alloc = p->done_alloc ? p->done_alloc * 2 : 16;
		p->done = xrealloc(p->done,
		    p->done_alloc * sizeof *p->done);
	}
	p->done[p->ndone].page = page;
	p->done[p->ndone].start = p->done[p->ndone].end = p->text.len;
	p->ndone++;
}

void
ocrp_take(struct ocr_pages *p, const char *buf, size_t len)
{
	if (p->ndone == 0)
		return;		/* text before any W_PAGE: not a page's */
	textclean_feed(&p->text, buf, len);
	p->done[p->ndone - 1].end = p->text.len;
}

/* Appends base[from..to) to out (clean already); false once out is full. */
static bool
put(struct textclean *out, const char *base, size_t from, size_t to)
{
	return to <= from || textclean_feed(out, base + from, to - from);
}

bool
ocrp_splice(struct ocr_pages *p, struct textclean *text)
{
	struct textclean out;
	size_t page, k = 0, start = 0, last;
	bool ok = true;

	textclean_finish(&p->text);
	textclean_init(&out, text->cap);
	last = p->npages;
	if (p->ndone > 0 && p->done[p->ndone - 1].page > last)
		last = p->done[p->ndone - 1].page;
	for (page = 1; page <= last && ok; page++) {
		size_t end = page <= p->npages ? p->page[page - 1].end : start;

		while (k < p->ndone && p->done[k].page < page)
			k++;	/* a page listed twice: its first text */
		if (k < p->ndone && p->done[k].page == page)
			ok = put(&out, p->text.buf, p->done[k].start,
			    p->done[k].end);
		else
			ok = put(&out, text->buf, start, end);
		start = end;
	}
	/* Text after the last page break stays where it was. */
	if (ok && start < text->len)
		put(&out, text->buf, start, text->len);
	textclean_finish(&out);
	if (out.nomem) {
		textclean_free(&out);
		return false;
	}
	out.truncated = out.truncated || text->truncated;
	textclean_free(text);
	*text = out;
	return true;
}
