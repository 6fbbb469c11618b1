/*
 * spill — a record too long to hold, read back from the file lib/ndjson
 * spilled it to: its source_text stays in the file, remembered by place.
 */
#ifndef GZ_INDEX_SPILL_H
#define GZ_INDEX_SPILL_H

#include <jv.h>
#include <stddef.h>

/*
 * Input lines longer than this are spilled to a file by lib/ndjson and
 * their source_text is never held in memory (spill.c); shorter ones are
 * parsed in memory, which costs a few times their length for a moment.
 * --batch-bytes, when smaller, lowers it.
 */
#define SPILL_BYTES (1u << 20)

/* source_text's raw JSON string (quotes included) in a spilled line. */
struct spill_text {
	int fd;
	size_t off, len;	/* len 0: none, all is in memory */
};

/* The record (an object) without source_text, or invalid + why. */
jv spill_scan(int fd, size_t len, size_t limit, struct spill_text *text,
    char *why, size_t why_size);
/* The decoded text (--store-text), or invalid. */
jv spill_read_text(const struct spill_text *text);

#endif
