/*
 * spill — a record too long to hold (longer than SPILL_BYTES), read back
 * from the file lib/ndjson spilled it to.
 *
 * One pass over the file, a chunk at a time, splits the line in two: the
 * raw JSON string of source_text, whose place in the file is remembered
 * and which is checked (UTF-8, escapes, no control characters) but never
 * held, and everything else, copied into a small JSON object that jv then
 * parses as usual.  The document is later sent as that object's fields
 * with the string spliced back in from the file (batch.c, bulk.c), so a
 * 50 MB text costs a 64 KiB buffer, not three copies of itself.
 */
#include "spill.h"
#include "text.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SPILL_CHUNK
#define SPILL_CHUNK (64u << 10)	/* the fuzz target makes it tiny */
#endif

enum where {
	OPEN,		/* before the opening brace */
	KEY_OR_CLOSE,	/* after { or , */
	KEY,		/* inside a key */
	COLON,		/* after a key */
	VALUE,		/* after the colon */
	RAW,		/* inside a value other than source_text's string */
	TEXT,		/* inside source_text's string */
	AFTER,		/* after a value: , or } */
	END		/* after the closing brace: only blanks */
};

struct scan {
	enum where at;
	char *rest;		/* the object without source_text */
	size_t len, cap, limit;
	size_t key_at;		/* where the current key starts in rest */
	bool is_text_key;
	int text_keys;		/* source_text keys seen: one at most */
	bool after_comma;	/* KEY_OR_CLOSE: a key must follow */
	int depth;		/* RAW: nesting of [ and { */
	bool in_string, escape;
	int hex;		/* TEXT: hex digits of \u still expected */
	size_t text_off, text_len;
	bool have_text;
	char *why;
	size_t why_size;
};

static bool
fail(struct scan *s, size_t at, const char *what)
{
	snprintf(s->why, s->why_size, "%s at byte %zu", what, at + 1);
	return false;
}

static bool
put(struct scan *s, const char *p, size_t n, size_t at)
{
	if (s->len + n > s->limit)
		return fail(s, at, "the fields other than source_text are too long");
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 < s->limit ? (s->len + n) * 2 : s->limit;
		s->rest = xrealloc(s->rest, s->cap);
	}
	memcpy(s->rest + s->len, p, n);
	s->len += n;
	return true;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One byte of source_text's string; at is its offset in the line. */
static bool
text_byte(struct scan *s, unsigned char c, size_t at)
{
	if (s->hex > 0) {
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return fail(s, at, "bad \\u escape in source_text");
		s->hex--;
	} else if (s->escape) {
		if (strchr("\"\\/bfnrtu", c) == NULL || c == '\0')
			return fail(s, at, "bad escape in source_text");
		s->hex = c == 'u' ? 4 : 0;
		s->escape = false;
	} else if (c == '\\') {
		s->escape = true;
	} else if (c == '"') {
		s->text_len = at + 1 - s->text_off;
		s->have_text = true;
		s->at = AFTER;
	} else if (c < 0x20) {
		return fail(s, at, "control character in source_text");
	}
	return true;
}

/* One byte of any other value, copied to rest. */
static bool
raw_byte(struct scan *s, char c, size_t at)
{
	if (s->in_string) {
		if (s->escape)
			s->escape = false;
		else if (c == '\\')
			s->escape = true;
		else if (c == '"')
			s->in_string = false;
		return put(s, &c, 1, at);
	}
	if (s->depth == 0 && (c == ',' || c == '}')) {
		s->at = AFTER;
		return true;	/* AFTER takes this byte */
	}
	if (c == '"')
		s->in_string = true;
	else if (c == '{' || c == '[')
		s->depth++;
	else if (c == '}' || c == ']')
		s->depth--;
	return put(s, &c, 1, at);
}

/* The raw key (quotes included) says source_text, escaped or not. */
static bool
is_text_key(const char *key, size_t len)
{
	jv name;
	bool yes;

	if (len == 13 && memcmp(key, "\"source_text\"", 13) == 0)
		return true;
	if (memchr(key, '\\', len) == NULL)
		return false;
	name = jv_parse_sized(key, (int)len);
	yes = jv_get_kind(name) == JV_KIND_STRING &&
	    jv_string_length_bytes(jv_copy(name)) == 11 &&
	    memcmp(jv_string_value(name), "source_text", 11) == 0;
	jv_free(name);
	return yes;
}

