// SPDX-License-Identifier: GPL-2.0
/*
 * A job's secrets, in the daemon: its credentials (KBITS_JOB_IOC_SET_
 * CREDENTIALS) and, when the job has KBITS_JOB_HEADERS_WRITE_ONLY, its
 * custom headers.  No job fd ioctl returns them: they come from the job's
 * EXPORT record (version 3), read where the rest of the job's network
 * settings are read (net_settings_read()), kept in struct net_settings (the
 * worker, forked from the daemon, inherits them) and zeroed when released.
 * Nothing here logs a user name, a password or a header: a line may name
 * the schemes.
 *
 * libcurl takes one user name and password per target (server, proxy).
 * When a job has several schemes for a target with different pairs, the
 * pair of the strongest scheme set wins (Negotiate > NTLM > Digest >
 * Basic: the enum's order) and only the schemes with that same pair are
 * offered; the others are left out, with a warning naming them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define SCHEMES		4	/* KBITS_AUTH_SCHEME_BASIC .. _NEGOTIATE */
#define CREDS_MAX	8	/* the kernel's limit: 2 targets x 4 schemes */

static const char *const scheme_names[SCHEMES + 1] = {
	[KBITS_AUTH_SCHEME_BASIC] = "basic",
	[KBITS_AUTH_SCHEME_DIGEST] = "digest",
	[KBITS_AUTH_SCHEME_NTLM] = "ntlm",
	[KBITS_AUTH_SCHEME_NEGOTIATE] = "negotiate",
};

/* One pair of the record, pointing into it (not NUL-terminated). */
struct rec_cred {
	bool set;
	const char *user, *password;
	uint32_t user_len, password_len;
};

/* free() after explicit_bzero() of @len bytes (a secret's copy) */
static void free_secret(void *p, size_t len)
{
	if (p) {
		explicit_bzero(p, len);
		free(p);
	}
}

static void free_string_secret(char *s)
{
	if (s)
		free_secret(s, strlen(s));
}

void net_auth_release(struct net_auth *a)
{
	free_string_secret(a->user);
	free_string_secret(a->password);
	memset(a, 0, sizeof(*a));
}

size_t auth_scheme_names(uint32_t set, char *buf, size_t size)
{
	size_t used = 0;
	int s;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (s = SCHEMES; s >= 1; s--) {	/* strongest first */
		int n;

		if (!(set & (1U << s)))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", scheme_names[s]);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = '\0';	/* whole names only */
			break;
		}
		used += (size_t)n;
	}
	return used;
}

static bool no_nul(const char *p, uint32_t len)
{
	return !memchr(p, '\0', len);
}

/*
 * The pair of the strongest scheme set in @c (one target's, indexed by
 * scheme) into @a, with the schemes that have that same pair.
 */
static int choose_pair(const struct rec_cred c[SCHEMES + 1], struct net_auth *a)
{
	const struct rec_cred *best = NULL;
	int s;

	memset(a, 0, sizeof(*a));
	for (s = SCHEMES; s >= 1; s--) {
		if (!c[s].set)
			continue;
		a->set |= 1U << s;
		if (!best) {
			best = &c[s];
			a->offered |= 1U << s;
		} else if (c[s].user_len == best->user_len &&
			   c[s].password_len == best->password_len &&
			   !memcmp(c[s].user, best->user, best->user_len) &&
			   !memcmp(c[s].password, best->password, best->password_len)) {
			a->offered |= 1U << s;
		}
	}
	if (!best)
		return 0;
	a->user = strndup(best->user, best->user_len);
	a->password = strndup(best->password, best->password_len);
	if (!a->user || !a->password) {
		net_auth_release(a);
		return -ENOMEM;
	}
	return 0;
}

