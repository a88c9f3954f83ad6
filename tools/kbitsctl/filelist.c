// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: add-file --from FILE, the list of REMOTE LOCAL pairs (bitsadmin
 * /addfileset's).  Pure parsing, no kbits calls: tests/unit tests it.
 * kbitsctl.h says the format.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kbitsctl.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The name at *@p (before @end): malloc'd into *@out, *@p moved past it.
 * 0; 1 when a comment or the end came first (*@out NULL); -1 with *@why.
 */
static int next_word(const char **p, const char *end, char **out, const char **why)
{
	const char *s = *p;
	char *w, *o;

	*out = NULL;
	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s == '#') {
		*p = end;
		return 1;
	}
	/* at most as long as what is left, and a NUL */
	w = malloc((size_t)(end - s) + 1);
	if (!w) {
		*why = "out of memory";
		return -1;
	}
	o = w;
	if (*s == '"') {
		for (s++;; s++) {
			if (s == end) {
				free(w);
				*why = "a quoted name has no closing quote";
				return -1;
			}
			if (*s == '"')
				break;
			if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\'))
				s++;
			*o++ = *s;
		}
		s++;
		if (s < end && !is_blank(*s)) {
			free(w);
			*why = "a closing quote is followed by more than a blank";
			return -1;
		}
	} else {
		while (s < end && !is_blank(*s))
			*o++ = *s++;
	}
	*o = '\0';
	*out = w;
	*p = s;
	return 0;
}

int file_list_parse_line(const char *line, size_t len, char **remote, char **local,
			 const char **why)
{
	const char *p = line, *end = line + len;
	char *extra = NULL;
	int r;

	*remote = *local = NULL;
	if (memchr(line, '\0', len)) {
		*why = "the line has a NUL byte";
		return -1;
	}
	if (len && line[len - 1] == '\r')
		end--;
	r = next_word(&p, end, remote, why);
	if (r)
		return r < 0 ? -1 : 0;
	r = next_word(&p, end, local, why);
	if (r > 0)
		*why = "a REMOTE name without a LOCAL name";
	if (!r) {
		r = next_word(&p, end, &extra, why);
		if (!r) {
			free(extra);
			*why = "more than two names (write a name with blanks in double quotes)";
			r = -1;
		} else if (r > 0) {
			return 1;
		}
	}
	free(*remote);
	free(*local);
	*remote = *local = NULL;
	return -1;
}

/*
 * The next line of @f into @buf (FILE_LIST_LINE_MAX bytes, no NUL added),
 * without its \n: its length; -1 at the end of @f (or on a read error:
 * the caller tells them apart with feof), -2 when it is longer than
 * FILE_LIST_LINE_MAX (the rest of it is not read).
 */
static ssize_t read_line(FILE *f, char *buf)
{
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			return (ssize_t)len;
		if (len == FILE_LIST_LINE_MAX)
			return -2;
		buf[len++] = (char)c;
	}
	/* a last line without a newline is a line; a read error is not */
	return len && !ferror(f) ? (ssize_t)len : -1;
}

int file_list_read(FILE *f, struct file_list *out, unsigned int *bad_line, const char **why)
{
	static char msg[80];	/* *why of a limit */
	char *line, *remote, *local;
	size_t room = 0;
	unsigned int no = 0;
	ssize_t len;
	int r = 0;

	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	/* one buffer of the longest line: a list's size does not depend on it */
	line = malloc(FILE_LIST_LINE_MAX);
	if (!line) {
		*why = "out of memory";
		errno = ENOMEM;
		return -1;
	}
	while ((len = read_line(f, line)) != -1) {
		no++;
		if (len == -2) {
			snprintf(msg, sizeof(msg), "the line is too long (at most %d bytes)",
				 FILE_LIST_LINE_MAX);
			*why = msg;
			*bad_line = no;
			r = -1;
			break;
		}
		r = file_list_parse_line(line, (size_t)len, &remote, &local, why);
		if (r < 0) {
			*bad_line = no;
			break;
		}
		if (!r)
			continue;
		if (out->n_pairs == FILE_LIST_PAIRS_MAX) {
			free(remote);
			free(local);
			snprintf(msg, sizeof(msg), "more than %d pairs, the most files a job "
				 "may hold", FILE_LIST_PAIRS_MAX);
			*why = msg;
			*bad_line = no;
			r = -1;
			break;
		}
		if (out->n_pairs == room) {
			size_t nroom = room ? room * 2 : 16;
			char **w = realloc(out->words, nroom * 2 * sizeof(*w));
			unsigned int *l;

			if (w)
				out->words = w;
			l = w ? realloc(out->lines, nroom * sizeof(*l)) : NULL;
			if (!l) {
				free(remote);
				free(local);
				*why = "out of memory";
				errno = ENOMEM;
				r = -1;
				break;
			}
			out->lines = l;
			room = nroom;
		}
		out->words[2 * out->n_pairs] = remote;
		out->words[2 * out->n_pairs + 1] = local;
		out->lines[out->n_pairs++] = no;
		r = 0;
	}
	free(line);
	/*
	 * Whatever stopped the reading before the end is an error: a list read
	 * in part would add part of the files.
	 */
	if (!r && (ferror(f) || !feof(f))) {
		*why = ferror(f) && errno ? strerror(errno) : "the reading stopped before the end";
		r = -1;
	}
	if (r < 0) {
		file_list_free(out);
		return -1;
	}
	return 0;
}

void file_list_free(struct file_list *l)
{
	size_t i;

	for (i = 0; i < 2 * l->n_pairs; i++)
		free(l->words[i]);
	free(l->words);
	free(l->lines);
	memset(l, 0, sizeof(*l));
}
