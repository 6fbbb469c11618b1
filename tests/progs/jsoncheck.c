/*
 * jsoncheck — checks lib/jsonesc against libjq: for every string tried,
 * jsonesc_string must write the bytes jv_dump_string writes for
 * jv_string_sized of the same bytes (escapes, and U+FFFD for ill-formed
 * UTF-8).  Tries every string of one and two bytes, each followed by every
 * byte where UTF-8's rules change when it starts with a lead byte, then
 * COUNT random strings of up to 12 bytes drawn mostly from those bytes.
 * Prints the first mismatch and exits 1; prints how many agreed otherwise.
 *
 *   jsoncheck [COUNT]
 */
#include "cli.h"
#include "jsonesc.h"
#include "log.h"

#include <jv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long tried;

static void
show(const char *what, const char *s, size_t len)
{
	size_t i;

	fprintf(stderr, "%s:", what);
	for (i = 0; i < len; i++)
		fprintf(stderr, " %02x", (unsigned char)s[i]);
	fprintf(stderr, "\n");
}

static void
check(const unsigned char *s, size_t len)
{
	struct jsonbuf b = { 0 };
	jv text = jv_dump_string(jv_string_sized((const char *)s, (int)len), 0);
	const char *want = jv_string_value(text);
	size_t want_len = (size_t)jv_string_length_bytes(jv_copy(text));

	jsonesc_string(&b, (const char *)s, len);
	if (b.len != want_len || memcmp(b.data, want, want_len)) {
		show("input", (const char *)s, len);
		show("libjq", want, want_len);
		show("jsonesc", b.data, b.len);
		exit(1);
	}
	tried++;
	jv_free(text);
	jsonbuf_free(&b);
}

int
main(int argc, char **argv)
{
	static const unsigned char edges[] = {
		0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, '"', '\\',
		'/', 'a', 0x7e, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
		0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1,
		0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff
	};
	long long count = argc > 1 ? cli_number("COUNT", argv[1], 0,
	    100000000) : 200000;
	unsigned char s[12];
	unsigned long x = 88172645463325252UL;
	long long n;
	unsigned a, c, d;

	log_init("jsoncheck");
	check(s, 0);
	for (a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		check(s, 1);
		for (c = 0; c < 256; c++) {
			s[1] = (unsigned char)c;
			check(s, 2);
			for (d = 0; a >= 0xc0 && d < sizeof edges; d++) {
				s[2] = edges[d];
				check(s, 3);
			}
		}
	}
	for (n = 0; n < count; n++) {
		size_t len, i;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		len = 1 + x % sizeof s;
		for (i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			s[i] = x % 4 ? edges[(x >> 8) % sizeof edges] :
			    (unsigned char)(x >> 16);
		}
		check(s, len);
	}
	printf("%llu strings agree\n", tried);
	return 0;
}
