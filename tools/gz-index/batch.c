/*
 * batch — turning records into _bulk lines and lines into request bodies.
 *
 * A document is the record without "gz"; its action line is
 * {"index":{"_index":INDEX,"_id":ID}}, the _id being file_checksum (as in
 * the existing index) or else the gazette id, so a rerun overwrites instead
 * of duplicating.  Both lines end in \n, so any concatenation of them is a
 * valid body (OpenSearch wants the final newline).
 */
#include "index.h"
#include "cli.h"
#include "log.h"
#include "rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Memory is sized by the options; running out means they were wrong. */
void
xoom(size_t size)
{
	log_error("out of memory (%zu bytes); lower --batch-bytes or "
	    "--concurrency", size);
	exit(EXIT_FATAL);
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		xoom(size);
	return q;
}

void *
xmalloc(size_t size)
{
	return xrealloc(NULL, size);
}

void *
xcalloc(size_t size)
{
	return memset(xmalloc(size), 0, size);
}

char *
xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}

/* "sp/3550308/2024-01-02.pdf" → "sp/3550308/2024-01-02.txt" (DESIGN "Index"). */
static char *
text_key(const char *file_path)
{
	const char *slash = strrchr(file_path, '/');
	const char *dot = strrchr(slash ? slash + 1 : file_path, '.');
	size_t stem = dot && dot != (slash ? slash + 1 : file_path) ?
	    (size_t)(dot - file_path) : strlen(file_path);
	char *key = xmalloc(stem + 5);

	memcpy(key, file_path, stem);
	memcpy(key + stem, ".txt", 5);
	return key;
}

/* The endpoint joined to key with exactly one slash, or the bare key. */
static jv
public_link(const struct index_options *o, const char *key)
{
	size_t len;

	if (o->relative_paths || o->files_endpoint == NULL)
		return jv_string(key);
	len = strlen(o->files_endpoint);
	while (len > 0 && o->files_endpoint[len - 1] == '/')
		len--;
	while (*key == '/')
		key++;
	return jv_string_fmt("%.*s/%s", (int)len, o->files_endpoint, key);
}

/* Sets url and file_raw_txt and remembers the .txt key; false without a path. */
static bool
prepare_store(struct doc *d, jv *rec, const struct index_options *o)
{
	const char *path = rec_string(*rec, "file_path");
	jv text;

	if (path == NULL || *path == '\0')
		return false;
	d->key = text_key(path);
	*rec = jv_object_set(*rec, jv_string("url"), public_link(o, path));
	*rec = jv_object_set(*rec, jv_string("file_raw_txt"),
	    public_link(o, d->key));
	text = jv_object_get(jv_copy(*rec), jv_string("source_text"));
	d->text = jv_get_kind(text) == JV_KIND_STRING ? text :
	    (jv_free(text), jv_string(""));
	return true;
}

/* The action line and the document line, both newline-terminated. */
static void
render(struct doc *d, jv rec, const struct index_options *o)
{
	jv action = jv_object_set(jv_object(), jv_string("_index"),
	    jv_string(o->index));
	jv line, body;
	size_t alen, blen;

	action = jv_object_set(action, jv_string("_id"), jv_string(d->id));
	line = jv_dump_string(jv_object_set(jv_object(), jv_string("index"),
	    action), 0);
	body = jv_dump_string(rec_strip_gz(rec), 0);
	alen = (size_t)jv_string_length_bytes(jv_copy(line));
	blen = (size_t)jv_string_length_bytes(jv_copy(body));
	d->frag_len = alen + blen + 2;
	d->frag = xmalloc(d->frag_len);
	memcpy(d->frag, jv_string_value(line), alen);
	d->frag[alen] = '\n';
	memcpy(d->frag + alen + 1, jv_string_value(body), blen);
	d->frag[alen + 1 + blen] = '\n';
	jv_free(line);
	jv_free(body);
}

struct doc *
doc_new(jv rec, const struct index_options *o, jv *error)
{
	struct doc *d = xcalloc(sizeof *d);
	const char *sum = rec_string(rec, "file_checksum");
	char idbuf[32];
	jv claim;

	d->gid = rec_id(rec);
	claim = rec_gz_get(rec, "claim");
	d->claimed = jv_get_kind(claim) != JV_KIND_NULL;
	jv_free(claim);
	d->text = jv_invalid();
	d->ledger = jv_invalid();
	if (sum != NULL && *sum != '\0') {
		d->id = xstrdup(sum);
		d->sum = xstrdup(sum);
	} else if (d->gid >= 0) {
		snprintf(idbuf, sizeof idbuf, "%lld", d->gid);
		d->id = xstrdup(idbuf);
	} else {
		*error = rec_set_error(jv_object_delete(rec,
		    jv_string("source_text")), "missing_id", "the record has "
		    "neither file_checksum nor id to make the document _id",
		    0, false);
		doc_free(d);
		return NULL;
	}
	if (o->store_text && !prepare_store(d, &rec, o)) {
		*error = rec_set_error(jv_object_delete(rec,
		    jv_string("source_text")), "missing_file_path",
		    "--store-text needs file_path to name the .txt", 0, false);
		doc_free(d);
		return NULL;
	}
	render(d, jv_copy(rec), o);
	d->ledger = jv_object_delete(rec, jv_string("source_text"));
	return d;
}

void
doc_free(struct doc *d)
{
	if (d == NULL)
		return;
	jv_free(d->ledger);
	jv_free(d->text);
	free(d->id);
	free(d->sum);
	free(d->key);
	free(d->frag);
	free(d);
}

struct batch *
batch_new(void)
{
	return xcalloc(sizeof(struct batch));
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->docs);
	free(b->body);
	free(b->gz);
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
	free(b->resp);
	b->body = NULL;
	b->gz = NULL;
	b->resp = NULL;
	b->len = b->body_cap = b->gz_len = b->resp_len = b->resp_cap = 0;
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
bool
batch_gzip(struct batch *b)
{
	z_stream zs;
	size_t bound;
	int rc;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
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
