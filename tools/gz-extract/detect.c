/*
 * detect — a document's type by its content, never by its name: libmagic
 * (the library behind file(1), which the existing system used) gives the
 * MIME type, and the type decides the converter.
 *
 * Owns the one magic_t of the process.
 */
#include "extract.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* Past this a zip's central directory is not read just to sniff it. */
#define SNIFF_MAX_BYTES (256LL << 20)

static magic_t cookie;

bool
detect_init(void)
{
	if ((cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) == NULL) {
		log_error("libmagic: %s", strerror(errno));
		return false;
	}
	if (magic_load(cookie, NULL) != 0) {
		log_error("libmagic: cannot load its database: %s",
		    magic_error(cookie));
		magic_close(cookie);
		cookie = NULL;
		return false;
	}
	return true;
}

void
detect_free(void)
{
	if (cookie != NULL)
		magic_close(cookie);
	cookie = NULL;
}

const char *
detect_type_name(enum doc_type type)
{
	static const char *const names[DOC_NTYPES] = {
		"other", "pdf", "doc", "docx", "odt", "txt", "image"
	};

	return type < DOC_NTYPES ? names[type] : "other";
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * libmagic names OOXML only when [Content_Types].xml comes first in the
 * zip, which Word does and other writers need not; an ODT names itself in
 * its "mimetype" entry.  So a plain zip gets a look inside.
 */
static enum doc_type
sniff_zip(const char *path, char *mime, size_t size)
{
	enum doc_type type = DOC_NONE;
	zip_file_t *zf;
	char buf[64];
	zip_int64_t n;
	zip_t *za;
	int err;

	if ((za = zip_open(path, ZIP_RDONLY, &err)) == NULL)
		return DOC_NONE;
	if (zip_name_locate(za, "word/document.xml", 0) >= 0) {
		snprintf(mime, size, "application/vnd.openxmlformats-"
		    "officedocument.wordprocessingml.document");
		type = DOC_DOCX;
	} else if (zip_name_locate(za, "content.xml", 0) >= 0 &&
	    (zf = zip_fopen(za, "mimetype", 0)) != NULL) {
		n = zip_fread(zf, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (has_prefix(buf,
		    "application/vnd.oasis.opendocument.text")) {
			snprintf(mime, size, "%s", buf);
			type = DOC_ODT;
		}
		zip_fclose(zf);
	}
	zip_discard(za);
	return type;
}

static enum doc_type
type_of(const char *mime)
{
	if (strcmp(mime, "application/pdf") == 0)
		return DOC_PDF;
	/* vnd.ms-office: an OLE file libmagic could not pin down further;
	 * antiword says loudly if it is not Word. */
	if (strcmp(mime, "application/msword") == 0 ||
	    strcmp(mime, "application/vnd.ms-office") == 0)
		return DOC_DOC;
	if (has_prefix(mime, "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.") ||
	    has_prefix(mime, "application/vnd.ms-word.document."))
		return DOC_DOCX;
	if (has_prefix(mime, "application/vnd.oasis.opendocument.text"))
		return DOC_ODT;
	/* A scanned page sent as a picture: for tesseract (--ocr). */
	if (strcmp(mime, "image/jpeg") == 0 || strcmp(mime, "image/png") == 0 ||
	    strcmp(mime, "image/tiff") == 0)
		return DOC_IMAGE;
	/* Plain text whatever libmagic guessed it to be (text/x-c...), but
	 * not markup, which would come out as tags. */
	if (has_prefix(mime, "text/") && strcmp(mime, "text/html") != 0 &&
	    strcmp(mime, "text/xml") != 0 && strcmp(mime, "text/rtf") != 0)
		return DOC_TXT;
	return DOC_NONE;
}

/*
 * The file is opened once, non-blocking (a FIFO named as a spool file must
 * not hang us), checked to be a regular file and handed to libmagic as a
 * descriptor.
 */
void
detect_file(const char *path, bool nofollow, struct detect_result *d)
{
	struct stat st;
	const char *mime;
	int fd;

	memset(d, 0, sizeof *d);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    (nofollow ? O_NOFOLLOW : 0))) < 0) {
		d->error = errno;
		return;
	}
	if (fstat(fd, &st) != 0) {
		d->error = errno;
		close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		d->not_regular = true;
		close(fd);
		return;
	}
	d->size = st.st_size;
	if ((mime = magic_descriptor(cookie, fd)) == NULL)
		mime = "application/octet-stream";
	snprintf(d->mime, sizeof d->mime, "%s", mime);
	close(fd);
	d->type = type_of(d->mime);
	if (d->type == DOC_NONE && strcmp(d->mime, "application/zip") == 0 &&
	    d->size <= SNIFF_MAX_BYTES)
		d->type = sniff_zip(path, d->mime, sizeof d->mime);
}
