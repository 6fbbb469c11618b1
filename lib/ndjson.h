/*
 * ndjson — the record stream: one JSON object per line, read and written
 * with libjq's jv.
 *
 * The reader holds at most one line (up to max_record_bytes) in memory.  A
 * longer line is skipped without ever being held whole; a malformed line,
 * invalid UTF-8 or a value that is not an object is reported with its line
 * number and skipped, so one bad line cannot end a ten-hour run.
 *
 * The writer renders a whole record, then writes it with one loop that
 * survives partial writes and EINTR, so a record is never half-written.
 */
#ifndef GZ_NDJSON_H
#define GZ_NDJSON_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

#define NDJSON_DEFAULT_MAX_RECORD_BYTES (64u << 20)	/* issue #2 */

enum ndjson_status {
	NDJSON_RECORD,	/* *out holds an object */
	NDJSON_BAD,	/* a line was skipped; ndjson_error() says why */
	NDJSON_AGAIN,	/* non-blocking reader: no complete line yet */
	NDJSON_EOF,	/* input ended */
	NDJSON_SPILLED,	/* a long line went to a file: ndjson_spill_take() */
	NDJSON_IOERR	/* read failed; errno is set */
};

struct ndjson_reader;

struct ndjson_reader *ndjson_reader_new(int fd, size_t max_record_bytes);
void ndjson_reader_free(struct ndjson_reader *r);
/*
 * With nonblocking set the reader polls the fd before each read and returns
 * NDJSON_AGAIN instead of blocking (the fd's own flags are left alone: stdin
 * may be a terminal shared with the shell).
 */
void ndjson_reader_set_nonblocking(struct ndjson_reader *r, bool nonblocking);
/*
 * Lines longer than spill_bytes are not held in memory: they are written,
 * as they arrive, to an unlinked file in dir, and ndjson_read returns
 * NDJSON_SPILLED without parsing them.  Memory then stays at spill_bytes
 * whatever the line's length (up to max_record_bytes, as for other lines).
 */
void ndjson_reader_set_spill(struct ndjson_reader *r, size_t spill_bytes,
    const char *dir);
/*
 * After NDJSON_SPILLED: the file holding the line (newline excluded), to be
 * read with pread and closed by the caller, and its length in *len.
 */
int ndjson_spill_take(struct ndjson_reader *r, size_t *len);
/* An unlinked temporary file in dir (NULL: /tmp); -1 with errno set. */
int ndjson_spill_file(const char *dir);
enum ndjson_status ndjson_read(struct ndjson_reader *r, jv *out);
/* Borrowed; valid until the next ndjson_read. */
const char *ndjson_error(const struct ndjson_reader *r);
/* Line number of the record or error last returned (1-based). */
unsigned long ndjson_line(const struct ndjson_reader *r);
int ndjson_fd(const struct ndjson_reader *r);

/*
 * Writes value (consumed) and a newline to fd.  Returns 0, or -1 with errno
 * set (EPIPE when the reader went away).
 */
int ndjson_write(int fd, jv value);
/* write(2) until all of buf is out, retrying on EINTR; 0 or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);

#endif
