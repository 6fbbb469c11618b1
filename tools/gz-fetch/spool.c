/*
 * spool — gz-fetch's run folder in the spool: atomic files, the sweep of
 * dead runs at start, and --spool-limit.
 *
 * The spool folder, its ownership check and the run folders' locks are
 * lib/spool.c's.  Here: each run writes into a folder of its own,
 * SPOOL/run-TOKEN (lib/spool.h).  A download is written to ".N.part" in
 * it, fsync'd and renamed to "ID-TOKEN-N.EXT", so a reader never sees half
 * a file.  Names come from the record's id and this run's counter, never
 * from file_path, so no key can point outside the folder and two records
 * with one path get two files.  Every file is made and renamed through the
 * folder's descriptor, with O_NOFOLLOW.
 *
 * Finished files are downstream's to delete (gz-extract does).  The folder
 * goes when the run is over: at gz-fetch's exit when nothing waits in it
 * or no reader is left, else at gz-extract's exit, else (a stage was
 * killed) at the next gz-fetch's start.
 */
#include "fetch.h"
#include "log.h"
#include "ndjson.h"
#include "spool.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct waiting {
	char *name;
	ino_t ino;
	uint64_t bytes;
};

struct spool {
	struct spool_base base;
	struct spool_run run;
	unsigned long counter;
	uint64_t limit;
	struct waiting *w;		/* committed files, with --spool-limit */
	size_t nw, cap;
	uint64_t waiting_bytes;
	double checked;
};

/* Where stdout goes decides the folder's kind: records written to a file
 * or a terminal are read later, so their files must outlive the run. */
static bool
stdout_is_stream(void)
{
	struct stat st;

	return fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode));
}

struct spool *
spool_open(const char *dir, uint64_t limit, char *why, size_t size)
{
	struct spool *s = xcalloc(1, sizeof *s);
	unsigned removed;
	int e;

	s->limit = limit;
	if (spool_base_open(&s->base, dir, why, size) != 0) {
		e = errno;
		free(s);
		errno = e;
		return NULL;
	}
	if ((removed = spool_sweep(&s->base)) > 0)
		log_debug("spool %s: %u folders of dead runs removed",
		    s->base.path, removed);
	if (spool_run_create(&s->base, &s->run, !stdout_is_stream(),
	    STDOUT_FILENO, why, size) != 0) {
		e = errno;
		spool_base_close(&s->base);
		free(s);
		errno = e;
		return NULL;
	}
	log_debug("spool: this run's files go to %s", s->run.path);
	return s;
}

/* True when stdout is a pipe or socket whose reader has gone. */
static bool
reader_gone(void)
{
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	return stdout_is_stream() && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLERR | POLLHUP)) != 0;
}

void
spool_close(struct spool *s)
{
	size_t i;

	if (s == NULL)
		return;
	spool_run_end(&s->base, &s->run, reader_gone());
	spool_base_close(&s->base);
	for (i = 0; i < s->nw; i++)
		free(s->w[i].name);
	free(s->w);
	free(s);
}

const char *
spool_path(const struct spool *s)
{
	return s->run.path;
}

bool
spool_file_open(struct spool *s, struct spool_file *f, long long id,
    const char *ext)
{
	char idbuf[24] = "x";
	const char *token = strchr(s->run.name, '-') + 1;

	if (id >= 0)
		snprintf(idbuf, sizeof idbuf, "%lld", id);
	s->counter++;
	f->dirfd = s->run.fd;
	snprintf(f->tmp, sizeof f->tmp, ".%lu.part", s->counter);
	snprintf(f->path, sizeof f->path, "%s/%s-%s-%lu%s%s", s->run.path,
	    idbuf, token, s->counter, ext[0] != '\0' ? "." : "", ext);
	f->name = f->path + strlen(s->run.path) + 1;
	f->bytes = 0;
	f->fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	return f->fd >= 0;
}

int
spool_file_write(struct spool_file *f, const void *buf, size_t len)
{
	if (write_all(f->fd, buf, len) != 0)
		return -1;
	f->bytes += len;
	return 0;
}

int
spool_file_restart(struct spool_file *f)
{
	if (ftruncate(f->fd, 0) != 0 || lseek(f->fd, 0, SEEK_SET) != 0)
		return -1;
	f->bytes = 0;
	return 0;
}

void
spool_file_abort(struct spool_file *f)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	unlinkat(f->dirfd, f->tmp, 0);
}

/* Remembers a committed file for --spool-limit. */
static void
track(struct spool *s, struct spool_file *f)
{
	struct stat st;

	if (s->limit == 0 || fstatat(s->run.fd, f->name, &st,
	    AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (s->nw == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		s->w = xrealloc(s->w, cap * sizeof *s->w);
		s->cap = cap;
	}
	s->w[s->nw].name = xstrdup(f->name);
	s->w[s->nw].ino = st.st_ino;
	s->w[s->nw].bytes = f->bytes;
	s->nw++;
	s->waiting_bytes += f->bytes;
}

int
spool_file_commit(struct spool *s, struct spool_file *f)
{
	int e;

	if (fsync(f->fd) != 0 || close(f->fd) != 0) {
		e = errno;
		f->fd = -1;
		unlinkat(f->dirfd, f->tmp, 0);
		errno = e;
		return -1;
	}
	f->fd = -1;
	if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0) {
		e = errno;
		unlinkat(f->dirfd, f->tmp, 0);
		errno = e;
		return -1;
	}
	track(s, f);
	return 0;
}

/* Forgets the files downstream has deleted (or replaced). */
static void
recheck(struct spool *s)
{
	struct stat st;
	size_t i = 0;

	while (i < s->nw) {
		if (fstatat(s->run.fd, s->w[i].name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == s->w[i].ino) {
			i++;
			continue;
		}
		s->waiting_bytes -= s->w[i].bytes;
		free(s->w[i].name);
		s->w[i] = s->w[--s->nw];
	}
}

bool
spool_full(struct spool *s)
{
	double now;

	if (s->limit == 0)
		return false;
	now = clock_monotonic();
	/* Under the limit, still forget deleted files now and then, so the
	 * list stays as short as what really waits. */
	if ((s->waiting_bytes >= s->limit && now - s->checked >= 0.2) ||
	    (s->nw >= 256 && now - s->checked >= 2)) {
		s->checked = now;
		recheck(s);
	}
	return s->waiting_bytes >= s->limit;
}

uint64_t
spool_waiting(const struct spool *s)
{
	return s->waiting_bytes;
}
