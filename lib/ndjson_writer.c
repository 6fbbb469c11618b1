/*
 * ndjson_writer — the non-blocking record writer every stage's event loop
 * polls (see ndjson.h).
 *
 * One buffer holds, in order, bytes already written, whole lines waiting
 * (buf[off..committed)) and the line being built (buf[committed..len)).
 * Only whole lines are ever handed to write(2).  Every record line is JSON
 * without a raw newline in it, so counting the newlines a write took counts
 * the lines now wholly out.
 *
 * To a pipe or a terminal, lines go out in writes of whole lines of at most
 * PIPE_BUF bytes, which a non-blocking pipe takes whole or not at all
 * (POSIX, write(2)): when a stop gives up on a stuck reader, no short line
 * is left half-written.  Only a line longer than PIPE_BUF can be, which no
 * write size avoids.
 */
#include "ndjson.h"
#include "log.h"
#include "sig.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A buffer up to this size is kept for reuse once empty; a bigger one (a
 * 32 MB text went through) is given back. */
#define KEEP_BYTES (1u << 20)
/*
 * After a stop was requested, the end-of-run drain gives up on a reader
 * that took nothing for this long: an operator's SIGTERM must end the run
 * even when downstream is stuck.
 */
#define DRAIN_GRACE 2.0

struct ndjson_writer {
	int fd;
	int saved_flags;		/* restored at free when restore */
	bool restore;
	bool nonblocking;		/* write until EAGAIN */
	size_t chunk;			/* most bytes per write(2) */
	size_t high;			/* ndjson_writer_full past this */
	const char *what;		/* "records", "the ledger" */
	char *buf;
	size_t cap, off, committed, len;
	bool building, build_failed;
	size_t rest;			/* bytes left of a line partly written */
	uint64_t queued;		/* lines committed */
	uint64_t written;		/* lines wholly written */
	int err;			/* errno that stopped the writer */
};

/*
 * O_NONBLOCK is a flag of the open file description, shared by every
 * process holding it.  A pipe's or socket's write end is this stage's own
 * in a pipeline (the shell made it for us and closed its copy), so it is
 * made non-blocking and its flags are restored at the end, for whatever
 * writes to it after us in a subshell.  A terminal or a file is shared with
 * the shell and other processes, and a non-blocking terminal left behind
 * makes their writes fail with EAGAIN (and a process killed with -9 never
 * restores anything), so those keep their flags.  Regular files and devices
 * such as /dev/null do not wait for a reader; a terminal is written at most
 * PIPE_BUF bytes each time poll says it takes data, which does not block.
 */
static void
setup_fd(struct ndjson_writer *w)
{
	struct stat st;
	int flags = fcntl(w->fd, F_GETFL);

	w->chunk = SIZE_MAX;
	if (flags >= 0 && (flags & O_NONBLOCK)) {
		w->nonblocking = true;
		return;
	}
	if (fstat(w->fd, &st) != 0)
		return;
	if (flags >= 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    fcntl(w->fd, F_SETFL, flags | O_NONBLOCK) == 0) {
		w->saved_flags = flags;
		w->restore = w->nonblocking = true;
		return;
	}
	if (!S_ISREG(st.st_mode) && (!S_ISCHR(st.st_mode) || isatty(w->fd)))
		w->chunk = PIPE_BUF;
}

struct ndjson_writer *
ndjson_writer_new(int fd, size_t high_water, const char *what)
{
	struct ndjson_writer *w = xcalloc(1, sizeof *w);

	w->fd = fd;
	w->high = high_water;
	w->what = what;
	setup_fd(w);
	return w;
}

void
ndjson_writer_free(struct ndjson_writer *w)
{
	if (w == NULL)
		return;
	if (w->restore)
		fcntl(w->fd, F_SETFL, w->saved_flags);
	free(w->buf);
	free(w);
}

