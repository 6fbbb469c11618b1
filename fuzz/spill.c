/*
 * Fuzz target: gz-index's reading of a spilled line (tools/gz-index/spill.c),
 * checked against libjq's own parser, which it stands in for.
 *
 * The input is one line.  It is written to a file and scanned with 7-byte
 * chunks (SPILL_CHUNK, set by the Makefile), so every chunk boundary falls
 * inside keys, escapes and UTF-8 sequences somewhere.  Then:
 * - accepted by the scanner ⇒ jv parses the line to an object, the
 *   scanner's object is that object without a string source_text, and the
 *   text read back from the file is that source_text;
 * - a line jv parses to an object, valid UTF-8 without control bytes and
 *   with at most one "source_text", is accepted by the scanner.
 * Input that makes libjq 1.6 itself leak is skipped (see jq16.h).
 */
#define _GNU_SOURCE	/* memmem */
#include "spill.h"
#include "jq16.h"
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* spill.c's allocators live in batch.c, which needs all of libcurl. */
void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, size ? size : 1)) == NULL)
		abort();
	return p;
}

static void
fail(const char *what)
{
	fprintf(stderr, "spill fuzz: %s\n", what);
	abort();
}

/*
 * Input the scanner must accept when jv does: valid UTF-8 without control
 * bytes (the scanner checks those; jv 1.6 lets some pass), at most one
 * source_text and no \u escapes (so no key spells source_text in disguise,
 * which the scanner would count as a second one).
 */
static bool
plain(const uint8_t *data, size_t size)
{
	const uint8_t *hit;
	size_t i, bad;

	for (i = 0; i < size; i++)
		if (data[i] < 0x20)
			return false;
	if (!text_utf8_valid((const char *)data, size, &bad) ||
	    memmem(data, size, "\\u", 2) != NULL)
		return false;
	hit = memmem(data, size, "source_text", 11);
	return hit == NULL || memmem(hit + 1, size - (size_t)(hit + 1 - data),
	    "source_text", 11) == NULL;
}

/* The scanner accepted: its object and text must be jv's. */
static void
compare(jv whole, jv rest, const struct spill_text *text)
{
	jv want_text = jv_object_get(jv_copy(whole), jv_string("source_text"));
	bool string_text = jv_get_kind(want_text) == JV_KIND_STRING;
	jv want_rest = string_text ?
	    jv_object_delete(jv_copy(whole), jv_string("source_text")) :
	    jv_copy(whole);

	if (!jv_equal(want_rest, rest))
		fail("the scanned object differs from jv's");
	if (string_text != (text->len > 0))
		fail("source_text found by one parser only");
	if (string_text) {
		jv got = spill_read_text(text);

		if (!jv_equal(want_text, got))
			fail("source_text read back differs from jv's");
	} else {
		jv_free(want_text);
	}
	jv_free(whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *file;
	struct spill_text text;
	char why[256];
	jv whole, rest;
	int fd;

	if (size == 0 || size > 4096 || memchr(data, '\n', size) != NULL ||
	    jq16_parser_leaks((const char *)data, size, false))
		return 0;
	if (file == NULL && (file = tmpfile()) == NULL)
		fail("no temporary file");
	fd = fileno(file);
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		fail("cannot write the temporary file");
	whole = jv_parse_sized((const char *)data, (int)size);
	rest = spill_scan(fd, size, 1 << 20, &text, why, sizeof why);
	if (jv_is_valid(rest)) {
		if (!jv_is_valid(whole) || jv_get_kind(whole) != JV_KIND_OBJECT)
			fail("the scanner accepted what jv refuses");
		compare(jv_copy(whole), rest, &text);
	} else if (jv_is_valid(whole) && jv_get_kind(whole) == JV_KIND_OBJECT &&
	    plain(data, size)) {
		fprintf(stderr, "scanner: %s\n", why);
		fail("the scanner refused a record jv accepts");
	} else {
		jv_free(rest);
	}
	jv_free(whole);
	return 0;
}
