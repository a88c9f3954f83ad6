// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: the arguments: notify flags (and their names given back),
 * seconds and SHA-256 digests (and their hex given back), and the REMOTE
 * and LOCAL names made absolute and checked.
 * (libkbits reads and names priorities and types.)
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kbitsctl.h"

static const struct {
	const char *name;
	uint32_t flag;
} notify_names[] = {
	{ "transferred", KBITS_NOTIFY_JOB_TRANSFERRED },
	{ "error", KBITS_NOTIFY_JOB_ERROR },
	{ "disable", KBITS_NOTIFY_DISABLE },
	{ "modification", KBITS_NOTIFY_JOB_MODIFICATION },
	{ "file-transferred", KBITS_NOTIFY_FILE_TRANSFERRED },
};

#define N_NOTIFY (sizeof(notify_names) / sizeof(notify_names[0]))

int parse_notify(const char *s, uint32_t *flags)
{
	char *copy, *tok, *save = NULL;
	uint32_t f = 0;
	int ret = 0;

	if (!*s)
		return -1;
	copy = strdup(s);
	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		char *end;
		unsigned long v;

		if (!strcasecmp(tok, "none"))
			continue;
		if (!strcasecmp(tok, "all")) {
			f |= KBITS_NOTIFY_JOB_TRANSFERRED | KBITS_NOTIFY_JOB_ERROR |
			     KBITS_NOTIFY_JOB_MODIFICATION | KBITS_NOTIFY_FILE_TRANSFERRED;
			continue;
		}
		for (i = 0; i < N_NOTIFY; i++) {
			if (!strcasecmp(tok, notify_names[i].name) ||
			    (!strcasecmp(tok, "file_transferred") &&
			     notify_names[i].flag == KBITS_NOTIFY_FILE_TRANSFERRED)) {
				f |= notify_names[i].flag;
				break;
			}
		}
		if (i < N_NOTIFY)
			continue;
		errno = 0;
		v = strtoul(tok, &end, 0);
		if (errno || *end || tok[0] == '-' || v & ~(unsigned long)KBITS_NOTIFY_ALL) {
			ret = -1;
			break;
		}
		f |= (uint32_t)v;
	}
	free(copy);
	if (!ret)
		*flags = f;
	return ret;
}

void format_notify(char *buf, size_t size, uint32_t flags)
{
	size_t o = 0, i;

	buf[0] = '\0';
	for (i = 0; i < N_NOTIFY; i++) {
		if (!(flags & notify_names[i].flag))
			continue;
		if (o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
					      notify_names[i].name);
		flags &= ~notify_names[i].flag;
	}
	if (flags && o < size)
		o += (size_t)snprintf(buf + o, size - o, "%s0x%x", o ? "," : "", flags);
	if (!o)
		snprintf(buf, size, "none");
}

void json_notify(struct json *w, uint32_t flags)
{
	size_t i;

	json_array_begin(w);
	for (i = 0; i < N_NOTIFY; i++)
		if (flags & notify_names[i].flag)
			json_string(w, notify_names[i].name);
	json_array_end(w);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_sha256(const char *s, uint8_t out[KBITS_SHA256_SIZE])
{
	uint8_t d[KBITS_SHA256_SIZE];
	size_t i;

	if (strlen(s) != 2 * KBITS_SHA256_SIZE)
		return -1;
	for (i = 0; i < KBITS_SHA256_SIZE; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, d, sizeof(d));
	return 0;
}

void format_sha256(char out[SHA256_HEX_LEN], const uint8_t sha256[KBITS_SHA256_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < KBITS_SHA256_SIZE; i++) {
		out[2 * i] = digits[sha256[i] >> 4];
		out[2 * i + 1] = digits[sha256[i] & 0xf];
	}
	out[2 * KBITS_SHA256_SIZE] = '\0';
}

int parse_seconds(const char *s, uint32_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		if (end[1])
			return -1;
		switch (*end) {
		case 's':
			break;
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'd':
			mul = 86400;
			break;
		default:
			return -1;
		}
	}
	if (v > UINT32_MAX / mul)
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

/* ------------------------------------------------------------------ paths */

bool is_url(const char *s)
{
	const char *p = s;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return p[0] == ':' && p[1] == '/' && p[2] == '/';
}

char *absolute_path(const char *path)
{
	char *cwd, *joined, *out, *tok, *save = NULL;
	size_t len, o = 0;

	if (path[0] == '/' || is_url(path) || !path[0])
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	len = strlen(cwd) + strlen(path) + 2;
	joined = malloc(len);
	out = malloc(len + 1);
	if (!joined || !out) {
		free(cwd);
		free(joined);
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(joined, len, "%s/%s", cwd, path);
	free(cwd);
	/* Lexically, as realpath -s: no "." components, ".." takes one off. */
	for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, tok, strlen(tok));
		o += strlen(tok);
	}
	if (!o)
		out[o++] = '/';
	/* A trailing slash says "a directory": keep it (the kernel then refuses it). */
	if (path[strlen(path) - 1] == '/' && out[o - 1] != '/')
		out[o++] = '/';
	out[o] = '\0';
	free(joined);
	return out;
}

