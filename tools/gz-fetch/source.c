/*
 * source — what a record asks gz-fetch to get, checked before any request,
 * and --source dir:PATH, a local mirror of the bucket read with plain file
 * I/O.
 *
 * Keys are checked twice over: no key is ever used to name a spool file
 * (spool.c), and a key that could leave the mirror (absolute, "..", a
 * symlink pointing out) is refused as bad_path.
 */
#define _GNU_SOURCE	/* realpath */
#include "fetch.h"
#include "log.h"
#include "rec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* S3's limit on key length. */
#define KEY_MAX 1024

/* A string field, with its length: JSON strings may hold "\u0000". */
static const char *
string_field(jv rec, const char *name, size_t *len)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(name));
	const char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		*len = (size_t)jv_string_length_bytes(jv_copy(v));
		s = rec_string(rec, name);
	}
	jv_free(v);
	return s;
}

static bool
check_key(const char *key, size_t len, const char **code, char *why,
    size_t size)
{
	*code = "bad_path";
	if (strlen(key) != len)
		snprintf(why, size, "file_path holds a NUL byte");
	else if (len > KEY_MAX)
		snprintf(why, size, "file_path is longer than %d bytes",
		    KEY_MAX);
	else if (key[0] == '/')
		snprintf(why, size, "file_path is absolute");
	else if (!s3_key_addressable(key))
		snprintf(why, size, "file_path has a \".\" or \"..\" segment");
	else
		return true;
	return false;
}

static bool
check_url(const char *url, size_t len, const char **code, char *why,
    size_t size)
{
	*code = "bad_url";
	if (strlen(url) != len)
		snprintf(why, size, "file_url holds a NUL byte");
	else if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		snprintf(why, size, "file_url is not http or https");
	else
		return true;
	return false;
}

bool
source_target(const struct fetch_options *o, jv rec, const char **what,
    const char **code, char *why, size_t size)
{
	const char *name = o->source == SOURCE_URL ? "file_url" : "file_path";
	size_t len = 0;

	*what = string_field(rec, name, &len);
	if (*what == NULL || len == 0) {
		*code = o->source == SOURCE_URL ? "no_file_url" :
		    "no_file_path";
		snprintf(why, size, "the record has no %s", name);
		return false;
	}
	if (o->source == SOURCE_URL)
		return check_url(*what, len, code, why, size);
	return check_key(*what, len, code, why, size);
}

enum source_intake
source_intake(const struct fetch_options *o, jv *rec, const char **what,
    const char **code, char *why, size_t size)
{
	if (!rec_check(rec, why, size)) {
		*code = "bad_record";
		return SOURCE_FAIL;
	}
	if (rec_has_error(*rec))
		return SOURCE_PASS;
	return source_target(o, *rec, what, code, why, size) ? SOURCE_FETCH :
	    SOURCE_FAIL;
}

const char *
source_extension(const char *name, bool url, char *buf, size_t size)
{
	size_t end = url ? strcspn(name, "?#") : strlen(name), start = end, i;
	const char *dot = NULL;

	while (start > 0 && name[start - 1] != '/')
		start--;
	for (i = start; i < end; i++)
		if (name[i] == '.')
			dot = name + i;
	buf[0] = '\0';
	if (dot == NULL || (size_t)(name + end - dot - 1) >= size ||
	    name + end - dot - 1 > 8 || name + end - dot - 1 < 1)
		return buf;
	for (i = 0; dot + 1 + i < name + end; i++) {
		if (!isalnum((unsigned char)dot[1 + i])) {
			buf[0] = '\0';
			return buf;
		}
		buf[i] = (char)tolower((unsigned char)dot[1 + i]);
	}
	buf[i] = '\0';
	return buf;
}

void
source_checksum(jv rec, char want[33])
{
	const char *sum = rec_string(rec, "file_checksum");
	int i;

	want[0] = '\0';
	if (sum == NULL || strlen(sum) != 32)
		return;
	for (i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)sum[i])) {
			want[0] = '\0';
			return;
		}
		want[i] = (char)tolower((unsigned char)sum[i]);
	}
	want[32] = '\0';
}

/* Resolves key under the mirror; the answer must stay inside it. */
static const char *
resolve(const struct fetch_options *o, const char *key, char *out,
    char *why, size_t size)
{
	char joined[PATH_MAX * 2];
	size_t n = strlen(o->dir);

	snprintf(joined, sizeof joined, "%s/%s", o->dir, key);
	if (realpath(joined, out) == NULL) {
		snprintf(why, size, "%s", strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? "not_found" :
		    "read_error";
	}
	if (strncmp(out, o->dir, n) != 0 || (out[n] != '/' &&
	    strcmp(o->dir, "/") != 0)) {
		snprintf(why, size, "file_path resolves outside the mirror");
		return "bad_path";
	}
	return NULL;
}

static const char *
copy_fd(const struct fetch_options *o, int fd, struct spool_file *f,
    struct md5_ctx *md5, char *why, size_t size)
{
	static char buf[64 * 1024];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, size, "reading: %s", strerror(errno));
			return "read_error";
		}
		if (n == 0)
			return NULL;
		if (f->bytes + (uint64_t)n > o->max_size) {
			snprintf(why, size, "more than --max-size (%llu bytes)",
			    (unsigned long long)o->max_size);
			return "too_large";
		}
		if (spool_file_write(f, buf, (size_t)n) != 0) {
			snprintf(why, size, "writing the spool: %s",
			    strerror(errno));
			return errno == ENOSPC || errno == EDQUOT ?
			    "disk_full" : "spool_error";
		}
		md5_update(md5, buf, (size_t)n);
		gz_stats.bytes += (uint64_t)n;
	}
}

const char *
source_copy(const struct fetch_options *o, const char *key,
    struct spool_file *f, struct md5_ctx *md5, char *why, size_t size)
{
	char path[PATH_MAX];
	const char *code;
	struct stat st;
	int fd;

	if ((code = resolve(o, key, path, why, size)) != NULL)
		return code;
	/* Non-blocking: opening a FIFO for reading waits for a writer, and
	 * a device may never answer; neither gets past the S_ISREG check.
	 * (On a regular file O_NONBLOCK changes nothing.) */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0) {
		snprintf(why, size, "%s", strerror(errno));
		return errno == ENOENT ? "not_found" : "read_error";
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, size, "not a regular file");
		return "bad_path";
	}
	if ((uint64_t)st.st_size > o->max_size) {
		close(fd);
		snprintf(why, size, "%lld bytes, more than --max-size (%llu)",
		    (long long)st.st_size, (unsigned long long)o->max_size);
		return "too_large";
	}
	code = copy_fd(o, fd, f, md5, why, size);
	close(fd);
	return code;
}

char *
source_mirror(const char *path)
{
	struct stat st;
	char *dir = realpath(path, NULL);

	if (dir != NULL && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		free(dir);
		dir = NULL;
	}
	return dir;
}
