/*
 * ndjson — the record stream: one JSON object per line, read and written
 * with libjq's jv.
 *
 * The reader holds at most one line (up to max_record_bytes) in memory.  A
 * longer line is skipped without ever being held whole; a malformed line,
 * invalid UTF-8 or a value that is not an object is reported with its line
 * number and skipped, so one bad line cannot end a ten-hour run.
 *
 * The writer (ndjson_writer.c) queues whole lines and writes them when the
 * caller's event loop says stdout takes data; see below.
 */
#ifndef GZ_NDJSON_H
#define GZ_NDJSON_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/*
 * The bytes of the line last returned as NDJSON_RECORD, newline excluded,
 * exactly as read (for a stage that passes a record on byte for byte).
 * Borrowed; valid until the next ndjson_read.
 */
const char *ndjson_raw(const struct ndjson_reader *r, size_t *len);
int ndjson_fd(const struct ndjson_reader *r);

/*
 * The writer: every stage's stdout.  Output is an event, not a call that
 * blocks: a stage queues whole lines, its event loop polls the fd for
 * ndjson_writer_events() alongside its other descriptors (a write handler
 * registered only while output is pending, as in redis's ae) and calls
 * ndjson_writer_flush() when it wakes.  A slow reader then stalls nothing:
 * timers, children, transfers and leases go on while lines wait.
 *
 * A line is queued whole or not at all and only whole lines are handed to
 * write(2), so a record is never half-written (unless the reader stops
 * reading for good while a stop waits on it; see ndjson_writer_drain).
 *
 * The "out" rule, the same in every stage: a record is out when the
 * newline ending its line has been written.  The writer counts it then, in
 * gz_stats.records_out (progress, summary, metrics), and callers ask
 * ndjson_writer_done(w, ticket) before doing what must follow the record
 * (deleting its spool file, freeing its job slot).
 *
 * Memory is the caller's to bound: ndjson_writer_full() says the pending
 * bytes reached the high-water mark, and a stage then takes no new input.
 */
struct ndjson_writer;

/*
 * what names the output in the one error message ("records", "the
 * ledger").  fd is made non-blocking only when it is a pipe or a socket
 * (restored by ndjson_writer_free); see ndjson_writer.c for why.
 */
struct ndjson_writer *ndjson_writer_new(int fd, size_t high_water,
    const char *what);
/* Restores the fd's flags; pending lines are dropped (drain first). */
void ndjson_writer_free(struct ndjson_writer *w);
/*
 * Queues one line: len bytes of JSON with no newline inside (a trailing
 * one is optional; the writer adds it when missing).  Returns the line's
 * ticket (1, 2, ...), or 0 with errno set when nothing was queued: ENOMEM,
 * EINVAL (a newline inside), or the error that already stopped the writer.
 */
uint64_t ndjson_writer_put_line(struct ndjson_writer *w, const char *line,
    size_t len);
/*
 * Queues a block of whole lines (len bytes, each line ending in a newline,
 * as gz-list's formatter gathers them); returns the ticket of the last, or
 * 0 with errno set (EINVAL when the block does not end in a newline).
 */
uint64_t ndjson_writer_put_lines(struct ndjson_writer *w, const char *lines,
    size_t len);
/* Queues value (consumed) as one line; as ndjson_writer_put_line. */
uint64_t ndjson_writer_put_jv(struct ndjson_writer *w, jv value);
/*
 * A line built in pieces (a streamed source_text): nothing of it is written
 * before ndjson_writer_end, which adds the newline and returns its ticket
 * (0: the writer failed; the pieces are dropped).
 * Pieces must not contain a newline.
 */
void ndjson_writer_begin(struct ndjson_writer *w);
void ndjson_writer_append(struct ndjson_writer *w, const char *buf,
    size_t len);
uint64_t ndjson_writer_end(struct ndjson_writer *w);

int ndjson_writer_fd(const struct ndjson_writer *w);
/* Bytes of whole lines not written yet. */
size_t ndjson_writer_pending(const struct ndjson_writer *w);
/* Pending bytes reached the high-water mark: take no new input. */
bool ndjson_writer_full(const struct ndjson_writer *w);
/* POLLOUT while lines are pending (and the writer works), else 0. */
short ndjson_writer_events(const struct ndjson_writer *w);
/* Whether the line with this ticket is wholly written. */
bool ndjson_writer_done(const struct ndjson_writer *w, uint64_t ticket);
/*
 * Writes what the fd takes now, without blocking: partial writes, EINTR
 * and EAGAIN are handled.  0, or -1 with errno set once the writer failed
 * (EPIPE: the reader went away; any other error was logged, once).  A
 * failed writer drops its lines and takes no more.
 */
int ndjson_writer_flush(struct ndjson_writer *w);
/*
 * At the end: blocks until every line is written.  After SIGINT/SIGTERM it
 * gives up once the reader took nothing for a few seconds, with a warning
 * (-1, errno ETIMEDOUT).  0, or -1 with errno as ndjson_writer_flush.
 */
int ndjson_writer_drain(struct ndjson_writer *w);
/* The errno that stopped the writer, or 0. */
int ndjson_writer_error(const struct ndjson_writer *w);

/* write(2) until all of buf is out, retrying on EINTR; 0 or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);

#endif