/* A failed writer keeps nothing: the reader is gone or stdout is broken. */
static int
writer_fail(struct ndjson_writer *w, int err)
{
	if (w->err == 0 && err != EPIPE && err != ETIMEDOUT)
		log_error("writing %s: %s", w->what, strerror(err));
	if (w->err == 0)
		w->err = err;
	w->off = w->committed = w->len = w->rest = 0;
	w->building = false;
	errno = w->err;
	return -1;
}

/* Room for need more bytes after len. */
static bool
reserve(struct ndjson_writer *w, size_t need)
{
	size_t cap;

	if (w->off > 0 && (w->cap - w->len < need || w->off >= w->cap / 2)) {
		memmove(w->buf, w->buf + w->off, w->len - w->off);
		w->committed -= w->off;
		w->len -= w->off;
		w->off = 0;
	}
	if (w->cap - w->len >= need)
		return true;
	if (need > SIZE_MAX / 2 - w->len)
		xalloc_die(need);
	cap = w->cap > 0 ? w->cap : 4096;
	while (cap - w->len < need)
		cap *= 2;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
	return true;
}

uint64_t
ndjson_writer_put_line(struct ndjson_writer *w, const char *line, size_t len)
{
	if (w->err != 0) {
		errno = w->err;
		return 0;
	}
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\n', len) != NULL) {
		errno = EINVAL;
		return 0;
	}
	if (!reserve(w, len + 1))
		return 0;
	memcpy(w->buf + w->len, line, len);
	w->len += len;
	w->buf[w->len++] = '\n';
	w->committed = w->len;
	return ++w->queued;
}

uint64_t
ndjson_writer_put_lines(struct ndjson_writer *w, const char *lines,
    size_t len)
{
	const char *p = lines, *end = lines + len;

	if (w->err != 0) {
		errno = w->err;
		return 0;
	}
	if (len == 0 || lines[len - 1] != '\n') {
		errno = EINVAL;
		return 0;
	}
	if (!reserve(w, len))
		return 0;
	memcpy(w->buf + w->len, lines, len);
	w->len += len;
	w->committed = w->len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		w->queued++;
	}
	return w->queued;
}

uint64_t
ndjson_writer_put_jv(struct ndjson_writer *w, jv value)
{
	jv text = jv_dump_string(value, 0);
	uint64_t ticket = ndjson_writer_put_line(w, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)));
	int saved = errno;

	jv_free(text);
	errno = saved;
	return ticket;
}

void
ndjson_writer_begin(struct ndjson_writer *w)
{
	w->len = w->committed;
	w->building = true;
	w->build_failed = w->err != 0;
}

void
ndjson_writer_append(struct ndjson_writer *w, const char *buf, size_t len)
{
	if (!w->building || w->build_failed || len == 0)
		return;
	if (memchr(buf, '\n', len) != NULL || !reserve(w, len)) {
		w->build_failed = true;
		return;
	}
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
}

uint64_t
ndjson_writer_end(struct ndjson_writer *w)
{
	bool ok = w->building && !w->build_failed && w->err == 0;

	w->building = false;
	if (ok && !reserve(w, 1))
		ok = false;
	if (!ok) {
		w->len = w->committed;
		if (w->err != 0)
			errno = w->err;
		return 0;
	}
	w->buf[w->len++] = '\n';
	w->committed = w->len;
	return ++w->queued;
}

int
ndjson_writer_fd(const struct ndjson_writer *w)
{
	return w->fd;
}

size_t
ndjson_writer_pending(const struct ndjson_writer *w)
{
	return w->committed - w->off;
}

bool
ndjson_writer_full(const struct ndjson_writer *w)
{
	return ndjson_writer_pending(w) >= w->high;
}

short
ndjson_writer_events(const struct ndjson_writer *w)
{
	return w->err == 0 && w->off < w->committed ? POLLOUT : 0;
}

bool
ndjson_writer_done(const struct ndjson_writer *w, uint64_t ticket)
{
	return ticket != 0 && w->written >= ticket;
}

int
ndjson_writer_error(const struct ndjson_writer *w)
{
	return w->err;
}

/* The lines a write completed: every newline in buf[from..to). */
static void
count_lines(struct ndjson_writer *w, size_t from, size_t to)
{
	const char *p = w->buf + from, *end = w->buf + to;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		w->written++;
		gz_stats.records_out++;
	}
}

