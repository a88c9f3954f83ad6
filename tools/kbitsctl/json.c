// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl's JSON writer (json.h).
 */
#include "config.h"

#include "json.h"
#include "kbitsctl.h"

void json_init(struct json *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->after_key = false;
	w->any[0] = false;
	w->lines[0] = false;
}

/* What goes before a value or a key: its separator from the one before. */
static void json_next(struct json *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->any[w->depth])
		fputs(w->lines[w->depth] ? ",\n " : ", ", w->f);
	w->any[w->depth] = true;
}

static void json_open(struct json *w, char c, bool lines)
{
	json_next(w);
	fputc(c, w->f);
	/* Deeper than kbitsctl ever nests is a bug: stay at the last level. */
	if (w->depth + 1 < JSON_DEPTH_MAX)
		w->depth++;
	w->any[w->depth] = false;
	w->lines[w->depth] = lines;
}

static void json_close(struct json *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void json_object_begin(struct json *w)
{
	json_open(w, '{', false);
}

void json_object_end(struct json *w)
{
	json_close(w, '}');
}

void json_array_begin(struct json *w)
{
	json_open(w, '[', false);
}

void json_array_begin_lines(struct json *w)
{
	json_open(w, '[', true);
}

void json_array_end(struct json *w)
{
	json_close(w, ']');
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		unsigned char c = *p;
		size_t n;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			p++;
			continue;
		case '\\':
			fputs("\\\\", f);
			p++;
			continue;
		case '\n':
			fputs("\\n", f);
			p++;
			continue;
		case '\r':
			fputs("\\r", f);
			p++;
			continue;
		case '\t':
			fputs("\\t", f);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			p++;
			continue;
		}
		n = utf8_char(p);
		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

void json_key(struct json *w, const char *key)
{
	json_next(w);
	put_string(w->f, key);
	fputs(": ", w->f);
	w->after_key = true;
}

void json_string(struct json *w, const char *s)
{
	json_next(w);
	put_string(w->f, s);
}

void json_string_or_null(struct json *w, const char *s)
{
	if (s)
		json_string(w, s);
	else
		json_null(w);
}

void json_uint(struct json *w, unsigned long long v)
{
	json_next(w);
	fprintf(w->f, "%llu", v);
}

void json_int(struct json *w, long long v)
{
	json_next(w);
	fprintf(w->f, "%lld", v);
}

void json_bool(struct json *w, bool v)
{
	json_next(w);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json *w)
{
	json_next(w);
	fputs("null", w->f);
}

void json_member_string(struct json *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_member_string_or_null(struct json *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string_or_null(w, s);
}

void json_member_uint(struct json *w, const char *key, unsigned long long v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_member_int(struct json *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_member_bool(struct json *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_member_null(struct json *w, const char *key)
{
	json_key(w, key);
	json_null(w);
}

void json_end(struct json *w)
{
	fputc('\n', w->f);
}