const char *check_file_pair(const char *remote, const char *local, const char **which)
{
	*which = "REMOTE";
	if (!*remote)
		return "it is empty";
	if (!utf8_valid(remote))
		return "it is not valid UTF-8";
	if (strlen(remote) > KBITS_REMOTE_NAME_MAX)
		return "it is longer than 2200 bytes";
	if (is_url(remote)) {
		if (strncasecmp(remote, "http://", 7) && strncasecmp(remote, "https://", 8) &&
		    strncasecmp(remote, "file://", 7))
			return "only http://, https:// and file:// URLs are supported";
		if (!strncasecmp(remote, "file://", 7) && remote[7] != '/')
			return "a file:// URL needs an absolute path (file:///dir/name)";
	} else if (remote[0] != '/') {
		return "it is not a URL or an absolute path";
	}
	*which = "LOCAL";
	if (!*local)
		return "it is empty";
	if (!utf8_valid(local))
		return "it is not valid UTF-8";
	if (strlen(local) > KBITS_LOCAL_NAME_MAX)
		return "it is longer than 4095 bytes";
	if (local[0] != '/')
		return "it is not an absolute path";
	return NULL;
}

/* Blanks separate words; these characters are shell syntax (operators). */
#define CMD_BLANKS " \t\n"
#define CMD_OPERATORS "|&;<>()"

int split_cmdline(const char *s, char ***out, char *why, size_t why_size)
{
	size_t len = strlen(s), n = 0, wl = 0;
	/* A word takes a character and a blank at least ('' two). */
	char **argv = calloc(len / 2 + 2, sizeof(*argv));
	char *word = malloc(len + 1);
	bool in_word = false;		/* a word started, perhaps an empty one ('') */
	const char *p = s, *e;

	*out = NULL;
	if (!argv || !word)
		goto oom;
	for (;;) {
		char c = *p;

		if (!c || strchr(CMD_BLANKS, c)) {
			if (in_word) {
				word[wl] = '\0';
				argv[n] = strdup(word);
				if (!argv[n++])
					goto oom;
				wl = 0;
				in_word = false;
			}
			if (!c)
				break;
			p++;
		} else if (c == '\\') {
			/* A line continuation goes; a final backslash stays, as in sh. */
			if (p[1] == '\n') {
				p += 2;
				continue;
			}
			if (p[1])
				p++;
			word[wl++] = *p++;
			in_word = true;
		} else if (c == '\'') {
			e = strchr(p + 1, '\'');
			if (!e) {
				snprintf(why, why_size, "a single quote (') is not closed");
				goto fail;
			}
			memcpy(word + wl, p + 1, e - p - 1);
			wl += e - p - 1;
			p = e + 1;
			in_word = true;
		} else if (c == '"') {
			/* Within double quotes a backslash escapes only $ ` " \ and a newline. */
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] == '\n') {
					p++;
					continue;
				}
				if (*p == '\\' && p[1] && strchr("$`\"\\", p[1]))
					p++;
				word[wl++] = *p;
			}
			if (!*p) {
				snprintf(why, why_size, "a double quote (\") is not closed");
				goto fail;
			}
			p++;
			in_word = true;
		} else if (strchr(CMD_OPERATORS, c) || (c == '#' && !in_word)) {
			/* A shell would redirect, pipe or comment: no shell runs it. */
			snprintf(why, why_size,
				 "'%c' is shell syntax and no shell runs the command: quote it, or run a shell ('/bin/sh -c \"...\"')",
				 c);
			goto fail;
		} else {
			word[wl++] = c;
			p++;
			in_word = true;
		}
	}
	free(word);
	*out = argv;
	return 0;
oom:
	snprintf(why, why_size, "out of memory");
	free(word);
	kbits_strv_free(argv);
	return -ENOMEM;
fail:
	free(word);
	kbits_strv_free(argv);
	return -EINVAL;
}
