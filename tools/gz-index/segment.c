/*
 * segment — the sets of gz-split's segments, one per parent gazette, kept
 * until every member is acknowledged or failed (see segment.h).  Few sets
 * are open at once (the segments of a gazette follow it in the stream), so
 * a list does.
 */
#include "doc.h"
#include "segment.h"
#include "rec.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct set {
	struct set *next;
	long long parent_id;
	long long expected;	/* count + 1: the segments and the parent */
	long long acknowledged, failed;
};

static struct set *sets;

static struct set *
find_set(long long parent_id, long long count, bool create)
{
	struct set *s;

	for (s = sets; s != NULL; s = s->next)
		if (s->parent_id == parent_id)
			return s;
	if (!create)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->parent_id = parent_id;
	s->expected = count + 1;
	s->next = sets;
	sets = s;
	return s;
}

static void
close_if_settled(struct set *done)
{
	struct set **p;

	if (done->acknowledged + done->failed < done->expected)
		return;
	for (p = &sets; *p != NULL; p = &(*p)->next)
		if (*p == done) {
			*p = done->next;
			free(done);
			return;
		}
}

static long long
number(jv info, const char *key, long long fallback)
{
	jv v = jv_object_get(jv_copy(info), jv_string(key));
	long long n = fallback;

	if (jv_get_kind(v) == JV_KIND_NUMBER &&
	    jv_number_value(v) == (double)(long long)jv_number_value(v))
		n = (long long)jv_number_value(v);
	jv_free(v);
	return n;
}

static char *
string(jv info, const char *key)
{
	jv v = jv_object_get(jv_copy(info), jv_string(key));
	char *s = jv_get_kind(v) == JV_KIND_STRING ?
	    xstrdup(jv_string_value(v)) : NULL;

	jv_free(v);
	return s;
}

struct segment_ref *
segment_ref_new(jv rec, char *why, size_t size, bool *bad)
{
	jv info = rec_gz_get(rec, "segment");
	struct segment_ref *s;

	*bad = false;
	if (jv_get_kind(info) == JV_KIND_NULL) {
		jv_free(info);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	if (jv_get_kind(info) == JV_KIND_OBJECT) {
		s->parent_id = number(info, "parent_id", -1);
		s->index = number(info, "index", -1);
		s->count = number(info, "count", -1);
		s->parent_sum = string(info, "parent_checksum");
		s->text_key = string(info, "text_key");
	}
	jv_free(info);
	if (s->parent_id < 0 || s->count < 1 || s->index < 0 ||
	    s->index > s->count || (s->index > 0 && s->text_key == NULL)) {
		snprintf(why, size, "gz.segment needs parent_id, index from 0 "
		    "to count, count of at least 1, and text_key for a "
		    "segment");
		segment_ref_free(s);
		*bad = true;
		return NULL;
	}
	(void)find_set(s->parent_id, s->count, true);
	return s;
}

void
segment_ref_free(struct segment_ref *s)
{
	if (s == NULL)
		return;
	free(s->parent_sum);
	free(s->text_key);
	free(s);
}

bool
segment_is_parent(const struct doc *d)
{
	return d->segment != NULL && d->segment->index == 0;
}

void
segment_acknowledged(struct doc *d)
{
	struct set *s;

	if (d->segment == NULL ||
	    (s = find_set(d->segment->parent_id, 0, false)) == NULL)
		return;
	if (++s->acknowledged == s->expected && s->failed == 0) {
		/* The last of the set: this document marks the gazette. */
		d->gid = d->segment->parent_id;
		free(d->sum);
		d->sum = d->segment->parent_sum != NULL ?
		    xstrdup(d->segment->parent_sum) : NULL;
		d->segment->marks_parent = true;
	}
	close_if_settled(s);
}

void
segment_failed(struct doc *d)
{
	struct set *s;

	if (d->segment == NULL ||
	    (s = find_set(d->segment->parent_id, 0, false)) == NULL)
		return;
	s->failed++;
	close_if_settled(s);
}

bool
segment_markable(const struct doc *d)
{
	return d->segment == NULL || d->segment->marks_parent;
}

void
segment_free_all(void)
{
	while (sets != NULL) {
		struct set *next = sets->next;

		free(sets);
		sets = next;
	}
}
