/*
 * run — the record loop: every record but an association gazette's goes
 * out byte for byte; an association gazette goes out as its parent record
 * (gz.segment index 0: gz-index publishes its .txt, indexes nothing) and
 * then its segments, one at a time, so memory holds one text and one
 * segment at most.  The loop blocks: gz-split does no other work that
 * could go on while stdout is slow.
 */
#include "split.h"
#include "cli.h"
#include "digest.h"
#include "log.h"
#include "ndjson.h"
#include "rec.h"
#include "sig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_HIGH_WATER (1u << 20)
#define MAX_RULES 8

struct run {
	struct ndjson_reader *in;
	struct ndjson_writer *out;
	struct { const struct association_rule *rule;
		struct splitter *s; } splitters[MAX_RULES];
	size_t nsplitters;
	int status;
	bool stop;
	unsigned long associations, segments;
};

/* Writes out once the writer holds enough; a failed stdout stops all. */
static void
settle(struct run *r, uint64_t ticket)
{
	if (ticket == 0 || (ndjson_writer_full(r->out) &&
	    ndjson_writer_drain(r->out) != 0)) {
		if (ndjson_writer_error(r->out) != EPIPE)
			r->status = EXIT_FATAL;
		r->stop = true;
	}
}

static void
emit(struct run *r, jv rec)
{
	settle(r, ndjson_writer_put_jv(r->out, rec));
}

static void
fail(struct run *r, jv rec, const char *code, const char *why)
{
	rec = jv_object_delete(rec, jv_string("source_text"));
	emit(r, rec_set_error(rec, code, why, 0, false));
	if (r->status == EXIT_OK)
		r->status = EXIT_RECORDS;
}

static struct splitter *
splitter_for(struct run *r, const struct association_rule *rule, char *why,
    size_t size)
{
	size_t i;

	for (i = 0; i < r->nsplitters; i++)
		if (r->splitters[i].rule == rule)
			return r->splitters[i].s;
	if (r->nsplitters == MAX_RULES)
		return NULL;
	r->splitters[r->nsplitters].rule = rule;
	return r->splitters[r->nsplitters++].s = splitter_new(rule, why,
	    size);
}

/* What gz-index needs to account for a segment: gz.segment. */
static jv
segment_info(jv parent, size_t index, size_t count, const char *key)
{
	jv info = JV_OBJECT(jv_string("index"), jv_number((double)index),
	    jv_string("count"), jv_number((double)count),
	    jv_string("parent_id"), jv_object_get(jv_copy(parent),
	    jv_string("id")),
	    jv_string("parent_checksum"), jv_object_get(jv_copy(parent),
	    jv_string("file_checksum")));

	if (key != NULL)
		info = jv_object_set(info, jv_string("text_key"),
		    jv_string(key));
	return info;
}

/* A segment: the gazette with the municipality's territory and text. */
static bool
emit_segment(struct run *r, jv gazette, const struct split *sp, size_t g)
{
	const struct territory *t = sp->groups[g].territory;
	struct md5_ctx md5 = { 0 };
	unsigned char raw[16];
	char sum[33], *text, key[512];
	const char *date = rec_string(gazette, "date");
	size_t len, a, b;
	jv seg;

	if ((text = split_segment_text(sp, g, &len)) == NULL)
		return false;
	md5_init(&md5);
	md5_update(&md5, text, len);
	md5_final(&md5, raw);
	md5_free(&md5);
	digest_hex(raw, 16, sum);
	py_strip(text, len, &a, &b);
	/* {territory_id}/{date}/{file_checksum}.txt, as the existing system
	 * names a segment's text */
	snprintf(key, sizeof key, "%s/%.64s/%s.txt", t->id,
	    date ? date : "None", sum);
	seg = jv_object_set(jv_copy(gazette), jv_string("territory_id"),
	    jv_string(t->id));
	seg = jv_object_set(seg, jv_string("territory_name"),
	    jv_string(t->name));
	seg = jv_object_set(seg, jv_string("file_checksum"), jv_string(sum));
	seg = jv_object_set(seg, jv_string("processed"), jv_true());
	seg = jv_object_set(seg, jv_string("source_text"),
	    jv_string_sized(text + a, (int)(b - a)));
	seg = rec_gz_set(seg, "segment", segment_info(gazette, g + 1,
	    sp->ngroups, key));
	free(text);
	emit(r, seg);
	r->segments++;
	return true;
}

