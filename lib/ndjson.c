/*
 * ndjson — see ndjson.h.
 */
#include "ndjson.h"
#include "text.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (64u << 10)

struct ndjson_reader {
	int fd;
	size_t max;		/* longest accepted line, newline excluded */
	char *buf;
	size_t cap, start, end;	/* unread bytes are buf[start..end) */
	size_t scanned;		/* buf[start..scanned) has no newline */
	unsigned long line;	/* number of the line last returned */
	bool skipping;		/* discarding an over-long line */
	size_t skipped_bytes;
	bool eof, nonblocking;
	size_t spill_at;	/* 0: never spill */
	const char *spill_dir;
	int spill_fd;		/* the line being spilled, or -1 */
	size_t spill_len;
	const char *raw;	/* the line last returned as a record */
	size_t raw_len;
	char error[256];
};

struct ndjson_reader *
ndjson_reader_new(int fd, size_t max_record_bytes)
{
	struct ndjson_reader *r = xcalloc(1, sizeof *r);

	r->fd = fd;
	r->spill_fd = -1;
	r->max = max_record_bytes;
	r->cap = READ_CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

void
ndjson_reader_free(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	if (r->spill_fd >= 0)
		close(r->spill_fd);
	free(r->buf);
	free(r);
}

void
ndjson_reader_set_nonblocking(struct ndjson_reader *r, bool nonblocking)
{
	r->nonblocking = nonblocking;
}

void
ndjson_reader_set_spill(struct ndjson_reader *r, size_t spill_bytes,
    const char *dir)
{
	r->spill_at = spill_bytes;
	r->spill_dir = dir;
}

int
ndjson_spill_take(struct ndjson_reader *r, size_t *len)
{
	int fd = r->spill_fd;

	*len = r->spill_len;
	r->spill_fd = -1;
	r->spill_len = 0;
	return fd;
}

const char *
ndjson_error(const struct ndjson_reader *r)
{
	return r->error;
}

unsigned long
ndjson_line(const struct ndjson_reader *r)
{
	return r->line;
}

const char *
ndjson_raw(const struct ndjson_reader *r, size_t *len)
{
	*len = r->raw_len;
	return r->raw;
}

int
ndjson_fd(const struct ndjson_reader *r)
{
	return r->fd;
}

static enum ndjson_status
bad(struct ndjson_reader *r, const char *fmt, const char *detail)
{
	snprintf(r->error, sizeof r->error, fmt, r->line, detail);
	return NDJSON_BAD;
}

/* Turns one complete line (newline removed) into a record or an error. */
static enum ndjson_status
parse_line(struct ndjson_reader *r, char *line, size_t len, jv *out)
{
	size_t bad_at;
	jv value;

	r->raw = line;
	r->raw_len = len;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0)
		return bad(r, "line %lu: empty line%s", "");
	if (!text_utf8_valid(line, len, &bad_at)) {
		char where[64];

		snprintf(where, sizeof where, "%zu", bad_at + 1);
		return bad(r, "line %lu: invalid UTF-8 at byte %s", where);
	}
	if (len > (size_t)0x7fffffff)
		return bad(r, "line %lu: record too long for the parser%s", "");
	value = jv_parse_sized(line, (int)len);
	if (!jv_is_valid(value)) {
		jv msg = jv_invalid_get_msg(value);
		char detail[160];

		snprintf(detail, sizeof detail, "%s",
		    jv_get_kind(msg) == JV_KIND_STRING ?
		    jv_string_value(msg) : "unknown error");
		jv_free(msg);
		/* jq appends the whole input line; one line is enough. */
		detail[strcspn(detail, "(")] = '\0';
		if (strlen(detail) > 0 && detail[strlen(detail) - 1] == ' ')
			detail[strlen(detail) - 1] = '\0';
		return bad(r, "line %lu: malformed JSON: %s", detail);
	}
	if (jv_get_kind(value) != JV_KIND_OBJECT) {
		const char *kind = jv_kind_name(jv_get_kind(value));

		jv_free(value);
		return bad(r, "line %lu: expected a JSON object, got %s", kind);
	}
	*out = value;
	return NDJSON_RECORD;
}

/*
 * Makes room for at least one more read; grows the buffer up to max + 1,
 * or spill_at + 1 when spilling, so that a line longer than that can never
 * be held whole.
 */