static bool
structure_byte(struct scan *s, char c, size_t at)
{
	switch (s->at) {
	case OPEN:
		if (c == '{')
			return s->at = KEY_OR_CLOSE, put(s, "{", 1, at);
		return blank(c) || fail(s, at, "expected a JSON object");
	case KEY_OR_CLOSE:
		if (c == '"') {
			s->key_at = s->len;
			s->at = KEY;
			s->after_comma = false;
			return put(s, "\"", 1, at);
		}
		if (c == '}' && !s->after_comma)
			return s->at = END, put(s, "}", 1, at);
		return blank(c) || fail(s, at, "expected a key");
	case KEY:
		if (!put(s, &c, 1, at))
			return false;
		if (s->escape)
			s->escape = false;
		else if (c == '\\')
			s->escape = true;
		else if (c == '"') {
			s->is_text_key = is_text_key(s->rest + s->key_at,
			    s->len - s->key_at);
			/* Which of two would win is jv's business: refuse. */
			if (s->is_text_key && ++s->text_keys > 1)
				return fail(s, at, "source_text appears twice");
			s->at = COLON;
		}
		return true;
	case COLON:
		if (c == ':')
			return s->at = VALUE, put(s, ":", 1, at);
		return blank(c) || fail(s, at, "expected a colon");
	case VALUE:
		if (blank(c))
			return true;
		if (c == '"' && s->is_text_key) {
			/* Drop the key from rest; remember the string. */
			s->len = s->key_at;
			s->text_off = at;
			s->at = TEXT;
			return true;
		}
		s->at = RAW;
		s->depth = 0;
		s->in_string = s->escape = false;
		return raw_byte(s, c, at);
	case AFTER:
		if (blank(c))
			return true;
		if (c == ',') {
			if (s->rest[s->len - 1] != '{' &&
			    s->rest[s->len - 1] != ',' && !put(s, ",", 1, at))
				return false;
			s->at = KEY_OR_CLOSE;
			s->after_comma = true;
			return true;
		}
		if (c == '}') {
			if (s->rest[s->len - 1] == ',')
				s->len--;
			return s->at = END, put(s, "}", 1, at);
		}
		return fail(s, at, "expected , or }");
	case END:
		return blank(c) || fail(s, at, "text after the object");
	default:
		return fail(s, at, "internal scanner state");
	}
}

/*
 * How much of buf[0..n) ends on a whole UTF-8 sequence: an incomplete one
 * at the end of a chunk waits for the next chunk.
 */
static size_t
whole_sequences(const unsigned char *buf, size_t n)
{
	size_t back;

	for (back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = buf[n - back];

		if ((c & 0xC0) == 0x80)
			continue;	/* a continuation byte: look further */
		if (c >= 0xC0 && text_utf8_sequence(buf + n - back, back) == 0)
			return n - back;
		break;
	}
	return n;
}

static bool
scan_chunk(struct scan *s, const unsigned char *buf, size_t n, size_t base)
{
	size_t i, bad;

	if (!text_utf8_valid((const char *)buf, n, &bad))
		return fail(s, base + bad, "invalid UTF-8");
	for (i = 0; i < n; i++) {
		enum where before = s->at;
		bool ok = s->at == TEXT ? text_byte(s, buf[i], base + i) :
		    s->at == RAW ? raw_byte(s, (char)buf[i], base + i) :
		    structure_byte(s, (char)buf[i], base + i);

		if (!ok)
			return false;
		/* The , or } that ended a value also belongs to the object. */
		if (before == RAW && s->at == AFTER &&
		    !structure_byte(s, (char)buf[i], base + i))
			return false;
	}
	return true;
}

/* Reads the file through; false (with why) when the line is not a record. */
static bool
scan_file(struct scan *s, int fd, size_t len)
{
	unsigned char *buf = xmalloc(SPILL_CHUNK);
	size_t off = 0;
	bool ok = true;

	while (ok && off < len) {
		size_t want = len - off < SPILL_CHUNK ? len - off : SPILL_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		size_t usable;

		if (n <= 0) {
			ok = fail(s, off, n < 0 ? strerror(errno) :
			    "the spilled line is shorter than it was");
			break;
		}
		usable = off + (size_t)n < len ?
		    whole_sequences(buf, (size_t)n) : (size_t)n;
		if (usable == 0)
			usable = (size_t)n;	/* let the check say why */
		ok = scan_chunk(s, buf, usable, off);
		off += usable;
	}
	free(buf);
	if (ok && s->at != END)
		ok = fail(s, len - 1, "the line ends inside the object");
	return ok;
}

jv
spill_scan(int fd, size_t len, size_t limit, struct spill_text *text,
    char *why, size_t why_size)
{
	struct scan s = { .at = OPEN, .limit = limit, .why = why,
	    .why_size = why_size };
	jv rest = jv_invalid();

	if (scan_file(&s, fd, len)) {
		rest = jv_parse_sized(s.rest, (int)s.len);
		if (!jv_is_valid(rest)) {
			jv msg = jv_invalid_get_msg(rest);

			snprintf(why, why_size, "malformed JSON outside "
			    "source_text: %s", jv_get_kind(msg) ==
			    JV_KIND_STRING ? jv_string_value(msg) : "?");
			jv_free(msg);
			rest = jv_invalid();
		}
	}
	text->fd = fd;
	text->off = s.text_off;
	text->len = s.have_text ? s.text_len : 0;
	free(s.rest);
	return rest;
}

jv
spill_read_text(const struct spill_text *text)
{
	char *raw = xmalloc(text->len);
	size_t got = 0;
	jv value = jv_invalid();

	while (got < text->len) {
		ssize_t n = pread(text->fd, raw + got, text->len - got,
		    (off_t)(text->off + got));

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == text->len && text->len <= 0x7fffffff)
		value = jv_parse_sized(raw, (int)text->len);
	free(raw);
	return value;
}
