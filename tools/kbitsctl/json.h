/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbitsctl's JSON writer: the --json output, written as it goes, in the one
 * layout kbitsctl has always used: "key": value, members and elements
 * separated by ", " (or, for a list of objects, by ",\n ": one a line).
 */
#ifndef KBITSCTL_JSON_H
#define KBITSCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 8

struct json {
	FILE *f;
	int depth;
	bool after_key;				/* a member's value comes next */
	bool any[JSON_DEPTH_MAX];		/* the object or array has a value */
	bool lines[JSON_DEPTH_MAX];		/* an array with one element a line */
};

void json_init(struct json *w, FILE *f);

void json_object_begin(struct json *w);
void json_object_end(struct json *w);
void json_array_begin(struct json *w);
/* An array whose elements are separated by ",\n ". */
void json_array_begin_lines(struct json *w);
void json_array_end(struct json *w);

/* A member's name; its value follows. */
void json_key(struct json *w, const char *key);

/* A string; invalid UTF-8 bytes become U+FFFD. */
void json_string(struct json *w, const char *s);
/* A string, or null for NULL. */
void json_string_or_null(struct json *w, const char *s);
void json_uint(struct json *w, unsigned long long v);
void json_int(struct json *w, long long v);
void json_bool(struct json *w, bool v);
void json_null(struct json *w);

/* The same, as a member: json_key() and the value. */
void json_member_string(struct json *w, const char *key, const char *s);
void json_member_string_or_null(struct json *w, const char *key, const char *s);
void json_member_uint(struct json *w, const char *key, unsigned long long v);
void json_member_int(struct json *w, const char *key, long long v);
void json_member_bool(struct json *w, const char *key, bool v);
void json_member_null(struct json *w, const char *key);

/* The end of the document: a newline. */
void json_end(struct json *w);

#endif /* KBITSCTL_JSON_H */
