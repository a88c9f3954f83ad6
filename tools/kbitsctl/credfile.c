// SPDX-License-Identifier: GPL-2.0
/*
 * kbitsctl: credentials as the command line and files give them (pure
 * parsing: tests/unit/test_credfile.c runs it without a module).  A
 * password never comes from argv: from a file (set-credentials
 * --password-file, transfer --credentials-file) or a prompt.  Every buffer
 * that held one is cleared with explicit_bzero() before it is freed, and no
 * message quotes one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "credfile.h"

static const char *const target_names[] = {
	[KBITS_AUTH_TARGET_SERVER] = "server",
	[KBITS_AUTH_TARGET_PROXY] = "proxy",
};

static const char *const scheme_names[] = {
	[KBITS_AUTH_SCHEME_BASIC] = "basic",
	[KBITS_AUTH_SCHEME_DIGEST] = "digest",
	[KBITS_AUTH_SCHEME_NTLM] = "ntlm",
	[KBITS_AUTH_SCHEME_NEGOTIATE] = "negotiate",
};

#define N_TARGETS (sizeof(target_names) / sizeof(target_names[0]))
#define N_SCHEMES (sizeof(scheme_names) / sizeof(scheme_names[0]))

/* The index of @s (@len bytes) among @names, case aside; 0 when none (0 is no name). */
static unsigned int name_index(const char *s, size_t len, const char *const *names, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strlen(names[i]) == len && !strncasecmp(s, names[i], len))
			return (unsigned int)i;
	return 0;
}

int cred_target_from_name(const char *s, enum kbits_auth_target *out)
{
	unsigned int i = name_index(s, strlen(s), target_names, N_TARGETS);

	if (!i)
		return -1;
	*out = (enum kbits_auth_target)i;
	return 0;
}

int cred_scheme_from_name(const char *s, enum kbits_auth_scheme *out)
{
	unsigned int i = name_index(s, strlen(s), scheme_names, N_SCHEMES);

	if (!i)
		return -1;
	*out = (enum kbits_auth_scheme)i;
	return 0;
}

const char *cred_target_name(enum kbits_auth_target t)
{
	return (unsigned int)t < N_TARGETS && target_names[t] ? target_names[t] : "?";
}

const char *cred_scheme_name(enum kbits_auth_scheme s)
{
	return (unsigned int)s < N_SCHEMES && scheme_names[s] ? scheme_names[s] : "?";
}

void cred_format_schemes(char *buf, size_t size, uint32_t mask)
{
	size_t i, used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (i = 1; i < N_SCHEMES; i++) {
		if (!(mask & (1U << i)))
			continue;
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "%s%s",
					 used ? "," : "", scheme_names[i]);
	}
	if (!used)
		snprintf(buf, size, "none");
}

/* UTF-8 as the kernel takes it: no overlong forms, no surrogates, at most U+10FFFF. */
static bool utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

