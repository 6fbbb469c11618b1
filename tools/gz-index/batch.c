/*
 * batch — documents' _bulk lines gathered into request bodies.
 *
 * Both lines of a document end in \n (doc.c), so any concatenation of them
 * is a valid body (OpenSearch wants the final newline).
 *
 * A record longer than SPILL_BYTES arrives spilled to a file (spill.c): its
 * lines are built without source_text, and the text's JSON string is read
 * from the file into the request (batch_read) or the --output file
 * (batch_write) where it belongs (a text_span), so it is never in memory.
 */
#include "batch.h"
#include "segment.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "rec.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct batch *
batch_new(void)
{
	return xcalloc(1, sizeof(struct batch));
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->docs);
	free(b->body);
	free(b->spans);
	free(b->gz);
	if (b->gz_file.len > 0)
		close(b->gz_file.fd);
	free(b->resp);
	free(b);
}

void
batch_add(struct batch *b, struct doc *d)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->docs = xrealloc(b->docs, b->cap * sizeof *b->docs);
	}
	if (b->len + d->frag_len > b->body_cap) {
		size_t cap = b->body_cap ? b->body_cap * 2 : 64 * 1024;

		if (cap < b->len + d->frag_len)
			cap = b->len + d->frag_len;
		b->body = xrealloc(b->body, cap);
		b->body_cap = cap;
	}
	memcpy(b->body + b->len, d->frag, d->frag_len);
	if (d->spill.len > 0) {
		if (b->nspans == b->spans_cap) {
			b->spans_cap = b->spans_cap ? b->spans_cap * 2 : 4;
			b->spans = xrealloc(b->spans,
			    b->spans_cap * sizeof *b->spans);
		}
		b->spans[b->nspans++] = (struct text_span){
		    .at = b->len + d->spill_at, .text = d->spill };
		b->spilled += d->spill.len;
	}
	d->off = b->len;
	b->len += d->frag_len;
	free(d->frag);
	d->frag = NULL;
	b->docs[b->n++] = d;
}

void
batch_detach(struct batch *b, size_t i)
{
	struct doc *d = b->docs[i];

	if (d->frag != NULL)
		return;
	d->frag = xmalloc(d->frag_len);
	memcpy(d->frag, b->body + d->off, d->frag_len);
}

/* Empties b's body and lists while its documents keep their own lines. */
static void
batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		batch_detach(b, i);
	free(b->body);
	free(b->gz);
	if (b->gz_file.len > 0)
		close(b->gz_file.fd);
	b->gz_file.len = 0;
	free(b->resp);
	b->body = NULL;
	b->gz = NULL;
	b->resp = NULL;
	b->len = b->body_cap = b->gz_len = b->resp_len = b->resp_cap = 0;
	b->nspans = b->spilled = 0;
	b->attempt = 0;
}

struct batch *
batch_split(struct batch *b)
{
	struct batch *second = batch_new();
	struct doc **docs;
	size_t n = b->n, half = n / 2, i;

	batch_clear(b);
	docs = b->docs;
	b->docs = NULL;
	b->n = b->cap = 0;
	for (i = 0; i < n; i++)
		batch_add(i < half ? b : second, docs[i]);
	free(docs);
	second->first_at = b->first_at;
	return second;
}

/*
 * gzip (windowBits 15 + 16) at level 1: bulk text shrinks about 3:1 even so,
 * and a faster level keeps compression off the critical path.
 */
static bool
gzip_init(z_stream *zs)
{
	memset(zs, 0, sizeof *zs);
	return deflateInit2(zs, 1, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) == Z_OK;
}

/* A body with spilled text is compressed to a file, as it is read. */
static bool
gzip_to_file(struct batch *b, const char *dir)
{
	int fd = ndjson_spill_file(dir);
	off_t size;

	if (fd < 0)
		return false;
	if (batch_write(b, fd, true) != 0 ||
	    (size = lseek(fd, 0, SEEK_CUR)) <= 0) {
		close(fd);
		return false;
	}
	b->gz_file = (struct spill_text){ .fd = fd, .off = 0,
	    .len = (size_t)size };
	return true;
}

