/*
 * spool — where downloads wait, who may delete in it, and how runs that
 * died are cleaned up.  See spool.h for the layout and the lock protocol.
 *
 * Why a run's folder needs more than a lock: in "gz-fetch | gz-extract",
 * gz-fetch may write its last records and exit before gz-extract has read
 * the first one (and so before gz-extract could take the folder's lock).
 * The records are then in the pipe, which gz-extract still holds open: a
 * sweep that finds the folder unlocked checks that no process holds that
 * pipe (its "pipe:[INODE]" name, kept in the folder's .stream) before it
 * removes anything.  A kill -9 of every stage closes the pipe and frees
 * the lock, so the next gz-fetch removes the folder; a live run always
 * holds one or the other.
 */
#define _GNU_SOURCE	/* flock */
#include "spool.h"
#include "log.h"

#include <ctype.h>
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

#define STREAM_FILE ".stream"
#define STREAM_MAX 64		/* "pipe:[4026531840]" and the like */

const char *
spool_base_path(const char *arg, char *buf, size_t size)
{
	const char *env = getenv(SPOOL_ENV), *tmp = getenv("TMPDIR");

	if (arg != NULL)
		snprintf(buf, size, "%s", arg);
	else if (env != NULL && env[0] != '\0')
		snprintf(buf, size, "%s", env);
	else
		snprintf(buf, size, "%s/gz-spool-%lu",
		    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp",
		    (unsigned long)geteuid());
	return buf;
}