int record_secrets(const void *rec, size_t len, struct net_settings *ns)
{
	struct rec_cred creds[2][SCHEMES + 1];
	const char *base = rec, *p, *end = base + len;
	const char *headers;
	struct kbits_job_record h;
	uint64_t before;
	uint32_t i;
	int err;

	memset(creds, 0, sizeof(creds));
	if (len < KBITS_JOB_RECORD_SIZE_VER0)
		return -EINVAL;
	memcpy(&h, base, len < sizeof(h) ? len : sizeof(h));	/* maybe not aligned */
	if (h.magic != KBITS_RECORD_MAGIC || h.length != len)
		return -EINVAL;
	if (h.version < 3)
		return 0;	/* an older module's: no credentials, no write-only headers */
	if (h.version != 3 || len < KBITS_JOB_RECORD_SIZE_VER4 ||
	    h.header_size < KBITS_JOB_RECORD_SIZE_VER4 || h.header_size > len ||
	    h.file_size < KBITS_RECORD_FILE_SIZE_VER0 || h.nr_creds > CREDS_MAX ||
	    h.reserved)
		return -EINVAL;
	/* the strings, the notify command and the reply name, then the credentials */
	before = (uint64_t)h.display_name_len + h.description_len + h.error_text_len +
		 h.proxy_list_len + h.proxy_bypass_len;
	if (before + h.http_headers_len + h.notify_cmd_len + h.reply_file_len >
	    len - h.header_size)
		return -EINVAL;
	headers = base + h.header_size + before;
	p = headers + h.http_headers_len + h.notify_cmd_len + h.reply_file_len;
	for (i = 0; i < h.nr_creds; i++) {
		struct kbits_record_cred c;
		struct rec_cred *rc;

		if ((size_t)(end - p) < sizeof(c))
			return -EINVAL;
		memcpy(&c, p, sizeof(c));
		p += sizeof(c);
		if (c.target < KBITS_AUTH_TARGET_SERVER || c.target > KBITS_AUTH_TARGET_PROXY ||
		    c.scheme < KBITS_AUTH_SCHEME_BASIC || c.scheme > KBITS_AUTH_SCHEME_NEGOTIATE ||
		    c.user_len > KBITS_CRED_USER_MAX || c.password_len > KBITS_CRED_PASSWORD_MAX ||
		    (uint64_t)c.user_len + c.password_len > (uint64_t)(end - p))
			return -EINVAL;
		rc = &creds[c.target - 1][c.scheme];
		if (rc->set)
			return -EINVAL;	/* two of one (target, scheme) */
		rc->set = true;
		rc->user = p;
		rc->user_len = c.user_len;
		rc->password = p + c.user_len;
		rc->password_len = c.password_len;
		if (!no_nul(rc->user, rc->user_len) || !no_nul(rc->password, rc->password_len))
			return -EINVAL;
		p += c.user_len + c.password_len;
	}
	/* the files: their lengths must add up to the record's end */
	for (i = 0; i < h.nr_files; i++) {
		struct kbits_record_file f;

		if ((size_t)(end - p) < h.file_size)
			return -EINVAL;
		memcpy(&f, p, KBITS_RECORD_FILE_SIZE_VER0);
		p += h.file_size;
		if ((uint64_t)f.remote_len + f.local_len > (uint64_t)(end - p))
			return -EINVAL;
		p += f.remote_len + f.local_len;
	}
	if (p != end)
		return -EINVAL;

	if (h.flags & KBITS_RECORD_HEADERS_WRITE_ONLY) {
		char *copy = NULL;

		if (!no_nul(headers, h.http_headers_len))
			return -EINVAL;
		if (h.http_headers_len) {
			copy = strndup(headers, h.http_headers_len);
			if (!copy)
				return -ENOMEM;
		}
		/* the record's headers, the ones the job has now */
		free_string_secret(ns->http_headers);
		ns->http_headers = copy;
		ns->headers_write_only = true;
	}
	err = choose_pair(creds[KBITS_AUTH_TARGET_SERVER - 1], &ns->server);
	if (!err)
		err = choose_pair(creds[KBITS_AUTH_TARGET_PROXY - 1], &ns->proxy);
	return err;
}

/* A line naming what the job has, and a warning for any scheme left out. */
static void log_secrets(const struct kbits_guid *id, const struct net_settings *ns)
{
	static const char *const targets[] = { "server", "proxy" };
	const struct net_auth *a[] = { &ns->server, &ns->proxy };
	char set[2][64], off[64];
	int t;

	if (!ns->server.set && !ns->proxy.set && !ns->headers_write_only)
		return;
	for (t = 0; t < 2; t++) {
		if (!auth_scheme_names(a[t]->set, set[t], sizeof(set[t])))
			snprintf(set[t], sizeof(set[t]), "none");
	}
	log_job(LOG_INFO, id, "credentials for the server: %s; for the proxy: %s%s",
		set[0], set[1], ns->headers_write_only ? "; custom headers write-only" : "");
	for (t = 0; t < 2; t++) {
		char best[16];

		if (a[t]->set == a[t]->offered)
			continue;
		auth_scheme_names(a[t]->set & ~a[t]->offered, off, sizeof(off));
		/* the strongest offered is the highest bit */
		auth_scheme_names(1U << (31 - __builtin_clz(a[t]->offered)), best, sizeof(best));
		log_job(LOG_WARNING, id, "%s credentials: %s not offered: their user name or "
			"password differ from %s's (libcurl takes one pair per target)",
			targets[t], off, best);
	}
}

int net_secrets_read(int afd, const struct kbits_guid *id, struct net_settings *ns)
{
	void *rec = NULL;
	size_t len = 0;
	int err;

	err = afd_export(afd, id, &rec, &len);
	if (err < 0)
		return err;
	err = record_secrets(rec, len, ns);
	free_secret(rec, len);
	if (err == -EINVAL)
		log_job(LOG_ERR, id, "the kernel's record of the job does not add up: "
			"no credentials read");
	if (!err)
		log_secrets(id, ns);
	return err;
}
