/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbitsctl: credentials as the command line and files give them: names of
 * targets and schemes, the checks the kernel makes (said before any job
 * changes), transfer --credentials-file's lines, and a password file's
 * first line.  No message here quotes a password.
 */
#ifndef KBITSCTL_CREDFILE_H
#define KBITSCTL_CREDFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kbits/kbits.h>

/* "server", "proxy"; "basic", "digest", "ntlm", "negotiate" (any case): 0 or -1. */
int cred_target_from_name(const char *s, enum kbits_auth_target *out);
int cred_scheme_from_name(const char *s, enum kbits_auth_scheme *out);
const char *cred_target_name(enum kbits_auth_target t);
const char *cred_scheme_name(enum kbits_auth_scheme s);
/* A mask of (1U << scheme) as "basic,digest"; "none" for 0. */
void cred_format_schemes(char *buf, size_t size, uint32_t mask);

/*
 * What the kernel would refuse in a user and password for @scheme (-EINVAL,
 * -ENAMETOOLONG): NULL, or why, in words that never quote them.
 */
const char *cred_check(enum kbits_auth_scheme scheme, const char *user, const char *password);

struct cred {
	enum kbits_auth_target target;
	enum kbits_auth_scheme scheme;
	char *user, *password;		/* malloc'd; cleared when freed */
};

/* Clears and frees the strings of @c. */
void cred_free(struct cred *c);

/*
 * transfer --credentials-file: "TARGET SCHEME USER PASSWORD" a line, the
 * first three separated by blanks (spaces, tabs), PASSWORD the rest of the
 * line after the blanks that follow USER (it may hold blanks, '#'); a line
 * may end in CR LF; blank lines, and lines whose first word starts with
 * '#', are skipped.
 *
 * One line (without its \n), @len bytes: 0 (blank or a comment), 1 (*out
 * filled, its strings malloc'd), or -1 with *why (which never quotes the
 * line) and nothing to free.
 */
int cred_parse_line(const char *line, size_t len, struct cred *out, const char **why);

/* At most one line per target and scheme: 2 x 4. */
#define CRED_LIST_MAX 8

struct cred_list {
	struct cred creds[CRED_LIST_MAX];
	unsigned int lines[CRED_LIST_MAX];	/* where each came from */
	size_t n;
};

/*
 * Every line of @buf (@len bytes): 0, or -1 with *why and the line's
 * number in *bad_line (0 when it is no line's fault: a file without
 * credentials).  A second line for a target and scheme is an error.
 */
int cred_list_parse(const char *buf, size_t len, struct cred_list *out, unsigned int *bad_line,
		    const char **why);
void cred_list_free(struct cred_list *l);

/*
 * set-credentials --password-file: the first line of @buf, without its
 * line end (LF or CR LF), malloc'd into *out: 0, or -1 with *why.
 */
int cred_first_line(const char *buf, size_t len, char **out, const char **why);

/* A whole credentials file: at most this many bytes. */
#define CRED_FILE_MAX (64 * 1024)

/*
 * Reads all of @fd, at most @max bytes, into *out (malloc'd, with a NUL
 * after it), without stdio, whose buffers would keep a copy: 0, -EFBIG
 * when there is more, or -errno.  Free it with cred_buf_free().
 */
int cred_read_fd(int fd, size_t max, char **out, size_t *len);
/* Clears @len bytes at @buf and frees it; NULL is fine. */
void cred_buf_free(char *buf, size_t len);

#endif /* KBITSCTL_CREDFILE_H */
