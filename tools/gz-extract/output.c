/*
 * output — queues a record whose source_text is escaped straight from the
 * sanitiser's buffer into the writer's line, 64 KiB at a time.
 *
 * Putting a 32 MB text into a jv string and dumping the record would hold
 * the text three times (buffer, jv string, dump); this builds the line once,
 * in the writer, and the job then gives its text buffer back.  The rest of
 * the record is dumped by libjq as usual and source_text is appended as its
 * last member.  The writer hands nothing of the line to stdout before it is
 * whole (ndjson_writer_end), so a record is never half-written.
 */
#include "extract.h"
#include "ndjson.h"

#include <stdio.h>
#include <string.h>

#define OUT_SIZE (64u << 10)

struct out {
	struct ndjson_writer *w;
	size_t n;
	char buf[OUT_SIZE];
};

static void
out_flush(struct out *o)
{
	ndjson_writer_append(o->w, o->buf, o->n);
	o->n = 0;
}

static void
out_put(struct out *o, const char *s, size_t len)
{
	if (len > OUT_SIZE - o->n)
		out_flush(o);
	if (len > OUT_SIZE) {
		ndjson_writer_append(o->w, s, len);
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
}

/* JSON string escaping.  The text is valid UTF-8 (textclean), so bytes of
 * 0x80 and up go out as they are. */
static void
out_escaped(struct out *o, const char *s, size_t len)
{
	size_t i = 0, run;

	while (i < len) {
		unsigned char c;
		char esc[8];

		for (run = i; run < len; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		out_put(o, s + i, run - i);
		if ((i = run) == len)
			break;
		switch (c = (unsigned char)s[i++]) {
		case '"': out_put(o, "\\\"", 2); break;
		case '\\': out_put(o, "\\\\", 2); break;
		case '\n': out_put(o, "\\n", 2); break;
		case '\t': out_put(o, "\\t", 2); break;
		case '\f': out_put(o, "\\f", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			out_put(o, esc, 6);
		}
	}
}

uint64_t
output_record(struct ndjson_writer *w, jv rec, const char *text, size_t len)
{
	static struct out o;
	jv dump;
	const char *s;
	size_t n;

	rec = jv_object_delete(rec, jv_string("source_text"));
	dump = jv_dump_string(rec, 0);
	s = jv_string_value(dump);
	n = (size_t)jv_string_length_bytes(jv_copy(dump));
	o.w = w;
	o.n = 0;
	ndjson_writer_begin(w);
	/* s is "{...}": reopen it to add the last member. */
	out_put(&o, s, n - 1);
	if (n > 2)
		out_put(&o, ",", 1);
	out_put(&o, "\"source_text\":\"", 15);
	out_escaped(&o, text, len);
	out_put(&o, "\"}", 2);
	out_flush(&o);
	jv_free(dump);
	return ndjson_writer_end(w);
}
