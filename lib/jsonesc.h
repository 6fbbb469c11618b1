/*
 * jsonesc — JSON text written straight into a byte buffer, without building
 * jv values: for a stage that turns rows it already holds as text (gz-list's
 * PGresult) into records, where building and dumping a jv per field cost
 * most of its CPU.
 *
 * The escaper writes exactly what libjq's jv_dump_string writes for
 * jv_string_sized of the same bytes, so records keep their bytes whichever
 * way they were made: '"' and '\' backslashed; \b \t \n \f \r; every other
 * C0 control and DEL as \u00XX (lower-case hex); all else as UTF-8.  Bytes
 * that are not well-formed UTF-8 (a SQL_ASCII database can hold any) become
 * U+FFFD by libjq's rule: a stray continuation byte, C0, C1 or F5..FF is one
 * replacement each; a lead byte whose sequence is cut short by a byte that
 * is not a continuation is replaced with the continuations before it; one
 * cut short by the end of the string takes the rest of it; an overlong,
 * surrogate or past-U+10FFFF sequence is one replacement.
 */
#ifndef GZ_JSONESC_H
#define GZ_JSONESC_H

#include <stdbool.h>
#include <stddef.h>

/* A growing buffer.  Zero-initialise it (JSONBUF_INIT); out of memory ends
 * the process (lib/xalloc). */
struct jsonbuf {
	char *data;
	size_t len, cap;
};

#define JSONBUF_INIT { NULL, 0, 0 }

void jsonbuf_free(struct jsonbuf *b);
/* Appends s[0..n). */
void jsonbuf_add(struct jsonbuf *b, const char *s, size_t n);
/* Appends the NUL-terminated s. */
void jsonbuf_puts(struct jsonbuf *b, const char *s);
/* Appends s[0..len) as a JSON string, quotes included. */
void jsonesc_string(struct jsonbuf *b, const char *s, size_t len);

#endif
