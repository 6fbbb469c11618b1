/*
 * builtin — the plain-text converter, run in a forked child like every
 * converter (spawn_fork): stdout is the pipe to gz-extract, stderr its
 * error pipe, and the return value the exit status.
 *
 * A text file is taken as UTF-8 when it is (its first --max-text-bytes are
 * checked: nothing past them is kept anyway).  Otherwise it is decoded as
 * Windows-1252, a superset of ISO-8859-1's printable range: libmagic calls
 * a file with CP1252 quotes "unknown-8bit", not iso-8859-1, and decoding
 * that as Latin-1 would give C1 controls for “ ” – €.  A UTF-16 byte order
 * mark selects UTF-16.  gz-extract's sanitiser does the rest (invalid bytes,
 * controls, the cap).
 */
#include "extract.h"
#include "ndjson.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64u << 10)

/* Windows-1252 0x80..0x9F; 0 marks the five bytes it leaves undefined. */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

bool
builtin_out(const void *buf, size_t len)
{
	return len == 0 || write_all(STDOUT_FILENO, buf, len) == 0;
}

static ssize_t
read_some(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static size_t
put_utf8(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* p[0..n) could still become a well-formed sequence with more bytes. */
static bool
utf8_incomplete(const unsigned char *p, size_t n)
{
	size_t need, i;

	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		need = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		need = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		need = 4;
	else
		return false;
	for (i = 1; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return false;
	return n < need;
}

/* True when the first limit bytes of fd (and a little more) are UTF-8. */
static bool
utf8_prefix_valid(int fd, size_t limit)
{
	static unsigned char buf[CHUNK + 4];
	size_t carry = 0, total = 0;

	for (;;) {
		ssize_t n = read_some(fd, buf + carry, CHUNK);
		size_t len, i = 0, k;

		if (n <= 0)
			return n == 0 && carry == 0;
		len = carry + (size_t)n;
		while (i < len) {
			if (buf[i] < 0x80) {
				i++;
				continue;
			}
			if ((k = text_utf8_sequence(buf + i, len - i)) == 0) {
				if (utf8_incomplete(buf + i, len - i))
					break;
				return false;
			}
			i += k;
		}
		carry = len - i;
		memmove(buf, buf + i, carry);
		if ((total += (size_t)n) > limit)
			return true;
	}
}

static int
copy_through(int fd)
{
	static unsigned char buf[CHUNK];
	ssize_t n;

	while ((n = read_some(fd, buf, sizeof buf)) > 0)
		if (!builtin_out(buf, (size_t)n))
			return 1;
	return n < 0 ? 2 : 0;
}

static int
decode_cp1252(int fd)
{
	static unsigned char in[CHUNK], out[CHUNK * 3];
	ssize_t n, i;
	size_t o;

	while ((n = read_some(fd, in, sizeof in)) > 0) {
		for (i = 0, o = 0; i < n; i++) {
			uint32_t cp = in[i];

			if (cp >= 0x80 && cp <= 0x9F)
				cp = cp1252_c1[cp - 0x80] != 0 ?
				    cp1252_c1[cp - 0x80] : 0xFFFD;
			o += put_utf8(out + o, cp);
		}
		if (!builtin_out(out, o))
			return 1;
	}
	return n < 0 ? 2 : 0;
}

/* UTF-16 after its BOM; a lone surrogate becomes U+FFFD. */
static int
decode_utf16(int fd, bool big_endian)
{
	static unsigned char in[CHUNK], out[CHUNK * 2 + 8];
	uint32_t high = 0;
	int odd = -1;
	ssize_t n, i;
	size_t o;

	while ((n = read_some(fd, in, sizeof in)) > 0) {
		for (i = 0, o = 0; i < n; i++) {
			uint32_t u;

			if (odd < 0) {
				odd = in[i];
				continue;
			}
			u = big_endian ? (uint32_t)odd << 8 | in[i] :
			    (uint32_t)in[i] << 8 | (uint32_t)odd;
			odd = -1;
			if (high != 0 && u >= 0xDC00 && u <= 0xDFFF) {
				o += put_utf8(out + o, 0x10000 +
				    ((high - 0xD800) << 10) + (u - 0xDC00));
				high = 0;
				continue;
			}
			if (high != 0)
				o += put_utf8(out + o, 0xFFFD);
			high = 0;
			if (u >= 0xD800 && u <= 0xDBFF)
				high = u;
			else
				o += put_utf8(out + o, u >= 0xDC00 &&
				    u <= 0xDFFF ? 0xFFFD : u);
		}
		if (!builtin_out(out, o))
			return 1;
	}
	if (high != 0 || odd >= 0)
		builtin_out("\xEF\xBF\xBD", 3);
	return n < 0 ? 2 : 0;
}

int
builtin_txt(void *arg)
{
	const struct builtin_job *job = arg;
	unsigned char bom[2] = { 0, 0 };
	int fd, rc;

	if ((fd = open(job->file, O_RDONLY | O_CLOEXEC)) < 0) {
		dprintf(STDERR_FILENO, "%s: %s\n", job->file, strerror(errno));
		return 2;
	}
	if (read_some(fd, bom, 2) == 2 && ((bom[0] == 0xFF && bom[1] == 0xFE)
	    || (bom[0] == 0xFE && bom[1] == 0xFF)))
		rc = decode_utf16(fd, bom[0] == 0xFE);
	else if (lseek(fd, 0, SEEK_SET) != 0)
		rc = 2;
	else if (utf8_prefix_valid(fd, job->max_text_bytes))
		rc = lseek(fd, 0, SEEK_SET) == 0 ? copy_through(fd) : 2;
	else
		rc = lseek(fd, 0, SEEK_SET) == 0 ? decode_cp1252(fd) : 2;
	if (rc == 2)
		dprintf(STDERR_FILENO, "%s: %s\n", job->file, strerror(errno));
	close(fd);
	return rc;
}
