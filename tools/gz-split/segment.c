/*
 * segment — an association text cut as the existing system cuts it
 * (split_text_by_territory in querido-diario-data-processing):
 *
 *  1. header: the first line of the text once leading white space is
 *     gone, trailing white space cut.  Every occurrence of it in the text
 *     becomes "\n" (re.split on it, joined with "\n").
 *  2. trailer: the text is split on "Código Ide ?ntificador:\s*\w+" (the
 *     identifier kept) and joined with "\n" without the last piece: what
 *     follows the last identifier goes, and each identifier gets a newline
 *     on both sides.  No identifier at all leaves no text.
 *  3. acts: each match of the rule's act pattern starts an act that runs
 *     to the next match; its second group is the municipality's name.
 *  4. a segment per territory, in order of its first act: the header, a
 *     newline, then "\n" + act for each of its acts.
 *
 * Every name must resolve to a territory before anything is written (the
 * existing system fails the whole gazette on an unknown one).
 */
#define _GNU_SOURCE	/* memmem */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "split.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENTIFIER_PATTERN "Código Ide ?ntificador:" PY_S "*\\w+"

struct splitter {
	const struct association_rule *rule;
	struct slugger *slugger;
	pcre2_code *act, *ident;
	pcre2_match_data *md;
};

struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void
buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *grown = realloc(b->s, cap);

		if (grown == NULL) {
			b->failed = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static pcre2_code *
compile(const char *pattern, const char *what, char *why, size_t size)
{
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	pcre2_code *code;
	PCRE2_SIZE at;
	int err;

	/* Python's . and $ know one line end: \n. */
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &err, &at, cc);
	pcre2_compile_context_free(cc);
	if (code == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof msg);
		snprintf(why, size, "%s pattern, at %zu: %s", what, (size_t)at,
		    (char *)msg);
	}
	return code;
}

struct splitter *
splitter_new(const struct association_rule *rule, char *why, size_t size)
{
	struct splitter *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->rule = rule;
	if ((s->slugger = slugger_new(rule, why, size)) == NULL ||
	    (s->act = compile(rule->act_pattern, "act", why, size)) == NULL ||
	    (s->ident = compile(IDENTIFIER_PATTERN, "identifier", why,
	    size)) == NULL) {
		splitter_free(s);
		return NULL;
	}
	s->md = pcre2_match_data_create(8, NULL);
	return s;
}

void
splitter_free(struct splitter *s)
{
	if (s == NULL)
		return;
	slugger_free(s->slugger);
	pcre2_code_free(s->act);
	pcre2_code_free(s->ident);
	pcre2_match_data_free(s->md);
	free(s);
}

/* Next match of code in s[0..len) from off: 1 found, 0 none, -1 error. */
static int
next_match(struct splitter *sp, pcre2_code *code, const char *s, size_t len,
    size_t off)
{
	int rc = pcre2_match(code, (PCRE2_SPTR)s, len, off, PCRE2_NO_UTF_CHECK,
	    sp->md, NULL);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc < 0 ? -1 : 1;
}

/* Step 1: the header line, and the text with each occurrence made "\n". */
static char *
find_header(const char *text, size_t len, struct buf *out)
{
	size_t a, b, hlen, pos = 0, from, to;
	char *header, *hit;

	/* text.lstrip().split("\n", maxsplit=1)[0].rstrip() */
	py_strip(text, len, &a, &b);
	for (b = a; b < len && text[b] != '\n'; b++)
		;
	py_strip(text + a, b - a, &from, &to);
	b = a + to;
	hlen = b - a;
	if (hlen == 0 || (header = strndup(text + a, hlen)) == NULL)
		return NULL;
	while ((hit = memmem(text + pos, len - pos, header, hlen)) != NULL) {
		buf_put(out, text + pos, (size_t)(hit - text) - pos);
		buf_put(out, "\n", 1);
		pos = (size_t)(hit - text) + hlen;
	}
	buf_put(out, text + pos, len - pos);
	return header;
}

/* Step 2: up to the last identifier, a newline around each. */
static int
cut_trailer(struct splitter *sp, const char *s, size_t len, struct buf *out)
{
	size_t pos = 0, i = 0;
	int rc;

	while ((rc = next_match(sp, sp->ident, s, len, pos)) == 1) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sp->md);

		if (i++ > 0)
			buf_put(out, "\n", 1);
		buf_put(out, s + pos, ov[0] - pos);
		buf_put(out, "\n", 1);
		buf_put(out, s + ov[0], ov[1] - ov[0]);
		pos = ov[1];
	}
	if (out->s == NULL)
		buf_put(out, "", 0);
	return rc;
}

