/*
 * Fuzz target: the NDJSON record reader (lib/ndjson.h).
 *
 * Input layout: byte 0 picks the record cap, byte 1 the most bytes one
 * read(2) may return, byte 2 how many times the rest is repeated (so a small
 * input can still cross the reader's 64 KiB buffer); the rest is the stream.
 * read(2) is wrapped (-Wl,--wrap=read) to return short reads, EINTR and
 * EAGAIN, which a pipe delivers in production but a file never does.
 *
 * Besides ASan/UBSan/LSan findings, the target checks the reader's contract:
 * every line of input yields exactly one NDJSON_RECORD or NDJSON_BAD, in
 * order, and every record is an object.  Input that makes libjq 1.6 itself
 * leak is skipped (see jq16.h).
 */
#include "jq16.h"
#include "ndjson.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t __real_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count);

static size_t read_limit;	/* 0: no limit */
static unsigned read_calls;

/* Short reads, and now and then EINTR or EAGAIN, as a pipe gives them. */
ssize_t
__wrap_read(int fd, void *buf, size_t count)
{
	read_calls++;
	if (read_limit > 0 && read_calls % 7 == 3) {
		errno = EINTR;
		return -1;
	}
	if (read_limit > 0 && count > read_limit)
		count = read_limit;
	return __real_read(fd, buf, count);
}

static const size_t caps[] = {
	1, 2, 8, 16, 100, 4096, 65535, 65536, 65537, 100000,
	NDJSON_DEFAULT_MAX_RECORD_BYTES
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader *r;
	enum ndjson_status st;
	size_t cap, repeat, i, lines = 0, seen = 0, stream = 0;
	bool nonblocking;
	char *text;
	FILE *f;
	jv rec;

	if (size < 3)
		return 0;
	cap = caps[data[0] % (sizeof caps / sizeof caps[0])];
	read_limit = data[1] % 32 == 0 ? 0 : (size_t)(data[1] % 32) * 37;
	repeat = 1 + data[2] % 64;
	nonblocking = data[0] & 0x80;
	data += 3;
	size -= 3;
	read_calls = 0;
	stream = size * repeat;
	if ((text = malloc(stream + 1)) == NULL)
		return 0;
	for (i = 0; i < repeat; i++)
		memcpy(text + i * size, data, size);
	if (jq16_parser_leaks(text, stream, true)) {
		free(text);
		return 0;
	}
	if ((f = tmpfile()) == NULL || fwrite(text, 1, stream, f) != stream ||
	    fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		abort();
	free(text);
	/* Lines the stream holds: one per newline, plus an unterminated tail. */
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	lines *= repeat;
	if (stream > 0 && (size == 0 || data[size - 1] != '\n'))
		lines++;

	if ((r = ndjson_reader_new(fileno(f), cap)) == NULL)
		abort();
	ndjson_reader_set_nonblocking(r, nonblocking);
	for (;;) {
		st = ndjson_read(r, &rec);
		if (st == NDJSON_RECORD) {
			if (jv_get_kind(rec) != JV_KIND_OBJECT)
				abort();
			jv_free(rec);
		} else if (st == NDJSON_BAD) {
			if (ndjson_error(r)[0] == '\0')
				abort();
		} else if (st == NDJSON_AGAIN || (st == NDJSON_IOERR &&
		    (errno == EINTR || errno == EAGAIN))) {
			continue;
		} else {
			break;
		}
		seen++;
		if (ndjson_line(r) != seen) {
			fprintf(stderr, "line %lu after %zu results\n",
			    ndjson_line(r), seen);
			abort();
		}
	}
	if (st != NDJSON_EOF) {
		fprintf(stderr, "ended with status %d: %s\n", (int)st,
		    strerror(errno));
		abort();
	}
	if (seen != lines) {
		fprintf(stderr, "%zu results for %zu lines\n", seen, lines);
		abort();
	}
	ndjson_reader_free(r);
	fclose(f);
	return 0;
}
