/*
 * xalloc — allocation that cannot fail (git's wrapper.c is the model).
 *
 * gz sizes its memory from its options (--batch-bytes, --jobs, record
 * caps), so running out means the options were wrong for the machine: the
 * only sensible answer is to stop the stage.  Every allocation in lib/ and
 * the tools goes through these, so that stop is the same everywhere: one
 * line on stderr, "gz-TOOL: out of memory (N bytes)", and exit status 3
 * (EXIT_FATAL, gz(7) EXIT STATUS).  Callers never check for NULL.
 *
 * Zero-byte requests return a unique pointer, as malloc(1) would.
 */
#ifndef GZ_XALLOC_H
#define GZ_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
/* nmemb * size bytes, zeroed; an overflowing product fails like malloc. */
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* At most len bytes of s, always terminated. */
char *xstrndup(const char *s, size_t len);
/*
 * Ends the process as a failed allocation of size bytes does; for libraries
 * (libcurl, OpenSSL) whose constructors fail only for want of memory.  A
 * size of 0 (not known) leaves the "(N bytes)" out.
 */
void xalloc_die(size_t size) __attribute__((noreturn));

#endif