/* mkdir -p of path's parents (the folder itself is made 0700 later). */
static int
make_parents(const char *path)
{
	char p[PATH_MAX], *s;

	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

/*
 * StrictModes for the folders above the spool: each one owned by root or
 * by us, and writable by nobody else unless sticky (/tmp), or whoever can
 * write there can swap the spool for a folder or link of their own.
 */
static int
check_parents(const char *real, const char *shown, char *why, size_t size)
{
	char p[PATH_MAX], *slash;
	uid_t me = geteuid();
	struct stat st;

	snprintf(p, sizeof p, "%s", real);
	for (;;) {
		if (stat(p[0] != '\0' ? p : "/", &st) != 0) {
			snprintf(why, size, "spool %s: %s: %s", shown,
			    p[0] != '\0' ? p : "/", strerror(errno));
			return -1;
		}
		if (st.st_uid != 0 && st.st_uid != me) {
			snprintf(why, size, "spool %s: the folder above it, "
			    "%s, is owned by uid %lu, neither root nor you: "
			    "choose a spool under folders you or root own "
			    "(--spool or $" SPOOL_ENV ")", shown,
			    p[0] != '\0' ? p : "/", (unsigned long)st.st_uid);
			errno = EPERM;
			return -1;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (st.st_mode & S_ISVTX) == 0) {
			snprintf(why, size, "spool %s: the folder above it, "
			    "%s, is writable by others (mode %04o): run "
			    "'chmod go-w %s' or choose another spool (--spool "
			    "or $" SPOOL_ENV ")", shown, p[0] != '\0' ? p : "/",
			    (unsigned)(st.st_mode & 07777),
			    p[0] != '\0' ? p : "/");
			errno = EPERM;
			return -1;
		}
		if (p[0] == '\0')
			return 0;
		slash = strrchr(p, '/');
		*slash = '\0';
	}
}

/* The ownership rule for the spool folder itself, on its descriptor. */
static int
check_folder(int fd, const char *shown, char *why, size_t size)
{
	uid_t me = geteuid();
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(why, size, "spool %s: %s", shown, strerror(errno));
		return -1;
	}
	if (st.st_uid != me) {
		snprintf(why, size, "spool %s is owned by uid %lu, not by you "
		    "(uid %lu): remove it, or choose a folder of your own "
		    "with --spool or $" SPOOL_ENV, shown,
		    (unsigned long)st.st_uid, (unsigned long)me);
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, size, "spool %s is writable by group or others "
		    "(mode %04o): run 'chmod 700 %s' or choose another folder "
		    "with --spool or $" SPOOL_ENV, shown,
		    (unsigned)(st.st_mode & 07777), shown);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
spool_base_open(struct spool_base *b, const char *path, char *why,
    size_t size)
{
	char trimmed[PATH_MAX], parent[PATH_MAX], real[PATH_MAX], *slash;
	const char *leaf;
	struct stat st;
	size_t n, m;
	int pfd, fd, e;

	b->fd = -1;
	n = strlen(path);
	if (n == 0 || n >= sizeof trimmed) {
		snprintf(why, size, "spool '%s': not a usable path", path);
		errno = EINVAL;
		return -1;
	}
	memcpy(trimmed, path, n + 1);
	while (n > 1 && trimmed[n - 1] == '/')
		trimmed[--n] = '\0';
	if ((slash = strrchr(trimmed, '/')) == NULL) {
		snprintf(parent, sizeof parent, ".");
		leaf = trimmed;
	} else {
		*slash = '\0';
		snprintf(parent, sizeof parent, "%s", slash == trimmed ? "/" :
		    trimmed);
		leaf = slash + 1;
	}
	if (leaf[0] == '\0' || strcmp(leaf, ".") == 0 ||
	    strcmp(leaf, "..") == 0) {
		snprintf(why, size, "spool %s: name the folder itself", path);
		errno = EINVAL;
		return -1;
	}
	/* The parents may be links (a /tmp on another disk); the spool
	 * folder itself may not. */
	if (make_parents(path) != 0 || realpath(parent, real) == NULL) {
		e = errno;
		snprintf(why, size, "spool %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (strcmp(real, "/") == 0)
		real[0] = '\0';
	if (check_parents(real, path, why, size) != 0)
		return -1;
	n = strlen(real);
	m = strlen(leaf);
	if (n + 1 + m >= sizeof b->path) {
		snprintf(why, size, "spool %s: %s", path,
		    strerror(ENAMETOOLONG));
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(b->path, real, n);
	b->path[n] = '/';
	memcpy(b->path + n + 1, leaf, m + 1);
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = errno;
		snprintf(why, size, "spool %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (mkdirat(pfd, leaf, 0700) != 0 && errno != EEXIST) {
		e = errno;
		close(pfd);
		snprintf(why, size, "spool %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		close(pfd);
		snprintf(why, size, "spool %s is a symbolic link: give the "
		    "folder itself with --spool or $" SPOOL_ENV, path);
		errno = EPERM;
		return -1;
	}
	fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	e = errno;
	close(pfd);
	if (fd < 0) {
		snprintf(why, size, "spool %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (check_folder(fd, path, why, size) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	b->fd = fd;
	return 0;
}

void
spool_base_close(struct spool_base *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

/* --- run folders ----------------------------------------------------------- */

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What fd is, as /proc names it ("pipe:[123]"), when it is a pipe or a
 * socket; "" otherwise. */
static void
stream_name(int fd, char *out, size_t size)
{
	char link[64];
	struct stat st;
	ssize_t n;

	out[0] = '\0';
	if (fd < 0 || fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode)))
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, out, size - 1)) < 0)
		n = 0;
	out[n] = '\0';
}

/* True when some process we can see holds the stream open. */
static bool
stream_in_use(const char *name)
{
	char path[PATH_MAX], target[STREAM_MAX];
	struct dirent *p, *f;
	DIR *proc, *fds;
	bool found = false;
	ssize_t n;

	if ((proc = opendir("/proc")) == NULL)
		return false;
	while (!found && (p = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/fd", p->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;	/* gone, or another user's */
		while ((f = readdir(fds)) != NULL) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/%s/fd/%s",
			    p->d_name, f->d_name);
			n = readlink(path, target, sizeof target - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, name) == 0) {
				found = true;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/*
 * Removes what a run folder holds and the folder: only regular files and
 * links of ours (a link is removed, never followed), so the folder stays
 * when anything else is in it.  The caller holds the folder's lock.
 */
static bool
remove_run(struct spool_base *b, const char *name, int dirfd)
{
	uid_t me = geteuid();
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	rewinddir(dir);
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
		    st.st_uid == me)
			unlinkat(dirfd, d->d_name, 0);
	}
	closedir(dir);
	return unlinkat(b->fd, name, AT_REMOVEDIR) == 0;
}

/* True when the folder holds nothing but its .stream. */
static bool
run_empty(int dirfd)
{
	struct dirent *d;
	bool empty = true;
	DIR *dir;
	int fd;

	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	rewinddir(dir);
	while (empty && (d = readdir(dir)) != NULL)
		empty = strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0 ||
		    strcmp(d->d_name, STREAM_FILE) == 0;
	closedir(dir);
	return empty;
}

/* A run's token: the pid and some clock bits, in hex (pids repeat across
 * containers sharing a volume; the clock makes a clash unlikely). */
static void
make_token(char *out, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, size, "%lx%06lx", (long)getpid(),
	    (unsigned long)((ts.tv_nsec ^ ts.tv_sec) & 0xffffff));
}

/*
 * One attempt: "new-TOKEN" is made, locked, given its .stream, then
 * renamed.  A sweep may take a new- folder in the instant before it is
 * locked (it looks like a run that died while starting): ENOENT then, and
 * the caller tries again.
 */
static int
run_try(struct spool_base *b, struct spool_run *r, const char *stream)
{
	char token[24], tmp[40];
	int fd, sfd;
	size_t n;

	make_token(token, sizeof token);
	snprintf(tmp, sizeof tmp, "new-%s", token);
	snprintf(r->name, sizeof r->name, "%s-%s", r->keep ? "keep" : "run",
	    token);
	if (mkdirat(b->fd, tmp, 0700) != 0)
		return -1;
	if ((fd = openat(b->fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return -1;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	n = strlen(stream);
	if ((sfd = openat(fd, STREAM_FILE, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    write(sfd, stream, n) != (ssize_t)n ||
	    close(sfd) != 0 || renameat(b->fd, tmp, b->fd, r->name) != 0) {
		int e = errno;

		if (sfd >= 0)
			close(sfd);
		close(fd);
		errno = e;
		return -1;
	}
	r->fd = fd;
	return 0;
}

int
spool_run_create(struct spool_base *b, struct spool_run *r, bool keep,
    int stream_fd, char *why, size_t size)
{
	char stream[STREAM_MAX];
	int tries, e;

	r->fd = -1;
	r->keep = keep;
	stream_name(stream_fd, stream, sizeof stream);
	for (tries = 0; tries < 5; tries++)
		if (run_try(b, r, stream) == 0 || (errno != ENOENT &&
		    errno != EEXIST))
			break;
	if (r->fd < 0) {
		e = errno;
		snprintf(why, size, "spool %s is not writable: %s", b->path,
		    strerror(e));
		errno = e;
		return -1;
	}
	snprintf(r->path, sizeof r->path, "%s/%s", b->path, r->name);
	return 0;
}

void
spool_run_end(struct spool_base *b, struct spool_run *r, bool reader_gone)
{
	if (r->fd < 0)
		return;
	/* Shared to exclusive is not atomic, but a run that still has its
	 * stream open is never swept (see the top of the file). */
	if (flock(r->fd, LOCK_EX | LOCK_NB) == 0 &&
	    ((reader_gone && !r->keep) || run_empty(r->fd)))
		remove_run(b, r->name, r->fd);
	close(r->fd);
	r->fd = -1;
}

/* The stream a run folder names, or "" (none, or not readable). */
static void
read_stream(int dirfd, char *out, size_t size)
{
	ssize_t n = -1;
	int fd;

	if ((fd = openat(dirfd, STREAM_FILE, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) >= 0) {
		n = read(fd, out, size - 1);
		close(fd);
	}
	out[n > 0 ? n : 0] = '\0';
}

unsigned
spool_sweep(struct spool_base *b)
{
	char stream[STREAM_MAX];
	unsigned removed = 0;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	if ((fd = dup(b->fd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dir);
	while ((d = readdir(dir)) != NULL) {
		if (!has_prefix(d->d_name, "run-") &&
		    !has_prefix(d->d_name, "new-"))
			continue;
		if ((fd = openat(b->fd, d->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			read_stream(fd, stream, sizeof stream);
			if ((stream[0] == '\0' || !stream_in_use(stream)) &&
			    remove_run(b, d->d_name, fd)) {
				removed++;
				log_info("removed %s/%s, left by a run that "
				    "is over", b->path, d->d_name);
			}
		}
		close(fd);
	}
	closedir(dir);
	return removed;
}

/* --- gz-extract's side ----------------------------------------------------- */

/* One part of a path: not empty, ".", or "..". */
static bool
plain_part(const char *s, size_t n)
{
	return n > 0 && !(n == 1 && s[0] == '.') &&
	    !(n == 2 && s[0] == '.' && s[1] == '.');
}

enum spool_where
spool_locate(const struct spool_base *b, const char *path, char *folder,
    size_t fsize, const char **name)
{
	size_t n = strlen(b->path);
	const char *rest, *slash;

	if (b->fd < 0 || strncmp(path, b->path, n) != 0 || path[n] != '/')
		return SPOOL_OUTSIDE;
	rest = path + n + 1;
	if ((slash = strchr(rest, '/')) == NULL) {
		if (!plain_part(rest, strlen(rest)))
			return SPOOL_OUTSIDE;
		folder[0] = '\0';
		*name = rest;
		return SPOOL_INSIDE;
	}
	if (!plain_part(rest, (size_t)(slash - rest)) ||
	    (size_t)(slash - rest) >= fsize || strchr(slash + 1, '/') != NULL ||
	    !plain_part(slash + 1, strlen(slash + 1)))
		return SPOOL_OUTSIDE;
	memcpy(folder, rest, (size_t)(slash - rest));
	folder[slash - rest] = '\0';
	*name = slash + 1;
	return SPOOL_INSIDE;
}

int
spool_folder_open(struct spool_base *b, const char *folder)
{
	int fd;

	if (folder[0] == '\0')
		return fcntl(b->fd, F_DUPFD_CLOEXEC, 0);
	fd = openat(b->fd, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	/* A sweep holding it removes it: what it held is gone anyway. */
	if (fd >= 0 && (has_prefix(folder, "run-") ||
	    has_prefix(folder, "keep-")))
		(void)flock(fd, LOCK_SH | LOCK_NB);
	return fd;
}

const char *
spool_removable(int dirfd, const char *name)
{
	static char why[64];
	struct stat st;

	/* .part and .stream are gz-fetch's own, never a finished file. */
	if (name[0] == '.')
		return "not a finished download";
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? NULL : strerror(errno);
	if (S_ISLNK(st.st_mode))
		return "a symbolic link";
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid()) {
		snprintf(why, sizeof why, "owned by uid %lu, not by us",
		    (unsigned long)st.st_uid);
		return why;
	}
	return NULL;
}

void
spool_folder_done(struct spool_base *b, const char *folder, int dirfd,
    bool keep_files)
{
	if (folder[0] != '\0' && (has_prefix(folder, "run-") ||
	    has_prefix(folder, "keep-")) &&
	    flock(dirfd, LOCK_EX | LOCK_NB) == 0 &&
	    ((has_prefix(folder, "run-") && !keep_files) || run_empty(dirfd)))
		remove_run(b, folder, dirfd);
	close(dirfd);
}
