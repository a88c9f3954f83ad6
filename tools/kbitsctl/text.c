// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: text for the terminal: UTF-8 checked, control characters escaped, cuts
 * at a character's start.
 */
#include "config.h"

#include <string.h>

#include "kbitsctl.h"


/* The length of the UTF-8 character at @s, or 0 when it is not one. */
size_t utf8_char(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_char(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (c == '\\')
			fputs("\\\\", f);
		else
			fputc(c, f);
	}
}

void text_to_buf(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	if (!size)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		size_t len;

		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		} else if (c == '\\') {
			strcpy(tmp, "\\\\");
		} else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
		}
		len = strlen(tmp);
		if (o + len + 1 > size)
			break;
		memcpy(buf + o, tmp, len);
		o += len;
	}
	/* Do not end in the middle of a UTF-8 character. */
	while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80 && *s)
		o--;
	if (o > 0 && *s && ((unsigned char)buf[o - 1] & 0xc0) == 0xc0)
		o--;
	buf[o] = '\0';
}

void cut_utf8(char *buf, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (!size)
		return;
	if (len < size) {
		memcpy(buf, s, len + 1);
		return;
	}
	len = size - 1;
	/* Back to the start of the character that the cut splits. */
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

/* Characters a shell takes as they are anywhere in a word (and UTF-8's). */
static bool shell_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) || c >= 0x80;
}

static bool shell_needs_quotes(const char *w)
{
	const unsigned char *p = (const unsigned char *)w;

	/* Empty, or a tilde or comment at the start. */
	if (!*p || *p == '~' || *p == '#')
		return true;
	for (; *p; p++)
		if (!shell_plain(*p) && *p != '~' && *p != '#')
			return true;
	return false;
}

void put_shell_words(FILE *f, char *const *argv)
{
	const unsigned char *p;
	bool quote;

	for (; *argv; argv++) {
		quote = shell_needs_quotes(*argv);
		if (quote)
			fputc('\'', f);
		for (p = (const unsigned char *)*argv; *p; p++) {
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else if (*p == '\'')
				fputs("'\\''", f);
			else
				fputc(*p, f);
		}
		if (quote)
			fputc('\'', f);
		if (argv[1])
			fputc(' ', f);
	}
}
