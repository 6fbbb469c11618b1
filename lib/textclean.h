/*
 * textclean — a streaming sanitiser that turns whatever bytes a converter
 * prints into text fit for source_text: well-formed UTF-8, no NUL or other
 * control characters except \n, \t and the page break \f, and no more than
 * a byte cap, cut at a character boundary.
 *
 * Input arrives in chunks of any size; a UTF-8 sequence (or a CR LF pair)
 * split across two chunks is handled as if the input had come in one piece,
 * so the output never depends on how the input was chunked.
 *
 * The rules, in order:
 *   - each maximal ill-formed subsequence becomes one U+FFFD (Unicode's
 *     "best practice" for U+FFFD substitution, chapter 3.9), so overlongs,
 *     surrogates, code points past U+10FFFF, stray continuation bytes and a
 *     sequence cut short by the end of input are all replaced;
 *   - CR LF and a lone CR become LF (old Mac and DOS line ends), as does VT
 *     (Word's manual line break);
 *   - every other C0 control (NUL included), DEL and the C1 controls
 *     U+0080..U+009F are dropped;
 *   - a byte order mark (U+FEFF) at the very start is dropped;
 *   - a character that would take the text past the cap is not written, the
 *     text is marked truncated, and all later input is ignored.
 *
 * The text lives in a buffer owned by the struct that grows on demand and
 * never past the cap, so memory is bounded by configuration.
 */
#ifndef GZ_TEXTCLEAN_H
#define GZ_TEXTCLEAN_H

#include <stdbool.h>
#include <stddef.h>

struct textclean {
	char *buf;		/* the clean text is buf[0..len) */
	size_t len;
	size_t alloc;		/* bytes allocated for buf, <= cap */
	size_t cap;		/* the text never gets longer than this */
	unsigned char seq[4];	/* a sequence begun but not finished */
	unsigned char seq_len;	/* bytes of it held */
	unsigned char seq_need;	/* bytes of it still due */
	unsigned char lo, hi;	/* range allowed for the next byte */
	bool after_cr;		/* the last character was CR (an LF pairs) */
	bool started;		/* something was written (for the BOM rule) */
	bool truncated;		/* a character did not fit under the cap */
	bool nomem;		/* growing the buffer failed */
	size_t replaced;	/* U+FFFD substitutions made */
	size_t dropped;		/* control characters dropped */
};

/* An empty text with a cap of cap bytes.  Allocates nothing yet. */
void textclean_init(struct textclean *tc, size_t cap);
/* Back to empty, keeping the buffer (to run another converter). */
void textclean_reset(struct textclean *tc);
void textclean_free(struct textclean *tc);

/*
 * Appends the clean form of in[0..len).  Returns false once the text is
 * full (truncated) or memory ran out (nomem): later input is then ignored,
 * and the caller may stop reading.
 */
bool textclean_feed(struct textclean *tc, const void *in, size_t len);
/* End of input: a sequence left unfinished becomes U+FFFD. */
void textclean_finish(struct textclean *tc);

#endif
