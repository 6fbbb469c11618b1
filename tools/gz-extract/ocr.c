/*
 * ocr — text from page images through libtesseract, Portuguese model, in a
 * PDF worker (worker.c): PDF pages rendered by poppler_text.cc, and image
 * files (JPEG, PNG, TIFF) decoded by leptonica.  The model (15 MB, about
 * half a second to load) is loaded on the worker's first OCR request, so a
 * worker that only ever reads text layers never pays for it.
 */
#include "extract.h"

#include <allheaders.h>
#include <tesseract/capi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static TessBaseAPI *api;

bool
ocr_ready(void)
{
	if (api != NULL)
		return true;
	/* Leptonica's warnings would read as the converter's complaints. */
	setMsgSeverity(L_SEVERITY_ERROR);
	if ((api = TessBaseAPICreate()) == NULL)
		return false;
	if (TessBaseAPIInit3(api, NULL, OCR_LANGUAGE) != 0) {
		TessBaseAPIDelete(api);
		api = NULL;
		return false;
	}
	/* tesseract's own chatter ("Estimating resolution as ...") is not
	 * a complaint about the document. */
	TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	return true;
}

/* The text tesseract reads in the image set last, as a malloc'd string. */
static char *
recognise(int dpi)
{
	char *t, *copy;

	if (dpi > 0)
		TessBaseAPISetSourceResolution(api, dpi);
	t = TessBaseAPIGetUTF8Text(api);
	copy = t != NULL ? strdup(t) : strdup("");
	TessDeleteText(t);
	TessBaseAPIClear(api);
	return copy;
}

char *
ocr_gray(const unsigned char *pixels, int width, int height, int stride,
    int dpi)
{
	TessBaseAPISetImage(api, pixels, width, height, 1, stride);
	return recognise(dpi);
}

unsigned
ocr_image_pages(const char *path)
{
	l_int32 format = IFF_UNKNOWN, n = 1;
	FILE *fp;

	if (findFileFormat(path, &format) != 0)
		return 0;
	if (!L_FORMAT_IS_TIFF(format))
		return 1;
	if ((fp = fopenReadStream(path)) == NULL)
		return 0;
	if (tiffGetCount(fp, &n) != 0)
		n = 0;
	fclose(fp);
	return n > 0 ? (unsigned)n : 0;
}

char *
ocr_image_page(const char *path, unsigned page)
{
	l_int32 format = IFF_UNKNOWN, xres = 0, yres = 0;
	PIX *pix;
	char *text;

	if (findFileFormat(path, &format) != 0)
		return NULL;
	if (L_FORMAT_IS_TIFF(format))
		pix = pixReadTiff(path, (l_int32)page - 1);
	else
		pix = pixRead(path);
	if (pix == NULL)
		return NULL;
	pixGetResolution(pix, &xres, &yres);
	TessBaseAPISetImage2(api, pix);
	/* A file that does not say its resolution was most likely scanned
	 * at the usual OCR resolution. */
	text = recognise(xres > 0 ? 0 : OCR_DPI);
	pixDestroy(&pix);
	return text;
}
