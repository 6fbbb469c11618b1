/*
 * spool — the folder downloads land in.
 *
 * A download is written to ".gz-fetch-TOKEN-N.part", fsync'd and renamed to
 * "ID-TOKEN-N.EXT", so a reader never sees half a file.  Names come from the
 * record's id and this run's counter, never from file_path, so no key can
 * point outside the folder and two records with one path get two files.
 *
 * TOKEN names a run.  Each run holds an flock on ".gz-fetch-TOKEN.lock"
 * while it lives; a run that starts removes the .part files of every token
 * whose lock nobody holds (the run died) or that has no lock at all.  A
 * lock is only renamed into place once held, so a live run's files are never
 * taken for a dead one's.  Finished files are downstream's to delete
 * (gz-extract does): a dead run's finished files may still be named by a
 * saved record stream, so they are left alone.
 */
#define _GNU_SOURCE	/* realpath, flock */
#include "fetch.h"
#include "log.h"
#include "ndjson.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PREFIX ".gz-fetch-"

struct waiting {
	char *path;
	ino_t ino;
	uint64_t bytes;
};

/* Room left in a PATH_MAX for the names made under the folder. */
#define DIR_MAX (PATH_MAX - 1024)

struct spool {
	char dir[DIR_MAX];
	char lock_path[PATH_MAX];
	char token[24];
	int lock_fd;
	unsigned long counter;
	uint64_t limit;
	struct waiting *w;		/* committed files, with --spool-limit */
	size_t nw, cap;
	uint64_t waiting_bytes;
	double checked;
};

/* mkdir -p, leaving existing folders alone. */
static int
make_dirs(const char *dir)
{
	char path[PATH_MAX], *p;

	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* A run's token: the pid and some clock bits, in hex (pids repeat across
 * containers sharing a volume; the clock makes a clash unlikely). */
static void
make_token(struct spool *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(s->token, sizeof s->token, "%lx%06lx", (long)getpid(),
	    (unsigned long)((ts.tv_nsec ^ ts.tv_sec) & 0xffffff));
}

/* Create the lock held already, then give it its name. */
static int
take_lock(struct spool *s)
{
	char tmp[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof tmp, "%s/" PREFIX "%s.new", s->dir, s->token);
	snprintf(s->lock_path, sizeof s->lock_path, "%s/" PREFIX "%s.lock",
	    s->dir, s->token);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || write_all(fd, "gz-fetch\n",
	    9) != 0 || rename(tmp, s->lock_path) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	s->lock_fd = fd;
	return 0;
}

/* The token in ".gz-fetch-TOKEN..." into out, and what follows it. */
static const char *
name_token(const char *name, char *out, size_t size)
{
	size_t n;

	if (strncmp(name, PREFIX, sizeof PREFIX - 1) != 0)
		return NULL;
	name += sizeof PREFIX - 1;
	n = strspn(name, "0123456789abcdef");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(out, name, n);
	out[n] = '\0';
	return name + n;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* True when no live run holds this lock file (it is then removed). */
static bool
lock_dead(struct spool *s, const char *name)
{
	char path[PATH_MAX];
	bool dead = false;
	int fd;

	snprintf(path, sizeof path, "%s/%s", s->dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		dead = true;
		unlink(path);
	}
	close(fd);
	return dead;
}

/* A .part whose run is gone: its lock is missing (removed just now by
 * lock_dead, or never renamed into place). */
static bool
part_orphaned(struct spool *s, const char *token)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "%s/" PREFIX "%s.lock", s->dir, token);
	return lstat(path, &st) != 0 && errno == ENOENT;
}

/* Two passes: first free the locks of dead runs, then remove the parts
 * whose lock is gone. */
