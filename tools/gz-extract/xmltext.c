/*
 * xmltext — text of DOCX and ODT documents, read straight from the XML in
 * the zip (libzip) with libxml2's streaming reader, in a forked child.
 *
 * The Debian converters were tried first (EXPECTED.md beside the fixtures):
 * docx2txt turns “ ” – into ASCII and pads centred paragraphs; odt2txt
 * underlines headings, doubles blank lines and needs three flags to stop
 * wrapping and transliterating.  Walking the XML gives the paragraphs
 * exactly, one per line, in bounded memory (one node at a time).
 *
 * DOCX (word/document.xml, then footnotes and endnotes): w:t is text,
 * w:tab a tab, w:br/w:cr a line break, w:br w:type="page" and
 * w:pageBreakBefore a page break (\f), the end of w:p a newline (table
 * cells are paragraphs, so one cell per line).  Skipped: field codes
 * (w:instrText), deletions (w:delText, w:moveFrom), property blocks and
 * mc:Fallback, which repeats mc:Choice.
 *
 * ODT (content.xml): text:p and text:h end in a newline; text:tab is a
 * tab, text:line-break a newline, text:s c spaces; other white space
 * collapses as ODF 1.2 section 6.1.2 says.  Notes are left out of the
 * paragraph that cites them and come after the body, so their text does
 * not split a sentence; annotations, tracked changes and declarations are
 * skipped.
 */
#include "extract.h"

#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_MC "http://schemas.openxmlformats.org/markup-compatibility/2006"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_SVG "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
#define OUT_SIZE (64u << 10)
#define MAX_SPACES 1024		/* one text:s writes no more than this */

enum walk_mode { WALK_DOCX, WALK_ODT_BODY, WALK_ODT_NOTES };

struct walk {
	enum walk_mode mode;
	const char *part;	/* for messages */
	zip_file_t *zf;
	int in_t;		/* inside w:t */
	int ppr_depth;		/* depth of the w:pPr we are in, or -1 */
	bool page_before;	/* that w:pPr asks for a page break */
	int para;		/* text:p/text:h nesting */
	int notes;		/* text:note-body nesting */
	bool at_start;		/* no text yet in this paragraph or line */
	bool space;		/* collapsed white space waiting */
	bool write_failed;
	size_t n;
	char out[OUT_SIZE];
};

static void
flush(struct walk *w)
{
	if (!builtin_out(w->out, w->n))
		w->write_failed = true;
	w->n = 0;
}

static void
emit(struct walk *w, const char *s, size_t len)
{
	if (len > OUT_SIZE - w->n)
		flush(w);
	if (len > OUT_SIZE) {
		if (!builtin_out(s, len))
			w->write_failed = true;
		return;
	}
	memcpy(w->out + w->n, s, len);
	w->n += len;
}

static bool
is(const xmlChar *name, const char *want)
{
	return name != NULL && strcmp((const char *)name, want) == 0;
}

static int
zip_input(void *ctx, char *buf, int len)
{
	struct walk *w = ctx;
	zip_int64_t n = zip_fread(w->zf, buf, (zip_uint64_t)len);

	if (n < 0)
		dprintf(STDERR_FILENO, "%s: %s\n", w->part,
		    zip_file_strerror(w->zf));
	return n < 0 ? -1 : (int)n;
}

/* One line per XML error: the part, its line and libxml2's words. */
static void
xml_error(void *ctx, xmlErrorPtr e)
{
	const struct walk *w = ctx;
	const char *msg = e && e->message ? e->message : "XML error\n";

	dprintf(STDERR_FILENO, "%s: line %d: %s%s", w->part, e ? e->line : 0,
	    msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* An ODF text node: runs of white space become one space, none at the
 * start of a paragraph and none before its end. */
static void
odt_text(struct walk *w, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			if (!w->at_start)
				w->space = true;
			continue;
		}
		if (w->space)
			emit(w, " ", 1);
		w->space = w->at_start = false;
		emit(w, s, 1);
	}
}

static bool
odt_emitting(const struct walk *w)
{
	return w->mode == WALK_ODT_BODY ? w->notes == 0 : w->notes > 0;
}