/* Everything written: start the buffer over (and give a big one back). */
static void
rewind_buffer(struct ndjson_writer *w)
{
	if (w->off < w->committed)
		return;
	if (w->building) {
		memmove(w->buf, w->buf + w->off, w->len - w->off);
		w->len -= w->off;
		w->off = w->committed = 0;
		return;
	}
	w->off = w->committed = w->len = 0;
	if (w->cap > KEEP_BYTES) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

/*
 * How much of the pending bytes the next write(2) gets: the rest of a line
 * partly written; else, to a pipe or terminal, the whole lines that fit in
 * PIPE_BUF (or, when the first line is longer, everything); else all.
 */
static size_t
next_write(const struct ndjson_writer *w)
{
	const char *p = w->buf + w->off, *nl;
	size_t n = w->committed - w->off, lim, unit = 0;

	if (w->rest > 0)
		return w->rest < w->chunk ? w->rest : w->chunk;
	if (!w->nonblocking && w->chunk == SIZE_MAX)
		return n;
	lim = n < PIPE_BUF ? n : PIPE_BUF;
	while (unit < lim && (nl = memchr(p + unit, '\n', lim - unit)) != NULL)
		unit = (size_t)(nl - p) + 1;
	if (unit == 0)
		unit = n;
	return unit < w->chunk ? unit : w->chunk;
}

/* After a write that ended at pos: the bytes left of the line it cut. */
static size_t
line_rest(const struct ndjson_writer *w, size_t pos)
{
	const char *nl;

	if (pos == 0 || w->buf[pos - 1] == '\n')
		return 0;
	nl = memchr(w->buf + pos, '\n', w->committed - pos);
	return nl != NULL ? (size_t)(nl - (w->buf + pos)) + 1 : 0;
}

int
ndjson_writer_flush(struct ndjson_writer *w)
{
	if (w->err != 0) {
		errno = w->err;
		return -1;
	}
	while (w->off < w->committed) {
		size_t n = next_write(w);
		ssize_t k;

		if (!w->nonblocking) {
			struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };

			/* POLLERR and POLLHUP: let write(2) say what. */
			if (poll(&pfd, 1, 0) == 0)
				break;
		}
		k = write(w->fd, w->buf + w->off, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k < 0)
			return writer_fail(w, errno);
		count_lines(w, w->off, w->off + (size_t)k);
		if (w->rest > 0)
			w->rest -= (size_t)k;
		else if ((size_t)k < n)
			w->rest = line_rest(w, w->off + (size_t)k);
		w->off += (size_t)k;
	}
	rewind_buffer(w);
	return 0;
}

int
ndjson_writer_drain(struct ndjson_writer *w)
{
	double last = clock_monotonic();
	size_t before;

	while (w->err == 0 && w->off < w->committed) {
		struct pollfd pfd[2] = {
			{ .fd = w->fd, .events = POLLOUT },
			{ .fd = sig_wakeup_fd(), .events = POLLIN },
		};
		/* The wake-up pipe stays readable once a stop was asked. */
		nfds_t n = sig_stop_requested() || sig_wakeup_fd() < 0 ? 1 : 2;

		before = ndjson_writer_pending(w);
		if (ndjson_writer_flush(w) != 0)
			return -1;
		if (w->off >= w->committed)
			break;
		if (ndjson_writer_pending(w) < before)
			last = clock_monotonic();
		else if (sig_stop_requested() &&
		    clock_monotonic() - last > DRAIN_GRACE) {
			char bytes[32];

			log_warn("stopping: %llu records (%s) not taken by "
			    "the reader", (unsigned long long)(w->queued -
			    w->written), format_bytes((double)
			    ndjson_writer_pending(w), bytes, sizeof bytes));
			return writer_fail(w, ETIMEDOUT);
		}
		poll(pfd, n, n == 1 ? 100 : 1000);
	}
	if (w->err != 0) {
		errno = w->err;
		return -1;
	}
	return 0;
}
