/*
 * config — see config.h.
 */
#include "config.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
config_pick(const char *flag, const char *env_name, const char *fallback)
{
	const char *v;

	if (flag != NULL)
		return flag;
	if (env_name != NULL && (v = getenv(env_name)) != NULL && *v != '\0')
		return v;
	return fallback;
}

bool
config_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Splits "12.5MB" into 12.5 and "MB".  The number is plain decimal digits
 * with at most one point: strtod alone would also take "1e5", "0x10",
 * "inf" or a sign, none of which anyone means in a size or a duration.
 */
static bool
split_number(const char *s, double *num, const char **unit)
{
	size_t digits, n;
	char *end;

	if (s == NULL)
		return false;
	digits = n = strspn(s, "0123456789");
	if (s[n] == '.') {
		n++;
		digits += strspn(s + n, "0123456789");
		n += strspn(s + n, "0123456789");
	}
	if (digits == 0)
		return false;
	errno = 0;
	*num = strtod(s, &end);
	if (errno != 0 || end != s + n || !isfinite(*num))
		return false;
	*unit = end;
	return true;
}

bool
config_parse_size(const char *s, unsigned long long *out)
{
	static const struct { const char *name; double mult; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1024.0 }, { "KB", 1024.0 }, { "KiB", 1024.0 },
		{ "M", 1048576.0 }, { "MB", 1048576.0 }, { "MiB", 1048576.0 },
		{ "G", 1073741824.0 }, { "GB", 1073741824.0 },
		{ "GiB", 1073741824.0 },
	};
	const char *unit;
	double num;
	size_t i;

	if (!split_number(s, &num, &unit))
		return false;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(unit, units[i].name) == 0) {
			double v = num * units[i].mult;

			if (v > 1e18)
				return false;
			*out = (unsigned long long)v;
			return true;
		}
	}
	return false;
}

bool
config_parse_duration(const char *s, double *out)
{
	static const struct { const char *name; double mult; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 0.001 }, { "m", 60 },
		{ "min", 60 }, { "h", 3600 },
	};
	const char *unit;
	double num;
	size_t i;

	if (!split_number(s, &num, &unit))
		return false;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(unit, units[i].name) == 0) {
			*out = num * units[i].mult;
			return true;
		}
	}
	return false;
}

bool
config_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "true", "yes", "1", "on" };
	static const char *no[] = { "false", "no", "0", "off" };
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/*
 * Whether a query parameter or conninfo keyword names a secret: password,
 * passwd, pwd, token, secret, key, signature (X-Amz-Signature, sig),
 * credential, auth.  Erring on the side of masking costs a less useful
 * message, never a leak.
 */
static bool
secret_key(const char *key, size_t n)
{
	static const char *words[] = { "pass", "pwd", "token", "secret", "key",
	    "sig", "credential", "auth" };
	size_t i, j, w;

	for (w = 0; w < sizeof words / sizeof words[0]; w++) {
		size_t wl = strlen(words[w]);

		for (i = 0; i + wl <= n; i++) {
			for (j = 0; j < wl; j++)
				if (tolower((unsigned char)key[i + j]) !=
				    words[w][j])
					break;
			if (j == wl)
				return true;
		}
	}
	return false;
}

/* With max 0 (spans may be NULL) only counts: "is there a secret?" */
static void
add_span(struct config_span *spans, size_t max, size_t *n, size_t start,
    size_t end)
{
	if (end <= start)
		return;
	if (max == 0) {
		(*n)++;
		return;
	}
	if (*n < max) {
		spans[*n].start = start;
		spans[*n].end = end;
		(*n)++;
	}
}

/* name=value&... up to end: the values of secret names. */
static void
query_spans(const char *s, size_t from, size_t end, struct config_span *spans,
    size_t max, size_t *n)
{
	size_t p = from;

	while (p < end) {
		size_t stop = p, eq;

		while (stop < end && s[stop] != '&' && s[stop] != ';')
			stop++;
		for (eq = p; eq < stop && s[eq] != '='; eq++)
			;
		if (eq < stop && secret_key(s + p, eq - p))
			add_span(spans, max, n, eq + 1, stop);
		p = stop + 1;
	}
}

/*
 * key = value pairs as libpq reads them: values may be 'quoted', with \'
 * and \\ inside.  The values of secret keys.
 */
