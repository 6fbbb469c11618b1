/*
 * doc — turning a record into a document's _bulk lines.
 *
 * A document is the record without "gz"; its action line is
 * {"index":{"_index":INDEX,"_id":ID}}, the _id being file_checksum (as in
 * the existing index) or else the gazette id, so a rerun overwrites instead
 * of duplicating.  Both lines end in \n.  A spilled record's text stays in
 * its file (spill.h); batch.c splices it in where it belongs.
 */
#include "doc.h"
#include "segment.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "rec.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Sets url and file_raw_txt and remembers the .txt key, and the text to
 * upload unless this is a dry run (--output); false without a path.
 */
static bool
prepare_store(struct doc *d, jv *rec, const struct index_options *o)
{
	const char *path = rec_string(*rec, "file_path");
	jv text;

	if (path == NULL || *path == '\0')
		return false;
	/* gz-split: a segment's text has its own key (segment.h). */
	d->key = d->segment != NULL && d->segment->index > 0 ?
	    xstrdup(d->segment->text_key) : text_key(path);
	*rec = jv_object_set(*rec, jv_string("url"), public_link(o, path));
	*rec = jv_object_set(*rec, jv_string("file_raw_txt"),
	    public_link(o, d->key));
	if (o->output != NULL)
		return true;
	text = jv_object_get(jv_copy(*rec), jv_string("source_text"));
	d->text = jv_get_kind(text) == JV_KIND_STRING ? text :
	    (jv_free(text), jv_string(""));
	return true;
}

/*
 * The action line and the document line, both newline-terminated.  With
 * spilled text the document line stops where the text goes (spill_at) and
 * goes on with the closing brace.
 */
static void
render(struct doc *d, jv rec, const struct index_options *o)
{
	static const char text_key[] = "\"source_text\":";
	jv action = jv_object_set(jv_object(), jv_string("_index"),
	    jv_string(o->index));
	jv line, body;
	size_t alen, blen, at;
	bool spilled = d->spill.len > 0;

	action = jv_object_set(action, jv_string("_id"), jv_string(d->id));
	line = jv_dump_string(jv_object_set(jv_object(), jv_string("index"),
	    action), 0);
	body = jv_dump_string(rec_strip_gz(rec), 0);
	alen = (size_t)jv_string_length_bytes(jv_copy(line));
	blen = (size_t)jv_string_length_bytes(jv_copy(body));
	d->frag_len = alen + blen + 2 + (spilled ? sizeof text_key : 0);
	d->frag = xmalloc(d->frag_len);
	memcpy(d->frag, jv_string_value(line), alen);
	d->frag[alen] = '\n';
	at = alen + 1;
	if (spilled) {
		/* {"id":1} → {"id":1,"source_text": TEXT } */
		memcpy(d->frag + at, jv_string_value(body), blen - 1);
		at += blen - 1;
		if (blen > 2)
			d->frag[at++] = ',';
		memcpy(d->frag + at, text_key, sizeof text_key - 1);
		at += sizeof text_key - 1;
		d->spill_at = at;
		d->frag[at++] = '}';
		d->frag_len = at + 1;
	} else {
		memcpy(d->frag + at, jv_string_value(body), blen);
		d->frag_len = at + blen + 1;
	}
	d->frag[d->frag_len - 1] = '\n';
	jv_free(line);
	jv_free(body);
}

struct doc *
doc_new(jv rec, const struct spill_text *spill,
    const struct index_options *o, jv *error)
{
	struct doc *d = xcalloc(1, sizeof *d);
	const char *sum = rec_string(rec, "file_checksum");
	char idbuf[32], why[200];
	bool bad_segment;
	jv claim;

	d->spill.fd = -1;
	if (spill != NULL)
		d->spill = *spill;

	d->gid = rec_id(rec);
	/* gz-split's segments are marked as a set (segment.h). */
	d->segment = segment_ref_new(rec, why, sizeof why, &bad_segment);
	if (bad_segment) {
		*error = rec_set_error(jv_object_delete(rec,
		    jv_string("source_text")), "bad_record", why, 0, false);
		doc_free(d);
		return NULL;
	}
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
	if (o->store_text && o->output == NULL && d->spill.len > 0) {
		jv_free(d->text);
		d->text = spill_read_text(&d->spill);
		if (jv_get_kind(d->text) != JV_KIND_STRING) {
			jv_free(d->text);
			d->text = jv_string("");
		}
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
	if (d->spill.fd >= 0)
		close(d->spill.fd);
	free(d->id);
	free(d->sum);
	free(d->key);
	free(d->frag);
	segment_ref_free(d->segment);
	free(d);
}

size_t
doc_size(const struct doc *d)
{
	return d->frag_len + d->spill.len;
}