bool
batch_gzip(struct batch *b, const char *dir)
{
	z_stream zs;
	size_t bound;
	int rc;

	if (b->nspans > 0)
		return b->gz_file.len > 0 || gzip_to_file(b, dir);
	if (!gzip_init(&zs))
		return false;
	bound = deflateBound(&zs, (uLong)b->len);
	free(b->gz);
	b->gz = xmalloc(bound);
	zs.next_in = (Bytef *)b->body;
	zs.avail_in = (uInt)b->len;
	zs.next_out = b->gz;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	b->gz_len = bound - zs.avail_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END;
}

size_t
batch_size(const struct batch *b)
{
	return b->len + b->spilled;
}

/*
 * The piece of the whole body at pos, up to max bytes; 0 at the end.  The
 * body is the memory one with each span's text inserted at its offset.
 */
static ssize_t
body_piece(const struct batch *b, size_t pos, char *buf, size_t max)
{
	size_t mem = 0, logical = 0, i, n;

	for (i = 0; i <= b->nspans; i++) {
		size_t stop = i < b->nspans ? b->spans[i].at : b->len;
		const struct spill_text *t;

		if (pos < logical + (stop - mem)) {
			n = logical + (stop - mem) - pos;
			n = n < max ? n : max;
			memcpy(buf, b->body + mem + (pos - logical), n);
			return (ssize_t)n;
		}
		logical += stop - mem;
		mem = stop;
		if (i == b->nspans)
			break;
		t = &b->spans[i].text;
		if (pos < logical + t->len) {
			n = logical + t->len - pos;
			return pread(t->fd, buf, n < max ? n : max,
			    (off_t)(t->off + pos - logical));
		}
		logical += t->len;
	}
	return 0;
}

/* What batch_read sends: the gzip file, or the body with its texts. */
static size_t
sent_size(const struct batch *b)
{
	return b->gz_file.len > 0 ? b->gz_file.len : batch_size(b);
}

size_t
batch_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct batch *b = arg;
	size_t max = size * nitems, left = sent_size(b) - b->read_pos;
	ssize_t n = b->gz_file.len == 0 ?
	    body_piece(b, b->read_pos, buf, max) :
	    pread(b->gz_file.fd, buf, left < max ? left : max,
	    (off_t)b->read_pos);

	if (n < 0 || (n == 0 && left > 0))
		return CURL_READFUNC_ABORT;	/* the spill file failed */
	b->read_pos += (size_t)n;
	return (size_t)n;
}

int
batch_seek(void *arg, long long offset, int origin)
{
	struct batch *b = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > sent_size(b))
		return CURL_SEEKFUNC_CANTSEEK;
	b->read_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* Writes n bytes through zs when there is one; 0 or -1. */
static int
put_out(int fd, z_stream *zs, const void *p, size_t n, bool last)
{
	unsigned char out[64 * 1024];
	int rc;

	if (zs == NULL)
		return write_all(fd, p, n);
	zs->next_in = (Bytef *)p;
	zs->avail_in = (uInt)n;
	do {
		zs->next_out = out;
		zs->avail_out = sizeof out;
		rc = deflate(zs, last ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_ERROR ||
		    write_all(fd, out, sizeof out - zs->avail_out) != 0)
			return -1;
	} while (zs->avail_out == 0 || (last && rc != Z_STREAM_END));
	return 0;
}

int
batch_write(struct batch *b, int fd, bool gzip)
{
	char *buf = xmalloc(64 * 1024);
	z_stream zs;
	size_t pos = 0, total = batch_size(b);
	int rc = 0;

	if (gzip && !gzip_init(&zs)) {
		free(buf);
		errno = ENOMEM;
		return -1;
	}
	while (rc == 0 && pos < total) {
		ssize_t n = body_piece(b, pos, buf, 64 * 1024);

		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			rc = -1;
			break;
		}
		pos += (size_t)n;
		rc = put_out(fd, gzip ? &zs : NULL, buf, (size_t)n, false);
	}
	if (rc == 0 && gzip)
		rc = put_out(fd, &zs, "", 0, true);
	if (gzip)
		deflateEnd(&zs);
	free(buf);
	return rc;
}