static void
clean_dead_runs(struct spool *s)
{
	char token[24], path[PATH_MAX];
	unsigned long removed = 0;
	const char *rest;
	struct dirent *d;
	DIR *dir;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if ((dir = opendir(s->dir)) == NULL)
			return;
		while ((d = readdir(dir)) != NULL) {
			if ((rest = name_token(d->d_name, token,
			    sizeof token)) == NULL ||
			    strcmp(token, s->token) == 0)
				continue;
			if (pass == 0 && (strcmp(rest, ".lock") == 0 ||
			    strcmp(rest, ".new") == 0))
				removed += lock_dead(s, d->d_name);
			else if (pass == 1 && ends_with(rest, ".part") &&
			    part_orphaned(s, token)) {
				snprintf(path, sizeof path, "%s/%s", s->dir,
				    d->d_name);
				removed += unlink(path) == 0;
			}
		}
		closedir(dir);
	}
	if (removed > 0)
		log_info("spool %s: removed %lu files left by runs that died",
		    s->dir, removed);
}

struct spool *
spool_open(const char *dir, uint64_t limit, char *why, size_t size)
{
	struct spool *s = calloc(1, sizeof *s);
	char real[PATH_MAX];
	int tries, e;

	if (s == NULL) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	s->limit = limit;
	s->lock_fd = -1;
	if (make_dirs(dir) != 0 || realpath(dir, real) == NULL ||
	    (strlen(real) >= sizeof s->dir && (errno = ENAMETOOLONG))) {
		e = errno;
		snprintf(why, size, "spool %s: %s", dir, strerror(e));
		free(s);
		errno = e;
		return NULL;
	}
	memcpy(s->dir, real, strlen(real) + 1);
	/* Another run's cleanup may catch our lock in the instant before it
	 * is held; a new token settles it. */
	for (tries = 0; tries < 3; tries++) {
		make_token(s);
		if (take_lock(s) == 0 || errno != ENOENT)
			break;
	}
	if (s->lock_fd < 0) {
		e = errno;
		snprintf(why, size, "spool %s is not writable: %s", s->dir,
		    strerror(e));
		free(s);
		errno = e;
		return NULL;
	}
	clean_dead_runs(s);
	return s;
}

void
spool_close(struct spool *s)
{
	size_t i;

	if (s == NULL)
		return;
	unlink(s->lock_path);
	close(s->lock_fd);
	for (i = 0; i < s->nw; i++)
		free(s->w[i].path);
	free(s->w);
	free(s);
}

const char *
spool_path(const struct spool *s)
{
	return s->dir;
}

bool
spool_file_open(struct spool *s, struct spool_file *f, long long id,
    const char *ext)
{
	char idbuf[24] = "x";

	if (id >= 0)
		snprintf(idbuf, sizeof idbuf, "%lld", id);
	s->counter++;
	snprintf(f->tmp, sizeof f->tmp, "%s/" PREFIX "%s-%lu.part", s->dir,
	    s->token, s->counter);
	snprintf(f->path, sizeof f->path, "%s/%s-%s-%lu%s%s", s->dir, idbuf,
	    s->token, s->counter, ext[0] != '\0' ? "." : "", ext);
	f->bytes = 0;
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
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
	unlink(f->tmp);
}

/* Remembers a committed file for --spool-limit. */
static void
track(struct spool *s, struct spool_file *f)
{
	struct stat st;
	struct waiting *w;

	if (s->limit == 0 || stat(f->path, &st) != 0)
		return;
	if (s->nw == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if ((w = realloc(s->w, cap * sizeof *w)) == NULL)
			return;	/* the limit is advisory: do without */
		s->w = w;
		s->cap = cap;
	}
	if ((s->w[s->nw].path = strdup(f->path)) == NULL)
		return;
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
		unlink(f->tmp);
		errno = e;
		return -1;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) != 0) {
		e = errno;
		unlink(f->tmp);
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
		if (stat(s->w[i].path, &st) == 0 && st.st_ino == s->w[i].ino) {
			i++;
			continue;
		}
		s->waiting_bytes -= s->w[i].bytes;
		free(s->w[i].path);
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
