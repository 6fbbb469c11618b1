/*
 * text — UTF-8 checks shared by the record reader and the text extractor.
 */
#ifndef GZ_TEXT_H
#define GZ_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF).  Otherwise *bad_offset gets the first bad byte.
 */
bool text_utf8_valid(const char *s, size_t len, size_t *bad_offset);
/*
 * Length of the well-formed UTF-8 sequence at s (1-4), or 0 when the bytes
 * at s do not start one.  Reads at most avail bytes.
 */
size_t text_utf8_sequence(const unsigned char *s, size_t avail);

#endif