/* The element at the reader: returns true to skip its subtree. */
static bool
odt_element(struct walk *w, xmlTextReaderPtr r, const xmlChar *ns,
    const xmlChar *name, bool empty)
{
	bool on = odt_emitting(w);

	if (is(ns, NS_OFFICE))
		return is(name, "annotation") || is(name, "forms");
	if (is(ns, NS_SVG))
		return is(name, "title") || is(name, "desc");
	if (!is(ns, NS_TEXT))
		return false;
	if (is(name, "p") || is(name, "h")) {
		if (empty && on)
			emit(w, "\n", 1);
		if (!empty)
			w->para++;
		w->at_start = true;
		w->space = false;
	} else if (is(name, "note"))
		return w->mode == WALK_ODT_BODY;
	else if (is(name, "note-body"))
		w->notes += empty ? 0 : 1;
	else if (is(name, "note-citation") || is(name, "tracked-changes") ||
	    is(name, "sequence-decls") || is(name, "variable-decls") ||
	    is(name, "user-field-decls"))
		return true;
	else if (on && w->para > 0 && (is(name, "tab") ||
	    is(name, "line-break"))) {
		if (w->space)
			emit(w, " ", 1);
		emit(w, is(name, "tab") ? "\t" : "\n", 1);
		w->space = false;
		w->at_start = is(name, "line-break");
	} else if (on && w->para > 0 && is(name, "s")) {
		xmlChar *c = xmlTextReaderGetAttributeNs(r,
		    (const xmlChar *)"c", (const xmlChar *)NS_TEXT);
		long i, count = c ? strtol((const char *)c, NULL, 10) : 1;

		xmlFree(c);
		if (w->space)
			emit(w, " ", 1);
		for (i = 0; i < count && i < MAX_SPACES; i++)
			emit(w, " ", 1);
		w->space = w->at_start = false;
	}
	return false;
}

static void
odt_end(struct walk *w, const xmlChar *ns, const xmlChar *name)
{
	if (!is(ns, NS_TEXT))
		return;
	if ((is(name, "p") || is(name, "h")) && w->para > 0) {
		if (odt_emitting(w))
			emit(w, "\n", 1);
		w->para--;
		w->at_start = true;
		w->space = false;
	} else if (is(name, "note-body") && w->notes > 0)
		w->notes--;
}

/* w:val="0"/"false"/"off" turns a boolean property off; absent is on. */
static bool
docx_on(xmlTextReaderPtr r)
{
	xmlChar *v = xmlTextReaderGetAttributeNs(r, (const xmlChar *)"val",
	    (const xmlChar *)NS_W);
	bool on = v == NULL || !(is(v, "0") || is(v, "false") ||
	    is(v, "off"));

	xmlFree(v);
	return on;
}

static bool
docx_element(struct walk *w, xmlTextReaderPtr r, const xmlChar *ns,
    const xmlChar *name, bool empty, int depth)
{
	if (is(ns, NS_MC))
		return is(name, "Fallback");
	if (!is(ns, NS_W))
		return false;
	if (w->ppr_depth >= 0) {
		if (is(name, "pageBreakBefore") && docx_on(r))
			w->page_before = true;
		return is(name, "rPr");
	}
	if (is(name, "t"))
		w->in_t = !empty;
	else if (is(name, "tab"))
		emit(w, "\t", 1);
	else if (is(name, "cr"))
		emit(w, "\n", 1);
	else if (is(name, "br")) {
		xmlChar *type = xmlTextReaderGetAttributeNs(r,
		    (const xmlChar *)"type", (const xmlChar *)NS_W);

		emit(w, is(type, "page") ? "\f" : "\n", 1);
		xmlFree(type);
	} else if (is(name, "noBreakHyphen"))
		emit(w, "-", 1);
	else if (is(name, "p") && empty)
		emit(w, "\n", 1);
	else if (is(name, "pPr") && !empty) {
		w->ppr_depth = depth;
		w->page_before = false;
	} else if (is(name, "footnote") || is(name, "endnote")) {
		xmlChar *type = xmlTextReaderGetAttributeNs(r,
		    (const xmlChar *)"type", (const xmlChar *)NS_W);
		bool separator = type != NULL && !is(type, "normal");

		xmlFree(type);
		return separator;
	} else
		return is(name, "instrText") || is(name, "delText") ||
		    is(name, "rPr") || is(name, "moveFrom") ||
		    is(name, "sectPr");
	return false;
}

static void
docx_end(struct walk *w, const xmlChar *ns, const xmlChar *name, int depth)
{
	if (!is(ns, NS_W))
		return;
	if (is(name, "t"))
		w->in_t = 0;
	else if (is(name, "p"))
		emit(w, "\n", 1);
	else if (is(name, "pPr") && depth == w->ppr_depth) {
		w->ppr_depth = -1;
		if (w->page_before)
			emit(w, "\f", 1);
	}
}

