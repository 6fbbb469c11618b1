/*
 * textclean — drives lib/textclean from the command line for
 * tests/gz-extract.bats, and is the seed of its fuzz harness.
 *
 *   textclean CAP [CHUNK]    stdin → cleaned text on stdout, fed in pieces
 *                            of CHUNK bytes (default 1: every boundary);
 *                            "truncated", "replaced N" and "dropped N" on
 *                            stderr
 *
 * The output must not depend on CHUNK: the tests compare CHUNK 1 with
 * CHUNK 65536 on the same input.
 */
#include "ndjson.h"
#include "textclean.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static unsigned char in[1 << 16];
	struct textclean tc;
	size_t chunk = 1, i;
	ssize_t n;

	if (argc < 2 || argc > 3) {
		fputs("usage: textclean CAP [CHUNK]\n", stderr);
		return 2;
	}
	textclean_init(&tc, (size_t)strtoull(argv[1], NULL, 10));
	if (argc == 3 && (chunk = (size_t)strtoull(argv[2], NULL, 10)) == 0)
		chunk = 1;
	while ((n = read(STDIN_FILENO, in, sizeof in)) > 0)
		for (i = 0; i < (size_t)n; i += chunk)
			textclean_feed(&tc, in + i, (size_t)n - i < chunk ?
			    (size_t)n - i : chunk);
	textclean_finish(&tc);
	if (write_all(STDOUT_FILENO, tc.buf ? tc.buf : "", tc.len) != 0)
		return 3;
	if (tc.truncated)
		fputs("truncated\n", stderr);
	fprintf(stderr, "replaced %zu\ndropped %zu\n", tc.replaced,
	    tc.dropped);
	textclean_free(&tc);
	return n < 0 ? 3 : 0;
}
