/*
 * Fuzz target: the UTF-8 checks (lib/text.h) and the text sanitiser
 * (lib/textclean.h).
 *
 * Input layout: bytes 0-1 give the text cap, byte 2 seeds the chunk sizes;
 * the rest is what a converter printed.  Besides ASan/UBSan/LSan findings
 * the target checks the promises the headers make:
 *   - text_utf8_valid agrees with a plain decoder written here from RFC 3629;
 *   - the clean text is well-formed UTF-8, within the cap, and holds no
 *     control character but \t, \n and \f (no C1 controls either);
 *   - fed in chunks of any size, the sanitiser gives the same text as fed
 *     in one piece;
 *   - text that is already clean, and fits, comes out unchanged.
 */
#include "text.h"
#include "textclean.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Code point at s (well-formed per RFC 3629) and its length; 0 if none. */
static size_t
decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		c = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		c = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10FFFF ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* True when s is well-formed; *clean when it also needs no sanitising. */
static bool
reference(const unsigned char *s, size_t len, size_t *bad, bool *clean)
{
	size_t i = 0, n;
	uint32_t cp;

	*clean = true;
	while (i < len) {
		if ((n = decode(s + i, len - i, &cp)) == 0) {
			*bad = i;
			*clean = false;
			return false;
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\f') ||
		    (cp >= 0x7F && cp <= 0x9F) || (cp == 0xFEFF && i == 0))
			*clean = false;
		i += n;
	}
	return true;
}

static void
fail(const char *what)
{
	fprintf(stderr, "textclean fuzz: %s\n", what);
	abort();
}

static void
sanitise(struct textclean *tc, const uint8_t *p, size_t len, unsigned seed)
{
	while (len > 0) {
		size_t n = seed == 0 ? len : 1 + (seed >> 3) % 17;

		if (n > len)
			n = len;
		seed = seed * 1103515245u + 12345u;
		if (!textclean_feed(tc, p, n) && !(tc->truncated || tc->nomem))
			fail("feed returned false while not full");
		p += n;
		len -= n;
	}
	textclean_finish(tc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct textclean whole, chunked;
	size_t cap, bad = 0, ref_bad = 0, i, n;
	bool valid, ref_valid, clean;
	uint32_t cp;

	if (size < 3)
		return 0;
	cap = (size_t)data[0] | (size_t)data[1] << 8;
	cap = cap >= 0xF000 ? (size_t)1 << 30 : cap % 600;
	n = data[2];
	data += 3;
	size -= 3;

	valid = text_utf8_valid((const char *)data, size, &bad);
	ref_valid = reference(data, size, &ref_bad, &clean);
	if (valid != ref_valid || (!valid && bad != ref_bad))
		fail("text_utf8_valid disagrees with RFC 3629");
	for (i = 0; i < size; i++) {
		size_t a = text_utf8_sequence(data + i, size - i);
		size_t b = decode(data + i, size - i, &cp);

		if (a != b)
			fail("text_utf8_sequence disagrees with RFC 3629");
	}

	textclean_init(&whole, cap);
	textclean_init(&chunked, cap);
	sanitise(&whole, data, size, 0);
	sanitise(&chunked, data, size, (unsigned)n + 1);
	if (whole.nomem || chunked.nomem)
		fail("out of memory");
	if (whole.len > cap)
		fail("text longer than its cap");
	if (whole.len > whole.alloc)
		fail("text longer than its buffer");
	if (whole.len != chunked.len ||
	    (whole.len > 0 && memcmp(whole.buf, chunked.buf, whole.len) != 0) ||
	    whole.truncated != chunked.truncated ||
	    whole.replaced != chunked.replaced)
		fail("the text depends on how the input was chunked");
	if (!reference((const unsigned char *)whole.buf, whole.len, &bad,
	    &ref_valid) || !ref_valid) {
		/* A U+FEFF kept after a dropped control is not a BOM. */
		for (i = 0; i < whole.len; i += n) {
			n = decode((const unsigned char *)whole.buf + i,
			    whole.len - i, &cp);
			if (n == 0)
				fail("the text is not well-formed UTF-8");
			if ((cp < 0x20 && cp != '\t' && cp != '\n' &&
			    cp != '\f') || (cp >= 0x7F && cp <= 0x9F))
				fail("a control character got through");
		}
	}
	if (clean && size <= cap && memchr(data, '\r', size) == NULL &&
	    memchr(data, '\v', size) == NULL &&
	    (whole.len != size || (size > 0 && memcmp(whole.buf, data, size))))
		fail("clean text was changed");

	/* Reset keeps the buffer: a second converter's text starts empty. */
	textclean_reset(&whole);
	sanitise(&whole, data, size, (unsigned)n);
	if (whole.len != chunked.len ||
	    (whole.len > 0 && memcmp(whole.buf, chunked.buf, whole.len) != 0))
		fail("the text after a reset differs");
	textclean_free(&whole);
	textclean_free(&chunked);
	return 0;
}
