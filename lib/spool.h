/*
 * spool — the folder where gz-fetch's downloads wait for gz-extract, and
 * the rules that make it safe to delete in.
 *
 * Owns: where the spool is (--spool, else $GZ_SPOOL, else
 * $TMPDIR/gz-spool-UID), the ownership check both tools make before the
 * first record (like ssh's StrictModes: the folder must be ours and
 * writable by nobody else, and so must every folder above it, unless
 * sticky like /tmp), the per-run folders with their locks, the sweep of
 * dead runs' folders, and the test gz-extract applies before it removes a
 * file.  Everything in the spool is reached through a descriptor of the
 * spool folder, never by following a symbolic link.
 *
 * Layout: SPOOL/run-TOKEN/ holds one gz-fetch run's files.  A run's folder
 * is locked (flock LOCK_SH on the folder itself) by gz-fetch while it runs
 * and by each gz-extract that reads a file from it; a folder nobody locks,
 * whose stream (the pipe gz-fetch wrote its records to, named in .stream)
 * no process holds open any more, belongs to a run that is over: the next
 * gz-fetch removes it.  SPOOL/keep-TOKEN/ is a run whose records went to a
 * file, to be read later: never swept, removed by gz-extract once empty.
 */
#ifndef GZ_SPOOL_H
#define GZ_SPOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The environment variable both tools read when --spool is not given. */
#define SPOOL_ENV "GZ_SPOOL"

/* Room left in a PATH_MAX for the names made under the folder. */
#define SPOOL_DIR_MAX (PATH_MAX - 256)

struct spool_base {
	int fd;				/* O_DIRECTORY, -1 when closed */
	char path[SPOOL_DIR_MAX];	/* absolute, no symbolic link */
};

/* The spool's path: arg when not NULL, else $GZ_SPOOL, else
 * ${TMPDIR:-/tmp}/gz-spool-UID.  Returns buf. */
const char *spool_base_path(const char *arg, char *buf, size_t size);

/*
 * Creates the folder if missing (0700, and its parents as mkdir -p does),
 * checks it and opens it into b.  -1 with a message in why that says how
 * to fix it; errno is EPERM when the folder or a parent fails the
 * ownership rule (a configuration error), else the system's.
 */
int spool_base_open(struct spool_base *b, const char *path, char *why,
    size_t size);
void spool_base_close(struct spool_base *b);

/* One run's folder, as its maker (gz-fetch) holds it. */
struct spool_run {
	int fd;				/* the folder, locked shared; -1 */
	bool keep;			/* keep-TOKEN: never swept */
	char name[32];			/* "run-TOKEN" */
	char path[SPOOL_DIR_MAX + 40];	/* absolute */
};

/*
 * Makes and locks a new run folder.  keep: the records go to a file, so
 * the folder is a keep- one.  stream_fd: the descriptor the records are
 * written to (its pipe is what the sweep looks for).  -1 with why.
 */
int spool_run_create(struct spool_base *b, struct spool_run *r, bool keep,
    int stream_fd, char *why, size_t size);
/*
 * The maker's end of a run: when no stage holds the folder any more and
 * either nothing waits in it or no reader can come (reader_gone), the
 * folder goes; else it stays for the gz-extract still to come (or, when
 * none comes, for the next sweep).
 */
void spool_run_end(struct spool_base *b, struct spool_run *r,
    bool reader_gone);

/*
 * Removes the folders of runs that are over: unlocked, and their stream
 * closed everywhere.  Returns how many.
 */
unsigned spool_sweep(struct spool_base *b);

/* --- gz-extract's side --------------------------------------------------- */

/*
 * Where an absolute path lies: SPOOL_OUTSIDE, or in the spool as
 * FOLDER/NAME (*folder set) or as NAME directly in it (*folder "").  A
 * path with ".", ".." or an empty part is SPOOL_OUTSIDE.
 */
enum spool_where { SPOOL_OUTSIDE, SPOOL_INSIDE };
enum spool_where spool_locate(const struct spool_base *b, const char *path,
    char *folder, size_t fsize, const char **name);

/*
 * Opens folder (a direct child of the spool, "" for the spool itself)
 * without following a symbolic link and, when it is a run folder, locks it
 * shared so no sweep takes it while we read it.  -1 with errno (ELOOP for
 * a symbolic link).
 */
int spool_folder_open(struct spool_base *b, const char *folder);

/*
 * Why name in dirfd may not be removed, or NULL when it may: a regular
 * file owned by the running user, looked at without following a link, and
 * not a dot file (gz-fetch's .part and .stream).
 */
const char *spool_removable(int dirfd, const char *name);

/*
 * gz-extract is done with a run folder (dirfd, from spool_folder_open):
 * when no other stage holds it, a run- folder goes with what is left in it
 * unless keep_files, a keep- one only once it is empty.  Closes dirfd.
 */
void spool_folder_done(struct spool_base *b, const char *folder, int dirfd,
    bool keep_files);

#endif
