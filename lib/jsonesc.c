/*
 * jsonesc — see jsonesc.h.
 */
#include "jsonesc.h"
#include "text.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void
jsonbuf_free(struct jsonbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Room for n more bytes. */
static void
reserve(struct jsonbuf *b, size_t n)
{
	size_t cap;

	if (b->cap - b->len >= n)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > ((size_t)-1) / 2)
			xalloc_die((size_t)-1);
		cap *= 2;
	}
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
jsonbuf_add(struct jsonbuf *b, const char *s, size_t n)
{
	if (n > 0) {
		reserve(b, n);
		memcpy(b->data + b->len, s, n);
		b->len += n;
	}
}

void
jsonbuf_puts(struct jsonbuf *b, const char *s)
{
	jsonbuf_add(b, s, strlen(s));
}

/* 1: ASCII that needs a backslash; 0: ASCII written as it is. */
static const unsigned char needs_escape[128] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,	/* DEL */
};

/*
 * How many bytes at s (not well-formed UTF-8) one U+FFFD replaces, by
 * libjq's jvp_utf8_next, so the output matches jv_string_sized's.
 */
static size_t
bad_sequence_length(const unsigned char *s, size_t avail)
{
	size_t need, i;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 1;	/* continuation, C0, C1, F5..FF */
	if (need > avail)
		return avail;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return i;
	return need;		/* overlong, surrogate, past U+10FFFF */
}

/* The escape of ASCII byte c (needs_escape[c] set) into out; its length. */
static size_t
escape_ascii(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char short_form = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' :
	    c == '\t' ? 't' : c == '\n' ? 'n' : c == '\f' ? 'f' :
	    c == '\r' ? 'r' : 0;

	out[0] = '\\';
	if (short_form) {
		out[1] = short_form;
		return 2;
	}
	memcpy(out + 1, "u00", 3);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	return 6;
}

void
jsonesc_string(struct jsonbuf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	jsonbuf_add(b, "\"", 1);
	while (p < end) {
		const unsigned char *run = p;
		size_t n;

		/* The longest stretch that goes out as it is. */
		for (;;) {
			if (p < end && *p < 0x80 && !needs_escape[*p])
				p++;
			else if (p < end && *p >= 0x80 &&
			    (n = text_utf8_sequence(p, (size_t)(end - p))) > 0)
				p += n;
			else
				break;
		}
		jsonbuf_add(b, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		reserve(b, 6);
		if (*p < 0x80) {
			b->len += escape_ascii(*p, b->data + b->len);
			p++;
		} else {
			memcpy(b->data + b->len, "\xEF\xBF\xBD", 3);
			b->len += 3;
			p += bad_sequence_length(p, (size_t)(end - p));
		}
	}
	jsonbuf_add(b, "\"", 1);
}
