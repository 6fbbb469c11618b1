/*
 * xalloc — see xalloc.h.
 */
#include "xalloc.h"
#include "cli.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
xalloc_die(size_t size)
{
	if (size > 0)
		log_error("out of memory (%zu bytes)", size);
	else
		log_error("out of memory");
	exit(EXIT_FATAL);
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		xalloc_die(size);
	return q;
}

void *
xmalloc(size_t size)
{
	return xrealloc(NULL, size);
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		xalloc_die(SIZE_MAX);
	if ((p = calloc(nmemb ? nmemb : 1, size ? size : 1)) == NULL)
		xalloc_die(nmemb * size);
	return p;
}

char *
xstrndup(const char *s, size_t len)
{
	char *out;

	len = strnlen(s, len);
	out = xmalloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

char *
xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}