static void
keyword_spans(const char *s, struct config_span *spans, size_t max, size_t *n)
{
	size_t p = 0, key, key_end, v;

	while (s[p] != '\0') {
		while (isspace((unsigned char)s[p]))
			p++;
		key = p;
		while (s[p] != '\0' && s[p] != '=' &&
		    !isspace((unsigned char)s[p]))
			p++;
		key_end = p;
		while (isspace((unsigned char)s[p]))
			p++;
		if (s[p] != '=') {
			/* not key=value: stop guessing, mask the rest */
			if (key_end > key)
				add_span(spans, max, n, key, strlen(s));
			return;
		}
		p++;
		while (isspace((unsigned char)s[p]))
			p++;
		v = p;
		if (s[p] == '\'') {
			for (p++; s[p] != '\0' && s[p] != '\''; p++)
				if (s[p] == '\\' && s[p + 1] != '\0')
					p++;
			if (s[p] == '\'')
				p++;
		} else {
			while (s[p] != '\0' && !isspace((unsigned char)s[p]))
				p++;
		}
		if (secret_key(s + key, key_end - key))
			add_span(spans, max, n, v, p);
	}
}

size_t
config_secret_spans(const char *s, struct config_span *spans, size_t max)
{
	const char *scheme = strstr(s, "://");
	size_t n = 0;

	if (scheme != NULL && strcspn(s, " =") > (size_t)(scheme - s)) {
		size_t auth = (size_t)(scheme + 3 - s), end, at, i, q;

		/*
		 * The last @ before the query ends the userinfo, so that a
		 * raw @ or / in a password stays inside it (a URL whose path
		 * holds an @ loses its host to the mask: safe, if less
		 * useful).
		 */
		for (at = auth + strcspn(s + auth, "?#"); at > auth &&
		    s[at - 1] != '@'; at--)
			;
		end = (at > auth ? at : auth) + strcspn(s + (at > auth ? at :
		    auth), "/?#");
		if (at > auth) {
			at--;
			for (i = auth; i < at && s[i] != ':'; i++)
				;
			/*
			 * user:password@, or a bare token@ (all secret) but
			 * where libpq reads it as the user name
			 */
			if (i < at)
				add_span(spans, max, &n, i + 1, at);
			else if (strncmp(s, "postgres", 8) != 0)
				add_span(spans, max, &n, auth, at);
		}
		q = end + strcspn(s + end, "?#");
		if (s[q] == '?')
			query_spans(s, q + 1, q + 1 + strcspn(s + q + 1, "#"),
			    spans, max, &n);
		return n;
	}
	if (strchr(s, '=') != NULL)
		keyword_spans(s, spans, max, &n);
	return n;
}

/* Appends src[0..n) to buf at *len, never past size - 1. */
static void
append(char *buf, size_t size, size_t *len, const char *src, size_t n)
{
	if (*len + n >= size)
		n = size - 1 - *len;
	memcpy(buf + *len, src, n);
	*len += n;
	buf[*len] = '\0';
}

const char *
config_redact(const char *url, char *buf, size_t size)
{
	struct config_span spans[CONFIG_MAX_SPANS];
	size_t n, i, len = 0, at = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	n = config_secret_spans(url, spans, CONFIG_MAX_SPANS);
	for (i = 0; i < n; i++) {
		append(buf, size, &len, url + at, spans[i].start - at);
		append(buf, size, &len, "***", 3);
		at = spans[i].end;
	}
	append(buf, size, &len, url + at, strlen(url + at));
	return buf;
}

void
config_hide_arg(char *arg)
{
	struct config_span spans[CONFIG_MAX_SPANS];
	size_t n, i;

	if (arg == NULL)
		return;
	n = config_secret_spans(arg, spans, CONFIG_MAX_SPANS);
	for (i = 0; i < n; i++)
		memset(arg + spans[i].start, '*',
		    spans[i].end - spans[i].start);
}

/* Process-lifetime copies of hidden arguments: a root LeakSanitizer sees. */
static char *secret_args[8];

const char *
config_secret_arg(char *arg)
{
	size_t i;
	char *copy;

	for (i = 0; i < sizeof secret_args / sizeof secret_args[0]; i++)
		if (secret_args[i] == NULL)
			break;
	/* More than eight secret options: the same one given again. */
	if (i == sizeof secret_args / sizeof secret_args[0]) {
		free(secret_args[--i]);
		secret_args[i] = NULL;
	}
	copy = xstrdup(arg);
	secret_args[i] = copy;
	config_hide_arg(arg);
	return copy;
}