const char *cred_check(enum kbits_auth_scheme scheme, const char *user, const char *password)
{
	const unsigned char *u;

	if (strlen(user) > KBITS_CRED_USER_MAX)
		return "the user name is longer than 1024 bytes";
	if (!utf8_ok((const unsigned char *)user, strlen(user)))
		return "the user name is not valid UTF-8";
	for (u = (const unsigned char *)user; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return "the user name has a control character";
	if (scheme == KBITS_AUTH_SCHEME_BASIC && strchr(user, ':'))
		return "a Basic user name may not hold ':' (RFC 7617)";
	if (strlen(password) > KBITS_CRED_PASSWORD_MAX)
		return "the password is longer than 1024 bytes";
	if (!utf8_ok((const unsigned char *)password, strlen(password)))
		return "the password is not valid UTF-8";
	return NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated word of @p (up to @end): its start and length; NULL when none. */
static const char *next_word(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *w;

	while (s < end && is_blank(*s))
		s++;
	if (s == end)
		return NULL;
	w = s;
	while (s < end && !is_blank(*s))
		s++;
	*len = (size_t)(s - w);
	*p = s;
	return w;
}

/* A copy of @len bytes at @s with a NUL, or NULL. */
static char *copy_bytes(const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (c) {
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

void cred_free(struct cred *c)
{
	if (c->user) {
		explicit_bzero(c->user, strlen(c->user));
		free(c->user);
	}
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	c->user = c->password = NULL;
}

int cred_parse_line(const char *line, size_t len, struct cred *out, const char **why)
{
	const char *p = line, *end = line + len, *w;
	size_t wlen;

	memset(out, 0, sizeof(*out));
	if (len && line[len - 1] == '\r')	/* CR LF */
		end--;
	if (memchr(line, '\0', len)) {
		*why = "it has a NUL byte";
		return -1;
	}
	w = next_word(&p, end, &wlen);
	if (!w || *w == '#')
		return 0;
	out->target = (enum kbits_auth_target)name_index(w, wlen, target_names, N_TARGETS);
	if (!out->target) {
		*why = "TARGET is not server or proxy";
		return -1;
	}
	w = next_word(&p, end, &wlen);
	if (!w) {
		*why = "missing SCHEME USER PASSWORD";
		return -1;
	}
	out->scheme = (enum kbits_auth_scheme)name_index(w, wlen, scheme_names, N_SCHEMES);
	if (!out->scheme) {
		*why = "SCHEME is not basic, digest, ntlm or negotiate";
		return -1;
	}
	w = next_word(&p, end, &wlen);
	if (!w) {
		*why = "missing USER PASSWORD";
		return -1;
	}
	out->user = copy_bytes(w, wlen);
	/* the password: the rest of the line after the blanks that follow USER */
	while (p < end && is_blank(*p))
		p++;
	if (p == end) {
		*why = "missing PASSWORD after USER";
		cred_free(out);
		return -1;
	}
	out->password = copy_bytes(p, (size_t)(end - p));
	if (!out->user || !out->password) {
		*why = "out of memory";
		cred_free(out);
		return -1;
	}
	*why = cred_check(out->scheme, out->user, out->password);
	if (*why) {
		cred_free(out);
		return -1;
	}
	return 1;
}

void cred_list_free(struct cred_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cred_free(&l->creds[i]);
	l->n = 0;
}

int cred_list_parse(const char *buf, size_t len, struct cred_list *out, unsigned int *bad_line,
		    const char **why)
{
	const char *p = buf, *end = buf + len;
	unsigned int line = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct cred c;
		int r;

		line++;
		r = cred_parse_line(p, llen, &c, why);
		p += llen + (nl ? 1 : 0);
		if (r == 0)
			continue;
		if (r < 0)
			goto fail;
		for (i = 0; i < out->n; i++) {
			if (out->creds[i].target == c.target && out->creds[i].scheme == c.scheme) {
				cred_free(&c);
				*why = "a second line for the same TARGET and SCHEME";
				goto fail;
			}
		}
		/* 2 targets x 4 schemes: a ninth pair repeats one (above) */
		out->creds[out->n] = c;
		out->lines[out->n++] = line;
	}
	if (!out->n) {
		*why = "no credentials in it";
		return -1;
	}
	return 0;
fail:
	*bad_line = line;
	cred_list_free(out);
	return -1;
}

int cred_first_line(const char *buf, size_t len, char **out, const char **why)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len;

	*out = NULL;
	if (n && buf[n - 1] == '\r')
		n--;
	if (memchr(buf, '\0', n)) {
		*why = "the password has a NUL byte";
		return -1;
	}
	if (n > KBITS_CRED_PASSWORD_MAX) {
		*why = "the password is longer than 1024 bytes";
		return -1;
	}
	*out = copy_bytes(buf, n);
	if (!*out) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/*
 * Reads all of @fd, up to @max bytes, into a malloc'd buffer (a NUL after
 * it): 0, -EFBIG when there is more, or -errno.  No stdio: its buffers
 * would keep a copy of the secrets after fclose().
 */
int cred_read_fd(int fd, size_t max, char **out, size_t *len)
{
	char *buf = malloc(max + 2);
	size_t have = 0;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = read(fd, buf + have, max + 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have > max)
			break;
	}
	if (n < 0 || have > max) {
		int err = n < 0 ? -errno : -EFBIG;

		explicit_bzero(buf, max + 2);
		free(buf);
		return err;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	return 0;
}

void cred_buf_free(char *buf, size_t len)
{
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
}
