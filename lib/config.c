/*
 * config — see config.h.
 */
#include "config.h"

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
	const char *p = url, *scheme = strstr(url, "://");
	size_t len = 0;

	buf[0] = '\0';
	if (size == 0)
		return buf;
	/* scheme://user:secret@host → scheme://user:***@host */
	if (scheme != NULL) {
		const char *auth = scheme + 3;
		const char *at = strpbrk(auth, "@/?#");

		if (at != NULL && *at == '@') {
			const char *colon = memchr(auth, ':', (size_t)(at - auth));

			if (colon != NULL) {
				append(buf, size, &len, url,
				    (size_t)(colon + 1 - url));
				append(buf, size, &len, "***", 3);
				p = at;
			}
		}
	}
	/* password=... in a query string or a key=value conninfo */
	while (*p) {
		const char *hit = strstr(p, "password=");

		if (hit == NULL) {
			append(buf, size, &len, p, strlen(p));
			break;
		}
		hit += strlen("password=");
		append(buf, size, &len, p, (size_t)(hit - p));
		append(buf, size, &len, "***", 3);
		p = hit + strcspn(hit, "& ");
	}
	return buf;
}
