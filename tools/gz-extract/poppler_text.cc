// poppler_text — see poppler_text.h.  Every entry point catches every
// exception: C code called us, and unwinding through it is undefined.
#include "poppler_text.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>
#include <poppler-page-renderer.h>

#include <climits>
#include <cmath>
#include <memory>
#include <new>
#include <string>

namespace {

ptext_note_fn note_fn;
void *note_ctx;
bool quiet;		// the keep-alive document's repairs are not news
poppler::document *keep_alive;

// A page with no xref table: poppler rebuilds it (quietly, see quiet).
const char tiny_pdf[] =
    "%PDF-1.1\n"
    "1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n";

// poppler-cpp says "error: MSG" or "error (OFFSET): MSG" whatever the
// kind (it drops pdftotext's "Syntax Error"): MSG, or "MSG (at OFFSET)".
void
on_complaint(const std::string &msg, void *)
{
	std::string line = msg;

	if (quiet || note_fn == nullptr)
		return;
	if (line.compare(0, 7, "error: ") == 0) {
		line.erase(0, 7);
	} else if (line.compare(0, 7, "error (") == 0) {
		size_t end = line.find("): ");

		if (end != std::string::npos)
			line = line.substr(end + 3) + " (at " +
			    line.substr(7, end - 7) + ")";
	}
	note_fn(note_ctx, line.data(), line.size());
}

// pdftotext reads each page's MediaBox; poppler-cpp's page::text only its
// CropBox, whatever rectangle it is given.  Where they differ, the caller
// asks pdftotext instead.
bool
cropped(poppler::document &doc)
{
	int n = doc.pages();

	for (int i = 0; i < n; i++) {
		std::unique_ptr<poppler::page> page(doc.create_page(i));

		if (!page)
			continue;
		poppler::rectf media = page->page_rect(poppler::media_box);
		poppler::rectf crop = page->page_rect(poppler::crop_box);

		if (media.left() != crop.left() || media.top() != crop.top() ||
		    media.width() != crop.width() ||
		    media.height() != crop.height())
			return true;
	}
	return false;
}

enum ptext_status
pages_text(poppler::document &doc, ptext_page_fn page_fn, void *ctx)
{
	int n = doc.pages();

	for (int i = 0; i < n; i++) {
		std::unique_ptr<poppler::page> page(doc.create_page(i));
		poppler::byte_array text;

		if (page)
			text = page->text(poppler::rectf(),
			    poppler::page::non_raw_non_physical_layout)
			    .to_utf8();
		if (page_fn(ctx, text.data(), text.size()) != 0)
			return PTEXT_STOPPED;
	}
	return PTEXT_OK;
}

// The resolution page is rendered at: dpi, or less for a page whose image
// would pass PTEXT_MAX_PIXELS (a poster-sized page at 300 dpi).
double
render_dpi(poppler::page &page, int dpi)
{
	poppler::rectf box = page.page_rect(poppler::crop_box);
	double inches2 = box.width() / 72.0 * box.height() / 72.0;
	double most = inches2 > 0 ? std::sqrt(PTEXT_MAX_PIXELS / inches2) : dpi;

	return most < dpi ? std::floor(most) : dpi;
}

int
render_one(poppler::document &doc, unsigned number, int dpi,
    ptext_image_fn image_fn, void *ctx)
{
	std::unique_ptr<poppler::page> page;
	poppler::page_renderer renderer;
	poppler::image img;
	double res = dpi;

	if (number >= 1 && number <= (unsigned)doc.pages())
		page.reset(doc.create_page((int)number - 1));
	if (page) {
		res = render_dpi(*page, dpi);
		renderer.set_image_format(poppler::image::format_gray8);
		renderer.set_render_hint(poppler::page_renderer::antialiasing);
		renderer.set_render_hint(
		    poppler::page_renderer::text_antialiasing);
		img = renderer.render_page(page.get(), res, res);
	}
	if (!img.is_valid())
		return image_fn(ctx, number, nullptr, 0, 0, 0, (int)res);
	return image_fn(ctx, number,
	    reinterpret_cast<const unsigned char *>(img.const_data()),
	    img.width(), img.height(), img.bytes_per_row(), (int)res);
}

} // namespace

extern "C" int
ptext_init(ptext_note_fn fn, void *ctx)
{
	try {
		note_fn = fn;
		note_ctx = ctx;
		poppler::set_debug_error_function(on_complaint, nullptr);
		quiet = true;
		keep_alive = poppler::document::load_from_raw_data(tiny_pdf,
		    (int)sizeof tiny_pdf - 1);
		quiet = false;
		return keep_alive != nullptr ? 0 : -1;
	} catch (...) {
		quiet = false;
		return -1;
	}
}

extern "C" enum ptext_status
ptext_extract(const char *data, size_t len, ptext_page_fn page_fn, void *ctx)
{
	try {
		if (len > (size_t)INT_MAX)
			throw std::bad_alloc();
		std::unique_ptr<poppler::document> doc(
		    poppler::document::load_from_raw_data(data, (int)len));

		if (!doc)
			return PTEXT_FAILED;
		if (doc->is_locked())
			return PTEXT_PASSWORD;
		if (cropped(*doc))
			return PTEXT_CROPPED;
		return pages_text(*doc, page_fn, ctx);
	} catch (const std::bad_alloc &) {
		return PTEXT_MEMORY;
	} catch (...) {
		return PTEXT_FAILED;
	}
}

extern "C" enum ptext_status
ptext_render(const char *data, size_t len, const unsigned *pages,
    size_t npages, int dpi, ptext_image_fn image_fn, void *ctx)
{
	try {
		if (len > (size_t)INT_MAX)
			throw std::bad_alloc();
		std::unique_ptr<poppler::document> doc(
		    poppler::document::load_from_raw_data(data, (int)len));

		if (!doc)
			return PTEXT_FAILED;
		if (doc->is_locked())
			return PTEXT_PASSWORD;
		for (size_t i = 0; i < npages; i++)
			if (render_one(*doc, pages[i], dpi, image_fn, ctx) != 0)
				return PTEXT_STOPPED;
		return PTEXT_OK;
	} catch (const std::bad_alloc &) {
		return PTEXT_MEMORY;
	} catch (...) {
		return PTEXT_FAILED;
	}
}
