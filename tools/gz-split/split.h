/*
 * gz-split — what its modules share.
 *
 * An association gazette (territory_id ending in 00000) carries the acts of
 * many municipalities; the system gz replaces indexes each municipality's
 * part as its own document.  gz-split does the same, with the same text,
 * checksum and territory, so the documents keep their _id.
 */
#ifndef GZ_SPLIT_H
#define GZ_SPLIT_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>

/* One association's rules: the data to add for another state. */
struct association_rule {
	const char *territory_id;	/* the association's own id */
	const char *state_code;		/* prefix of every slug */
	const char *act_pattern;	/* PCRE2: (start)(name)(end of header) */
	const char *name_suffix;	/* PCRE2: what follows a name, cut */
	const char *const (*name_fixes)[2];	/* {printed, right}, NULL-ended */
};

const struct association_rule *rules_find(const char *territory_id);
/* territory_id ends in 00000: an association's code. */
bool rules_is_association(const char *territory_id);

/* slug.c: the municipality name of an act, as the territory slug. */
struct slugger;
struct slugger *slugger_new(const struct association_rule *rule,
    char *why, size_t size);
void slugger_free(struct slugger *s);
/* The cleaned name (malloc'd) of a raw name. */
char *slug_clean_name(struct slugger *s, const char *raw, size_t len);
/* "AL" + name → "alpalmeiraindios" (malloc'd). */
char *slug_make(const char *state_code, const char *name);

/* territory.c: the territories table, read once. */
struct territory {
	char *id, *name, *state_code, *slug;
};
/* 0, or an exit status (2 configuration, 3 unreachable) after a message. */
int territories_load(const char *conninfo);
/* The territory with this slug (the last one, as a dict built in table
 * order keeps), or NULL. */
const struct territory *territories_find(const char *slug);
size_t territories_count(void);
void territories_free(void);

/* segment.c: one association text cut into municipality segments. */
struct act {
	size_t start, end;	/* in the cleaned text */
	size_t group;		/* which segment it joins */
};
struct segment_group {
	const struct territory *territory;
	char *name;		/* the cleaned name, for messages */
};
struct split {
	char *header;		/* the page header line */
	char *clean;		/* the text without headers and trailer */
	size_t clean_len;
	struct act *acts;
	size_t nacts;
	struct segment_group *groups;	/* in order of first act */
	size_t ngroups;
};
struct splitter;
struct splitter *splitter_new(const struct association_rule *rule,
    char *why, size_t size);
void splitter_free(struct splitter *s);
/*
 * Cuts text into acts and groups them by territory.  Returns NULL on
 * success, else the gz.error code, with why filled.
 */
const char *splitter_run(struct splitter *s, const char *text, size_t len,
    struct split *out, char *why, size_t size);
/* The text of group g (header, then each act), malloc'd; *len its length. */
char *split_segment_text(const struct split *sp, size_t g, size_t *len);
void split_free(struct split *sp);

/* Python's str.strip() of s[0..len): the span [*from, *to). */
void py_strip(const char *s, size_t len, size_t *from, size_t *to);
/* Python's str.isspace() for one code point. */
bool py_isspace(unsigned cp);
/* The pattern for Python's \s (str patterns), for PCRE2 patterns. */
#define PY_S "[\\t\\n\\x{0b}\\f\\r\\x{1c}-\\x{1f} \\x{85}\\x{a0}\\x{1680}" \
	"\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"

struct split_options {
	const char *db;
	size_t max_record_bytes;
};
int split_run(const struct split_options *o);

#endif