/* The group of the territory named, added when new. */
static const char *
group_of(struct splitter *sp, struct split *out, const char *raw, size_t len,
    size_t *g, char *why, size_t size)
{
	char *name = slug_clean_name(sp->slugger, raw, len), *slug;
	const struct territory *t;
	struct segment_group *grown;

	if (name == NULL || (slug = slug_make(sp->rule->state_code, name)) ==
	    NULL) {
		free(name);
		snprintf(why, size, "out of memory");
		return "split_failed";
	}
	t = territories_find(slug);
	free(slug);
	if (t == NULL) {
		snprintf(why, size, "no territory of %s is named \"%s\"",
		    sp->rule->state_code, name);
		free(name);
		return "unknown_territory";
	}
	for (*g = 0; *g < out->ngroups; (*g)++)
		if (out->groups[*g].territory == t) {
			free(name);
			return NULL;
		}
	grown = realloc(out->groups, (out->ngroups + 1) * sizeof *grown);
	if (grown == NULL) {
		free(name);
		snprintf(why, size, "out of memory");
		return "split_failed";
	}
	out->groups = grown;
	out->groups[out->ngroups++] = (struct segment_group){ t, name };
	return NULL;
}

/* Step 3: the acts, each grouped by its territory. */
static const char *
find_acts(struct splitter *sp, struct split *out, char *why, size_t size)
{
	size_t pos = 0;
	int rc;

	while ((rc = next_match(sp, sp->act, out->clean, out->clean_len,
	    pos)) == 1) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sp->md);
		size_t name_at = ov[2 * 2], name_len = ov[2 * 2 + 1] - name_at;
		size_t start = ov[0], g;
		const char *code;
		struct act *grown;

		pos = ov[1];
		if ((code = group_of(sp, out, out->clean + name_at, name_len,
		    &g, why, size)) != NULL)
			return code;
		if ((grown = realloc(out->acts, (out->nacts + 1) *
		    sizeof *grown)) == NULL) {
			snprintf(why, size, "out of memory");
			return "split_failed";
		}
		out->acts = grown;
		if (out->nacts > 0)
			out->acts[out->nacts - 1].end = start;
		out->acts[out->nacts++] = (struct act){ start, out->clean_len,
		    g };
	}
	if (rc < 0) {
		snprintf(why, size, "the act pattern failed (PCRE2 error %d)",
		    rc);
		return "split_failed";
	}
	return NULL;
}

const char *
splitter_run(struct splitter *sp, const char *text, size_t len,
    struct split *out, char *why, size_t size)
{
	struct buf noheader = { 0 }, clean = { 0 };
	const char *code;

	memset(out, 0, sizeof *out);
	if ((out->header = find_header(text, len, &noheader)) == NULL) {
		free(noheader.s);
		snprintf(why, size, "the text is empty");
		return "no_segments";
	}
	if (cut_trailer(sp, noheader.s, noheader.len, &clean) < 0 ||
	    noheader.failed || clean.failed) {
		free(noheader.s);
		free(clean.s);
		snprintf(why, size, "out of memory or PCRE2 error");
		return "split_failed";
	}
	free(noheader.s);
	out->clean = clean.s;
	out->clean_len = clean.len;
	if ((code = find_acts(sp, out, why, size)) != NULL)
		return code;
	if (out->ngroups == 0) {
		snprintf(why, size, "no act of a municipality found");
		return "no_segments";
	}
	return NULL;
}

char *
split_segment_text(const struct split *sp, size_t g, size_t *len)
{
	struct buf b = { 0 };
	size_t i;

	buf_put(&b, sp->header, strlen(sp->header));
	buf_put(&b, "\n", 1);
	for (i = 0; i < sp->nacts; i++)
		if (sp->acts[i].group == g) {
			buf_put(&b, "\n", 1);
			buf_put(&b, sp->clean + sp->acts[i].start,
			    sp->acts[i].end - sp->acts[i].start);
		}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}

void
split_free(struct split *sp)
{
	size_t i;

	free(sp->header);
	free(sp->clean);
	free(sp->acts);
	for (i = 0; i < sp->ngroups; i++)
		free(sp->groups[i].name);
	free(sp->groups);
	memset(sp, 0, sizeof *sp);
}