static void
make_room(struct ndjson_reader *r)
{
	size_t limit = r->spill_at > 0 && r->spill_at < r->max ?
	    r->spill_at + 1 : r->max + 1;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scanned -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < READ_CHUNK / 4 && r->cap < limit) {
		size_t cap = r->cap * 2;
		if (cap > limit)
			cap = limit;
		r->buf = xrealloc(r->buf, cap);
		r->cap = cap;
	}
}

/* One read(2) into the buffer. */
static enum ndjson_status
fill(struct ndjson_reader *r)
{
	ssize_t n;

	make_room(r);
	if (r->end == r->cap) {
		/* Could not grow: treat the line as over-long. */
		r->line++;
		r->skipping = true;
		r->skipped_bytes = 0;
		return NDJSON_RECORD;
	}
	if (r->nonblocking) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) == 0)
			return NDJSON_AGAIN;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? NDJSON_AGAIN : NDJSON_IOERR;
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return NDJSON_RECORD;	/* meaning: go on */
}

/*
 * While skipping an over-long line, drop everything up to its newline.
 * Returns true when the end of that line (or of the input) was reached.
 */
static bool
skip_long_line(struct ndjson_reader *r)
{
	char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);

	if (nl == NULL) {
		r->skipped_bytes += r->end - r->start;
		r->start = r->scanned = r->end = 0;
		return r->eof;
	}
	r->skipped_bytes += (size_t)(nl - (r->buf + r->start));
	r->start = r->scanned = (size_t)(nl - r->buf) + 1;
	return true;
}

int
ndjson_spill_file(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/gz-spill-XXXXXX", dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) >= 0)
		unlink(path);
	return fd;
}

/*
 * While spilling: move buf[start..end) to the file, up to the newline.
 * Returns NDJSON_SPILLED at the end of the line, NDJSON_RECORD to read on,
 * NDJSON_IOERR when the file cannot be written (a full disk).
 */
static enum ndjson_status
spill_more(struct ndjson_reader *r)
{
	char *from = r->buf + r->start;
	char *nl = memchr(from, '\n', r->end - r->start);
	size_t n = nl ? (size_t)(nl - from) : r->end - r->start;

	if (write_all(r->spill_fd, from, n) != 0)
		return NDJSON_IOERR;
	r->spill_len += n;
	r->start = r->scanned = nl ? r->start + n + 1 : r->end;
	if (r->spill_len > r->max) {
		/* Too long even for a file: skip the rest like any long line. */
		close(r->spill_fd);
		r->spill_fd = -1;
		r->line++;
		r->skipping = true;
		r->skipped_bytes = r->spill_len;
		r->spill_len = 0;
		if (nl != NULL)
			r->start = r->scanned -= 1;	/* let the skip see it */
		return NDJSON_RECORD;
	}
	if (nl == NULL && !r->eof)
		return NDJSON_RECORD;
	r->line++;
	return NDJSON_SPILLED;
}

enum ndjson_status
ndjson_read(struct ndjson_reader *r, jv *out)
{
	for (;;) {
		enum ndjson_status st;
		char *nl;

		if (r->spill_fd >= 0) {
			if ((st = spill_more(r)) != NDJSON_RECORD)
				return st;
		} else if (r->skipping) {
			if (skip_long_line(r)) {
				char size[32];

				r->skipping = false;
				snprintf(size, sizeof size, "%zu",
				    r->skipped_bytes);
				return bad(r, "line %lu: record longer than "
				    "--max-record-bytes (at least %s bytes); "
				    "skipped", size);
			}
		} else if ((nl = memchr(r->buf + r->scanned, '\n',
		    r->end - r->scanned)) != NULL) {
			size_t at = r->start;

			r->start = r->scanned = (size_t)(nl - r->buf) + 1;
			r->line++;
			return parse_line(r, r->buf + at,
			    (size_t)(nl - r->buf) - at, out);
		} else {
			r->scanned = r->end;
			if (r->spill_at > 0 && r->end - r->start > r->spill_at &&
			    r->end - r->start <= r->max) {
				if ((r->spill_fd = ndjson_spill_file(
				    r->spill_dir)) < 0)
					return NDJSON_IOERR;
				continue;
			}
			if (r->end - r->start > r->max) {
				r->line++;
				r->skipping = true;
				r->skipped_bytes = 0;
				continue;
			}
			if (r->eof) {
				size_t at = r->start, len = r->end - r->start;

				if (len == 0)
					return NDJSON_EOF;
				/* The last line lacks its newline: take it. */
				r->start = r->scanned = r->end;
				r->line++;
				return parse_line(r, r->buf + at, len, out);
			}
		}
		if (!r->eof && (st = fill(r)) != NDJSON_RECORD)
			return st;
	}
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
