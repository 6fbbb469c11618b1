/*
 * slug — a municipality's name as the existing system matches it to a
 * territory: the raw name cleaned (newlines out, the suffixes of the rule
 * cut, known misspellings fixed), then slugged as python-slugify does with
 * separator "" and the stop-words de d da do das dos:
 *
 *   "AL Palmeira dos Índios" → "alpalmeiraindios"
 *
 * Slugging: ´ and ` become ', and ' separates words; letters lose their
 * accents (NFKD, then ASCII); typographic quotes vanish (unidecode makes
 * them ' after the first quote pass); lower case; a comma between digits
 * vanishes; every run of other characters separates words; stop-words go;
 * the words are joined with nothing between.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "split.h"
#include "text.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slugger {
	const struct association_rule *rule;
	pcre2_code *suffix;
	pcre2_match_data *md;
};

bool
py_isspace(unsigned cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) ||
	    cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

struct slugger *
slugger_new(const struct association_rule *rule, char *why, size_t size)
{
	struct slugger *s = calloc(1, sizeof *s);
	int err;
	PCRE2_SIZE at;

	if (s == NULL) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	s->rule = rule;
	s->suffix = pcre2_compile((PCRE2_SPTR)rule->name_suffix,
	    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &at, NULL);
	if (s->suffix == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof msg);
		snprintf(why, size, "name suffix pattern, at %zu: %s",
		    (size_t)at, (char *)msg);
		free(s);
		return NULL;
	}
	s->md = pcre2_match_data_create_from_pattern(s->suffix, NULL);
	return s;
}

void
slugger_free(struct slugger *s)
{
	if (s == NULL)
		return;
	pcre2_match_data_free(s->md);
	pcre2_code_free(s->suffix);
	free(s);
}

/* Decodes the code point at s (valid UTF-8); returns its length. */
static size_t
utf8_decode(const unsigned char *s, size_t avail, unsigned *cp)
{
	size_t n = text_utf8_sequence(s, avail), i;

	if (n <= 1) {
		*cp = s[0];
		return 1;
	}
	*cp = s[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		*cp = (*cp << 6) | (s[i] & 0x3f);
	return n;
}

/* Python's str.strip(): the span without leading/trailing white space. */
void
py_strip(const char *s, size_t len, size_t *from, size_t *to)
{
	size_t a = 0, b = len, n;
	unsigned cp;

	while (a < b && py_isspace((n = utf8_decode((const unsigned char *)
	    s + a, b - a, &cp), cp)))
		a += n;
	while (b > a) {
		size_t k = b - 1;

		while (k > a && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		utf8_decode((const unsigned char *)s + k, b - k, &cp);
		if (!py_isspace(cp))
			break;
		b = k;
	}
	*from = a;
	*to = b;
}

char *
slug_clean_name(struct slugger *s, const char *raw, size_t len)
{
	const char *const (*fix)[2];
	size_t a, b, n = 0, i;
	char *name = malloc(len + 1);

	if (name == NULL)
		return NULL;
	/* territory_name.strip().replace("\n", "") */
	py_strip(raw, len, &a, &b);
	for (i = a; i < b; i++)
		if (raw[i] != '\n')
			name[n++] = raw[i];
	name[n] = '\0';
	/* Every alternative ends in .*, so the first match runs to the end
	 * (no newline is left): the name is what comes before it. */
	if (pcre2_match(s->suffix, (PCRE2_SPTR)name, n, 0, PCRE2_NO_UTF_CHECK,
	    s->md, NULL) >= 0)
		name[pcre2_get_ovector_pointer(s->md)[0]] = '\0';
	for (fix = s->rule->name_fixes; fix != NULL && (*fix)[0] != NULL;
	    fix++)
		if (strcmp(name, (*fix)[0]) == 0) {
			free(name);
			return strdup((*fix)[1]);
		}
	return name;
}

/*
 * ASCII for U+00A0..U+017F as unidecode gives it after NFKD ("" for a
 * mark or a character it drops).  Index: code point - 0xA0.
 */
static const char *const latin[] = {
	/* A0 */ " ", "!", "C/", "PS", "$?", "Y=", "|", "SS",
	/* A8 */ " ", "(c)", "a", "<<", "!", "", "(r)", " ",
	/* B0 */ "deg", "+-", "2", "3", " ", "m", "P", "*",
	/* B8 */ " ", "1", "o", ">>", "1/4", "1/2", "3/4", "?",
	/* C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* D0 */ "D", "N", "O", "O", "O", "O", "O", "x",
	/* D8 */ "O", "U", "U", "U", "U", "Y", "Th", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", "/",
	/* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "A", "a", "A", "a", "A", "a", "C", "c",
	/* 108 */ "C", "c", "C", "c", "C", "c", "D", "d",
	/* 110 */ "D", "d", "E", "e", "E", "e", "E", "e",
	/* 118 */ "E", "e", "E", "e", "G", "g", "G", "g",
	/* 120 */ "G", "g", "G", "g", "H", "h", "H", "h",
	/* 128 */ "I", "i", "I", "i", "I", "i", "I", "i",
	/* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k",
	/* 138 */ "q", "L", "l", "L", "l", "L", "l", "L",
	/* 140 */ "l", "L", "l", "N", "n", "N", "n", "N",
	/* 148 */ "n", "'n", "ng", "NG", "O", "o", "O", "o",
	/* 150 */ "O", "o", "OE", "oe", "R", "r", "R", "r",
	/* 158 */ "R", "r", "S", "s", "S", "s", "S", "s",
	/* 160 */ "S", "s", "T", "t", "T", "t", "T", "t",
	/* 168 */ "U", "u", "U", "u", "U", "u", "U", "u",
	/* 170 */ "U", "u", "U", "u", "W", "w", "Y", "y",
	/* 178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

/* The ASCII of one code point; "\x01" stands for a word separator. */
static const char *
transliterate(unsigned cp)
{
	if (cp == '\'' || cp == 0xb4 || cp == '`')
		return "\x01";		/* replaced by ', then by "-" */
	if (cp < 0x80)
		return NULL;		/* itself */
	if (cp >= 0xa0 && cp <= 0x17f)
		return latin[cp - 0xa0];
	if (cp >= 0x2018 && cp <= 0x201b)
		return "";		/* unidecode's ', then removed */
	if (cp >= 0x2010 && cp <= 0x2015)
		return "-";
	if (py_isspace(cp))
		return " ";
	return "";			/* marks and the rest */
}

static bool
is_stopword(const char *w, size_t n)
{
	static const char *const stop[] = { "de", "d", "da", "do", "das",
	    "dos" };
	size_t i;

	for (i = 0; i < sizeof stop / sizeof stop[0]; i++)
		if (strlen(stop[i]) == n && memcmp(stop[i], w, n) == 0)
			return true;
	return false;
}

char *
slug_make(const char *state_code, const char *name)
{
	size_t len = strlen(state_code) + 1 + strlen(name), i, n = 0, o = 0;
	char *full = malloc(len + 1), *ascii = malloc(len * 4 + 1), *slug;

	if (full == NULL || ascii == NULL) {
		free(full);
		free(ascii);
		return NULL;
	}
	snprintf(full, len + 1, "%s %s", state_code, name);
	for (i = 0; i < len;) {
		unsigned cp;
		const char *t;

		i += utf8_decode((const unsigned char *)full + i, len - i, &cp);
		if ((t = transliterate(cp)) == NULL)
			ascii[n++] = (char)tolower((int)cp);
		else
			for (; *t; t++)
				ascii[n++] = (char)tolower((unsigned char)*t);
	}
	ascii[n] = '\0';
	free(full);
	if ((slug = malloc(n + 1)) == NULL) {
		free(ascii);
		return NULL;
	}
	/* Words: runs of [a-z0-9], a comma between two digits skipped. */
	for (i = 0; i < n;) {
		size_t start = o;

		while (i < n && !isalnum((unsigned char)ascii[i]))
			i++;
		while (i < n && (isalnum((unsigned char)ascii[i]) ||
		    (ascii[i] == ',' && i > 0 && i + 1 < n &&
		    isdigit((unsigned char)ascii[i - 1]) &&
		    isdigit((unsigned char)ascii[i + 1])))) {
			if (ascii[i] != ',')
				slug[o++] = ascii[i];
			i++;
		}
		if (is_stopword(slug + start, o - start))
			o = start;
	}
	slug[o] = '\0';
	free(ascii);
	return slug;
}