static void
text_node(struct walk *w, xmlTextReaderPtr r)
{
	const char *s = (const char *)xmlTextReaderConstValue(r);

	if (s == NULL)
		return;
	if (w->mode == WALK_DOCX) {
		if (w->in_t)
			emit(w, s, strlen(s));
	} else if (w->para > 0 && odt_emitting(w))
		odt_text(w, s);
}

/* Reads the whole part; xmlTextReaderNext skips a subtree when asked. */
static int
walk_reader(struct walk *w, xmlTextReaderPtr r)
{
	int rc = xmlTextReaderRead(r);

	while (rc == 1 && !w->write_failed) {
		int type = xmlTextReaderNodeType(r);
		const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
		const xmlChar *name = xmlTextReaderConstLocalName(r);
		bool empty = xmlTextReaderIsEmptyElement(r) == 1, skip = false;
		int depth = xmlTextReaderDepth(r);

		if (type == XML_READER_TYPE_ELEMENT)
			skip = w->mode == WALK_DOCX ?
			    docx_element(w, r, ns, name, empty, depth) :
			    odt_element(w, r, ns, name, empty);
		else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (w->mode == WALK_DOCX)
				docx_end(w, ns, name, depth);
			else
				odt_end(w, ns, name);
		} else if (type == XML_READER_TYPE_TEXT ||
		    type == XML_READER_TYPE_CDATA ||
		    type == XML_READER_TYPE_WHITESPACE ||
		    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)
			text_node(w, r);
		rc = skip && !empty ? xmlTextReaderNext(r) :
		    xmlTextReaderRead(r);
	}
	return rc;
}

/* Walks one part of the zip.  0, 1 when it is absent, -1 on errors. */
static int
walk_part(struct walk *w, zip_t *za, const char *part, bool required)
{
	xmlTextReaderPtr r;
	int rc;

	w->part = part;
	if ((w->zf = zip_fopen(za, part, 0)) == NULL) {
		if (required)
			dprintf(STDERR_FILENO, "%s: %s\n", part,
			    zip_strerror(za));
		return required ? -1 : 1;
	}
	r = xmlReaderForIO(zip_input, NULL, w, part, NULL,
	    XML_PARSE_NONET);
	if (r == NULL) {
		dprintf(STDERR_FILENO, "%s: cannot start the XML reader\n",
		    part);
		zip_fclose(w->zf);
		return -1;
	}
	xmlTextReaderSetStructuredErrorHandler(r, xml_error, w);
	w->in_t = w->para = w->notes = 0;
	w->ppr_depth = -1;
	rc = walk_reader(w, r);
	xmlFreeTextReader(r);
	zip_fclose(w->zf);
	flush(w);
	return rc == 0 && !w->write_failed ? 0 : -1;
}

static zip_t *
open_zip(const char *file)
{
	zip_error_t ze;
	zip_t *za;
	int err;

	if ((za = zip_open(file, ZIP_RDONLY, &err)) == NULL) {
		zip_error_init_with_code(&ze, err);
		dprintf(STDERR_FILENO, "not a readable zip archive: %s\n",
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
	}
	return za;
}

int
builtin_docx(void *arg)
{
	const struct builtin_job *job = arg;
	struct walk *w = calloc(1, sizeof *w);
	zip_t *za;
	int rc = 1;

	if (w == NULL || (za = open_zip(job->file)) == NULL)
		return 1;
	w->mode = WALK_DOCX;
	if (walk_part(w, za, "word/document.xml", true) == 0 &&
	    walk_part(w, za, "word/footnotes.xml", false) >= 0 &&
	    walk_part(w, za, "word/endnotes.xml", false) >= 0)
		rc = 0;
	zip_discard(za);
	free(w);
	return rc;
}

int
builtin_odt(void *arg)
{
	const struct builtin_job *job = arg;
	struct walk *w = calloc(1, sizeof *w);
	zip_t *za;
	int rc = 1;

	if (w == NULL || (za = open_zip(job->file)) == NULL)
		return 1;
	w->mode = WALK_ODT_BODY;
	if (walk_part(w, za, "content.xml", true) == 0) {
		w->mode = WALK_ODT_NOTES;
		if (walk_part(w, za, "content.xml", true) == 0)
			rc = 0;
	}
	zip_discard(za);
	free(w);
	return rc;
}
