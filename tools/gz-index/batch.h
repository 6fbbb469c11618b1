/*
 * batch — one _bulk request body and the documents in it (doc.h).
 *
 * A document's bytes (its action line and source line) live in exactly one
 * place at a time: in doc->frag while it waits, or inside the body of the
 * batch that holds it.  So memory is bounded by --batch-bytes times the
 * batches alive (--concurrency in flight, one filling, one waiting).
 */
#ifndef GZ_INDEX_BATCH_H
#define GZ_INDEX_BATCH_H

#include "bulk.h"
#include "doc.h"
#include "spill.h"

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

/* A spilled text inside a batch: it goes at offset at of the body. */
struct text_span {
	size_t at;
	struct spill_text text;
};

struct batch {
	struct xfer x;
	struct batch *next;	/* in the send queue */
	struct doc **docs;
	size_t n, cap;
	char *body;		/* the _bulk body: every doc's lines in order */
	size_t len, body_cap;
	struct text_span *spans; /* spilled texts read into the body, in order */
	size_t nspans, spans_cap;
	size_t spilled;		/* their total length */
	size_t read_pos;	/* how much of the body curl has read */
	unsigned char *gz;	/* gzip of body (--gzip), built to send */
	size_t gz_len;
	struct spill_text gz_file; /* instead, with spilled text: on disk */
	int attempt;		/* request-level attempts so far */
	double not_before;
	double first_at;	/* when its first document arrived */
	double sent_at;
	void *easy;		/* the transfer while in flight (CURL *) */
	char error[256];	/* libcurl's words for a failed transfer */
	char *resp;		/* response body */
	size_t resp_len, resp_cap;
};

/* Bytes a batch sends, its spilled texts included. */
size_t batch_size(const struct batch *b);
/* Writes the body, text spliced in, to fd; gzipped with gzip.  0 or -1. */
int batch_write(struct batch *b, int fd, bool gzip);
/* CURLOPT_READFUNCTION and SEEKFUNCTION for a batch with spilled texts. */
size_t batch_read(char *buf, size_t size, size_t nitems, void *arg);
int batch_seek(void *arg, long long offset, int origin);
struct batch *batch_new(void);
/* Frees the batch and its body, not the documents. */
void batch_free(struct batch *b);
/* Moves d's lines into the body (d->frag is freed). */
void batch_add(struct batch *b, struct doc *d);
/* Copies document i's lines back into its frag so it can leave the batch. */
void batch_detach(struct batch *b, size_t i);
/* Splits b in halves: b keeps the first, the result holds the second. */
struct batch *batch_split(struct batch *b);
/*
 * Compresses the body into b->gz, or with spilled text into an unlinked
 * file in dir (b->gz_file); false when zlib or the file failed.
 */
bool batch_gzip(struct batch *b, const char *dir);

#endif