static void
split_association(struct run *r, jv rec, const char *tid)
{
	const struct association_rule *rule = rules_find(tid);
	struct splitter *s;
	struct split sp;
	const char *code;
	char why[512];
	jv text;
	size_t g;

	if (rule == NULL) {
		snprintf(why, sizeof why, "no splitting rules for the "
		    "association %s", tid);
		fail(r, rec, "unsupported_association", why);
		return;
	}
	text = jv_object_get(jv_copy(rec), jv_string("source_text"));
	if (jv_get_kind(text) != JV_KIND_STRING) {
		jv_free(text);
		fail(r, rec, "missing_text", "an association gazette needs "
		    "source_text to be split");
		return;
	}
	if ((s = splitter_for(r, rule, why, sizeof why)) == NULL) {
		jv_free(text);
		fail(r, rec, "split_failed", why);
		return;
	}
	code = splitter_run(s, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)), &sp, why,
	    sizeof why);
	jv_free(text);
	if (code != NULL) {
		split_free(&sp);
		fail(r, rec, code, why);
		return;
	}
	/* The parent first: its .txt is published whole, as before. */
	emit(r, rec_gz_set(jv_copy(rec), "segment", segment_info(rec, 0,
	    sp.ngroups, NULL)));
	rec = jv_object_delete(rec, jv_string("source_text"));
	for (g = 0; g < sp.ngroups && !r->stop; g++)
		if (!emit_segment(r, rec, &sp, g)) {
			log_error("out of memory building a segment");
			r->status = EXIT_FATAL;
			r->stop = true;
		}
	r->associations++;
	split_free(&sp);
	jv_free(rec);
}

static void
take(struct run *r, jv rec)
{
	char why[256];
	const char *tid;
	const char *raw;
	size_t len;

	if (!rec_check(&rec, why, sizeof why)) {
		fail(r, rec, "bad_record", why);
		return;
	}
	tid = rec_string(rec, "territory_id");
	if (rec_has_error(rec) || tid == NULL || !rules_is_association(tid)) {
		raw = ndjson_raw(r->in, &len);
		settle(r, ndjson_writer_put_line(r->out, raw, len));
		jv_free(rec);
		return;
	}
	split_association(r, rec, tid);
}

int
split_run(const struct split_options *o)
{
	struct run r = { .status = EXIT_OK };
	size_t i;
	jv rec;

	r.in = ndjson_reader_new(0, o->max_record_bytes);
	r.out = ndjson_writer_new(1, OUT_HIGH_WATER, "records");
	while (!r.stop && !sig_stop_requested()) {
		enum ndjson_status st = ndjson_read(r.in, &rec);

		if (st == NDJSON_EOF)
			break;
		if (st == NDJSON_IOERR) {
			log_error("reading records: %s", strerror(errno));
			r.status = EXIT_FATAL;
			break;
		}
		gz_stats.records_in++;
		if (st == NDJSON_BAD) {
			emit(&r, rec_bad_line(ndjson_line(r.in),
			    ndjson_error(r.in)));
			if (r.status == EXIT_OK)
				r.status = EXIT_RECORDS;
		} else if (st == NDJSON_RECORD)
			take(&r, rec);
		progress_tick();
	}
	if (ndjson_writer_drain(r.out) != 0 &&
	    ndjson_writer_error(r.out) != EPIPE)
		r.status = EXIT_FATAL;
	if (sig_stop_requested() && r.status == EXIT_OK)
		r.status = EXIT_RECORDS;
	for (i = 0; i < r.nsplitters; i++)
		splitter_free(r.splitters[i].s);
	ndjson_writer_free(r.out);
	ndjson_reader_free(r.in);
	log_info("%lu association gazettes split into %lu segments",
	    r.associations, r.segments);
	return r.status;
}
