/*
 * textclean — see textclean.h.  The well-formed byte ranges are those of
 * RFC 3629 (Unicode table 3-7), the same as lib/text.c checks.
 */
#include "textclean.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TEXTCLEAN_FIRST_ALLOC (64u << 10)

static const unsigned char replacement[3] = { 0xEF, 0xBF, 0xBD };

/*
 * Bytes that go through unchanged in a run: printable ASCII, \t, \n, \f.
 * Everything else takes the slow path, one character at a time.  A table,
 * because this test runs once per byte of every document.
 */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0,	/* \t \n \f */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	P16, P16, P16, P16, P16,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,	/* not DEL */
};
#undef P16

static bool
plain_byte(unsigned char b)
{
	return plain[b] != 0;
}

void
textclean_init(struct textclean *tc, size_t cap)
{
	memset(tc, 0, sizeof *tc);
	tc->cap = cap;
}

void
textclean_reset(struct textclean *tc)
{
	char *buf = tc->buf;
	size_t alloc = tc->alloc, cap = tc->cap;

	memset(tc, 0, sizeof *tc);
	tc->buf = buf;
	tc->alloc = alloc;
	tc->cap = cap;
}

void
textclean_free(struct textclean *tc)
{
	free(tc->buf);
	textclean_init(tc, tc->cap);
}

static bool
full(const struct textclean *tc)
{
	return tc->truncated || tc->nomem;
}

/* Room for need bytes in all: doubling from 64 KiB, never past the cap. */
static bool
grow(struct textclean *tc, size_t need)
{
	size_t alloc = tc->alloc ? tc->alloc : TEXTCLEAN_FIRST_ALLOC;
	char *buf;

	while (alloc < need && alloc <= tc->cap / 2)
		alloc *= 2;
	if (alloc > tc->cap || alloc < need)
		alloc = tc->cap;	/* put() checked need <= cap */
	if ((buf = realloc(tc->buf, alloc)) == NULL) {
		tc->nomem = true;
		return false;
	}
	tc->buf = buf;
	tc->alloc = alloc;
	return true;
}

/*
 * Appends n bytes that form whole characters.  A character that does not
 * fit under the cap ends the text: the caller never splits one.
 */
static bool
put(struct textclean *tc, const void *p, size_t n)
{
	if (full(tc))
		return false;
	if (n > tc->cap - tc->len) {
		tc->truncated = true;
		return false;
	}
	if (tc->len + n > tc->alloc && !grow(tc, tc->len + n))
		return false;
	memcpy(tc->buf + tc->len, p, n);
	tc->len += n;
	tc->started = true;
	return true;
}

/* One decoded character, bytes[0..n) being its UTF-8 form. */
static bool
put_char(struct textclean *tc, uint32_t cp, const void *bytes, size_t n)
{
	bool after_cr = tc->after_cr;

	tc->after_cr = false;
	if (cp < 0x20 || cp == 0x7F) {
		switch (cp) {
		case '\t':
		case '\f':
			return put(tc, bytes, 1);
		case '\n':
			return after_cr ? true : put(tc, "\n", 1);
		case '\r':
			tc->after_cr = true;
			return put(tc, "\n", 1);
		case '\v':
			return put(tc, "\n", 1);
		default:
			tc->dropped++;
			return true;
		}
	}
	if (cp >= 0x80 && cp <= 0x9F) {
		tc->dropped++;
		return true;
	}
	if (cp == 0xFEFF && !tc->started)
		return true;
	return put(tc, bytes, n);
}

static bool
replace(struct textclean *tc)
{
	tc->replaced++;
	return put_char(tc, 0xFFFD, replacement, sizeof replacement);
}

/*
 * Starts a multi-byte sequence at lead byte b.  Returns false when b can't
 * start one (a continuation byte, C0/C1 overlong leads, F5..FF).
 */
static bool
start_sequence(struct textclean *tc, unsigned char b)
{
	tc->lo = 0x80;
	tc->hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF)
		tc->seq_need = 1;
	else if (b >= 0xE0 && b <= 0xEF) {
		tc->seq_need = 2;
		if (b == 0xE0)
			tc->lo = 0xA0;		/* overlong */
		else if (b == 0xED)
			tc->hi = 0x9F;		/* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		tc->seq_need = 3;
		if (b == 0xF0)
			tc->lo = 0x90;		/* overlong */
		else if (b == 0xF4)
			tc->hi = 0x8F;		/* past U+10FFFF */
	} else
		return false;
	tc->seq[0] = b;
	tc->seq_len = 1;
	return true;
}

static bool
end_sequence(struct textclean *tc)
{
	uint32_t cp;
	size_t i, n = tc->seq_len;

	cp = tc->seq[0] & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
	for (i = 1; i < n; i++)
		cp = cp << 6 | (tc->seq[i] & 0x3F);
	tc->seq_len = 0;
	return put_char(tc, cp, tc->seq, n);
}

/* Copies a run of plain bytes; ASCII may be cut anywhere at the cap. */
static bool
put_run(struct textclean *tc, const unsigned char *p, size_t n)
{
	size_t room = tc->cap - tc->len;

	tc->after_cr = false;
	if (n > room) {
		if (room > 0)
			put(tc, p, room);
		tc->truncated = true;
		return false;
	}
	return put(tc, p, n);
}

bool
textclean_feed(struct textclean *tc, const void *in, size_t len)
{
	const unsigned char *p = in, *end = p + len;

	while (p < end && !full(tc)) {
		unsigned char b = *p;

		if (tc->seq_need > 0) {
			if (b < tc->lo || b > tc->hi) {
				/* The bytes so far are one maximal subpart;
				 * b is looked at again as a fresh start. */
				tc->seq_need = tc->seq_len = 0;
				replace(tc);
				continue;
			}
			tc->seq[tc->seq_len++] = b;
			tc->lo = 0x80;
			tc->hi = 0xBF;
			p++;
			if (--tc->seq_need == 0)
				end_sequence(tc);
		} else if (plain_byte(b) && !(b == '\n' && tc->after_cr)) {
			const unsigned char *q = p + 1;

			while (q < end && plain_byte(*q))
				q++;
			put_run(tc, p, (size_t)(q - p));
			p = q;
		} else if (b < 0x80) {
			put_char(tc, b, p, 1);
			p++;
		} else {
			if (!start_sequence(tc, b))
				replace(tc);
			p++;
		}
	}
	return !full(tc);
}

void
textclean_finish(struct textclean *tc)
{
	if (tc->seq_len > 0) {
		tc->seq_need = tc->seq_len = 0;
		replace(tc);
	}
	tc->after_cr = false;
}
