/*
 * fate — the loop's calls, made through the table it filled in (fate.h).
 */
#include "fate.h"
#include "batch.h"

#include <stdarg.h>
#include <stdio.h>

void
fate_fail(const struct fate *f, struct doc *d, const char *code,
    const char *why, int attempts, bool retryable)
{
	f->fail(f->arg, d, code, why, attempts, retryable);
}

void
fate_drop(const struct fate *f, struct doc *d, int attempts)
{
	f->drop(f->arg, d, attempts);
}

void
fate_drop_batch(const struct fate *f, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		f->drop(f->arg, b->docs[i], b->attempt);
	batch_free(b);
}

void
fate_fatal(const struct fate *f, int status, const char *code,
    const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	f->fatal(f->arg, status, code, why);
}

void
fate_put_line(const struct fate *f, jv rec)
{
	f->put_line(f->arg, rec);
}

void
fate_enqueue(const struct fate *f, struct batch *b, bool front)
{
	f->enqueue(f->arg, b, front);
}

void
fate_retry_later(const struct fate *f, struct doc *d)
{
	f->retry_later(f->arg, d);
}

bool
fate_stopping(const struct fate *f)
{
	return f->stopping(f->arg);
}
