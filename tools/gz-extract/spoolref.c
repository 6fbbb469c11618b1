/*
 * spoolref — which of the files records name gz-extract may delete.
 *
 * A record may make gz-extract read any file (running it on your own files
 * is a feature), but it removes only a file that lies in the spool gz-fetch
 * writes to (lib/spool.c: the same --spool, $GZ_SPOOL and default): named
 * as SPOOL/FOLDER/NAME or SPOOL/NAME with no "." or ".." part, reached
 * through the spool's descriptor without following a link, a regular file,
 * owned by us.  A spool file is also read without following a link, so a
 * link placed in the spool never makes us index what it points to.
 *
 * Owns the spool's descriptor and the run folders gz-extract has read from:
 * each is held (locked shared) until the end, so no sweep takes it while
 * its files are still to come, and is removed at the end when no other
 * stage holds it.
 */
#include "extract.h"
#include "log.h"
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Run folders held at once; a stream naming more (a replay of many runs)
 * opens the rest for each file without holding them. */
#define HELD_MAX 64

struct held {
	char name[NAME_MAX + 1];
	int fd;
};

static struct spool_base base = { .fd = -1 };
static struct held held[HELD_MAX];
static size_t nheld;

int
spoolref_init(const char *arg, char *why, size_t size)
{
	char path[PATH_MAX];

	return spool_base_open(&base, spool_base_path(arg, path, sizeof path),
	    why, size);
}

/* The folder's descriptor, held or opened for this file (*temp). */
static int
folder_fd(const char *folder, bool *temp)
{
	size_t i;
	int fd;

	*temp = false;
	for (i = 0; i < nheld; i++)
		if (strcmp(held[i].name, folder) == 0)
			return held[i].fd;
	if ((fd = spool_folder_open(&base, folder)) < 0)
		return -1;
	if (nheld == HELD_MAX || folder[0] == '\0') {
		*temp = true;
		return fd;
	}
	snprintf(held[nheld].name, sizeof held[nheld].name, "%s", folder);
	held[nheld++].fd = fd;
	return fd;
}

void
spoolref_find(const char *file, struct spoolref *r)
{
	char folder[NAME_MAX + 1];
	struct stat st;

	spoolref_release(r);
	r->inside = spool_locate(&base, file, folder, sizeof folder,
	    &r->name) == SPOOL_INSIDE;
	r->error = 0;
	if (!r->inside)
		return;
	if ((r->dirfd = folder_fd(folder, &r->temp)) < 0) {
		r->error = errno == ENOTDIR ? ELOOP : errno;
		return;
	}
	if (fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		r->error = ELOOP;
}

void
spoolref_release(struct spoolref *r)
{
	if (r->temp && r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
	r->temp = false;
	r->inside = false;
}

void
spoolref_remove(struct spoolref *r, const char *who, const char *file)
{
	const char *why;

	if (!r->inside) {
		log_warn("%s: kept %s: not in the spool %s", who, file,
		    base.path);
		return;
	}
	if ((why = spool_removable(r->dirfd, r->name)) != NULL)
		log_warn("%s: kept %s: %s", who, file, why);
	else if (unlinkat(r->dirfd, r->name, 0) != 0 && errno != ENOENT)
		log_warn("%s: cannot remove %s: %s", who, file,
		    strerror(errno));
}

void
spoolref_end(bool keep_files)
{
	size_t i;

	for (i = 0; i < nheld; i++)
		spool_folder_done(&base, held[i].name, held[i].fd, keep_files);
	nheld = 0;
	spool_base_close(&base);
}
